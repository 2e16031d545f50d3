//! One link of a connection over TCP (or TLS over TCP, see [`crate::dial`]),
//! for any framed SMSC protocol: the socket, reconnects with exponential
//! backoff and full jitter, pulling submissions from the pool, matching
//! answers to them, forwarding what the SMSC delivers and answering it once
//! recorded, and a clean close at shutdown. The loop writes what is pending,
//! then waits for a read or anything else, so one stream serves both ways
//! (no split, which TLS would need to lock). Everything protocol-specific is
//! behind [`Protocol`], a sans-IO adapter around the protocol crate's session
//! (SMPP bind, UCP login, CIMD2 login); this file has no protocol in it.
//!
//! When the socket goes away every submission in flight is answered
//! `ConnectionLost`, so the caller decides whether to retry; nothing waits forever.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use runtime::config::link_tls::{self, LinkTls};
use runtime::config::Smsc;
use timing::Backoff;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

mod protocol;
pub use protocol::{submitted, timers, Codec, Effect, Protocol};

use crate::exchange::InFlight;
use crate::link::{Ack, SubmitError};
use crate::queue::Queue;

/// How one connection attempt ended.
struct Ended {
    /// The session was open at some point (so the next reconnect starts fast).
    was_bound: bool,
    /// Shutdown was requested.
    shutdown: bool,
    reason: String,
    /// The label of `smsgw_link_failures_total` this end counts under; `None` at shutdown.
    failure: Option<&'static str>,
}

/// Where a link connects: the SMSC and the TLS client for it.
#[derive(Clone, Copy)]
struct Target<'a> {
    smsc: &'a Smsc,
    tls: &'a Result<Option<LinkTls>, String>,
}

/// Keeps link `index` up until `shutdown`, while this replica's share of
/// the connection's binds counts it ([`Queue::turn`]); `new` makes a fresh
/// session per connection.
pub async fn run<P: Protocol>(
    queue: Arc<Queue>,
    smsc: Smsc,
    index: usize,
    shutdown: CancellationToken,
    new: impl Fn() -> P,
) {
    let config = &queue.config;
    // Built once per link; an error (which start-up validation rules out)
    // fails every connection attempt rather than fall back to plain TCP.
    let tls = link_tls::client(&smsc).map_err(|(key, e)| format!("{key}: {e}"));
    let smsc = Target { smsc: &smsc, tls: &tls };
    let mut backoff = Backoff::new(config.reconnect_min, config.reconnect_max);
    loop {
        let Some(leave) = queue.turn(index, &shutdown).await else { break };
        let ended = serve(&queue, smsc, new(), &shutdown, &leave).await;
        leave.cancel();
        if shutdown.is_cancelled() {
            tracing::info!(reason = %ended.reason, "link closed");
            break;
        }
        if ended.shutdown {
            tracing::info!(index, "link closed: this replica's share of the binds is smaller now");
            continue;
        }
        let failure = ended.failure.unwrap_or("lost");
        counters::link_failures(&config.id, failure).inc();
        if ended.was_bound {
            backoff.reset();
        }
        let delay = backoff.next_delay(rand::random::<f64>());
        tracing::warn!(reason = %ended.reason, failure, retry_in = ?delay, index, "link lost, reconnecting");
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// The connection's state while it lasts.
struct Link<P: Protocol> {
    protocol: P,
    out: BytesMut,
    pending: HashMap<u32, InFlight>,
    acks: mpsc::Sender<P::Frame>,
    bound: bool,
    /// Given up (the replica's share of binds): no new submissions.
    leaving: bool,
    closing: bool,
    ended: Option<Ended>,
}

impl<P: Protocol> Link<P> {
    fn write(&mut self, frame: &P::Frame) {
        if let Err(e) = P::Codec::encode(frame, &mut self.out) {
            let frame = P::Codec::describe(frame);
            tracing::error!(error = &e as &dyn std::error::Error, %frame, "cannot encode a frame; not sent");
        }
    }

    /// Ends the link on a read or write error: counted as `tls` when TLS
    /// refused it (an alert from the SMSC, such as a client certificate it
    /// wanted and did not get, which TLS 1.3 reports only after the client's
    /// side of the handshake), otherwise as any other end.
    fn io_failed(&mut self, what: &str, e: &std::io::Error) {
        self.end(format!("{what} failed: {e}"));
        let from_tls = e.get_ref().is_some_and(|inner| inner.is::<tls::rustls::Error>());
        if let Some(ended) = self.ended.as_mut().filter(|ended| from_tls && ended.failure.is_some()) {
            ended.failure = Some("tls");
        }
    }

    /// Ends the session politely (unbind, logout), or at once when it has none.
    fn close(&mut self, why: &str) {
        self.closing = true;
        match self.protocol.close(Instant::now()) {
            Some(frame) if self.bound => self.write(&frame),
            _ => self.end(why.into()),
        }
    }

    fn end(&mut self, reason: String) {
        if self.ended.is_none() {
            let failure = match (self.closing, self.bound) {
                (true, _) => None,
                (false, true) => Some("lost"),
                (false, false) => Some("login"),
            };
            self.ended = Some(Ended { was_bound: self.bound, shutdown: self.closing, reason, failure });
        }
    }

    async fn apply(&mut self, queue: &Queue, effects: Vec<Effect<P::Frame>>) {
        for effect in effects {
            match effect {
                Effect::Send(frame) => self.write(&frame),
                Effect::Bound => {
                    if !self.bound {
                        queue.link_up();
                        tracing::info!("bound");
                    }
                    self.bound = true;
                }
                Effect::Answer { key, result } => {
                    if let Some(sent) = self.pending.remove(&key) {
                        sent.answer(result);
                    }
                }
                Effect::Deliver { incoming, key, recorded, refused } => {
                    let (delivered, answer) =
                        crate::exchange::delivered(&queue.config.id, queue.config.protocol(), incoming, Some(key));
                    if queue.inbound.send(delivered).await.is_err() {
                        self.write(&refused);
                        continue;
                    }
                    let acks = self.acks.clone();
                    tokio::spawn(async move {
                        // Refused or no answer (the record could not be written): the SMSC delivers it again.
                        let frame = match answer.await {
                            Ok(Ack::Recorded) => recorded,
                            Ok(Ack::Refused) | Err(_) => refused,
                        };
                        let _ = acks.send(frame).await;
                    });
                }
                Effect::Close(reason) => self.end(reason),
            }
        }
    }
}

/// One connection attempt and session, until it ends, `shutdown`, or
/// `leave`: then it stops taking submissions, waits for the answers of
/// those in flight, and closes politely.
async fn serve<P: Protocol>(
    queue: &Arc<Queue>,
    smsc: Target<'_>,
    protocol: P,
    shutdown: &CancellationToken,
    leave: &CancellationToken,
) -> Ended {
    let config = &queue.config;
    let failed = |failure: &'static str, reason: String| Ended {
        was_bound: false,
        shutdown: false,
        reason,
        failure: Some(failure),
    };
    let tls = match smsc.tls {
        Ok(tls) => tls.as_ref(),
        // Validation at start-up makes this unreachable; never fall back to plain TCP.
        Err(e) => return failed("tls", format!("TLS set-up failed: {e}")),
    };
    let mut stream = match crate::dial::dial(smsc.smsc, config.response_timeout, tls).await {
        Ok(s) => s,
        Err(f) => return failed(f.reason, f.message),
    };
    let (acks, mut ack_rx) = mpsc::channel(config.window.max(16));
    let mut link = Link {
        protocol,
        out: BytesMut::new(),
        pending: HashMap::new(),
        acks,
        bound: false,
        leaving: false,
        closing: false,
        ended: None,
    };
    for frame in link.protocol.open(Instant::now()) {
        link.write(&frame);
    }
    let mut input = BytesMut::with_capacity(8192);
    let mut next = crate::queue::next_submit(queue.clone());

    while link.ended.is_none() {
        if link.out.len() >= WRITE_AT && !flush_out(&mut link, &mut stream).await {
            break;
        }
        let deadline = link.protocol.next_deadline().unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let submitting = link.bound && !link.closing && !link.leaving && link.protocol.can_submit();
        tokio::select! {
            biased;
            _ = shutdown.cancelled(), if !link.closing => link.close("shutdown"),
            _ = leave.cancelled(), if !link.leaving && !link.closing => link.leaving = true,
            read = stream.read_buf(&mut input) => match read {
                Ok(0) => link.end("connection closed by the SMSC".into()),
                Err(e) => link.io_failed("read", &e),
                Ok(_) => loop {
                    match P::Codec::decode(&mut input) {
                        Ok(None) => break,
                        Ok(Some(frame)) => {
                            let effects = link.protocol.receive(frame, Instant::now());
                            link.apply(queue, effects).await;
                        }
                        Err(e) => match P::Codec::skip(&e) {
                            Some(reply) => {
                                tracing::warn!(error = &e as &dyn std::error::Error, "malformed frame from the SMSC");
                                if let Some(reply) = reply {
                                    link.write(&reply);
                                }
                            }
                            None => {
                                link.end(format!("unrecoverable framing error: {e}"));
                                break;
                            }
                        },
                    }
                },
            },
            Some(frame) = ack_rx.recv() => link.write(&frame),
            submit = &mut next, if submitting => {
                next = crate::queue::next_submit(queue.clone());
                // Withdrawn and expired ones were answered by `next_submit`.
                match submit {
                    None => {} // the pool is closed; shutdown follows
                    Some(s) => match link.protocol.submit(&s.submission, Instant::now(), timing::now_ms()) {
                        Ok((frame, key)) => {
                            link.pending.insert(key, InFlight::new(s, config, Some(key)));
                            link.write(&frame);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "submission refused by the session");
                            let _ = s.reply.send(Err(e));
                        }
                    },
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                let effects = link.protocol.poll(Instant::now());
                link.apply(queue, effects).await;
            }
            // Nothing above is ready: what they gathered goes out in one
            // write, so a burst of submits, or of answers to the SMSC, is one
            // send, not one each.
            _ = std::future::ready(()), if !link.out.is_empty() => {
                if !flush_out(&mut link, &mut stream).await {
                    break;
                }
            }
        }
        if link.leaving && !link.closing && link.pending.is_empty() {
            link.close("share of binds given up");
        }
        if link.closing && !link.bound {
            link.end("shutdown".into());
        }
    }
    if !link.out.is_empty() {
        let _ = write_out(&mut stream, &link.out).await;
    }
    // A TLS close_notify (or a TCP FIN), so the SMSC sees a clean end, not a truncation.
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
    for (_, sent) in link.pending.drain() {
        sent.answer(Err(SubmitError::ConnectionLost));
    }
    if link.bound {
        queue.link_down();
    }
    link.ended.unwrap_or_else(|| failed("lost", "ended".into()))
}

/// Bytes gathered for the SMSC past which they go out before anything else
/// ready is handled.
const WRITE_AT: usize = 64 * 1024;

/// Writes what is gathered for the SMSC; false once that failed (the link
/// has ended).
async fn flush_out<P: Protocol>(link: &mut Link<P>, stream: &mut crate::dial::Stream) -> bool {
    let written = write_out(stream, &link.out).await;
    link.out.clear();
    match written {
        Ok(()) => true,
        Err(e) => {
            link.io_failed("write", &e);
            false
        }
    }
}

/// Writes `bytes` and flushes: TLS may hold the last record until asked.
async fn write_out(stream: &mut crate::dial::Stream, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

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
use outstanding::Action;
use runtime::config::link_tls::{self, LinkTls};
use runtime::config::Smsc;
use timing::Backoff;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::exchange::InFlight;
use crate::link::{Ack, Answer, Incoming, Submission, SubmitError};
use crate::queue::Queue;

/// What one received frame (or a timer) means for the link.
#[derive(Debug)]
pub enum Effect<F> {
    /// Write this frame (a reply, a keep-alive).
    Send(F),
    /// The session is open: submissions may flow, deliveries arrive.
    Bound,
    /// The answer to the submission sent under `key`.
    Answer { key: u32, result: Result<Answer, SubmitError> },
    /// A report or message from the SMSC in the frame numbered `key`; write
    /// `recorded` once it is on the broker, `refused` if it could not be (the
    /// SMSC delivers it again).
    Deliver { incoming: Incoming, key: u32, recorded: F, refused: F },
    /// The session is over (refused login, unbind, dead peer).
    Close(String),
}

/// A protocol's codec crate as the driver uses it (`crates/smpp`, `ucp`,
/// `cimd2`): frames in and out, and its typed errors, which say whether the
/// stream can go on after a bad frame and what the protocol answers to one.
pub trait Codec: Send + 'static {
    type Frame: Send + std::fmt::Debug + 'static;
    type DecodeError: std::error::Error + Send + Sync + 'static;
    type EncodeError: std::error::Error + Send + Sync + 'static;

    /// Reads one frame from `buf`; `Ok(None)` wants more bytes.
    fn decode(buf: &mut BytesMut) -> Result<Option<Self::Frame>, Self::DecodeError>;
    /// `Some(answer)` when the stream can go on after `error` (the bad frame
    /// was skipped), with the protocol's answer to it (a NACK), if any;
    /// `None` when it cannot be resynchronised.
    fn skip(error: &Self::DecodeError) -> Option<Option<Self::Frame>>;
    /// Appends `frame` to `out`.
    fn encode(frame: &Self::Frame, out: &mut BytesMut) -> Result<(), Self::EncodeError>;
    /// The frame by its command and sequence number, never its contents
    /// (addresses, text, passwords), for errors and logs.
    fn describe(frame: &Self::Frame) -> String;
}

/// A protocol's session, sans IO. Time is passed in.
pub trait Protocol: Send + 'static {
    type Codec: Codec<Frame = Self::Frame>;
    type Frame: Send + std::fmt::Debug + 'static;
    /// The frames that open the session (bind, login).
    fn open(&mut self, now: Instant) -> Vec<Self::Frame>;
    /// True when a submission may be sent now (bound, window room).
    fn can_submit(&self) -> bool;
    /// The frame for one submission and the key its answer will carry;
    /// `now_ms` is the wall clock (epoch ms), for protocols that write times.
    fn submit(&mut self, submission: &Submission, now: Instant, now_ms: i64)
        -> Result<(Self::Frame, u32), SubmitError>;
    /// What a received frame means.
    fn receive(&mut self, frame: Self::Frame, now: Instant) -> Vec<Effect<Self::Frame>>;
    /// What the timers say (keep-alives, response timeouts as `Answer`s with `Timeout`, a dead peer).
    fn poll(&mut self, now: Instant) -> Vec<Effect<Self::Frame>>;
    /// When [`Protocol::poll`] next has something to say.
    fn next_deadline(&self) -> Option<Instant>;
    /// The frame that ends the session politely (unbind, logout), if the
    /// session is open and the protocol has one; then wait for `Close`.
    fn close(&mut self, now: Instant) -> Option<Self::Frame>;
}

/// A submission's frame as the session numbered it, with the key its answer
/// will carry (`key` reads it from the frame); refused by the session
/// (window full, not bound), it is `NotSent`.
pub fn submitted<F, E: std::fmt::Display>(sent: Result<F, E>, key: fn(&F) -> u32) -> Result<(F, u32), SubmitError> {
    match sent {
        Ok(frame) => {
            let key = key(&frame);
            Ok((frame, key))
        }
        Err(e) => {
            tracing::warn!(error = %e, "submit refused by the session");
            Err(SubmitError::NotSent)
        }
    }
}

/// [`Protocol::poll`] for the SMPP, UCP and CIMD2 sessions: their timers'
/// [`Action`]s as effects. A request without response answers its
/// submission `Timeout` (`name` is the spec's name of its kind, for the
/// log); a dead session closes the link, the reason naming the requests
/// whose silence kills it (`unanswered`, such as "enquire_link or bind").
pub fn timers<F, K, C>(
    actions: impl IntoIterator<Item = Action<F, K, C>>,
    name: fn(C) -> &'static str,
    unanswered: &str,
) -> Vec<Effect<F>>
where
    u32: From<K>,
{
    let mut effects = Vec::new();
    for action in actions {
        match action {
            Action::Send(frame) => effects.push(Effect::Send(frame)),
            Action::TimedOut { key, kind } => {
                let key = u32::from(key);
                tracing::warn!(key, request = name(kind), "response timed out");
                effects.push(Effect::Answer { key, result: Err(SubmitError::Timeout) });
            }
            Action::Dead => {
                effects.push(Effect::Close(format!("SMSC stopped answering ({unanswered} timed out)")));
                break;
            }
            _ => {}
        }
    }
    effects
}

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
        if !link.out.is_empty() {
            // Flushed as well: TLS may hold the last record until asked.
            if let Err(e) = write_out(&mut stream, &link.out).await {
                link.io_failed("write", &e);
                break;
            }
            link.out.clear();
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

async fn write_out(stream: &mut crate::dial::Stream, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_answer_timeouts_and_close_a_dead_session() {
        let actions: Vec<Action<&str, u8, u8>> =
            vec![Action::Send("alive"), Action::TimedOut { key: 3, kind: 3 }, Action::Dead, Action::Send("after")];
        let effects = timers(actions, |_| "submit message", "login or alive");
        match effects.as_slice() {
            [Effect::Send("alive"), Effect::Answer { key: 3, result: Err(SubmitError::Timeout) }, Effect::Close(reason)] =>
            {
                assert_eq!(reason, "SMSC stopped answering (login or alive timed out)")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn submitted_keys_the_frame_and_a_refusal_is_not_sent() {
        let key = |n: &u8| u32::from(*n);
        assert!(matches!(submitted(Ok::<u8, &str>(7), key), Ok((7, 7))));
        assert!(matches!(submitted(Err::<u8, &str>("window full"), key), Err(SubmitError::NotSent)));
    }
}

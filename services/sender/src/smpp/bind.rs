//! One SMPP bind: a task that owns the socket, drives the sans-IO
//! [`smpp::Session`], and reconnects with exponential backoff and full jitter.
//!
//! Submits are matched to their responses by sequence number. When the
//! socket goes away every submit in flight is answered `ConnectionLost`, so
//! the caller decides whether to retry; nothing waits forever.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use runtime::config::BindType;
use smpp::{Action, Backoff, Bind, BindKind, Body, Pdu, Received, Session, SessionConfig, SmppCodec};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;

use super::{classify, convert};
use crate::link::{Ack, Answer, Delivered, SubmitError};
use crate::pool::{Shared, Submit};

type Reply = oneshot::Sender<Result<Answer, SubmitError>>;

/// How one connection attempt ended.
struct Ended {
    /// The bind was accepted at some point (so the next reconnect starts fast).
    was_bound: bool,
    /// Shutdown was requested.
    shutdown: bool,
    reason: String,
}

/// Keeps one bind up until `shutdown`.
pub async fn run(shared: Arc<Shared>, index: usize, shutdown: CancellationToken) {
    let config = &shared.config;
    let mut backoff = Backoff::new(config.reconnect_min, config.reconnect_max);
    loop {
        let ended = serve(&shared, &shutdown).await;
        if ended.shutdown || shutdown.is_cancelled() {
            tracing::info!(reason = %ended.reason, "bind closed");
            break;
        }
        if ended.was_bound {
            backoff.reset();
        }
        let delay = backoff.next_delay(rand::random::<f64>());
        tracing::warn!(reason = %ended.reason, retry_in = ?delay, index, "bind lost, reconnecting");
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

fn bind_kind(b: BindType) -> BindKind {
    match b {
        BindType::Transmitter => BindKind::Transmitter,
        BindType::Receiver => BindKind::Receiver,
        BindType::Transceiver => BindKind::Transceiver,
    }
}

/// The next submit to send: takes one from the queue, then waits for the
/// throttle pause and a rate token, so the token is fresh when the submit
/// goes out (a token taken while idle would allow a burst later).
///
/// Kept pinned across loop turns, so `select!` never drops a submit it took.
/// If the bind ends while this holds one, dropping it drops the reply sender,
/// which the pool reports as [`SubmitError::NotSent`]: retried, no duplicate.
fn next_submit(shared: Arc<Shared>) -> Pin<Box<dyn Future<Output = Option<Submit>> + Send>> {
    Box::pin(async move {
        let submit = shared.queue.recv().await.ok()?;
        shared.ready_to_send().await;
        Some(submit)
    })
}

async fn serve(shared: &Arc<Shared>, shutdown: &CancellationToken) -> Ended {
    let config = &shared.config;
    let ended = |was_bound: bool, reason: String| Ended { was_bound, shutdown: false, reason };
    let addr = (config.host.as_str(), config.port);
    let stream = match tokio::time::timeout(config.response_timeout, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return ended(false, format!("connect to {}:{} failed: {e}", config.host, config.port)),
        Err(_) => return ended(false, format!("connect to {}:{} timed out", config.host, config.port)),
    };
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    let mut reader = FramedRead::new(read, SmppCodec::default());
    let mut writer = FramedWrite::new(write, SmppCodec::default());

    let now = Instant::now();
    let mut session = Session::new(
        SessionConfig {
            window: config.window,
            response_timeout: config.response_timeout,
            enquire_link_interval: config.enquire_link_interval,
        },
        now,
    );
    let bind = Bind {
        system_id: config.system_id.clone(),
        password: config.password.clone(),
        system_type: config.system_type.clone(),
        ..Bind::default()
    };
    let kind = bind_kind(config.bind);
    if let Err(e) = writer.send(session.bind_request(bind, kind, now)).await {
        return ended(false, format!("cannot send bind: {e}"));
    }

    let can_submit = matches!(kind, BindKind::Transmitter | BindKind::Transceiver);
    let mut pending: HashMap<u32, Reply> = HashMap::new();
    let (ack_tx, mut ack_rx) = mpsc::channel::<Pdu>(config.window.max(16));
    let mut next = next_submit(shared.clone());
    let mut bound = false;
    let mut unbinding = false;
    let mut outcome = None::<Ended>;

    while outcome.is_none() {
        let deadline = session.next_deadline().unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let mut wrote = false;
        tokio::select! {
            biased;
            _ = shutdown.cancelled(), if !unbinding => {
                unbinding = true;
                if bound {
                    if writer.feed(session.unbind(Instant::now())).await.is_err() {
                        outcome = Some(Ended { was_bound: bound, shutdown: true, reason: "shutdown".into() });
                    }
                    wrote = true;
                } else {
                    outcome = Some(Ended { was_bound: false, shutdown: true, reason: "shutdown before bind".into() });
                }
            }
            frame = reader.next() => match frame {
                None => outcome = Some(ended(bound, "connection closed by the SMSC".into())),
                Some(Err(e)) => outcome = Some(ended(bound, format!("unrecoverable framing error: {e}"))),
                Some(Ok(Err(e))) => {
                    tracing::warn!(error = %e, "malformed PDU from the SMSC");
                    if let Some(nack) = e.generic_nack() {
                        wrote |= writer.feed(nack).await.is_ok();
                    }
                }
                Some(Ok(Ok(pdu))) => {
                    match handle(shared, &mut session, &mut pending, &ack_tx, pdu).await {
                        Handled::Nothing => {}
                        Handled::Reply(reply) => wrote |= writer.feed(reply).await.is_ok(),
                        Handled::Bound => {
                            if !bound {
                                counters::binds(&config.id).inc();
                            }
                            bound = true;
                            tracing::info!(kind = ?kind, "bound");
                        }
                        Handled::Close(reason) => {
                            outcome = Some(Ended { was_bound: bound, shutdown: unbinding, reason });
                        }
                    }
                }
            },
            Some(pdu) = ack_rx.recv() => wrote |= writer.feed(pdu).await.is_ok(),
            submit = &mut next, if bound && can_submit && !unbinding && session.window_available() > 0 => {
                next = next_submit(shared.clone());
                match submit {
                    None => {} // the pool is closed; shutdown follows
                    Some(s) if s.deadline.is_some_and(|d| d <= Instant::now()) => {
                        let _ = s.reply.send(Err(SubmitError::Expired));
                    }
                    Some(s) => match session.send_request(Body::SubmitSm(convert::submit_sm(&s.submission, config)), Instant::now()) {
                        Ok(pdu) => {
                            pending.insert(pdu.sequence, s.reply);
                            wrote |= writer.feed(pdu).await.is_ok();
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "submit refused by the session");
                            let _ = s.reply.send(Err(SubmitError::NotSent));
                        }
                    },
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                let now = Instant::now();
                while let Some(action) = session.poll_action(now) {
                    match action {
                        Action::Send(pdu) => wrote |= writer.feed(pdu).await.is_ok(),
                        Action::TimedOut { sequence, command } => {
                            tracing::warn!(sequence, command = %command.name(), "response timed out");
                            if let Some(reply) = pending.remove(&sequence) {
                                let _ = reply.send(Err(SubmitError::Timeout));
                            }
                        }
                        Action::Dead => {
                            outcome = Some(ended(bound, "SMSC stopped answering (enquire_link or bind timed out)".into()));
                            break;
                        }
                        _ => {}
                    }
                }
            }
        }
        if wrote {
            if let Err(e) = writer.flush().await {
                outcome = Some(ended(bound, format!("write failed: {e}")));
            }
        }
        if unbinding && outcome.is_none() && !bound {
            outcome = Some(Ended { was_bound: false, shutdown: true, reason: "shutdown".into() });
        }
    }
    for (_, reply) in pending.drain() {
        let _ = reply.send(Err(SubmitError::ConnectionLost));
    }
    if bound {
        counters::binds(&config.id).dec();
    }
    outcome.unwrap_or_else(|| ended(bound, "ended".into()))
}

enum Handled {
    Nothing,
    Reply(Pdu),
    Bound,
    Close(String),
}

async fn handle(
    shared: &Arc<Shared>,
    session: &mut Session,
    pending: &mut HashMap<u32, Reply>,
    ack_tx: &mpsc::Sender<Pdu>,
    pdu: Pdu,
) -> Handled {
    match session.receive(pdu, Instant::now()) {
        Received::BindOk { .. } => Handled::Bound,
        Received::BindFailed { status, .. } => {
            Handled::Close(format!("bind refused: {} (0x{status:08x})", smpp::status_name(status)))
        }
        Received::Response { pdu, .. } => match pdu.body {
            Body::SubmitSmResp(resp) => {
                if let Some(reply) = pending.remove(&pdu.sequence) {
                    let temporary = &shared.config.temporary_errors;
                    let _ = reply.send(Ok(classify::answer(pdu.status, resp.message_id, temporary)));
                }
                Handled::Nothing
            }
            Body::UnbindResp => Handled::Close("unbound".into()),
            _ => Handled::Nothing,
        },
        Received::GenericNack { sequence, status, request } => {
            tracing::warn!(sequence, status = smpp::status_name(status), "generic_nack from the SMSC");
            if request.is_some() {
                if let Some(reply) = pending.remove(&sequence) {
                    let _ = reply.send(Err(SubmitError::Nack(status as i32)));
                }
            }
            Handled::Nothing
        }
        Received::Request { pdu, reply: Some(reply) } => {
            if matches!(pdu.body, Body::Unbind) {
                // Answer, then close: the SMSC ends the session (SMPP 3.4 §4.2).
                let _ = ack_tx.try_send(reply);
                return Handled::Close("unbound by the SMSC".into());
            }
            Handled::Reply(reply)
        }
        Received::Request { pdu, reply: None } => match pdu.body {
            Body::DeliverSm(sm) => {
                let (ack, status) = oneshot::channel();
                let sequence = pdu.sequence;
                if shared.inbound.send(Delivered { incoming: convert::incoming(&sm), ack }).await.is_err() {
                    return Handled::Reply(Pdu {
                        sequence,
                        status: smpp::status::ESME_RSYSERR,
                        body: Body::DeliverSmResp(Default::default()),
                    });
                }
                let ack_tx = ack_tx.clone();
                tokio::spawn(async move {
                    // Refused or no answer (the record could not be written) is a temporary
                    // error: the SMSC keeps the message and delivers it again.
                    let status = match status.await {
                        Ok(Ack::Recorded) => smpp::status::ESME_ROK,
                        Ok(Ack::Refused) | Err(_) => smpp::status::ESME_RX_T_APPN,
                    };
                    let _ = ack_tx.send(Pdu { sequence, status, body: Body::DeliverSmResp(Default::default()) }).await;
                });
                Handled::Nothing
            }
            _ => {
                let reply = match Body::empty_response_to(pdu.command_id()) {
                    Some(body) => Pdu::response_to(&pdu, smpp::status::ESME_RINVCMDID, body),
                    None => Pdu::generic_nack(pdu.sequence, smpp::status::ESME_RINVCMDID),
                };
                Handled::Reply(reply)
            }
        },
        Received::Unexpected { pdu, reply } => {
            tracing::debug!(command = %pdu.command_id().name(), sequence = pdu.sequence, "unexpected PDU");
            match reply {
                Some(r) => Handled::Reply(r),
                None => Handled::Nothing,
            }
        }
        _ => Handled::Nothing,
    }
}

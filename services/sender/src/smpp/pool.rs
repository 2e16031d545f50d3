//! The bind pool: the submit queue every bind of a connection pulls from
//! (natural load sharing: a bind with window room takes the next message),
//! the connection-wide throughput limiter, and the throttle pause.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use runtime::config::ConnectionConfig;
use smpp::Sm;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::bind;

/// The SMSC's answer to one submit_sm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitOutcome {
    /// `command_status` of the submit_sm_resp.
    pub status: u32,
    /// The SMSC's message id (empty on error).
    pub message_id: String,
}

/// Why a submit got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The bind went away with the submit in flight (or before it was sent).
    /// The SMSC may or may not have accepted it.
    #[error("connection lost before a response arrived")]
    ConnectionLost,
    /// No response within `response_timeout`.
    #[error("no response within the response timeout")]
    Timeout,
    /// The submit never reached the SMSC (its bind ended first): retry freely.
    #[error("not sent: the bind ended before the submit went out")]
    NotSent,
    /// The SMSC answered generic_nack (SMPP 3.4 §4.3).
    #[error("generic_nack with status 0x{0:08x}")]
    GenericNack(u32),
    /// The message's validity ran out while it waited for a bind.
    #[error("expired before it could be submitted")]
    Expired,
    /// The pool is shutting down.
    #[error("connection is shutting down")]
    Closed,
}

/// One submit_sm waiting for a bind.
pub struct Submit {
    pub sm: Sm,
    /// Not sent after this instant.
    pub deadline: Option<Instant>,
    pub reply: oneshot::Sender<Result<SubmitOutcome, SubmitError>>,
}

/// A deliver_sm received on one of the binds, with the way to answer it.
pub struct Delivered {
    pub sm: Sm,
    /// Send the deliver_sm_resp command_status here once the message is recorded.
    pub ack: oneshot::Sender<u32>,
}

/// State shared by the binds of one connection.
pub struct Shared {
    pub config: ConnectionConfig,
    pub queue: async_channel::Receiver<Submit>,
    limiter: Option<DefaultDirectRateLimiter>,
    paused_until: Mutex<Option<Instant>>,
    pub inbound: mpsc::Sender<Delivered>,
}

impl Shared {
    /// Waits for the throttle pause to end and for a throughput-limit token.
    pub async fn ready_to_send(&self) {
        loop {
            let until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => break,
            }
        }
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
    }

    /// ESME_RTHROTTLED / ESME_RMSGQFUL: the SMSC asks us to slow down, so
    /// every bind of the connection pauses for `throttle_pause`.
    pub fn throttled(&self) {
        let until = Instant::now() + self.config.throttle_pause;
        let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }
}

/// The limiter for `max_tps` messages per second.
///
/// Burst 1 (evenly spaced submits) and a 1 % margin: an SMSC counting
/// submits in any one-second window must never see more than `max_tps`,
/// even when network jitter bunches two submits together.
fn limiter(max_tps: u32) -> Option<DefaultDirectRateLimiter> {
    let tps = NonZeroU32::new(max_tps)?;
    let period = Duration::from_nanos(1_010_000_000 / u64::from(tps.get()));
    Quota::with_period(period).map(|q| RateLimiter::direct(q.allow_burst(NonZeroU32::MIN)))
}

/// A connection's binds and its submit queue.
#[derive(Clone)]
pub struct Pool {
    sender: async_channel::Sender<Submit>,
    shared: Arc<Shared>,
    /// Slots for segments sent but whose outcome is not yet recorded.
    unrecorded: Arc<Semaphore>,
}

impl Pool {
    /// Starts `config.binds` bind tasks on `tasks`; they stop when `shutdown` is cancelled.
    pub fn start(
        config: ConnectionConfig,
        inbound: mpsc::Sender<Delivered>,
        tasks: &TaskTracker,
        shutdown: CancellationToken,
    ) -> Pool {
        let (sender, queue) = async_channel::bounded(config.binds * config.window * 2);
        let unrecorded = Arc::new(Semaphore::new((config.binds * config.window).max(1)));
        let shared = Arc::new(Shared {
            limiter: limiter(config.max_tps),
            paused_until: Mutex::new(None),
            queue,
            inbound,
            config,
        });
        for index in 0..shared.config.binds {
            let span = tracing::info_span!("bind", connection = %shared.config.id, bind = index);
            tasks.spawn(bind::run(shared.clone(), index, shutdown.clone()).instrument(span));
        }
        Pool { sender, shared, unrecorded }
    }

    /// Reserves room for a request of `segments` segments among the
    /// `window × binds` submits that may be unrecorded at once: sent (or
    /// answered) but with the outcome not yet on the broker. Hold the permit
    /// until the outcome is recorded; a crash then re-sends at most that
    /// many submits the SMSC may already have.
    pub async fn reserve(&self, segments: usize) -> Option<OwnedSemaphorePermit> {
        let capacity = self.shared.config.binds * self.shared.config.window;
        let n = segments.clamp(1, capacity.max(1)) as u32;
        self.unrecorded.clone().acquire_many_owned(n).await.ok()
    }

    /// Submits one submit_sm and waits for the SMSC's answer.
    pub async fn submit(&self, sm: Sm, deadline: Option<Instant>) -> Result<SubmitOutcome, SubmitError> {
        let (reply, answer) = oneshot::channel();
        self.sender.send(Submit { sm, deadline, reply }).await.map_err(|_| SubmitError::Closed)?;
        // A bind answers every submit it sent; one dropped unanswered was never sent.
        let outcome = answer.await.map_err(|_| SubmitError::NotSent)?;
        if let Ok(o) = &outcome {
            if o.status == smpp::status::ESME_RTHROTTLED || o.status == smpp::status::ESME_RMSGQFUL {
                self.shared.throttled();
            }
        }
        outcome
    }

    /// The connection's configuration.
    pub fn config(&self) -> &ConnectionConfig {
        &self.shared.config
    }

    /// Stops accepting submits; binds finish what they hold.
    pub fn close(&self) {
        self.sender.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_spacing_has_margin() {
        // 50 tps → one token every 20.2 ms.
        let l = limiter(50).unwrap();
        assert!(l.check().is_ok());
        assert!(l.check().is_err(), "burst must be 1");
        assert!(limiter(0).is_none());
    }
}

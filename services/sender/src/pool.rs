//! A connection's pool: builds its links (SMPP binds, UCP and CIMD2
//! sessions, HTTP clients, a modem) around the connection's [`Queue`], and
//! bounds, per lane, the submissions sent but not yet recorded. The sender
//! submits through it and waits for the answer. Protocol-free: the links
//! speak their protocol and answer in [`crate::link`] terms.

use std::sync::Arc;
use std::time::{Duration, Instant};

use events::Priority;
use runtime::config::{ConnectionConfig, Link, Smsc};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::link::{Answer, Delivered, Submission, SubmitError, Verdict};
use crate::queue::{Queue, Submit};

/// Starts `binds` framed-protocol links of one connection.
fn links<P: crate::driver::Protocol>(
    queue: &Arc<Queue>,
    smsc: &Smsc,
    tasks: &TaskTracker,
    shutdown: &CancellationToken,
    new: impl Fn() -> P + Clone + Send + Sync + 'static,
) {
    for index in 0..queue.config.binds {
        let span = tracing::info_span!("bind", connection = %queue.config.id, bind = index);
        tasks.spawn(
            crate::driver::run(queue.clone(), smsc.clone(), index, shutdown.clone(), new.clone()).instrument(span),
        );
    }
}

/// A connection's links and its submit queue.
#[derive(Clone)]
pub struct Pool {
    queue: Arc<Queue>,
    /// Slots for segments sent but whose outcome is not yet recorded, per
    /// lane (normal, high, urgent): bulk holding its slots while it waits in
    /// its lane must not keep an urgent message out of the queue.
    unrecorded: Arc<[Arc<Semaphore>; 3]>,
}

impl Pool {
    /// Starts `config.binds` link tasks of the connection's protocol on
    /// `tasks`; they stop when `shutdown` is cancelled.
    pub fn start(
        config: ConnectionConfig,
        inbound: mpsc::Sender<Delivered>,
        tasks: &TaskTracker,
        shutdown: CancellationToken,
    ) -> Pool {
        let slots = (config.binds * config.window).max(1);
        let unrecorded = Arc::new([0; 3].map(|_| Arc::new(Semaphore::new(slots))));
        let queue = Arc::new(Queue::new(config, inbound));
        let config = queue.config.clone();
        let id = &config.id;
        match &config.link {
            Link::Smpp(smsc, smpp) => {
                let smpp = smpp.clone();
                let new = {
                    let (config, smsc) = (config.clone(), smsc.clone());
                    move || crate::smpp::Adapter::new(&config, &smsc, &smpp)
                };
                links(&queue, smsc, tasks, &shutdown, new);
            }
            Link::Ucp(smsc, ucp) => {
                let ucp = ucp.clone();
                let new = {
                    let (config, smsc) = (config.clone(), smsc.clone());
                    move || crate::ucp::Adapter::new(&config, &smsc, &ucp)
                };
                links(&queue, smsc, tasks, &shutdown, new);
            }
            Link::Cimd2(smsc, _) => {
                let new = {
                    let (config, smsc) = (config.clone(), smsc.clone());
                    move || crate::cimd2::Adapter::new(&config, &smsc)
                };
                links(&queue, smsc, tasks, &shutdown, new);
            }
            Link::Http(http) => {
                let http = Arc::new((**http).clone());
                for index in 0..config.binds {
                    let span = tracing::info_span!("link", connection = %id, link = index);
                    let link = crate::http::run(queue.clone(), http.clone(), index, shutdown.clone());
                    tasks.spawn(link.instrument(span));
                }
                if let Some(listen) = http.callback_listen {
                    let span = tracing::info_span!("callbacks", connection = %id, %listen);
                    let callbacks = crate::http::callback::Callbacks::new(id, &http, queue.inbound.clone());
                    match crate::http::callback::acceptor(&http) {
                        Ok(tls) => {
                            let serve = crate::http::callback::run(listen, callbacks, tls, shutdown.clone());
                            tasks.spawn(serve.instrument(span));
                        }
                        // Validation at start-up makes this unreachable; never fall back to plain HTTP.
                        Err(e) => span
                            .in_scope(|| tracing::error!(error = %e, "cannot serve callbacks over TLS; not listening")),
                    }
                }
            }
            Link::Modem(device) => {
                // One device, one task: `binds` does not apply.
                let span = tracing::info_span!("modem", connection = %id, device = %device.device);
                tasks.spawn(crate::modem::run(queue.clone(), device.clone(), shutdown.clone()).instrument(span));
            }
        }
        Pool { queue, unrecorded }
    }

    /// Reserves room for a request of `segments` segments in `lane` among
    /// the `window × binds` submits of a lane that may be unrecorded at once:
    /// queued, sent (or answered) but with the outcome not yet on the broker.
    /// Hold the permit until the outcome is recorded; a crash then re-sends
    /// at most that many submits per lane that the SMSC may already have.
    /// `None` when the pool closed or `withdraw` was cancelled first.
    pub async fn reserve(
        &self,
        lane: Priority,
        segments: usize,
        withdraw: &CancellationToken,
    ) -> Option<OwnedSemaphorePermit> {
        let capacity = self.queue.config.binds * self.queue.config.window;
        let n = segments.clamp(1, capacity.max(1)) as u32;
        let slots = self.unrecorded[crate::lanes::index(lane)].clone();
        tokio::select! {
            permit = slots.acquire_many_owned(n) => permit.ok(),
            _ = withdraw.cancelled() => None,
        }
    }

    /// Submits one segment in `lane` and waits for the SMSC's answer. With
    /// `withdraw`, the submission is not sent once that is cancelled
    /// ([`SubmitError::Withdrawn`]); once it went out, the answer is awaited.
    pub async fn submit(
        &self,
        lane: Priority,
        submission: Submission,
        deadline: Option<Instant>,
        withdraw: Option<CancellationToken>,
    ) -> Result<Answer, SubmitError> {
        let (reply, answer) = oneshot::channel();
        let parent = tracing::Span::current();
        let submit = Submit { submission, deadline, withdraw: withdraw.clone(), reply, parent };
        let queued = self.queue.push(lane, submit);
        let stop = withdraw.unwrap_or_default();
        tokio::select! {
            sent = queued => sent?,
            // Still waiting for queue room: nothing reached the SMSC.
            _ = stop.cancelled() => return Err(SubmitError::Withdrawn),
        }
        // Withdrawn while queued: with no link up none would take it and
        // answer, so take it out here. Taken out or taken by a link (both
        // under the queue's lock): the answer says which.
        tokio::pin!(answer);
        let answered = tokio::select! {
            answered = &mut answer => answered,
            _ = stop.cancelled() => {
                self.queue.answer_withdrawn();
                answer.await
            }
        };
        // A link answers every submission it sent; one dropped unanswered was never sent.
        let outcome = answered.map_err(|_| SubmitError::NotSent)?;
        if matches!(&outcome, Ok(a) if a.verdict == Verdict::Throttled) {
            self.queue.throttled();
        }
        outcome
    }

    /// How long this replica has had no link of the connection up; `None` while one is.
    pub fn down_for(&self) -> Option<Duration> {
        self.queue.down_for()
    }

    /// Returns once this replica has had no link up for `at_least`.
    pub async fn down_at_least(&self, at_least: Duration) {
        self.queue.down_at_least(at_least).await
    }

    /// The connection's configuration.
    pub fn config(&self) -> &ConnectionConfig {
        &self.queue.config
    }

    /// See [`Queue::set_share`].
    pub fn set_share(&self, held: usize, total: usize) {
        self.queue.set_share(held, total);
    }

    /// Stops accepting submits; links finish what they hold.
    pub fn close(&self) {
        self.queue.close();
    }

    /// See [`Queue::drain_unsent`].
    pub fn drain_unsent(&self) {
        self.queue.drain_unsent();
    }
}

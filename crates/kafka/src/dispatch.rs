//! The at-least-once consume loop of the router and the senders: read a
//! record, run its handler on a task of its own (bounded in number), and
//! acknowledge the record when the handler says its outcome is recorded.
//!
//! Each handler holds its partition's [`Busy`](crate::lease::Busy) guard and
//! gets the partition's [`Lease`]: in a rebalance, handlers that have not
//! reached the outside stop when the lease is revoking, and the partition is
//! given up only once the others are done (see [`crate::lease`]).
//!
//! Reading stops at shutdown; handlers that have not reached the outside are
//! withdrawn (as in a revocation), the others are given `drain` to finish.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::message::{Message, OwnedMessage};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::lease::Lease;
#[cfg(doc)]
use crate::trace;
use crate::AckingConsumer;

/// How a dispatch loop runs.
#[derive(Debug, Clone, Copy)]
pub struct Dispatch {
    /// Handlers running at once; reading pauses while all are busy.
    pub max_in_flight: usize,
    /// How long in-flight handlers may take after shutdown.
    pub drain: Duration,
}

/// A compacted topic read alongside the work topic, never acknowledged (so
/// it is re-read from the beginning on every assignment): its records feed
/// the owner's state through `on_record` instead of becoming tasks.
///
/// Work records of partition p are held back (in order, without taking a
/// handler slot, so the state records behind them keep flowing) until
/// `ready(p)` says partition p of the state topic is restored.
pub struct StateTopic<'a> {
    pub topic: &'a str,
    pub on_record: &'a (dyn Fn(&OwnedMessage) + Sync),
    pub ready: &'a (dyn Fn(i32) -> bool + Sync),
    /// Partition p of the state topic was revoked: forget its state.
    pub on_revoke: &'a (dyn Fn(i32) + Sync),
}

/// Drops what revoked partitions left here: their next owner redoes it.
fn forget_revoked(
    consumer: &AckingConsumer,
    held: &mut HashMap<i32, VecDeque<OwnedMessage>>,
    state: Option<&StateTopic<'_>>,
) {
    for (topic, partition) in consumer.take_revoked() {
        match state {
            Some(state) if topic == state.topic => (state.on_revoke)(partition),
            _ => drop(held.remove(&partition)),
        }
    }
}

/// Starts restoring the state of newly assigned partitions at once rather
/// than when their first work record comes: a topic that is mostly idle (a
/// sender's urgent lane) is then ready before its first record, which
/// would otherwise wait for the restore's round trip.
fn restore_assigned(consumer: &AckingConsumer, state: Option<&StateTopic<'_>>) {
    let Some(state) = state else { return };
    for (topic, partition) in consumer.take_assigned() {
        if topic == state.topic {
            let _ = (state.ready)(partition);
        }
    }
}

/// The next held record of a partition whose state is now restored.
fn release(held: &mut HashMap<i32, VecDeque<OwnedMessage>>, state: Option<&StateTopic<'_>>) -> Option<OwnedMessage> {
    let state = state?;
    let partition = *held.keys().find(|p| (state.ready)(**p))?;
    let queue = held.get_mut(&partition)?;
    let message = queue.pop_front();
    if queue.is_empty() {
        held.remove(&partition);
    }
    message
}

/// Runs `handle` for every record of `consumer` until `shutdown`.
///
/// `span` makes the span of one record's task, normally
/// [`trace::process_span`] (a child of the trace the record carries). A handler gets the record and its
/// partition's lease, and returns `true` when the record's outcome is durably
/// recorded (its offset may then be stored), or `false` to leave it for a
/// redo (after a restart, or by the partition's next owner).
///
/// Returns the task tracker, closed, once every handler finished or `drain`
/// passed — a caller with more to shut down (binds) waits on it again after.
pub async fn run<S, H, F>(
    consumer: Arc<AckingConsumer>,
    config: Dispatch,
    shutdown: &CancellationToken,
    state: Option<StateTopic<'_>>,
    span: S,
    handle: H,
) -> TaskTracker
where
    S: Fn(&OwnedMessage) -> tracing::Span,
    H: Fn(OwnedMessage, Arc<Lease>) -> F,
    F: Future<Output = (OwnedMessage, bool)> + Send + 'static,
{
    let tasks = TaskTracker::new();
    let permits = Arc::new(Semaphore::new(config.max_in_flight));
    // Work records waiting for their state partition, per partition, in offset order.
    let mut held: HashMap<i32, VecDeque<OwnedMessage>> = HashMap::new();
    // Liveness: the loop comes round (a tick, not a clock read per record).
    let mut beat = tokio::time::interval(Duration::from_secs(1));
    loop {
        // A record held before a rebalance must not be begun after it: the
        // partition's new generation starts again from its committed offset.
        forget_revoked(&consumer, &mut held, state.as_ref());
        restore_assigned(&consumer, state.as_ref());
        let message = match release(&mut held, state.as_ref()) {
            Some(m) => m,
            None => {
                let received = tokio::select! {
                    biased;
                    _ = shutdown.cancelled() => break,
                    // Before the records, or a steady stream would starve it.
                    _ = beat.tick() => {
                        consumer.beat();
                        continue;
                    }
                    m = consumer.recv() => m,
                    _ = tokio::time::sleep(Duration::from_millis(20)), if !held.is_empty() => continue,
                };
                // Revocations first: they happened before this record was received.
                forget_revoked(&consumer, &mut held, state.as_ref());
                let message = match received {
                    Ok(m) => m.detach(),
                    Err(e) => {
                        tracing::warn!(error = %e, "consume error");
                        continue;
                    }
                };
                if let Some(state) = &state {
                    if message.topic() == state.topic {
                        (state.on_record)(&message);
                        continue;
                    }
                    let p = message.partition();
                    if held.contains_key(&p) || !(state.ready)(p) {
                        held.entry(p).or_default().push_back(message);
                        continue;
                    }
                }
                message
            }
        };
        // Waiting for a free handler (a slow SMSC) is not a stuck loop.
        let acquire = permits.clone().acquire_owned();
        tokio::pin!(acquire);
        let permit = loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break None,
                _ = beat.tick() => consumer.beat(),
                p = &mut acquire => break p.ok(),
            }
        };
        let Some(permit) = permit else { break };
        let ticket = consumer.begin(message.topic(), message.partition(), message.offset());
        let task_span = span(&message);
        let consumer = consumer.clone();
        let busy = ticket.lease.busy();
        let work = handle(message, ticket.lease.clone());
        tasks.spawn(
            async move {
                let (_message, done) = work.await;
                if done {
                    consumer.ack(&ticket);
                }
                drop(busy);
                drop(permit);
            }
            .instrument(task_span),
        );
    }
    // What has not reached the outside stops now (its next owner redoes it);
    // what has gets `drain` to record its outcome.
    consumer.withdraw_all();
    tasks.close();
    if !held.is_empty() {
        tracing::info!(
            held = held.values().map(VecDeque::len).sum::<usize>(),
            "stopped before state was restored; records left for a redo"
        );
    }
    if tokio::time::timeout(config.drain, tasks.wait()).await.is_err() {
        tracing::warn!(in_flight = consumer.in_flight(), "drain deadline passed with records in flight");
    }
    tasks
}

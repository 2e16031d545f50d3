//! The at-least-once consume loop of the router and the senders: read a
//! record, run its handler on a task of its own (bounded in number), and
//! acknowledge the record when the handler says its outcome is recorded.
//!
//! Each handler holds its partition's [`Busy`](crate::lease::Busy) guard and
//! gets the partition's [`Lease`]: in a rebalance, handlers that have not
//! reached the outside stop when the lease is revoking, and the partition is
//! given up only once the others are done (see [`crate::lease`]). A record
//! is begun under the lease it was read under: one whose partition was given
//! up while it waited for a free handler is left for a redo
//! ([`crate::AckingConsumer::begin_under`]).
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

use crate::consumer::Reader;
use crate::lease::Lease;
#[cfg(doc)]
use crate::trace;

/// How a dispatch loop runs.
#[derive(Debug, Clone, Copy)]
pub struct Dispatch {
    /// Handlers running at once; reading pauses while all are busy.
    pub max_in_flight: usize,
    /// How long in-flight handlers may take after shutdown.
    pub drain: Duration,
}

/// State kept per work partition outside the consumer, restored before the
/// partition's records are worked on (a sender's done markers, read by a
/// reader of their own topic).
///
/// Work records of partition p are held back (in order, without taking a
/// handler slot) until `ready(p)` says partition p's state is restored.
pub struct StateTopic<'a> {
    pub ready: &'a (dyn Fn(i32) -> bool + Sync),
    /// Work partition p was revoked: forget its state.
    pub on_revoke: &'a (dyn Fn(i32) + Sync),
}

/// A record read, with its partition's lease at the time.
type Read = (OwnedMessage, Arc<Lease>);

/// Records waiting for their state partition, per partition, in offset order.
type Held = HashMap<i32, VecDeque<Read>>;

/// Drops what revoked partitions left here: their next owner redoes it.
fn forget_revoked(reader: &Reader, held: &mut Held, state: Option<&StateTopic<'_>>) {
    for (_, partition) in reader.take_revoked() {
        drop(held.remove(&partition));
        if let Some(state) = state {
            (state.on_revoke)(partition);
        }
    }
}

/// Starts restoring the state of newly assigned partitions at once rather
/// than when their first work record comes: a topic that is mostly idle (a
/// sender's urgent lane) is then ready before its first record, which
/// would otherwise wait for the restore's round trip.
fn restore_assigned(reader: &Reader, state: Option<&StateTopic<'_>>) {
    let Some(state) = state else { return };
    for (_, partition) in reader.take_assigned() {
        let _ = (state.ready)(partition);
    }
}

/// The next held record of a partition whose state is now restored.
fn release(held: &mut Held, state: Option<&StateTopic<'_>>) -> Option<Read> {
    let state = state?;
    let partition = *held.keys().find(|p| (state.ready)(**p))?;
    let queue = held.get_mut(&partition)?;
    let message = queue.pop_front();
    if queue.is_empty() {
        held.remove(&partition);
    }
    message
}

/// Runs `handle` for every record `reader` reads until `shutdown`.
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
    reader: &Reader,
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
    let mut held = Held::new();
    // Liveness: the loop comes round (a tick, not a clock read per record).
    let mut beat = tokio::time::interval(Duration::from_secs(1));
    let mut incoming = reader.incoming();
    // Made once: `shutdown.cancelled()` anew in every select would register
    // with the token and leave it again for every record.
    let cancelled = shutdown.cancelled();
    tokio::pin!(cancelled);
    loop {
        // A record held before a rebalance must not be begun after it: the
        // partition's new generation starts again from its committed offset.
        forget_revoked(reader, &mut held, state.as_ref());
        restore_assigned(reader, state.as_ref());
        let (message, lease) = match release(&mut held, state.as_ref()) {
            Some(m) => m,
            None => {
                let received = tokio::select! {
                    biased;
                    _ = &mut cancelled => break,
                    // Before the records, or a steady stream would starve it.
                    _ = beat.tick() => {
                        reader.beat();
                        continue;
                    }
                    m = incoming.recv() => m,
                    _ = tokio::time::sleep(Duration::from_millis(20)), if !held.is_empty() => continue,
                };
                // Revocations first: they happened before this record was received.
                forget_revoked(reader, &mut held, state.as_ref());
                let read = match received {
                    Ok(m) => {
                        // Its partition's generation: see `begin_under` below.
                        let lease = reader.lease(m.topic(), m.partition());
                        (m.detach(), lease)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "consume error");
                        continue;
                    }
                };
                if let Some(state) = &state {
                    let p = read.0.partition();
                    if held.contains_key(&p) || !(state.ready)(p) {
                        held.entry(p).or_default().push_back(read);
                        continue;
                    }
                }
                read
            }
        };
        // Waiting for a free handler (a slow SMSC) is not a stuck loop.
        let acquire = permits.clone().acquire_owned();
        tokio::pin!(acquire);
        let permit = loop {
            tokio::select! {
                biased;
                _ = &mut cancelled => break None,
                _ = beat.tick() => reader.beat(),
                p = &mut acquire => break p.ok(),
            }
        };
        let Some(permit) = permit else { break };
        // The wait for a handler may have outlasted the partition: another
        // task serves the rebalances of a shared consumer's readers.
        let Some(ticket) = reader.begin_under(&lease, message.offset()) else {
            tracing::debug!(
                partition = message.partition(),
                offset = message.offset(),
                "partition given up since the record was read; left for a redo"
            );
            continue;
        };
        let task_span = span(&message);
        let consumer = reader.consumer().clone();
        let busy = ticket.lease.busy();
        // Boxed: a handler's future is kilobytes (the sender's 3.5 KiB), and
        // tokio moves a task's whole stage when the task starts and ends;
        // a box makes that a pointer (memmove was 2 % of a bench process).
        let work = Box::pin(handle(message, ticket.lease.clone()));
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
    reader.withdraw_all();
    tasks.close();
    if !held.is_empty() {
        tracing::info!(
            held = held.values().map(VecDeque::len).sum::<usize>(),
            "stopped before state was restored; records left for a redo"
        );
    }
    if tokio::time::timeout(config.drain, tasks.wait()).await.is_err() {
        tracing::warn!(in_flight = reader.in_flight(), "drain deadline passed with records in flight");
    }
    tasks
}

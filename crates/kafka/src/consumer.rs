//! The at-least-once consumer every role reads with.
//!
//! Consumers run with `enable.auto.commit=true` but `enable.auto.offset.store=false`
//! (rust-rdkafka's `at_least_once` example): an offset is stored — and so
//! committed by the next auto-commit — only once [`AckingConsumer::ack`] says
//! that message's outcome is durably recorded, in order per partition.
//!
//! Rebalances give partitions up cleanly ([`crate::lease`]): work that has
//! reached the outside finishes and is committed before the partition goes
//! to its next owner, and acknowledgements that come too late are ignored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::BorrowedMessage;
use rdkafka::Message;
use runtime::config::KafkaConfig;

use crate::client::{base_config, Error};
use crate::lease::{Lease, Leases, Ticket};
use crate::offsets::OffsetTracker;

mod handover;
mod inbox;
mod pause;
mod rebalance;
mod split;

pub use rebalance::AckContext;
pub use split::{Incoming, Reader};

/// How long the committed offsets of newly assigned partitions are asked
/// for before the partitions are read from their beginning instead.
const COMMITTED_LOOKUP: Duration = Duration::from_secs(60);

/// What the consumer and its rebalance callback share.
struct Shared {
    tracker: Mutex<OffsetTracker>,
    leases: Leases,
    /// Who is told of revoked and assigned partitions: the owner
    /// ([`AckingConsumer::take_revoked`]) and each [`Reader`].
    inboxes: inbox::Inboxes,
    /// Per rewound partition, the committed offset: records before it are skipped.
    resume_at: Mutex<HashMap<(String, i32), i64>>,
    /// The assigned partitions, each with the committed offset its
    /// assignment started from (`None`: nothing committed, or not known; it
    /// is read from its start): where the consumer stands in it until it
    /// takes up a record ([`AckingConsumer::positions`]).
    assignment: Mutex<HashMap<(String, i32), Option<i64>>>,
    revoke_timeout: Duration,
    /// Readiness: the group gave this member its partitions (none is an
    /// answer too) and has not taken them back since.
    in_group: Arc<counters::health::Check>,
    /// Subscribed to nothing ([`AckingConsumer::subscribe_readers`]): ready
    /// without a group.
    unsubscribed: AtomicBool,
    /// Set when the owner closes the consumer: the revocation librdkafka
    /// runs while closing must not wait on the group (see [`AckContext::give_up`]).
    closing: AtomicBool,
    /// Records re-read before a committed offset ([`crate::quirks::rewind`]).
    rewind: i64,
    /// How to make a client of the same group that never joins it, for
    /// committed-offset lookups: asked through the group member itself,
    /// librdkafka routes them through the group's state, which a rebalance
    /// in progress stalls. Made for each assignment and dropped after it: a
    /// client kept idle costs four threads and its buffers, and a sender has
    /// three consumers per connection.
    offsets: rdkafka::ClientConfig,
    /// Counts rebalances, told as soon as the callback has taken or given up
    /// partitions ([`AckingConsumer::rebalances`]).
    rebalances: tokio::sync::watch::Sender<u64>,
    /// Topics subscribed to but not read ([`AckingConsumer::subscribe_beside`]).
    passive: Vec<String>,
    /// Per topic, the group that read it before this one ([`AckingConsumer::subscribe_after`]).
    predecessors: Mutex<HashMap<String, String>>,
    /// Partitions waiting for their predecessor group to let go ([`handover`]).
    handovers: Mutex<handover::Pending>,
    /// A client of no group, for looking groups up.
    admin: rdkafka::ClientConfig,
    /// The consumer itself, for the handover thread: set once it is made.
    me: OnceLock<Weak<StreamConsumer<AckContext>>>,
}

impl Shared {
    fn tracker(&self) -> std::sync::MutexGuard<'_, OffsetTracker> {
        // A panic while holding this lock cannot leave the tracker half-updated in
        // a way that loses messages (worst case: an offset is not stored and the
        // message is redone), so poisoning is ignored.
        self.tracker.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn assignment(&self) -> std::sync::MutexGuard<'_, HashMap<(String, i32), Option<i64>>> {
        self.assignment.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `message` lies before where its rewound partition resumes
    /// (see [`crate::quirks`]): read again only to reach that offset.
    fn skipped(&self, message: &BorrowedMessage<'_>) -> bool {
        let mut resume_at = self.resume_at.lock().unwrap_or_else(|e| e.into_inner());
        if resume_at.is_empty() {
            return false;
        }
        let key = (message.topic().to_owned(), message.partition());
        match resume_at.get(&key) {
            Some(&at) if message.offset() < at => true,
            Some(_) => {
                resume_at.remove(&key);
                false
            }
            None => false,
        }
    }

    /// See [`AckingConsumer::positions`].
    fn positions(&self, topic: &str) -> Vec<(i32, Option<i64>)> {
        let assigned: Vec<(i32, Option<i64>)> =
            self.assignment().iter().filter(|((t, _), _)| t == topic).map(|((_, p), from)| (*p, *from)).collect();
        let tracker = self.tracker();
        assigned
            .into_iter()
            .map(|(partition, from)| {
                // Nothing before the committed offset is taken up again (a rewound partition skips it).
                let at = match (tracker.next(topic, partition), from) {
                    (Some(next), Some(from)) => Some(next.max(from)),
                    (next, from) => next.or(from),
                };
                (partition, at)
            })
            .collect()
    }
}

/// Every consumer of this process, for [`positions_of`]: a watcher started
/// apart from a consumer's owner (the sender's queue lag, beside the
/// connection that owns the consumer) finds it by topic. A dropped consumer
/// falls out at the next look.
static CONSUMERS: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());

/// [`AckingConsumer::positions`] in `topic` of every consumer of this process.
pub fn positions_of(topic: &str) -> Vec<(i32, Option<i64>)> {
    let live: Vec<Arc<Shared>> = {
        let mut all = CONSUMERS.lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|c| c.strong_count() > 0);
        all.iter().filter_map(Weak::upgrade).collect()
    };
    live.iter().flat_map(|c| c.positions(topic)).collect()
}

/// Client properties that bound what a consumer prefetches to about
/// `records` records (and 4 KiB for each, between 1 and 64 MiB), where
/// librdkafka's defaults are 100,000 records or 64 MiB per consumer queue.
/// For consumers that come many to a process and each work on a known
/// number of records at once (a sender's lanes, three per connection):
/// behind a slow SMSC, each would otherwise hold up to 64 MiB of its
/// backlog in memory. Once the queue holds that much, librdkafka checks
/// again after `fetch.queue.backoff.ms`: 20 ms instead of 1 s, so a queue
/// that drains faster than that is not left empty.
pub fn prefetch(records: usize) -> [(&'static str, String); 3] {
    let records = records.max(1);
    let kbytes = (records.saturating_mul(4)).clamp(1024, 65_536);
    [
        ("queued.min.messages", records.min(10_000_000).to_string()),
        ("queued.max.messages.kbytes", kbytes.to_string()),
        ("fetch.queue.backoff.ms", "20".to_owned()),
    ]
}

/// A consumer whose offsets advance only through [`AckingConsumer::ack`].
pub struct AckingConsumer {
    consumer: Arc<StreamConsumer<AckContext>>,
    shared: Arc<Shared>,
    /// What the owner is told of revocations and assignments (all topics).
    inbox: Arc<inbox::Inbox>,
    /// Partition queues of their own, for [`Reader`]s ([`AckingConsumer::split`]).
    queues: Mutex<HashMap<(String, i32), Arc<split::PartitionQueue>>>,
    group: String,
    /// Liveness: the loop reading this consumer comes round ([`Self::beat`]).
    beat: Arc<counters::health::Beat>,
}

impl AckingConsumer {
    /// Joins `group` and subscribes to `topics`.
    pub fn subscribe(config: &KafkaConfig, group: &str, topics: &[&str]) -> Result<Self, Error> {
        Self::subscribe_with(config, group, topics, &[])
    }

    /// [`AckingConsumer::subscribe`] with extra client properties, e.g.
    /// `partition.assignment.strategy=range` so that partition p of several
    /// co-partitioned topics goes to the same member.
    pub fn subscribe_with(
        config: &KafkaConfig,
        group: &str,
        topics: &[&str],
        extra: &[(&str, &str)],
    ) -> Result<Self, Error> {
        Self::subscribe_beside(config, group, topics, &[], extra)
    }

    /// [`AckingConsumer::subscribe_with`], also subscribed to the `passive`
    /// topics but never reading them: their partitions are paused as soon
    /// as they are assigned. A member that reads a co-partitioned state
    /// topic elsewhere ([`crate::reader`]) keeps the range assignor's
    /// layout that of members that read it here (partition p of every topic
    /// to one member), so both can share a group in a rolling update.
    pub fn subscribe_beside(
        config: &KafkaConfig,
        group: &str,
        topics: &[&str],
        passive: &[&str],
        extra: &[(&str, &str)],
    ) -> Result<Self, Error> {
        Self::subscribe_after(config, group, topics, passive, extra, &[])
    }

    /// [`AckingConsumer::subscribe_beside`], taking topics over from the
    /// groups that read them before (`predecessors`: topic, group), as when
    /// a new version reads a topic in a group of another name. A partition
    /// this group has no committed offset for is not read while the old
    /// group has a member (both would work on its records), and then starts
    /// at the old group's committed offset ([`handover`]).
    pub fn subscribe_after(
        config: &KafkaConfig,
        group: &str,
        topics: &[&str],
        passive: &[&str],
        extra: &[(&str, &str)],
        predecessors: &[(&str, &str)],
    ) -> Result<Self, Error> {
        let made = Self::make(config, group, passive, extra, predecessors)?;
        let all: Vec<&str> = topics.iter().chain(passive).copied().collect();
        made.consumer
            .subscribe(&all)
            .map_err(|source| Error::Subscribe { topics: all.iter().map(|t| t.to_string()).collect(), source })?;
        Ok(made)
    }

    /// The consumer, not subscribed yet.
    fn make(
        config: &KafkaConfig,
        group: &str,
        passive: &[&str],
        extra: &[(&str, &str)],
        predecessors: &[(&str, &str)],
    ) -> Result<Self, Error> {
        let mut admin = base_config(config);
        for (k, v) in &config.properties {
            admin.set(k, v);
        }
        let mut lookup = base_config(config);
        lookup.set("group.id", group).set("enable.auto.commit", "false").set("isolation.level", "read_uncommitted");
        for (k, v) in &config.properties {
            lookup.set(k, v);
        }
        // Its properties are the member's own (below): a bad one fails there, now.
        let offsets = lookup;
        let shared = Arc::new(Shared {
            offsets,
            tracker: Mutex::new(OffsetTracker::default()),
            leases: Leases::default(),
            inboxes: inbox::Inboxes::default(),
            resume_at: Mutex::new(HashMap::new()),
            assignment: Mutex::new(HashMap::new()),
            revoke_timeout: config.revoke_timeout,
            closing: AtomicBool::new(false),
            unsubscribed: AtomicBool::new(false),
            in_group: counters::health::check(format!("kafka group {group}: partitions assigned"), false),
            rewind: crate::quirks::rewind(config.broker_quirks),
            rebalances: tokio::sync::watch::Sender::new(0),
            passive: passive.iter().map(|t| t.to_string()).collect(),
            predecessors: Mutex::new(predecessors.iter().map(|(t, g)| (t.to_string(), g.to_string())).collect()),
            handovers: Mutex::new(handover::Pending::new(group)),
            admin,
            me: OnceLock::new(),
        });
        let mut cc = base_config(config);
        cc.set("group.id", group)
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "500")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", config.session_timeout.as_millis().to_string())
            .set("heartbeat.interval.ms", (config.session_timeout.as_millis() / 4).max(100).to_string())
            .set("fetch.wait.max.ms", crate::client::fetch_wait_ms(config));
        for (k, v) in extra {
            cc.set(*k, *v);
        }
        for (k, v) in &config.properties {
            cc.set(k, v);
        }
        let consumer: Arc<StreamConsumer<AckContext>> =
            Arc::new(cc.create_with_context(AckContext { shared: shared.clone() }).map_err(Error::Create)?);
        let _ = shared.me.set(Arc::downgrade(&consumer));
        CONSUMERS.lock().unwrap_or_else(|e| e.into_inner()).push(Arc::downgrade(&shared));
        // The loop may legitimately stand inside a rebalance callback for the
        // revoke timeout and then the committed-offset lookup.
        let stale_after = config.revoke_timeout + COMMITTED_LOOKUP + Duration::from_secs(30);
        let beat = counters::health::beat(format!("kafka group {group}: consume loop"), stale_after);
        let inbox = shared.inboxes.register(None);
        Ok(Self { consumer, shared, beat, inbox, queues: Mutex::new(HashMap::new()), group: group.to_owned() })
    }

    /// The next record, skipping those a rewound partition re-reads before
    /// its committed offset (see [`crate::quirks`]).
    pub async fn recv(&self) -> Result<BorrowedMessage<'_>, KafkaError> {
        loop {
            let message = self.consumer.recv().await?;
            if !self.shared.skipped(&message) {
                return Ok(message);
            }
        }
    }

    /// The underlying consumer.
    pub fn consumer(&self) -> &StreamConsumer<AckContext> {
        &self.consumer
    }

    /// The current lease of a partition (see [`crate::lease`]).
    pub fn lease(&self, topic: &str, partition: i32) -> Arc<Lease> {
        self.shared.leases.get(topic, partition)
    }

    /// Shutdown: work of every partition that has not reached the outside
    /// stops (see [`crate::lease`]); call before waiting for the rest.
    pub fn withdraw_all(&self) {
        self.shared.leases.withdraw_all();
    }

    /// Marks a received message as being worked on. Call before handing it off;
    /// acknowledge with the ticket.
    pub fn begin(&self, topic: &str, partition: i32, offset: i64) -> Ticket {
        let lease = self.lease(topic, partition);
        self.shared.tracker().begin(topic, partition, offset);
        Ticket { offset, lease }
    }

    /// Like [`Self::begin`], for a record read under `lease` (its
    /// partition's lease when it was received) and begun later: `None` once
    /// that lease is revoking. The partition was taken away since — and
    /// perhaps given back, as a new generation that reads again from the
    /// committed offset: begun now, the record would count in the new
    /// generation's offsets ahead of records not yet read again, and its
    /// acknowledgement would commit past them. Left alone, it is redone
    /// from the committed offset like everything else not finished.
    ///
    /// Decided under the tracker lock, which a revocation takes to forget
    /// the partition after marking its lease revoking: a record is begun
    /// before that (and forgotten with the partition) or not at all.
    pub fn begin_under(&self, lease: &Arc<Lease>, offset: i64) -> Option<Ticket> {
        let mut tracker = self.shared.tracker();
        if lease.is_revoking() {
            return None;
        }
        tracker.begin(lease.topic(), lease.partition(), offset);
        Some(Ticket { offset, lease: lease.clone() })
    }

    /// Marks a message's outcome as durably recorded; stores the partition's
    /// offset once every earlier message of it is done too. Ignored when the
    /// partition was given up since the ticket was issued.
    pub fn ack(&self, ticket: &Ticket) {
        let (topic, partition) = (ticket.topic(), ticket.partition());
        let mut tracker = self.shared.tracker();
        if ticket.lease.is_released() {
            tracing::debug!(topic, partition, offset = ticket.offset, "acknowledged after the partition was given up");
            return;
        }
        if let Some(done) = tracker.finish(topic, partition, ticket.offset) {
            // Still under the lock: the partition cannot be given up meanwhile.
            if let Err(e) = self.consumer.store_offset(topic, partition, done) {
                tracing::debug!(topic, partition, offset = done, error = %e, "offset not stored");
            }
        }
    }

    /// Stores `next` as where partition `partition` of the state topic
    /// `topic` is read from after the next assignment: its owner needs no
    /// record before it any more (a stage's checkpoint). Ignored once the
    /// partition was given up.
    pub fn checkpoint(&self, topic: &str, partition: i32, next: i64) {
        if next <= 0 {
            return;
        }
        let _order = self.shared.tracker();
        if self.shared.leases.get(topic, partition).is_released() {
            return;
        }
        // librdkafka commits the stored offset + 1: the next record to read.
        if let Err(e) = self.consumer.store_offset(topic, partition, next - 1) {
            tracing::debug!(topic, partition, next, error = %e, "checkpoint not stored");
        }
    }

    /// Partitions revoked since the last call, for owners that keep state per
    /// partition (it must be dropped: the new owner rebuilds it).
    pub fn take_revoked(&self) -> Vec<(String, i32)> {
        self.inbox.take_revoked()
    }

    /// Partitions assigned since the last call (take revocations first: a
    /// partition may have been revoked and assigned again meanwhile).
    pub fn take_assigned(&self) -> Vec<(String, i32)> {
        self.inbox.take_assigned()
    }

    /// The loop reading this consumer came round (call at least every few
    /// seconds, busy or idle): `/healthz` fails when it stops.
    pub fn beat(&self) {
        self.beat.touch();
    }

    /// Where this consumer stands in each partition of `topic` assigned to
    /// it: the offset of the next record it will take up (after the last one
    /// begun; before any, the committed offset its assignment started from;
    /// `None` when nothing was committed — it reads from the partition's
    /// start). Records received but held back (waiting for state) are not
    /// taken up yet. Revoked partitions are not listed. No I/O.
    pub fn positions(&self, topic: &str) -> Vec<(i32, Option<i64>)> {
        self.shared.positions(topic)
    }

    /// Changes once per rebalance, as soon as the partitions are taken or
    /// given up: who shares something by partitions (a connection's
    /// `max_tps`) re-derives its share at once, before the group's other
    /// members take theirs.
    pub fn rebalances(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.rebalances.subscribe()
    }

    /// Messages begun and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.shared.tracker().in_flight()
    }

    /// Commits stored offsets now (at shutdown); dropping the consumer then leaves the group.
    pub fn commit_and_close(&self) {
        match self.consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync) {
            Ok(()) => {}
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => tracing::warn!(error = %e, "final offset commit failed"),
        }
        self.shared.closing.store(true, Ordering::SeqCst);
        // Leaving the group revokes every partition; nothing is in flight any more.
        for lease in self.shared.leases.revoke(&self.shared.leases.all()) {
            lease.released().cancel();
        }
        self.shared.assignment().clear();
        // Leaving the group is left to closing (the inner consumer's drop): an
        // unsubscribe here queues a revocation that closing may serve after
        // the group is gone, where its unassign waits forever.
    }
}

impl Drop for AckingConsumer {
    /// Runs before the inner consumer closes (and revokes its partitions)
    /// in its own drop, whether or not the owner called [`Self::commit_and_close`].
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::prefetch;

    #[test]
    fn prefetch_follows_the_records_worked_on_within_librdkafkas_limits() {
        let value = |records, key| prefetch(records).into_iter().find(|(k, _)| *k == key).unwrap().1;
        assert_eq!(value(2_400, "queued.min.messages"), "2400");
        assert_eq!(value(2_400, "queued.max.messages.kbytes"), "9600");
        assert_eq!(value(10, "queued.max.messages.kbytes"), "1024", "at least 1 MiB");
        assert_eq!(value(1_000_000, "queued.max.messages.kbytes"), "65536", "at most librdkafka's default");
        assert_eq!(value(0, "queued.min.messages"), "1", "librdkafka's minimum");
        assert_eq!(value(1, "fetch.queue.backoff.ms"), "20");
    }
}

//! Request ids are idempotency keys: a request whose outcome is recorded is
//! not sent again, whether the application re-published it or its queue
//! record is redone after a crash or a rebalance.
//!
//! The state is the compacted `sms.done` topic (one marker per request id),
//! co-partitioned with the queue topics (both keyed by request id, same
//! partition count, range assignor). A sender reads its partitions of it from
//! the beginning on every assignment and handles a queue record of partition
//! p only once it has read partition p of `sms.done` up to the end it had
//! when p was assigned — up to a fence of its own (`kafka::restore`); the
//! dispatch loop holds p's records back until then. Requests in progress
//! are claimed, so two copies arriving together are sent once.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use kafka::rdkafka::message::{Message, OwnedMessage};
use kafka::rdkafka::producer::FutureProducer;
use kafka::restore::Restore;

#[derive(Default)]
struct Partition {
    done: HashSet<String>,
    in_progress: HashSet<String>,
}

/// What a sender should do with a queue record.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// Not seen before: send it, then [`DoneSet::finish`].
    New,
    /// Done already, or another copy is in progress: acknowledge and skip.
    Duplicate,
}

/// The ids of one sender's partitions with a recorded outcome.
pub struct DoneSet {
    restore: Restore,
    partitions: Mutex<HashMap<i32, Partition>>,
}

impl DoneSet {
    /// `producer` writes the restore fences (see [`Restore`]).
    pub fn new(topic: String, producer: FutureProducer) -> Self {
        Self { restore: Restore::new(topic, producer), partitions: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Partition>> {
        self.partitions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Feeds one record of the done topic.
    pub fn on_record(&self, message: &OwnedMessage) {
        if self.restore.on_record(message) {
            return;
        }
        if let Some(id) = message.key().map(|k| String::from_utf8_lossy(k).into_owned()) {
            self.lock().entry(message.partition()).or_default().done.insert(id);
        }
    }

    /// True once partition `p`'s done markers are read up to where they
    /// ended when `p` was assigned (see [`Restore`]).
    pub fn is_ready(&self, partition: i32) -> bool {
        self.restore.is_ready(partition)
    }

    /// Partition `p` was revoked: its state belongs to its next owner.
    pub fn forget(&self, partition: i32) {
        self.lock().remove(&partition);
        self.restore.forget(partition);
    }

    /// Claims `id` for sending, unless it is done or being sent.
    pub fn claim(&self, partition: i32, id: &str) -> Claim {
        let mut parts = self.lock();
        let part = parts.entry(partition).or_default();
        if part.done.contains(id) || !part.in_progress.insert(id.to_owned()) {
            return Claim::Duplicate;
        }
        Claim::New
    }

    /// Releases a claim; `done` when the outcome (and its marker) is recorded.
    pub fn finish(&self, partition: i32, id: &str, done: bool) {
        let mut parts = self.lock();
        let part = parts.entry(partition).or_default();
        part.in_progress.remove(id);
        if done {
            part.done.insert(id.to_owned());
        }
    }
}

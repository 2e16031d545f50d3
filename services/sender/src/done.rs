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
//!
//! An id is a key for `kafka.id_retention` after its outcome: the topic
//! deletes older markers and the set forgets them at the same age, so a
//! copy published later than that is sent again.
//!
//! Each connection keeps only its own ids (markers name their connection):
//! the topic is shared, and one busy connection's ids must not fill the
//! memory of every other connection's sender.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use kafka::rdkafka::message::{Message, OwnedMessage};
use kafka::recent::{now_ms, RecentIds};
use kafka::restore::Restore;

struct Partition {
    done: RecentIds,
    in_progress: HashSet<String>,
}

/// The connection a done marker names (`{"connection": "...", "status": "..."}`);
/// `None` for a marker that cannot be read.
pub fn marker_connection(payload: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Marker {
        connection: String,
    }
    serde_json::from_slice::<Marker>(payload).ok().map(|m| m.connection)
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
    /// The connection whose markers count here.
    connection: String,
    restore: Restore,
    retention: Duration,
    partitions: Mutex<HashMap<i32, Partition>>,
}

impl DoneSet {
    /// `producer` writes the restore fences (see [`Restore`]); ids are
    /// remembered for `retention`.
    pub fn new(connection: String, topic: String, producer: kafka::Producer, retention: Duration) -> Self {
        let restore = Restore::new(topic, producer);
        Self { connection, restore, retention, partitions: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Partition>> {
        self.partitions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on partition `partition`'s ids, then updates the connection's
    /// `smsgw_ids_remembered`.
    fn with_partition<T>(&self, partition: i32, f: impl FnOnce(&mut Partition) -> T) -> T {
        let mut parts = self.lock();
        let part = parts
            .entry(partition)
            .or_insert_with(|| Partition { done: RecentIds::new(self.retention), in_progress: HashSet::new() });
        let result = f(part);
        let remembered = parts.values().map(|p| p.done.len()).sum::<usize>();
        counters::ids_remembered(&self.connection).set(remembered as i64);
        result
    }

    /// Feeds one record of the done topic.
    pub fn on_record(&self, message: &OwnedMessage) {
        if self.restore.on_record(message) {
            return;
        }
        let Some(id) = message.key().map(|k| String::from_utf8_lossy(k).into_owned()) else { return };
        let at = message.timestamp().to_millis().unwrap_or_else(now_ms);
        match message.payload() {
            Some(payload) if marker_connection(payload).as_deref() == Some(self.connection.as_str()) => {
                self.with_partition(message.partition(), |part| part.done.insert(id, at));
            }
            Some(_) => {} // another connection's
            None => self.with_partition(message.partition(), |part| part.done.remove(&id)),
        }
    }

    /// True once partition `p`'s done markers are read up to where they
    /// ended when `p` was assigned (see [`Restore`]).
    pub fn is_ready(&self, partition: i32) -> bool {
        self.restore.is_ready(partition)
    }

    /// Partition `p` was revoked: its state belongs to its next owner.
    pub fn forget(&self, partition: i32) {
        let mut parts = self.lock();
        parts.remove(&partition);
        let remembered = parts.values().map(|p| p.done.len()).sum::<usize>();
        counters::ids_remembered(&self.connection).set(remembered as i64);
        drop(parts);
        self.restore.forget(partition);
    }

    /// Claims `id` for sending, unless it is done or being sent.
    pub fn claim(&self, partition: i32, id: &str) -> Claim {
        self.with_partition(partition, |part| {
            if part.done.contains(id, now_ms()) || !part.in_progress.insert(id.to_owned()) {
                return Claim::Duplicate;
            }
            Claim::New
        })
    }

    /// Releases a claim; `done` when the outcome (and its marker) is recorded.
    pub fn finish(&self, partition: i32, id: &str, done: bool) {
        self.with_partition(partition, |part| {
            part.in_progress.remove(id);
            if done {
                part.done.insert(id.to_owned(), now_ms());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(offset: i64, id: &str, connection: &str) -> OwnedMessage {
        let payload = format!(r#"{{"connection":"{connection}","status":"SUBMITTED"}}"#).into_bytes();
        let at = kafka::rdkafka::Timestamp::CreateTime(now_ms());
        OwnedMessage::new(Some(payload), Some(id.as_bytes().to_vec()), "sms.done".into(), at, 0, offset, None)
    }

    #[tokio::test]
    async fn each_connection_keeps_only_its_own_ids() {
        let config = runtime::config::KafkaConfig::new("127.0.0.1:9");
        let producer = kafka::Producer::new(&config, Default::default(), Duration::from_millis(10)).unwrap();
        let set = DoneSet::new("conn-a".into(), "sms.done".into(), producer, Duration::from_secs(3600));
        set.on_record(&marker(0, "sent-by-a", "conn-a"));
        set.on_record(&marker(1, "sent-by-b", "conn-b"));
        set.on_record(&marker(2, "also-by-a", "conn-a"));
        assert_eq!(set.claim(0, "sent-by-a"), Claim::Duplicate);
        assert_eq!(set.claim(0, "sent-by-b"), Claim::New, "another connection's id is not kept here");
        assert_eq!(counters::ids_remembered("conn-a").get(), 2);
        set.forget(0);
        assert_eq!(counters::ids_remembered("conn-a").get(), 0, "a revoked partition's ids go");
    }

    #[test]
    fn markers_name_their_connection() {
        assert_eq!(marker_connection(br#"{"connection":"smsc-a","status":"SUBMITTED"}"#).as_deref(), Some("smsc-a"));
        assert_eq!(marker_connection(b"not json"), None);
    }
}

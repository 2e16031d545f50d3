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
//!
//! A connection's priority lanes are queue topics of their own, each read by
//! a consumer of its own with a [`DoneSet`] of its own, which keeps only the
//! ids of its lane (markers of the high and urgent lanes name it; a marker
//! without a lane is the normal lane's, as all were before lanes), so an id
//! is remembered once, not once per lane. [`DoneLanes`] claims across the
//! lanes: a request published twice with different priorities is sent once
//! when one process holds that partition of every lane (one replica always
//! does); with several replicas, the marker on the topic catches the copy
//! that comes later.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use events::Priority;
use records::DoneMarker;

use kafka::rdkafka::message::{Message, OwnedMessage};
use kafka::recent::RecentIds;
use kafka::restore::Restore;
use timing::now_ms;

struct Partition {
    done: RecentIds,
    in_progress: HashSet<String>,
    /// Done ids that were handed to another connection, and which one.
    moved: HashMap<String, String>,
}

impl Partition {
    fn new(retention: Duration) -> Self {
        Partition { done: RecentIds::new(retention), in_progress: HashSet::new(), moved: HashMap::new() }
    }
}

/// The connection a done marker names (`{"connection": "...", "status": "..."}`);
/// `None` for a marker that cannot be read.
pub fn marker_connection(payload: &[u8]) -> Option<String> {
    read_marker(payload).map(|m| m.connection)
}

/// The connection and lane a done marker names
/// (`{"connection": "...", "status": "...", "priority": "urgent"}`; no
/// `priority`: the normal lane); `None` for a marker that cannot be read.
pub fn marker_owner(payload: &[u8]) -> Option<(String, Priority)> {
    read_marker(payload).map(|m| (m.connection, m.priority))
}

fn read_marker(payload: &[u8]) -> Option<DoneMarker> {
    records::decode(payload).ok()
}

/// The status of a [`moved_marker`].
pub const REROUTED: &str = "REROUTED";

/// The done marker of a request of `connection`'s `lane` handed to
/// connection `to` (written before the hand-over: a redo hands it over
/// again, and `to` skips the copy it already has).
pub fn moved_marker(connection: &str, lane: Priority, to: &str) -> String {
    write(DoneMarker { to: Some(to.to_owned()), ..done_marker(connection, lane, REROUTED) })
}

/// The done marker of a request of `connection`'s `lane` with outcome `status`.
pub fn marker(connection: &str, lane: Priority, status: &str) -> String {
    write(done_marker(connection, lane, status))
}

fn done_marker(connection: &str, lane: Priority, status: &str) -> DoneMarker {
    DoneMarker { connection: connection.to_owned(), status: status.to_owned(), priority: lane, to: None }
}

fn write(marker: DoneMarker) -> String {
    // Strings and a lowercase enum: JSON cannot fail here.
    records::encode(&marker).ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_default()
}

/// What a sender should do with a queue record.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// Not seen before: send it, then [`DoneSet::finish`].
    New,
    /// Done already, or another copy is in progress: acknowledge and skip.
    Duplicate,
    /// Handed to this connection already: hand it over again (the
    /// hand-over may not have reached it) and skip.
    Moved(String),
}

/// The ids of one sender lane's partitions with a recorded outcome.
pub struct DoneSet {
    /// The connection whose markers count here.
    connection: String,
    /// The lane whose markers count here.
    lane: Priority,
    restore: Restore,
    retention: Duration,
    partitions: Mutex<HashMap<i32, Partition>>,
    /// This lane's part of `smsgw_ids_remembered`.
    remembered: Mutex<i64>,
}

impl DoneSet {
    /// The done set of `connection`'s `lane`; `producer` writes the restore
    /// fences (see [`Restore`]); ids are remembered for `retention`.
    pub fn new(
        connection: String,
        lane: Priority,
        topic: String,
        producer: kafka::Producer,
        retention: Duration,
    ) -> Self {
        let restore = Restore::new(topic, producer);
        Self { connection, lane, restore, retention, partitions: Mutex::new(HashMap::new()), remembered: Mutex::new(0) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Partition>> {
        self.partitions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on partition `partition`'s ids, then updates the connection's
    /// `smsgw_ids_remembered`.
    fn with_partition<T>(&self, partition: i32, f: impl FnOnce(&mut Partition) -> T) -> T {
        let mut parts = self.lock();
        let part = parts.entry(partition).or_insert_with(|| Partition::new(self.retention));
        let result = f(part);
        self.count(&parts);
        result
    }

    /// `smsgw_ids_remembered` of the connection: the lanes' ids together.
    fn count(&self, parts: &HashMap<i32, Partition>) {
        let remembered = parts.values().map(|p| p.done.len()).sum::<usize>() as i64;
        let gauge = counters::ids_remembered(&self.connection);
        let mut before = self.remembered.lock().unwrap_or_else(|e| e.into_inner());
        gauge.add(remembered - *before);
        *before = remembered;
    }

    /// Feeds one record of the done topic.
    pub fn on_record(&self, message: &OwnedMessage) {
        if self.restore.on_record(message) {
            return;
        }
        let Some(id) = message.key().map(|k| String::from_utf8_lossy(k).into_owned()) else { return };
        let at = message.timestamp().to_millis().unwrap_or_else(now_ms);
        match message.payload().map(read_marker) {
            Some(Some(m)) if m.connection == self.connection && m.priority == self.lane => {
                self.with_partition(message.partition(), |part| {
                    if let Some(to) = m.to {
                        part.moved.insert(id.clone(), to);
                    }
                    part.done.insert(id, at)
                });
            }
            Some(_) => {} // another connection's, or not a marker
            None => self.with_partition(message.partition(), |part| {
                part.moved.remove(&id);
                part.done.remove(&id)
            }),
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
        self.count(&parts);
        drop(parts);
        self.restore.forget(partition);
    }

    /// Claims `id` for sending, unless it is done or being sent.
    pub fn claim(&self, partition: i32, id: &str) -> Claim {
        self.with_partition(partition, |part| {
            if part.done.contains(id, now_ms()) {
                return part.moved.get(id).map_or(Claim::Duplicate, |to| Claim::Moved(to.clone()));
            }
            if !part.in_progress.insert(id.to_owned()) {
                return Claim::Duplicate;
            }
            Claim::New
        })
    }

    /// True when `id` has a recorded outcome in this lane (partition
    /// `partition`); asks without claiming.
    pub fn is_done(&self, partition: i32, id: &str) -> bool {
        self.lock().get(&partition).is_some_and(|part| part.done.contains(id, now_ms()))
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

    /// `id` was handed to connection `to` (its [`moved_marker`] is recorded).
    pub fn moved(&self, partition: i32, id: &str, to: &str) {
        self.with_partition(partition, |part| part.moved.insert(id.to_owned(), to.to_owned()));
    }
}

/// The done sets of one connection's lanes, claimed together, so that one
/// request id is sent once whichever lanes its copies came through.
pub struct DoneLanes {
    sets: Vec<Arc<DoneSet>>,
    /// Ids being sent in any lane.
    sending: Mutex<HashSet<String>>,
}

impl DoneLanes {
    pub fn new(sets: Vec<Arc<DoneSet>>) -> Self {
        Self { sets, sending: Mutex::new(HashSet::new()) }
    }

    /// The done set of `lane`.
    pub fn set(&self, lane: Priority) -> Option<&Arc<DoneSet>> {
        self.sets.iter().find(|s| s.lane == lane)
    }

    /// Claims `id` for sending in `lane`, unless some lane has it done or
    /// is sending it. Partition `partition` of every lane holds the same ids
    /// (same key, same partition count).
    pub fn claim(&self, lane: Priority, partition: i32, id: &str) -> Claim {
        // Held while the lanes are asked: a finish in between cannot slip through.
        let mut sending = self.sending.lock().unwrap_or_else(|e| e.into_inner());
        if sending.contains(id) || self.sets.iter().any(|s| s.lane != lane && s.is_done(partition, id)) {
            return Claim::Duplicate;
        }
        let Some(own) = self.set(lane) else { return Claim::New };
        let claim = own.claim(partition, id);
        if claim == Claim::New {
            sending.insert(id.to_owned());
        }
        claim
    }

    /// Releases a claim of `lane`; `done` when the outcome (and its marker)
    /// is recorded. The id is done before it stops being sent.
    pub fn finish(&self, lane: Priority, partition: i32, id: &str, done: bool) {
        if let Some(own) = self.set(lane) {
            own.finish(partition, id, done);
        }
        self.sending.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(offset: i64, id: &str, payload: String) -> OwnedMessage {
        let at = kafka::rdkafka::Timestamp::CreateTime(now_ms());
        OwnedMessage::new(
            Some(payload.into_bytes()),
            Some(id.as_bytes().to_vec()),
            "sms.done".into(),
            at,
            0,
            offset,
            None,
        )
    }

    fn done_marker(offset: i64, id: &str, connection: &str) -> OwnedMessage {
        record(offset, id, format!(r#"{{"connection":"{connection}","status":"SUBMITTED"}}"#))
    }

    fn set(connection: &str, lane: Priority) -> DoneSet {
        let config = runtime::config::KafkaConfig::new("127.0.0.1:9");
        let producer = kafka::Producer::new(&config, Default::default(), Duration::from_millis(10)).unwrap();
        DoneSet::new(connection.into(), lane, "sms.done".into(), producer, Duration::from_secs(3600))
    }

    #[tokio::test]
    async fn each_connection_keeps_only_its_own_ids() {
        let set = set("conn-a", Priority::Normal);
        set.on_record(&done_marker(0, "sent-by-a", "conn-a"));
        set.on_record(&done_marker(1, "sent-by-b", "conn-b"));
        set.on_record(&done_marker(2, "also-by-a", "conn-a"));
        assert_eq!(set.claim(0, "sent-by-a"), Claim::Duplicate);
        assert_eq!(set.claim(0, "sent-by-b"), Claim::New, "another connection's id is not kept here");
        assert_eq!(counters::ids_remembered("conn-a").get(), 2);
        set.forget(0);
        assert_eq!(counters::ids_remembered("conn-a").get(), 0, "a revoked partition's ids go");
    }

    #[tokio::test]
    async fn each_lane_keeps_only_its_own_ids_and_claims_span_the_lanes() {
        let (normal, urgent) = (Arc::new(set("conn-l", Priority::Normal)), Arc::new(set("conn-l", Priority::Urgent)));
        for (offset, (id, lane)) in [("bulk-1", Priority::Normal), ("otp-1", Priority::Urgent)].into_iter().enumerate()
        {
            let payload = marker("conn-l", lane, "SUBMITTED");
            normal.on_record(&record(offset as i64, id, payload.clone()));
            urgent.on_record(&record(offset as i64, id, payload));
        }
        assert!(normal.is_done(0, "bulk-1") && !normal.is_done(0, "otp-1"));
        assert!(urgent.is_done(0, "otp-1") && !urgent.is_done(0, "bulk-1"));
        assert_eq!(counters::ids_remembered("conn-l").get(), 2, "each id remembered once, not once per lane");

        let lanes = DoneLanes::new(vec![urgent.clone(), normal.clone()]);
        // Done in another lane: a copy with another priority is not sent again.
        assert_eq!(lanes.claim(Priority::Normal, 0, "otp-1"), Claim::Duplicate);
        // Being sent in one lane: the copy in another waits for nothing and is skipped.
        assert_eq!(lanes.claim(Priority::Urgent, 0, "new"), Claim::New);
        assert_eq!(lanes.claim(Priority::Normal, 0, "new"), Claim::Duplicate);
        lanes.finish(Priority::Urgent, 0, "new", true);
        assert_eq!(lanes.claim(Priority::Normal, 0, "new"), Claim::Duplicate, "done in the urgent lane");
        // Not recorded: free again in any lane.
        assert_eq!(lanes.claim(Priority::Normal, 0, "retry"), Claim::New);
        lanes.finish(Priority::Normal, 0, "retry", false);
        assert_eq!(lanes.claim(Priority::Urgent, 0, "retry"), Claim::New);
    }

    #[tokio::test]
    async fn a_request_handed_over_is_handed_over_again_never_sent() {
        let set = set("conn-m", Priority::High);
        set.on_record(&record(0, "gone", moved_marker("conn-m", Priority::High, "conn-n")));
        assert_eq!(set.claim(0, "gone"), Claim::Moved("conn-n".into()), "restored from its marker");
        assert_eq!(set.claim(0, "new"), Claim::New);
        set.moved(0, "new", "conn-o");
        set.finish(0, "new", true);
        assert_eq!(set.claim(0, "new"), Claim::Moved("conn-o".into()));
        let tombstone = OwnedMessage::new(
            None,
            Some(b"gone".to_vec()),
            "sms.done".into(),
            kafka::rdkafka::Timestamp::NotAvailable,
            0,
            1,
            None,
        );
        set.on_record(&tombstone);
        assert_eq!(set.claim(0, "gone"), Claim::New, "forgotten with its marker");
        let lanes = DoneLanes::new(vec![Arc::new(set)]);
        assert_eq!(lanes.claim(Priority::High, 0, "new"), Claim::Moved("conn-o".into()));
    }

    #[test]
    fn markers_name_their_connection_and_lane() {
        assert_eq!(marker_connection(br#"{"connection":"smsc-a","status":"SUBMITTED"}"#).as_deref(), Some("smsc-a"));
        assert_eq!(marker_connection(b"not json"), None);
        assert_eq!(marker("a", Priority::Normal, "FAILED"), r#"{"connection":"a","status":"FAILED"}"#);
        for lane in [Priority::Normal, Priority::High, Priority::Urgent] {
            assert_eq!(marker_owner(marker("a", lane, "SUBMITTED").as_bytes()), Some(("a".into(), lane)));
        }
    }
}

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
//!
//! The topic is read once per process, not once per lane consumer
//! ([`sets::DoneSets`], a [`kafka::reader::PartitionReader`]): each marker is
//! decoded once and handed to the set it names. A lane's consumer is
//! subscribed to the topic only so that the range assignor gives it the
//! same partitions of the queue and of the markers; it never reads them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use events::Priority;
use records::DoneMarker;

use kafka::rdkafka::message::OwnedMessage;
use kafka::reader::PartitionReader;
use kafka::recent::RecentIds;
use kafka::restore::Restore;
use timing::now_ms;

pub mod sets;

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
    /// Reads the partitions this set's lane consumer holds.
    reader: PartitionReader,
    /// Partitions this set holds on the reader (assigned to its lane's consumer).
    held: Mutex<HashSet<i32>>,
    retention: Duration,
    partitions: Mutex<HashMap<i32, Partition>>,
    /// This lane's part of `smsgw_ids_remembered`.
    remembered: Mutex<i64>,
}

impl DoneSet {
    /// The done set of `connection`'s `lane`, fed by `reader`; `producer`
    /// writes the restore fences (see [`Restore`]) to `topic`; ids are
    /// remembered for `retention`.
    pub fn new(
        connection: String,
        lane: Priority,
        topic: String,
        producer: kafka::Producer,
        reader: PartitionReader,
        retention: Duration,
    ) -> Self {
        let restore = Restore::new(topic, producer);
        Self {
            connection,
            lane,
            restore,
            reader,
            held: Mutex::new(HashSet::new()),
            retention,
            partitions: Mutex::new(HashMap::new()),
            remembered: Mutex::new(0),
        }
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

    /// A fence record of the done topic (see [`Restore`]).
    fn on_fence(&self, message: &OwnedMessage) {
        self.restore.on_record(message);
    }

    /// A marker of this connection's lane, written at `at`.
    fn on_marker(&self, partition: i32, id: String, at: i64, to: Option<String>) {
        self.with_partition(partition, |part| {
            if let Some(to) = to {
                part.moved.insert(id.clone(), to);
            }
            part.done.insert(id, at)
        });
    }

    /// A marker deleted (a tombstone): whoever had it forgets it.
    fn on_tombstone(&self, partition: i32, id: &str) {
        self.with_partition(partition, |part| {
            part.moved.remove(id);
            part.done.remove(id)
        });
    }

    /// Partition `p` is no longer read in this process: its ids go.
    fn drop_partition(&self, partition: i32) {
        let mut parts = self.lock();
        parts.remove(&partition);
        self.count(&parts);
    }

    /// Forgets every id (the connection was removed).
    fn clear(&self) {
        let mut parts = self.lock();
        parts.clear();
        self.count(&parts);
    }

    /// True once partition `p`'s done markers are read up to where they
    /// ended when `p` was assigned (see [`Restore`]). The first call after
    /// an assignment has the reader read `p`.
    pub fn is_ready(&self, partition: i32) -> bool {
        if self.held.lock().unwrap_or_else(|e| e.into_inner()).insert(partition) {
            self.reader.hold(partition);
        }
        self.restore.is_ready(partition)
    }

    /// Partition `p` was revoked: the next assignment restores it anew. Its
    /// ids stay while the reader still reads `p` for another set, which
    /// keeps them complete; they go when it stops ([`DoneSet::drop_partition`]).
    pub fn forget(&self, partition: i32) {
        self.restore.forget(partition);
        if self.held.lock().unwrap_or_else(|e| e.into_inner()).remove(&partition) {
            self.reader.release(partition);
        }
    }

    /// The lane's consumer is closed: every partition it held is given up
    /// (its revocation may have come after its dispatch loop ended).
    pub fn release_all(&self) {
        let held: Vec<i32> = self.held.lock().unwrap_or_else(|e| e.into_inner()).drain().collect();
        for partition in held {
            self.restore.forget(partition);
            self.reader.release(partition);
        }
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

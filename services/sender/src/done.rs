//! Request ids are idempotency keys: a request whose outcome is recorded is
//! not sent again, whether the application re-published it or its queue
//! record is redone after a crash or a rebalance.
//!
//! The state is the compacted `sms.done` topic (one marker per request id),
//! co-partitioned with the queue topics (both keyed by request id, same
//! partition count, range assignor). A sender reads its partitions of it from
//! the beginning on every assignment and handles a queue record of partition
//! p only once it has read partition p of `sms.done` up to the end it had
//! when p was assigned. Requests in progress are claimed, so two copies
//! arriving together are sent once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka::rdkafka::consumer::Consumer;
use kafka::rdkafka::message::{Message, OwnedMessage};
use kafka::AckingConsumer;

#[derive(Default)]
struct Partition {
    done: HashSet<String>,
    in_progress: HashSet<String>,
    /// Last offset read from the done topic.
    position: Option<i64>,
    /// The done topic's last offset when this partition was assigned, fetched
    /// once however many records are waiting for it.
    restore_to: Arc<tokio::sync::OnceCell<i64>>,
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
    topic: String,
    consumer: Arc<AckingConsumer>,
    partitions: Mutex<HashMap<i32, Partition>>,
}

impl DoneSet {
    pub fn new(topic: String, consumer: Arc<AckingConsumer>) -> Self {
        Self { topic, consumer, partitions: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Partition>> {
        let mut parts = self.partitions.lock().unwrap_or_else(|e| e.into_inner());
        // A revoked partition's state belongs to its next owner.
        for (topic, partition) in self.consumer.take_revoked() {
            if topic == self.topic {
                parts.remove(&partition);
            }
        }
        parts
    }

    /// Feeds one record of the done topic.
    pub fn on_record(&self, message: &OwnedMessage) {
        let id = message.key().map(|k| String::from_utf8_lossy(k).into_owned());
        let mut parts = self.lock();
        let part = parts.entry(message.partition()).or_default();
        part.position = Some(message.offset());
        if let Some(id) = id {
            part.done.insert(id);
        }
    }

    /// Waits until partition `p`'s done markers are read up to where they
    /// ended when `p` was assigned.
    pub async fn ready(&self, partition: i32) {
        let cell = self.lock().entry(partition).or_default().restore_to.clone();
        let target = *cell.get_or_init(|| self.fetch_end(partition)).await;
        loop {
            let position = self.lock().get(&partition).and_then(|p| p.position).unwrap_or(-1);
            if position >= target {
                return;
            }
            // Restoring is rare (assignment) and short: poll rather than wake every waiter per record.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The last offset of the done topic's partition (-1 when empty), retried until the broker answers.
    async fn fetch_end(&self, partition: i32) -> i64 {
        loop {
            let consumer = self.consumer.clone();
            let topic = self.topic.clone();
            let answer = tokio::task::spawn_blocking(move || {
                consumer.consumer().fetch_watermarks(&topic, partition, Duration::from_secs(5))
            })
            .await;
            match answer {
                Ok(Ok((low, high))) => return if high > low { high - 1 } else { -1 },
                Ok(Err(e)) => tracing::warn!(error = %e, partition, "cannot read the done topic's end, retrying"),
                Err(e) => tracing::warn!(error = %e, "watermark lookup failed"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
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

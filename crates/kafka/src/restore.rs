//! Knowing when a state topic's partition has been read to its end.
//!
//! Roles keep state in compacted topics co-partitioned with their work
//! topic (done markers next to queues, submit records next to receipts).
//! Work of partition p may only be decided once partition p of the state
//! topic has been read up to where it ended when p was assigned; otherwise a
//! redone record would be judged on half the state.
//!
//! "Read up to the end" is the consumer's *position* (next offset to read)
//! reaching the high watermark fetched once per assignment: positions move
//! past transaction control records, which are never handed to the
//! application, so the last record's offset is not a usable target.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rdkafka::consumer::Consumer;
use rdkafka::Offset;

use crate::AckingConsumer;

#[derive(Default)]
struct Partition {
    /// The high watermark when the partition was assigned.
    target: Arc<OnceLock<i64>>,
    fetching: bool,
    ready: bool,
}

/// Restore progress of one state topic's assigned partitions.
pub struct Restore {
    topic: String,
    consumer: Arc<AckingConsumer>,
    partitions: Mutex<HashMap<i32, Partition>>,
}

impl Restore {
    pub fn new(topic: impl Into<String>, consumer: Arc<AckingConsumer>) -> Self {
        Self { topic: topic.into(), consumer, partitions: Mutex::new(HashMap::new()) }
    }

    /// The state topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Forgets partition `p` (revoked): the next assignment restores it anew.
    pub fn forget(&self, partition: i32) {
        self.lock().remove(&partition);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Partition>> {
        self.partitions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True once partition `p` of the state topic is read to its end as of
    /// assignment. The first call starts fetching that end in the background.
    pub fn is_ready(&self, partition: i32) -> bool {
        let target = {
            let mut parts = self.lock();
            let part = parts.entry(partition).or_default();
            if part.ready {
                return true;
            }
            match part.target.get() {
                Some(t) => *t,
                None => {
                    if !part.fetching {
                        part.fetching = true;
                        self.fetch_end(partition, part.target.clone());
                    }
                    return false;
                }
            }
        };
        let ready = target <= 0 || self.position(partition).is_some_and(|p| p >= target);
        if ready {
            self.lock().entry(partition).or_default().ready = true;
            tracing::debug!(topic = %self.topic, partition, target, "state partition restored");
        }
        ready
    }

    /// Waits until [`Restore::is_ready`].
    pub async fn ready(&self, partition: i32) {
        // Restoring is rare (assignment) and short: poll rather than wake every waiter per record.
        while !self.is_ready(partition) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn position(&self, partition: i32) -> Option<i64> {
        let positions = self.consumer.consumer().position().ok()?;
        match positions.find_partition(&self.topic, partition)?.offset() {
            Offset::Offset(n) => Some(n),
            _ => None,
        }
    }

    /// Fetches the high watermark on a blocking thread, retried until the broker answers.
    fn fetch_end(&self, partition: i32, target: Arc<OnceLock<i64>>) {
        let consumer = self.consumer.clone();
        let topic = self.topic.clone();
        tokio::task::spawn_blocking(move || loop {
            match consumer.consumer().fetch_watermarks(&topic, partition, Duration::from_secs(5)) {
                Ok((_, high)) => {
                    let _ = target.set(high);
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, %topic, partition, "cannot read the state topic's end, retrying");
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        });
    }
}

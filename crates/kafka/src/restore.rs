//! Knowing when a state topic's partition has been read to its end.
//!
//! Roles keep state in compacted topics co-partitioned with their work
//! topic (done markers next to queues). Work of partition p may only be
//! decided once partition p of the state topic has been read up to where it
//! ended when p was assigned; otherwise a redone record would be judged on
//! half the state.
//!
//! The end is found with a *fence*: the new owner appends a record with a
//! token of its own to the state partition and waits until it reads that
//! record back. Everything written before the fence has then been read.
//! Watermarks cannot be trusted for this: tansu 0.6 answers
//! ListOffsets(latest) with the last *batch's* base offset + 1, short of the
//! end when that batch holds several records (the newest markers — exactly
//! those of requests finished just before a crash). Fences share one key per
//! topic, so compaction keeps one per partition.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rdkafka::message::{Message, OwnedHeaders, OwnedMessage};

use crate::producer::{Outgoing, Producer};

/// The key of fence records; owners of the state ignore them.
pub const FENCE_KEY: &str = "smsgw.restore-fence";

static TOKENS: AtomicU64 = AtomicU64::new(0);

#[derive(Default)]
struct Partition {
    /// This owner's fence, once written.
    token: Option<String>,
    ready: bool,
}

/// Restore progress of one state topic's assigned partitions.
pub struct Restore {
    topic: String,
    producer: Producer,
    partitions: Mutex<HashMap<i32, Partition>>,
}

impl Restore {
    pub fn new(topic: impl Into<String>, producer: Producer) -> Self {
        Self { topic: topic.into(), producer, partitions: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Partition>> {
        self.partitions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets partition `p` (revoked): the next assignment restores it anew.
    pub fn forget(&self, partition: i32) {
        self.lock().remove(&partition);
    }

    /// True once partition `p` of the state topic is read past this owner's
    /// fence. The first call writes the fence.
    pub fn is_ready(&self, partition: i32) -> bool {
        let mut parts = self.lock();
        let part = parts.entry(partition).or_default();
        if part.ready {
            return true;
        }
        if part.token.is_none() {
            let token = format!("{}-{}", std::process::id(), TOKENS.fetch_add(1, Ordering::Relaxed));
            part.token = Some(token.clone());
            tokio::spawn(write_fence(self.producer.clone(), self.topic.clone(), partition, token));
        }
        false
    }

    /// Feeds a record of the state topic; true when it is a fence (not state).
    pub fn on_record(&self, message: &OwnedMessage) -> bool {
        if message.key() != Some(FENCE_KEY.as_bytes()) {
            return false;
        }
        let mut parts = self.lock();
        tracing::trace!(topic = %self.topic, partition = message.partition(), offset = message.offset(), "restore fence read");
        if let Some(part) = parts.get_mut(&message.partition()) {
            if part.token.as_deref().is_some_and(|t| message.payload() == Some(t.as_bytes())) {
                part.ready = true;
                tracing::debug!(topic = %self.topic, partition = message.partition(), offset = message.offset(), "state partition restored");
            }
        }
        true
    }
}

/// Appends the fence to `partition`, retrying until the broker has it (or
/// the producer gives up at shutdown: the partition then never becomes
/// ready, and its work is left for the next owner).
async fn write_fence(producer: Producer, topic: String, partition: i32, token: String) {
    let record = Outgoing { topic: &topic, key: FENCE_KEY, payload: token.as_bytes(), headers: OwnedHeaders::new() };
    match producer.publish_to(record, Some(partition)).await {
        Ok(delivery) => tracing::debug!(%topic, partition, offset = delivery.offset, %token, "restore fence written"),
        Err(e) => tracing::warn!(%topic, partition, error = %e, "restore fence not written"),
    }
}

/// Follows every partition of the compacted `topic` from its beginning until
/// `shutdown`, handing each record but the fences to `on_record`; resolves
/// once the whole topic has been read to where it ended when this began
/// (false: `shutdown` came first). For state every replica holds whole (the
/// router's opt-outs and quota counts), not partitioned work.
pub async fn follow(
    config: &runtime::config::KafkaConfig,
    topic: &str,
    producer: Producer,
    shutdown: tokio_util::sync::CancellationToken,
    mut on_record: impl FnMut(&OwnedMessage) + Send + 'static,
) -> Result<bool, crate::Error> {
    let partitions = crate::partition_counts(config, &[topic]).await?[0].1 as i32;
    let group = format!("{}.follow.{topic}", config.group_prefix);
    let restore = Restore::new(topic, producer);
    let all_ready = move |r: &Restore| (0..partitions).all(|p| r.is_ready(p));
    let (ready_tx, mut ready_rx) = tokio::sync::watch::channel(all_ready(&restore));
    crate::tail(config, &group, topic, shutdown, move |m| {
        if !restore.on_record(m) {
            on_record(m);
        } else if !*ready_tx.borrow() && all_ready(&restore) {
            let _ = ready_tx.send(true);
        }
    })?;
    let restored = ready_rx.wait_for(|ready| *ready).await.is_ok();
    Ok(restored)
}

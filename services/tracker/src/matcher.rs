//! Stage 1: match receipts to the segments they answer.
//!
//! One consumer over the compacted `sms.submits` topic and `sms.deliver`,
//! with the range assignor so partition p of both (same key, same partition
//! count) belongs to the same replica. Submit-record offsets are never
//! stored, so every assignment re-reads the compacted topic from the
//! beginning: the topic is the state, the map here only its image.
//!
//! A receipt's offset is acknowledged once what it turned into is on the
//! broker: a segment outcome for the finaliser ([`crate::aggregate`], which
//! alone publishes terminal statuses), then a tombstone for its submit
//! record. A receipt that arrives before its submit record waits (bounded);
//! one that never finds it is published as unmatched. A final receipt for a
//! key already concluded (tombstoned) is a duplicate — the SMSC re-sent it,
//! or it is redone after a crash — and is only counted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use events::Framing;
use kafka::rdkafka::message::{Message, OwnedHeaders};
use kafka::rdkafka::producer::{FutureProducer, FutureRecord};
use kafka::rdkafka::util::Timeout;
use kafka::{publish, trace, AckingConsumer, Outgoing};
use records::{Outcome, ReceiptRecord, SegmentOutcome, SubmitRecord};
use runtime::Settings;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::outcome;

/// A receipt waiting for its submit record.
struct Waiting {
    key: String,
    receipt: ReceiptRecord,
    partition: i32,
    offset: i64,
    since: Instant,
}

/// What the matcher needs to publish and acknowledge.
#[derive(Clone)]
struct Out {
    settings: Arc<Settings>,
    producer: FutureProducer,
    consumer: Arc<AckingConsumer>,
    status_framing: Framing,
}

/// Runs stage 1 until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    producer: FutureProducer,
    status_framing: Framing,
    shutdown: CancellationToken,
) -> Result<(), kafka::Error> {
    let kafka = &settings.kafka;
    let topics = &kafka.topics;
    let group = format!("{}.tracker", kafka.group_prefix);
    let consumer = Arc::new(AckingConsumer::subscribe_with(
        kafka,
        &group,
        &[&topics.submits, &topics.deliver],
        &[("partition.assignment.strategy", "range")],
    )?);
    let out = Out { settings: settings.clone(), producer, consumer: consumer.clone(), status_framing };
    let tracker = &settings.tracker;
    // key → (partition, record): a revoked partition's entries are dropped.
    let mut submits: HashMap<String, (i32, SubmitRecord)> = HashMap::new();
    let mut waiting: HashMap<String, Vec<Waiting>> = HashMap::new();
    let mut waiting_count = 0usize;
    let mut concluded = Concluded::default();
    let tasks = TaskTracker::new();
    let mut sweep = tokio::time::interval(Duration::from_secs(1));
    // Submit records whose receipt never came are looked for less often.
    let scan_every = (tracker.segment_timeout / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let mut last_scan = Instant::now();
    tracing::info!("tracker (receipt matching) started");
    loop {
        let message = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            _ = sweep.tick() => {
                let expired = take_expired(&mut waiting, tracker.receipt_wait);
                waiting_count -= expired.len();
                counters::receipts_waiting().add(-(expired.len() as i64));
                for w in expired {
                    if concluded.contains(&w.key) {
                        out.duplicate(&w);
                        continue;
                    }
                    tracing::warn!(connection = %w.receipt.connection, "receipt matched no submitted message");
                    tasks.spawn(out.clone().unmatched(w));
                }
                if last_scan.elapsed() >= scan_every {
                    last_scan = Instant::now();
                    let cutoff = now_ms() - tracker.segment_timeout.as_millis() as i64;
                    let stale: Vec<String> =
                        submits.iter().filter(|(_, (_, s))| s.submitted_at < cutoff).map(|(k, _)| k.clone()).collect();
                    for key in stale {
                        if let Some((_, submit)) = submits.remove(&key) {
                            concluded.insert(key.clone());
                            tracing::info!(request_id = %submit.request_id, "no receipt within segment_timeout");
                            tasks.spawn(out.clone().no_receipt(key, submit));
                        }
                    }
                }
                continue;
            }
            m = consumer.recv() => match m {
                Ok(m) => m.detach(),
                Err(e) => {
                    tracing::warn!(error = %e, "consume error");
                    continue;
                }
            },
        };
        // State of partitions taken away in a rebalance belongs to their new
        // owner, which rebuilds it; a receipt waiting here would otherwise end
        // as a spurious "unmatched" event while the new owner matches it.
        for (topic, partition) in consumer.take_revoked() {
            if topic == topics.submits {
                submits.retain(|_, (p, _)| *p != partition);
            } else if topic == topics.deliver {
                let before = waiting_count;
                waiting.retain(|_, list| {
                    list.retain(|w| w.partition != partition);
                    !list.is_empty()
                });
                waiting_count = waiting.values().map(Vec::len).sum();
                counters::receipts_waiting().add(waiting_count as i64 - before as i64);
            }
        }
        let Some(key) = message.key().map(|k| String::from_utf8_lossy(k).into_owned()) else {
            tracing::warn!(topic = message.topic(), "record without a key ignored");
            continue;
        };
        if message.topic() == topics.submits {
            match message.payload() {
                None => {
                    submits.remove(&key);
                    concluded.insert(key);
                }
                Some(bytes) => match serde_json::from_slice::<SubmitRecord>(bytes) {
                    Ok(submit) => {
                        if let Some(list) = waiting.remove(&key) {
                            waiting_count -= list.len();
                            counters::receipts_waiting().add(-(list.len() as i64));
                            // The first receipt answers the submit; later ones are duplicates.
                            let mut list = list.into_iter();
                            if let Some(w) = list.next() {
                                concluded.insert(key.clone());
                                tasks.spawn(out.clone().matched(key.clone(), submit, w.receipt, w.partition, w.offset));
                            }
                            for w in list {
                                tasks.spawn(out.clone().unmatched(w));
                            }
                        } else {
                            submits.insert(key, (message.partition(), submit));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "undecodable submit record ignored"),
                },
            }
            continue;
        }
        consumer.begin(message.topic(), message.partition(), message.offset());
        let receipt = match message.payload().map(serde_json::from_slice::<ReceiptRecord>) {
            Some(Ok(r)) => r,
            other => {
                tracing::warn!(error = ?other.and_then(|r| r.err()).map(|e| e.to_string()), "undecodable receipt record skipped");
                // Not even the connection is known for sure; the key's prefix could be anything.
                counters::receipts("unknown", "undecodable").inc();
                consumer.ack(message.topic(), message.partition(), message.offset());
                continue;
            }
        };
        if !receipt.is_final {
            // Intermediate notifications (ENROUTE, ACCEPTD) change nothing yet.
            counters::receipts(&receipt.connection, "intermediate").inc();
            consumer.ack(message.topic(), message.partition(), message.offset());
            continue;
        }
        match submits.remove(&key) {
            Some((_, submit)) => {
                concluded.insert(key.clone());
                tasks.spawn(out.clone().matched(key, submit, receipt, message.partition(), message.offset()));
            }
            None if concluded.contains(&key) => {
                let w = Waiting {
                    key,
                    receipt,
                    partition: message.partition(),
                    offset: message.offset(),
                    since: Instant::now(),
                };
                out.duplicate(&w);
            }
            None if waiting_count >= tracker.max_waiting => {
                tracing::warn!("too many receipts waiting for their submit record; publishing as unmatched");
                let w = Waiting {
                    key,
                    receipt,
                    partition: message.partition(),
                    offset: message.offset(),
                    since: Instant::now(),
                };
                tasks.spawn(out.clone().unmatched(w));
            }
            None => {
                waiting_count += 1;
                counters::receipts(&receipt.connection, "waiting").inc();
                counters::receipts_waiting().inc();
                waiting.entry(key.clone()).or_default().push(Waiting {
                    key,
                    receipt,
                    partition: message.partition(),
                    offset: message.offset(),
                    since: Instant::now(),
                });
            }
        }
    }
    tasks.close();
    tasks.wait().await;
    consumer.commit_and_close();
    // Those receipts are redone by the next owner of the partition, not waiting here any more.
    counters::receipts_waiting().add(-(waiting_count as i64));
    tracing::info!(waiting = waiting_count, "tracker (receipt matching) stopped");
    Ok(())
}

/// Keys of recently concluded segments (tombstoned submit records), to tell
/// a duplicate receipt from an unknown one. Bounded: the oldest are forgotten.
#[derive(Default)]
struct Concluded {
    keys: std::collections::HashSet<String>,
    order: std::collections::VecDeque<String>,
}

impl Concluded {
    const CAPACITY: usize = 1_000_000;

    fn insert(&mut self, key: String) {
        if self.keys.insert(key.clone()) {
            self.order.push_back(key);
            if self.order.len() > Self::CAPACITY {
                if let Some(old) = self.order.pop_front() {
                    self.keys.remove(&old);
                }
            }
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }
}

fn take_expired(waiting: &mut HashMap<String, Vec<Waiting>>, wait: Duration) -> Vec<Waiting> {
    let now = Instant::now();
    let mut expired = Vec::new();
    waiting.retain(|_, list| {
        let (old, young): (Vec<_>, Vec<_>) = list.drain(..).partition(|w| now.duration_since(w.since) >= wait);
        expired.extend(old);
        *list = young;
        !list.is_empty()
    });
    expired
}

use kafka::recent::now_ms;

impl Out {
    fn deliver_topic(&self) -> &str {
        &self.settings.kafka.topics.deliver
    }

    /// Publishes what a matched receipt means, forgets the submit record, acknowledges the receipt.
    async fn matched(self, key: String, submit: SubmitRecord, receipt: ReceiptRecord, partition: i32, offset: i64) {
        counters::receipts(&receipt.connection, "matched").inc();
        self.conclude(&key, submit, receipt).await;
        self.consumer.ack(self.deliver_topic(), partition, offset);
    }

    /// Ends a segment whose receipt never came, then forgets its submit record.
    async fn no_receipt(self, key: String, submit: SubmitRecord) {
        counters::receipt_timeouts().inc();
        let stand_in = outcome::missing_receipt(&submit, now_ms());
        self.conclude(&key, submit, stand_in).await;
    }

    /// A segment's final state as an outcome for the finaliser, then the
    /// submit record's tombstone.
    async fn conclude(&self, key: &str, submit: SubmitRecord, receipt: ReceiptRecord) {
        let topics = &self.settings.kafka.topics;
        let headers = trace::with_fields(OwnedHeaders::new(), &submit.trace);
        let request_id = submit.request_id.clone();
        let payload = serde_json::to_vec(&Outcome::Segment(SegmentOutcome { submit, receipt })).unwrap_or_default();
        publish(&self.producer, Outgoing { topic: &topics.segments, key: &request_id, payload: &payload, headers })
            .await;
        self.tombstone(&topics.submits, key).await;
    }

    /// A final receipt for a segment already concluded: counted, not published.
    fn duplicate(&self, w: &Waiting) {
        tracing::debug!(connection = %w.receipt.connection, message_id = %w.receipt.message_id, "duplicate receipt");
        counters::receipts(&w.receipt.connection, "duplicate").inc();
        self.consumer.ack(self.deliver_topic(), w.partition, w.offset);
    }

    async fn unmatched(self, w: Waiting) {
        counters::receipts(&w.receipt.connection, "unmatched").inc();
        let event = outcome::unmatched(&w.receipt, now_ms());
        let topics = &self.settings.kafka.topics;
        status::publish_status(&self.producer, &topics.status, self.status_framing, &event, &[]).await;
        self.consumer.ack(self.deliver_topic(), w.partition, w.offset);
    }

    /// Deletes a key from a compacted topic (a record with no value).
    async fn tombstone(&self, topic: &str, key: &str) {
        let mut delay = Duration::from_millis(100);
        loop {
            let record: FutureRecord<'_, str, [u8]> = FutureRecord::to(topic).key(key);
            match self.producer.send(record, Timeout::Never).await {
                Ok(_) => return,
                Err((e, _)) => {
                    tracing::warn!(error = %e, "tombstone failed, retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
}

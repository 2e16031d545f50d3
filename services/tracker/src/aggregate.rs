//! Stage 2, the finaliser: the one place a terminal status is published, so
//! that a request gets exactly one, whatever crashed and was redone.
//!
//! It consumes outcomes keyed by request id: segment outcomes from stage 1
//! (one per segment; a request of several waits for all of them, or for
//! `segment_timeout`) and terminal statuses decided by the router or a sender
//! (FAILED, EXPIRED, REJECTED). Per partition it knows the requests that
//! already have a terminal status ([`crate::finals`], rebuilt on every
//! assignment before any outcome of the partition is decided); an outcome for
//! such a request is a duplicate — the receipt of a copy re-sent after a
//! crash, or an outcome redone after one — and is only counted.
//!
//! Order per request: publish the status, write its marker, then acknowledge
//! the outcomes. Segment records stay unacknowledged while their request is
//! incomplete, so a restart re-reads exactly the incomplete requests.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use events::Framing;
use kafka::rdkafka::message::{Message, OwnedHeaders, OwnedMessage};
use kafka::rdkafka::producer::FutureProducer;
use kafka::recent::{now_ms, RecentIds};
use kafka::{publish, AckingConsumer, Outgoing};
use records::{Outcome, SegmentOutcome};
use runtime::Settings;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::outcome;

struct Partial {
    total: u16,
    outcomes: BTreeMap<u16, SegmentOutcome>,
    partition: i32,
    offsets: Vec<i64>,
    since: Instant,
}

/// A partition's finalised requests, or the outcomes waiting for them to be restored.
enum Part {
    Restoring { generation: u64, held: Vec<OwnedMessage> },
    Ready(RecentIds),
}

/// What publishing one final status needs.
#[derive(Clone)]
struct Out {
    settings: Arc<Settings>,
    producer: FutureProducer,
    consumer: Arc<AckingConsumer>,
    framing: Framing,
}

/// Runs the finaliser until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    producer: FutureProducer,
    framing: Framing,
    shutdown: CancellationToken,
) -> Result<(), kafka::Error> {
    let kafka = &settings.kafka;
    let group = format!("{}.tracker.segments", kafka.group_prefix);
    let consumer = Arc::new(AckingConsumer::subscribe(kafka, &group, &[&kafka.topics.segments])?);
    let out = Out { settings: settings.clone(), producer, consumer: consumer.clone(), framing };
    let mut stage = Stage { out, partial: HashMap::new(), parts: HashMap::new(), tasks: TaskTracker::new() };
    let (restored_tx, mut restored_rx) = mpsc::unbounded_channel::<(i32, u64, RecentIds)>();
    let mut generation = 0u64;
    let mut sweep = tokio::time::interval(Duration::from_secs(1));
    let timeout = settings.tracker.segment_timeout;
    loop {
        let message: OwnedMessage = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            Some((partition, generation, ids)) = restored_rx.recv() => {
                stage.forget_revoked();
                let current = matches!(stage.parts.get(&partition), Some(Part::Restoring { generation: g, .. }) if *g == generation);
                if current {
                    tracing::debug!(partition, finalised = ids.len(), "finaliser partition restored");
                    if let Some(Part::Restoring { held, .. }) = stage.parts.insert(partition, Part::Ready(ids)) {
                        for m in held {
                            stage.decide(m);
                        }
                    }
                }
                continue;
            }
            _ = sweep.tick() => {
                stage.expire(timeout);
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
        stage.forget_revoked();
        consumer.begin(message.topic(), message.partition(), message.offset());
        let partition = message.partition();
        match stage.parts.get_mut(&partition) {
            Some(Part::Ready(_)) => stage.decide(message),
            Some(Part::Restoring { held, .. }) => held.push(message),
            None => {
                generation += 1;
                let since = message.timestamp().to_millis().unwrap_or_else(now_ms);
                let settings = settings.clone();
                let tx = restored_tx.clone();
                let g = generation;
                tokio::spawn(async move {
                    let ids = crate::finals::restore(&settings.kafka, partition, since).await;
                    let _ = tx.send((partition, g, ids));
                });
                stage.parts.insert(partition, Part::Restoring { generation, held: vec![message] });
            }
        }
    }
    stage.tasks.close();
    stage.tasks.wait().await;
    consumer.commit_and_close();
    tracing::info!(incomplete = stage.partial.len(), "tracker (finaliser) stopped");
    Ok(())
}

struct Stage {
    out: Out,
    partial: HashMap<String, Partial>,
    parts: HashMap<i32, Part>,
    tasks: TaskTracker,
}

impl Stage {
    /// A revoked partition's requests are the new owner's, which restores them anew.
    fn forget_revoked(&mut self) {
        for (_, partition) in self.out.consumer.take_revoked() {
            self.partial.retain(|_, p| p.partition != partition);
            self.parts.remove(&partition);
        }
    }

    /// Decides one outcome of a restored partition.
    fn decide(&mut self, message: OwnedMessage) {
        let (topic, partition, offset) = (message.topic().to_owned(), message.partition(), message.offset());
        let outcome = match message.payload().map(serde_json::from_slice::<Outcome>) {
            Some(Ok(o)) => o,
            _ => {
                tracing::warn!(partition, offset, "undecodable outcome record skipped");
                self.out.consumer.ack(&topic, partition, offset);
                return;
            }
        };
        let id = outcome.request_id().to_owned();
        let Some(Part::Ready(finalised)) = self.parts.get_mut(&partition) else { return };
        if finalised.contains(&id, now_ms()) {
            tracing::debug!(request_id = %id, "request already has its terminal status; outcome skipped");
            counters::finals("duplicate").inc();
            self.out.consumer.ack(&topic, partition, offset);
            return;
        }
        match outcome {
            Outcome::Terminal(t) => {
                finalised.insert(id.clone(), now_ms());
                // Segments seen so far are moot; their offsets go with this one.
                let mut offsets = self.partial.remove(&id).map(|p| p.offsets).unwrap_or_default();
                offsets.push(offset);
                self.tasks.spawn(self.out.clone().publish(t.event, t.trace, partition, offsets));
            }
            Outcome::Segment(segment) => {
                let entry = self.partial.entry(id.clone()).or_insert_with(|| Partial {
                    total: segment.submit.segments.max(1),
                    outcomes: BTreeMap::new(),
                    partition,
                    offsets: Vec::new(),
                    since: Instant::now(),
                });
                entry.offsets.push(offset);
                // A repeated segment (a receipt re-read after a restart) keeps the first outcome.
                entry.outcomes.entry(segment.submit.segment).or_insert(segment);
                if entry.outcomes.len() >= usize::from(entry.total) {
                    if let Some(p) = self.partial.remove(&id) {
                        finalised.insert(id, now_ms());
                        self.finish(p);
                    }
                }
            }
        }
    }

    /// Ends requests whose segments did not all come within `timeout`.
    fn expire(&mut self, timeout: Duration) {
        let now = Instant::now();
        let expired: Vec<String> = self
            .partial
            .iter()
            .filter(|(_, p)| now.duration_since(p.since) >= timeout)
            .map(|(k, _)| k.clone())
            .collect();
        for id in expired {
            if let Some(p) = self.partial.remove(&id) {
                tracing::warn!(request_id = %id, have = p.outcomes.len(), total = p.total, "segment receipts timed out");
                if let Some(Part::Ready(finalised)) = self.parts.get_mut(&p.partition) {
                    finalised.insert(id, now_ms());
                }
                self.finish(p);
            }
        }
    }

    fn finish(&self, p: Partial) {
        let outcomes: Vec<SegmentOutcome> = p.outcomes.into_values().collect();
        let now = now_ms();
        let event = match outcomes.as_slice() {
            [only] if p.total == 1 => outcome::single(&only.submit, &only.receipt, now),
            _ => outcome::aggregate(&outcomes, p.total, now),
        };
        let trace = outcomes.first().map(|o| o.submit.trace.clone()).unwrap_or_default();
        self.tasks.spawn(self.out.clone().publish(event, trace, p.partition, p.offsets));
    }
}

impl Out {
    /// Publishes the terminal status, then its marker, then acknowledges the outcomes.
    async fn publish(
        self,
        event: events::StatusEvent,
        trace: Vec<(String, String)>,
        partition: i32,
        offsets: Vec<i64>,
    ) {
        let topics = &self.settings.kafka.topics;
        status::publish_status(&self.producer, &topics.status, self.framing, &event, &trace).await;
        counters::finals("published").inc();
        let marker = serde_json::json!({ "status": event.status.symbol() }).to_string();
        let headers = OwnedHeaders::new();
        publish(
            &self.producer,
            Outgoing { topic: &topics.finals, key: &event.request_id, payload: marker.as_bytes(), headers },
        )
        .await;
        for offset in offsets {
            self.consumer.ack(&topics.segments, partition, offset);
        }
    }
}

//! Stage 2: requests of several segments. Segment outcomes arrive keyed by
//! request id (so one replica sees all of a request's segments); the final
//! status is published when every segment is in, or when `segment_timeout`
//! passes. Segment records are acknowledged only then, so the committed
//! offset stays before every incomplete request and a restart re-reads them:
//! no state store is needed beyond the topic itself.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use events::Framing;
use kafka::rdkafka::message::{Message, OwnedMessage};
use kafka::rdkafka::producer::FutureProducer;
use kafka::AckingConsumer;
use records::SegmentOutcome;
use runtime::Settings;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::outcome;

struct Partial {
    total: u16,
    outcomes: BTreeMap<u16, SegmentOutcome>,
    offsets: Vec<(i32, i64)>,
    since: Instant,
}

/// Runs stage 2 until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    producer: FutureProducer,
    status_framing: Framing,
    shutdown: CancellationToken,
) -> Result<(), kafka::Error> {
    let kafka = &settings.kafka;
    let topic = kafka.topics.segments.clone();
    let group = format!("{}.tracker.segments", kafka.group_prefix);
    let consumer = Arc::new(AckingConsumer::subscribe(kafka, &group, &[&topic])?);
    let mut partial: HashMap<String, Partial> = HashMap::new();
    let tasks = TaskTracker::new();
    let mut sweep = tokio::time::interval(Duration::from_secs(1));
    let timeout = settings.tracker.segment_timeout;
    loop {
        let message: OwnedMessage = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            _ = sweep.tick() => {
                let now = Instant::now();
                let expired: Vec<String> =
                    partial.iter().filter(|(_, p)| now.duration_since(p.since) >= timeout).map(|(k, _)| k.clone()).collect();
                for id in expired {
                    if let Some(p) = partial.remove(&id) {
                        tracing::warn!(request_id = %id, have = p.outcomes.len(), total = p.total, "segment receipts timed out");
                        tasks.spawn(finish(p, producer.clone(), consumer.clone(), settings.clone(), status_framing, topic.clone()));
                    }
                }
                continue;
            }
            m = consumer.consumer().recv() => match m {
                Ok(m) => m.detach(),
                Err(e) => {
                    tracing::warn!(error = %e, "consume error");
                    continue;
                }
            },
        };
        // A revoked partition's incomplete requests are re-read by its new owner.
        for (_, partition) in consumer.take_revoked() {
            partial.retain(|_, p| p.offsets.first().is_none_or(|(part, _)| *part != partition));
        }
        consumer.begin(message.topic(), message.partition(), message.offset());
        let segment = match message.payload().map(serde_json::from_slice::<SegmentOutcome>) {
            Some(Ok(s)) => s,
            _ => {
                tracing::warn!("undecodable segment outcome skipped");
                consumer.ack(message.topic(), message.partition(), message.offset());
                continue;
            }
        };
        let id = segment.submit.request_id.clone();
        let entry = partial.entry(id.clone()).or_insert_with(|| Partial {
            total: segment.submit.segments,
            outcomes: BTreeMap::new(),
            offsets: Vec::new(),
            since: Instant::now(),
        });
        entry.offsets.push((message.partition(), message.offset()));
        // A repeated segment (a receipt re-read after a restart) keeps the first outcome.
        entry.outcomes.entry(segment.submit.segment).or_insert(segment);
        if entry.outcomes.len() >= usize::from(entry.total) {
            if let Some(p) = partial.remove(&id) {
                tasks.spawn(finish(
                    p,
                    producer.clone(),
                    consumer.clone(),
                    settings.clone(),
                    status_framing,
                    topic.clone(),
                ));
            }
        }
    }
    tasks.close();
    tasks.wait().await;
    consumer.commit_and_close();
    tracing::info!(incomplete = partial.len(), "tracker (segments) stopped");
    Ok(())
}

async fn finish(
    p: Partial,
    producer: FutureProducer,
    consumer: Arc<AckingConsumer>,
    settings: Arc<Settings>,
    framing: Framing,
    topic: String,
) {
    let outcomes: Vec<SegmentOutcome> = p.outcomes.into_values().collect();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let event = outcome::aggregate(&outcomes, p.total, now);
    let trace = outcomes.first().map(|o| o.submit.trace.clone()).unwrap_or_default();
    router::publish_status(&producer, &settings.kafka.topics.status, framing, &event, &trace).await;
    for (partition, offset) in p.offsets {
        consumer.ack(&topic, partition, offset);
    }
}

//! Reading the cancel topic into [`Cancels`] (every replica reads all of
//! it, from its beginning, without a group) and publishing the answers.
//!
//! Nothing is released before the topic has been read up to fences this
//! replica wrote into each partition at start-up ([`kafka::restore`]): a
//! cancel written before the scheduler started must be known before the
//! message it cancels comes due.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use events::{ErrorCode, ErrorInfo, Status, StatusEvent};
use futures::StreamExt;
use kafka::rdkafka::consumer::Consumer;
use kafka::rdkafka::message::Message;
use kafka::restore::Restore;
use kafka::{trace, Producer, PublishError};
use registry::Registry;
use runtime::config::KafkaConfig;
use tokio_util::sync::CancellationToken;

use super::cancel::{self, Cancels, Read, Standing};

/// Metadata key naming, on a cancel's answer, the message it cancels.
pub const CANCEL_OF: &str = "smsgw.cancel_of";

/// Follows the cancel topic until `shutdown`; `ready` is set once every
/// partition was read to its fence.
pub fn follow(
    kafka: &runtime::config::KafkaConfig,
    producer: Producer,
    registry: Option<Arc<Registry>>,
    cancels: Arc<Cancels>,
    ready: Arc<AtomicBool>,
    shutdown: CancellationToken,
) -> Result<(), kafka::Error> {
    let topic = kafka.topics.cancel.clone();
    let group = format!("{}.router.cancels", kafka.group_prefix);
    let consumer = kafka::watcher(kafka, &group, &[&topic])?;
    let partitions: Vec<i32> = kafka::blocking(|| consumer.fetch_metadata(Some(&topic), Duration::from_secs(10)))
        .map_err(|source| kafka::Error::Subscribe { topics: vec![topic.clone()], source })?
        .topics()
        .iter()
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        // Nothing to wait for (no such topic): holding releases forever would be worse.
        tracing::warn!(%topic, "the cancel topic has no partitions; cancels are not read");
        ready.store(true, Ordering::Release);
    }
    let kafka = kafka.clone();
    tokio::spawn(async move {
        let restore = Restore::new(topic.clone(), producer.clone());
        let all_ready = |r: &Restore| partitions.iter().all(|p| r.is_ready(*p));
        all_ready(&restore);
        let mut stream = consumer.stream();
        loop {
            let message = tokio::select! {
                _ = shutdown.cancelled() => break,
                m = stream.next() => m,
            };
            let m = match message {
                Some(Ok(m)) => m.detach(),
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "reading cancel requests");
                    continue;
                }
                None => break,
            };
            if restore.on_record(&m) {
                if !ready.load(Ordering::Acquire) && all_ready(&restore) {
                    tracing::info!(cancels = cancels.len(), "cancel requests read");
                    ready.store(true, Ordering::Release);
                }
                continue;
            }
            let written_at = m.timestamp().to_millis().unwrap_or_else(timing::now_ms);
            let fields = trace::incoming_fields(m.headers().map(|h| h.as_borrowed()));
            let value = m.payload().unwrap_or_default();
            // A Confluent-framed cancel's writer schema, fetched before judging it (retried while the registry is down).
            if let (Some(registry), Some(id)) = (&registry, registry::confluent_schema_id(value)) {
                if !registry.prefetch_with_retry(id, &shutdown).await {
                    break;
                }
            }
            let lookup = registry.as_deref().map(|r| r as &dyn events::SchemaLookup);
            match cancel::read(value, written_at, lookup) {
                Read::Stands(request) => cancels.stand(request, written_at, fields),
                Read::TooLate(request) => {
                    let text = "its send_at had passed when the cancel was written".to_string();
                    let answer = refusal(&request.id, &request.request_id, ErrorCode::TooLate, text);
                    spawn_answer(producer.clone(), kafka.clone(), answer, fields, "too_late");
                }
                Read::Invalid { id: Some(id), reason } => {
                    let answer = refusal(&id, "", ErrorCode::InvalidRequest, reason);
                    spawn_answer(producer.clone(), kafka.clone(), answer, fields, "invalid");
                }
                Read::Invalid { id: None, reason } => {
                    tracing::warn!(%reason, offset = m.offset(), partition = m.partition(), "not a cancel request; skipped");
                    counters::cancels("invalid").inc();
                }
            }
        }
    });
    Ok(())
}

/// A cancel's REJECTED answer.
pub fn refusal(cancel_id: &str, target: &str, code: ErrorCode, text: String) -> StatusEvent {
    let mut ev = StatusEvent::new(cancel_id, Status::Rejected, timing::now_ms());
    ev.error = Some(ErrorInfo { code, protocol_code: None, text });
    if !target.is_empty() {
        ev.metadata.insert(CANCEL_OF.into(), target.into());
    }
    ev
}

/// The answer to a cancel whose message did not come due within its grace.
pub fn not_waiting(standing: &Standing) -> StatusEvent {
    let text = "no message with this id came due by its send_at and the grace after it".to_string();
    refusal(&standing.request.id, &standing.request.request_id, ErrorCode::NotWaiting, text)
}

/// The answer to a cancel that was carried out: DELIVERED, as a request
/// whose work is done (the message it names ends REJECTED `cancelled`).
pub fn carried_out(standing: &Standing) -> StatusEvent {
    let mut ev = StatusEvent::new(standing.request.id.clone(), Status::Delivered, timing::now_ms());
    ev.done_at = Some(ev.timestamp);
    ev.metadata.insert(CANCEL_OF.into(), standing.request.request_id.clone());
    ev
}

/// Publishes a cancel's answer through the finaliser, in the background
/// (the finaliser keeps the first answer per cancel id; a lost one is given
/// again by the next replica or restart that reads the cancel).
pub fn spawn_answer(
    producer: Producer,
    kafka: KafkaConfig,
    answer: StatusEvent,
    trace_fields: Vec<(String, String)>,
    result: &'static str,
) {
    tokio::spawn(async move {
        match status::publish_final(&producer, &kafka, &answer, &trace_fields).await {
            Ok(()) => counters::cancels(result).inc(),
            Err(PublishError::Stopped) => {}
            Err(e) => tracing::warn!(error = %e, "cancel answer not published"),
        }
    });
}

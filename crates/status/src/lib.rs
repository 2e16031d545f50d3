//! Where every role's status events go. A non-terminal status (ACCEPTED,
//! SUBMITTED) is published on the status topic by whoever knows it; a
//! terminal one (REJECTED, EXPIRED, FAILED) is handed to the finaliser, the
//! one place that publishes terminal statuses so a request gets exactly one
//! (`docs/tracker.md`).

use kafka::rdkafka::message::{Header, OwnedHeaders};
use kafka::rdkafka::producer::FutureProducer;
use kafka::{publish, trace, Outgoing};

/// Publishes a status event on `topic`, keyed by request id, with the trace
/// headers and the `smsgw-status` header (so state restores need not decode it).
pub async fn publish_status(
    producer: &FutureProducer,
    topic: &str,
    framing: events::Framing,
    event: &events::StatusEvent,
    trace_fields: &[(String, String)],
) {
    match events::encode_status(event, framing) {
        Ok(payload) => {
            let headers = trace::with_fields(OwnedHeaders::new(), trace_fields)
                .insert(Header { key: records::STATUS_HEADER, value: Some(event.status.symbol()) });
            publish(producer, Outgoing { topic, key: &event.request_id, payload: &payload, headers }).await;
        }
        Err(e) => tracing::error!(error = %e, request_id = %event.request_id, "cannot encode status event"),
    }
}

/// Hands a terminal status to the finaliser (`kafka.topics.segments`), which
/// publishes it unless the request already has one.
pub async fn publish_terminal(
    producer: &FutureProducer,
    topics: &runtime::config::TopicsConfig,
    event: &events::StatusEvent,
    trace_fields: &[(String, String)],
) {
    let record = records::Outcome::Terminal(records::Terminal { event: event.clone(), trace: trace_fields.to_vec() });
    let payload = serde_json::to_vec(&record).unwrap_or_default();
    let headers = trace::with_fields(OwnedHeaders::new(), trace_fields);
    publish(producer, Outgoing { topic: &topics.segments, key: &event.request_id, payload: &payload, headers }).await;
}

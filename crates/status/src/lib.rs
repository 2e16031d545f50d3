//! Where every role's status events go. A status that is not a request's
//! last (ACCEPTED; SUBMITTED of a request that waits for its receipt) is
//! published on the status topic by whoever knows it. A request's *final*
//! event — a terminal status (REJECTED, EXPIRED, FAILED, ...) or the
//! SUBMITTED of a request that expects no receipt — is handed to the
//! finaliser, the one place that publishes final events, so a request gets
//! exactly one (`docs/tracker.md`).

use kafka::rdkafka::message::{Header, OwnedHeaders};
use kafka::{trace, Outgoing, Producer, PublishError};

/// Publishes a status event on `topic`, keyed by request id, with the trace
/// headers and the `smsgw-status` header (so state restores need not decode
/// it); `extra` headers after those.
pub async fn publish_status(
    producer: &Producer,
    topic: &str,
    framing: events::Framing,
    event: &events::StatusEvent,
    trace_fields: &[(String, String)],
) -> Result<kafka::Delivery, PublishError> {
    publish_with(producer, topic, framing, event, trace_fields, &[]).await
}

/// [`publish_status`] with extra headers (the finaliser's `smsgw-final`).
pub async fn publish_with(
    producer: &Producer,
    topic: &str,
    framing: events::Framing,
    event: &events::StatusEvent,
    trace_fields: &[(String, String)],
    extra: &[(&str, &str)],
) -> Result<kafka::Delivery, PublishError> {
    let payload = events::encode_status(event, framing).map_err(|e| {
        tracing::error!(error = %e, request_id = %event.request_id, "cannot encode status event");
        PublishError::Rejected(format!("cannot encode the status event: {e}"))
    })?;
    let mut headers = trace::with_fields(OwnedHeaders::new(), trace_fields)
        .insert(Header { key: records::STATUS_HEADER, value: Some(event.status.symbol()) });
    for (key, value) in extra {
        headers = headers.insert(Header { key, value: Some(value.as_bytes()) });
    }
    producer.publish(Outgoing { topic, key: &event.request_id, payload: &payload, headers }).await
}

/// Hands a request's final event to the finaliser (`kafka.topics.outcomes`),
/// which publishes it unless the request already has one. `Err` only when
/// the producer gave up (shutdown): the caller leaves its input for a redo.
/// A record the broker refuses for good is logged and counted
/// (`smsgw_records_refused_total`) — it could only be an oversized event,
/// and the router bounds what makes events large — rather than retried forever.
pub async fn publish_final(
    producer: &Producer,
    kafka: &runtime::config::KafkaConfig,
    event: &events::StatusEvent,
    trace_fields: &[(String, String)],
) -> Result<(), PublishError> {
    let topics = &kafka.topics;
    let record = records::Outcome::Terminal(records::Terminal { event: event.clone(), trace: trace_fields.to_vec() });
    let published = match records::encode_as(&record, records::Format::compact_if(kafka.compact_records)) {
        Ok(payload) => {
            let headers = trace::with_fields(OwnedHeaders::new(), trace_fields);
            let out = Outgoing { topic: &topics.outcomes, key: &event.request_id, payload: &payload, headers };
            producer.publish(out).await.map(|_| ())
        }
        Err(e) => Err(PublishError::Rejected(e.to_string())),
    };
    match published {
        Err(PublishError::Rejected(reason)) => {
            tracing::error!(request_id = %event.request_id, %reason, "final event refused; not published");
            counters::records_refused(&topics.outcomes).inc();
            Ok(())
        }
        other => other,
    }
}

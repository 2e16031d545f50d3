//! The records a scheduled message travels as: the client's request record
//! itself (its bytes and headers, trace context included), keyed by request
//! id, with the scheduler's headers added. Carrying the original bytes means
//! the request is decided again at release by the same code as any other.

use kafka::rdkafka::message::{BorrowedHeaders, Header, Headers, OwnedHeaders};
use kafka::{trace, Outgoing, Producer, PublishError};
use runtime::config::TopicsConfig;

use super::levels::{self, Level};

/// Epoch ms the message is due at (level records).
pub const SEND_AT: &str = "smsgw-send-at";
/// Epoch ms the record may leave its level (level records).
pub const GATE: &str = "smsgw-gate";
/// On a request released back onto the send topic: its `send_at`. The router
/// decides it with a clock at least that late, so a router whose clock is a
/// little behind the scheduler's sends it instead of scheduling it again.
pub const RELEASED: &str = "smsgw-released";

/// A header's value as epoch ms.
pub fn millis(headers: Option<&BorrowedHeaders>, key: &str) -> Option<i64> {
    trace::header_str(headers, key)?.parse().ok()
}

/// The record's headers without the scheduler's own, then `extra`.
pub fn carried(headers: Option<&BorrowedHeaders>, extra: &[(&str, String)]) -> OwnedHeaders {
    let mut out = OwnedHeaders::new();
    for h in headers.iter().flat_map(|h| h.iter()) {
        if ![SEND_AT, GATE, RELEASED].contains(&h.key) {
            out = out.insert(Header { key: h.key, value: h.value });
        }
    }
    for (key, value) in extra {
        out = out.insert(Header { key, value: Some(value.as_bytes()) });
    }
    out
}

/// Writes a request due at `send_at` to `level`, at `now`.
#[allow(clippy::too_many_arguments)] // one record's parts, all needed
pub async fn wait_in(
    producer: &Producer,
    topics: &TopicsConfig,
    level: &Level,
    request_id: &str,
    payload: &[u8],
    headers: Option<&BorrowedHeaders>,
    send_at: i64,
    now: i64,
) -> Result<(), PublishError> {
    let topic = topics.scheduled(level.name);
    let gate = levels::gate(level, now);
    let headers = carried(headers, &[(SEND_AT, send_at.to_string()), (GATE, gate.to_string())]);
    producer.publish(Outgoing { topic: &topic, key: request_id, payload, headers }).await.map(|_| ())
}

/// Puts a due request back on the send topic.
pub async fn release(
    producer: &Producer,
    topics: &TopicsConfig,
    request_id: &str,
    payload: &[u8],
    headers: Option<&BorrowedHeaders>,
    send_at: i64,
) -> Result<(), PublishError> {
    let headers = carried(headers, &[(RELEASED, send_at.to_string())]);
    producer.publish(Outgoing { topic: &topics.send, key: request_id, payload, headers }).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka::rdkafka::message::{Message, OwnedMessage, Timestamp};

    #[test]
    fn the_scheduler_headers_are_replaced_and_the_others_carried() {
        let first = carried(None, &[(SEND_AT, "5".into()), (GATE, "3".into())])
            .insert(Header { key: "traceparent", value: Some("00-a-b-01") });
        let message = OwnedMessage::new(None, None, "t".into(), Timestamp::NotAvailable, 0, 0, Some(first));
        let next = carried(message.headers().map(|h| h.as_borrowed()), &[(GATE, "9".into())]);
        let again = OwnedMessage::new(None, None, "t".into(), Timestamp::NotAvailable, 0, 0, Some(next));
        let h = again.headers().map(|h| h.as_borrowed());
        assert_eq!(millis(h, GATE), Some(9));
        assert_eq!(millis(h, SEND_AT), None, "not carried: each writer sets its own");
        assert_eq!(trace::header_str(h, "traceparent"), Some("00-a-b-01"));
        assert_eq!(h.map(|h| h.count()), Some(2));
    }
}

//! Helpers for the scheduling tests (`tests/tests/schedule_*.rs`): requests
//! with a `send_at`, cancels, and reading what the gateway made of them.

use std::collections::HashMap;
use std::time::Duration;

use events::{Status, StatusEvent};
use kafka::rdkafka::consumer::StreamConsumer;
use kafka::rdkafka::message::OwnedHeaders;
use runtime::config::KafkaConfig;
use simulator::SimState;

use crate::{collect, produce, status_events};

/// Epoch ms now.
pub fn now_ms() -> i64 {
    timing::now_ms()
}

/// The destination of request number `n`: one per request, so the SMSC's
/// submits count each request's copies.
pub fn destination(n: usize) -> String {
    format!("+49151{:08}", n)
}

/// A request due at `send_at` (epoch ms), `extra` JSON fields after.
pub fn request(id: &str, n: usize, send_at: i64, extra: &str) -> String {
    format!(r#"{{"id":"{id}","to":"{}","text":"scheduled {id}","send_at":{send_at}{extra}}}"#, destination(n))
}

/// A cancel request in JSON (`schemas/README.md`).
pub fn cancel(id: &str, request_id: &str, send_at: i64) -> String {
    format!(r#"{{"id":"{id}","request_id":"{request_id}","send_at":{send_at}}}"#)
}

/// A cancel request in Avro (`schemas/cancel_request.avsc`) under `framing`.
pub fn avro_cancel(id: &str, request_id: &str, send_at: i64, framing: events::Framing) -> Vec<u8> {
    let cancel = events::CancelRequest { id: id.into(), request_id: request_id.into(), send_at };
    events::encode_cancel(&cancel, framing).expect("a cancel encodes")
}

/// Publishes a request (keyed by its id).
pub async fn send(kafka: &KafkaConfig, topic: &str, id: &str, body: &str) {
    produce(kafka, topic, id, body.as_bytes(), OwnedHeaders::new()).await;
}

/// Final events (header `smsgw-final`) by request id, collected until
/// every id in `ids` has one or `timeout` passes; every final kept, so a
/// second one for an id shows.
pub async fn finals_for(
    status: &StreamConsumer,
    ids: &[String],
    timeout: Duration,
) -> HashMap<String, Vec<StatusEvent>> {
    let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut finals: HashMap<String, Vec<StatusEvent>> = HashMap::new();
    let (mut seen, mut found) = (0, 0);
    // `collect` asks after every record and every 500 ms: take each record once.
    collect(status, timeout, |ms| {
        for m in &ms[seen..] {
            if crate::header(m, "smsgw-final").is_some() {
                let ev = status_events(std::slice::from_ref(m)).remove(0);
                let all = finals.entry(ev.request_id.clone()).or_default();
                found += usize::from(all.is_empty() && wanted.contains(ev.request_id.as_str()));
                all.push(ev);
            }
        }
        seen = ms.len();
        found == wanted.len()
    })
    .await;
    finals
}

/// How often the SMSC was sent request number `n`.
pub fn submits_of(sim: &SimState, n: usize) -> usize {
    let to = destination(n);
    sim.submits().iter().filter(|s| s.destination_addr == to.trim_start_matches('+')).count()
}

/// How often the SMSC was sent each destination (`+` dropped), for many requests at once.
pub fn submit_counts(sim: &SimState) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for s in sim.submits() {
        *counts.entry(s.destination_addr).or_default() += 1;
    }
    counts
}

/// The one final of `id`, which must be there.
pub fn only_final<'a>(finals: &'a HashMap<String, Vec<StatusEvent>>, id: &str) -> &'a StatusEvent {
    let all = finals.get(id).unwrap_or_else(|| panic!("{id}: no final event"));
    assert_eq!(all.len(), 1, "{id}: one final event, got {all:?}");
    &all[0]
}

/// Asserts `id` went out (SUBMITTED) no earlier than `send_at` and at most
/// `late_ms` after it (bounds generous enough for a busy 2-core machine).
pub fn assert_on_time(ev: &StatusEvent, send_at: i64, late_ms: i64) {
    assert_eq!(ev.status, Status::Submitted, "{}: {ev:?}", ev.request_id);
    let at = ev.submitted_at.unwrap_or(ev.timestamp);
    assert!(at >= send_at, "{}: submitted at {at}, {} ms before its send_at", ev.request_id, send_at - at);
    assert!(at - send_at <= late_ms, "{}: submitted {} ms after its send_at", ev.request_id, at - send_at);
}

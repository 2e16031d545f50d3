//! Delivery receipts end to end: requests with `delivery_report` become
//! SUBMITTED then DELIVERED, each matched to the right request, with ids in
//! the same or different formats on both sides, for single and multi-part
//! messages; a receipt that arrives before its submit record still matches;
//! garbage receipts never stop the tracker.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use events::{Status, StatusEvent};
use kafka::rdkafka::message::{Header, OwnedHeaders};
use simulator::state::IdFormat;
use simulator::SimConfig;
use smsgw_tests::{collect, header, produce, settings, status_events, watch, Broker, Gateway, Sim};

/// Sends `n` requests wanting receipts (every tenth one long: 3 segments) and
/// returns the terminal event of each, by request id.
async fn round_trip(sim_config: SimConfig, connection_extra: &str, n: usize) -> (HashMap<String, StatusEvent>, Sim) {
    let broker = Broker::start();
    let sim = Sim::start(sim_config).await;
    let settings = settings(&broker, sim.port, connection_extra);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let producer = kafka::producer(&kafka).unwrap();
    for i in 0..n {
        let text = if i % 10 == 0 { format!("long {i:04} ").repeat(40) } else { format!("receipt {i}") };
        let body = serde_json::json!({"id": format!("d-{i}"), "to": format!("+4915100{i:05}"), "text": text, "delivery_report": true});
        let key = format!("d-{i}");
        let traceparent = format!("00-{:032x}-00f067aa0ba902b7-01", i + 1);
        let headers = OwnedHeaders::new().insert(Header { key: "traceparent", value: Some(traceparent.as_bytes()) });
        producer
            .publish(kafka::Outgoing { topic: &topics.send, key: &key, payload: body.to_string().as_bytes(), headers })
            .await
            .unwrap();
    }
    let messages = collect(&status, Duration::from_secs(120), |m| m.len() >= 2 * n).await;
    let events = status_events(&messages);
    let mut terminal = HashMap::new();
    let mut submitted = 0;
    for (e, m) in events.into_iter().zip(&messages) {
        // The receipt's event, minutes later, continues the request's trace.
        let i: usize = e.request_id.trim_start_matches("d-").parse().unwrap();
        let tp = header(m, "traceparent").unwrap_or_default();
        assert!(tp.starts_with(&format!("00-{:032x}-", i + 1)), "{} {:?}: {tp}", e.request_id, e.status);
        if e.status == Status::Submitted {
            submitted += 1;
        } else {
            assert!(terminal.insert(e.request_id.clone(), e).is_none(), "one terminal status per request");
        }
    }
    assert_eq!(submitted, n, "every request SUBMITTED once");
    gateway.stop().await;
    (terminal, sim)
}

fn check_all_delivered(terminal: &HashMap<String, StatusEvent>, sim: &Sim, n: usize) {
    assert_eq!(terminal.len(), n, "a terminal status for every request");
    // The simulator's view: which destination got which message ids.
    let mut ids_by_dest: HashMap<String, Vec<String>> = HashMap::new();
    for s in sim.state.submits().into_iter().filter(|s| s.status == 0) {
        ids_by_dest.entry(s.destination_addr).or_default().push(s.message_id);
    }
    for i in 0..n {
        let ev = &terminal[&format!("d-{i}")];
        assert_eq!(ev.status, Status::Delivered, "{ev:?}");
        let expected_segments = if i % 10 == 0 { 3 } else { 1 };
        assert_eq!(ev.segments, expected_segments);
        assert_eq!(ev.message_ids, ids_by_dest[&format!("4915100{i:05}")], "matched to the right request");
        assert!(ev.done_at.is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_receipts_all_delivered() {
    let sim = SimConfig { receipt_delay: Duration::from_millis(200), record: true, ..SimConfig::default() };
    let (terminal, sim) = round_trip(sim, "binds = 2\nwindow = 50", 1000).await;
    check_all_delivered(&terminal, &sim, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hex_submit_ids_and_decimal_receipts() {
    let sim = SimConfig { id_format: IdFormat::Hex, receipt_id_format: IdFormat::Decimal, ..SimConfig::default() };
    let (terminal, sim) = round_trip(sim, "dlr_id_format = { submit = \"hex\", receipt = \"decimal\" }", 100).await;
    check_all_delivered(&terminal, &sim, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decimal_submit_ids_and_hex_receipts() {
    let sim = SimConfig { id_format: IdFormat::Decimal, receipt_id_format: IdFormat::Hex, ..SimConfig::default() };
    let (terminal, sim) = round_trip(sim, "dlr_id_format = { submit = \"decimal\", receipt = \"hex\" }", 100).await;
    check_all_delivered(&terminal, &sim, 100);
}

/// The tracker alone: a receipt published before its submit record, garbage
/// on the receipt topic, and a receipt nothing matches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_garbage_and_unmatched_receipts() {
    let broker = Broker::start();
    let mut settings = settings(&broker, 1, "");
    settings.tracker.receipt_wait = Duration::from_secs(3);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);

    let receipt = |id: &str| {
        serde_json::json!({"connection": "sim", "message_id": id, "stat": "DELIVRD", "is_final": true, "received_at": 1}).to_string()
    };
    produce(&kafka, &topics.deliver, "sim:early", receipt("early").as_bytes(), OwnedHeaders::new()).await;
    produce(&kafka, &topics.deliver, "sim:junk", b"\xff not json", OwnedHeaders::new()).await;
    produce(&kafka, &topics.deliver, "sim:nobody", receipt("nobody").as_bytes(), OwnedHeaders::new()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let submit = serde_json::json!({
        "request_id": "early-1", "segment": 1, "segments": 1, "connection": "sim",
        "message_ids": ["early"], "submitted_at": 1
    });
    produce(&kafka, &topics.submits, "sim:early", submit.to_string().as_bytes(), OwnedHeaders::new()).await;

    let events = status_events(&collect(&status, Duration::from_secs(30), |m| m.len() >= 2).await);
    let early = events.iter().find(|e| e.request_id == "early-1").expect("the early receipt matched");
    assert_eq!(early.status, Status::Delivered);
    let unmatched = events.iter().find(|e| e.request_id.is_empty()).expect("the unmatched receipt is published");
    assert_eq!(unmatched.message_ids, vec!["nobody"]);
    assert_eq!(unmatched.metadata.get("smsgw.unmatched").map(String::as_str), Some("true"));
    assert!(gateway.is_running());
    gateway.stop().await;
}

/// A receipt that never comes ends the request after `segment_timeout`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_receipt_times_out() {
    let broker = Broker::start();
    let mut settings = settings(&broker, 1, "");
    settings.tracker.segment_timeout = Duration::from_secs(2);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let submit = serde_json::json!({
        "request_id": "silent-1", "segment": 1, "segments": 1, "connection": "sim",
        "message_ids": ["m-silent"], "submitted_at": now
    });
    produce(&kafka, &topics.submits, "sim:m-silent", submit.to_string().as_bytes(), OwnedHeaders::new()).await;
    let events = status_events(&collect(&status, Duration::from_secs(30), |m| !m.is_empty()).await);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].request_id, "silent-1");
    assert_eq!(events[0].status, Status::Undeliverable);
    assert_eq!(events[0].error.as_ref().unwrap().code, "receipt_timeout");
    gateway.stop().await;
}

/// Garbage receipts from the SMSC — no fields at all, an unknown id, a
/// broken TLV — become metrics or unmatched events; the receipt path keeps
/// working for the next real receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_receipts_from_the_smsc() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let mut settings = settings(&broker, sim.port, "");
    settings.tracker.receipt_wait = Duration::from_secs(2);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    tokio::time::sleep(Duration::from_secs(1)).await; // bound

    let receipt = |text: &str, tlvs: Vec<smpp::Tlv>| smpp::Sm {
        esm_class: 0x04,
        source_addr: "4915100000".into(),
        short_message: text.as_bytes().to_vec().into(),
        tlvs,
        ..smpp::Sm::default()
    };
    sim.state.send_mo("smsgw", receipt("complete garbage, no fields", vec![]));
    sim.state.send_mo("smsgw", receipt("id:77777777 sub:001 dlvrd:001 stat:DELIVRD err:000", vec![]));
    // message_state TLV with a wrong length, receipted_message_id without NUL.
    let tlvs = vec![smpp::Tlv::new(0x0427, vec![2, 2, 2]), smpp::Tlv::new(0x001E, b"88888888".to_vec())];
    sim.state.send_mo("smsgw", receipt("stat:UNDELIV", tlvs));

    let body =
        serde_json::json!({"id": "after-garbage", "to": "+4915100001", "text": "still fine", "delivery_report": true});
    produce(&kafka, &topics.send, "after-garbage", body.to_string().as_bytes(), OwnedHeaders::new()).await;

    let events = status_events(&collect(&status, Duration::from_secs(30), |m| m.len() >= 4).await);
    let delivered = events.iter().find(|e| e.request_id == "after-garbage" && e.status == Status::Delivered);
    assert!(delivered.is_some(), "the real receipt still matched: {events:?}");
    let unmatched: Vec<_> =
        events.iter().filter(|e| e.request_id.is_empty()).flat_map(|e| e.message_ids.clone()).collect();
    assert!(unmatched.contains(&"77777777".to_string()), "{unmatched:?}");
    assert!(unmatched.contains(&"88888888".to_string()), "{unmatched:?}");
    // The receipt without any field is not final: counted, not published.
    assert_eq!(counters::receipts("sim", "intermediate").get(), 1);
    assert!(gateway.is_running());
    gateway.stop().await;
}

//! A rolling update from JSON records to compact ones: two gateways serve
//! the same connection, one writing version 0 (JSON, what older releases
//! write) and one version 1 (`kafka.compact_records`). Receipts arrive on
//! whichever bind the SMSC picks, so a receipt of one version meets the
//! submit record of the other in either gateway's tracker, and an outcome
//! of either version reaches either finaliser. Every request ends DELIVERED
//! exactly once, and the topics hold records of both versions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedMessage;
use kafka::rdkafka::Message;
use simulator::SimConfig;
use smsgw_tests::{collect, publish_requests, settings, status_events, watch, Broker, Gateway, Sim};

/// How many records of `messages` are JSON and how many compact.
fn versions(messages: &[OwnedMessage]) -> (usize, usize) {
    let first = |m: &OwnedMessage| m.payload().and_then(|p| p.first().copied());
    let json = messages.iter().filter(|m| first(m) == Some(b'{')).count();
    let compact = messages.iter().filter(|m| first(m) == Some(0x01)).count();
    (json, compact)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_compact_writers_side_by_side_lose_and_double_nothing() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig { receipt_delay: Duration::from_millis(300), ..SimConfig::default() }).await;
    let mut old = settings(&broker, sim.port, "binds = 1");
    old.kafka.session_timeout = Duration::from_secs(10);
    let mut new = old.clone();
    new.kafka.compact_records = true;
    let topics = old.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let first = Gateway::start(old).await;
    let second = Gateway::start(new).await;
    let status = watch(&kafka, &topics.status);
    // Both bound and their groups settled before the traffic.
    tokio::time::sleep(Duration::from_secs(6)).await;

    let n = 300;
    publish_requests(&kafka, &topics.send, n, |i| {
        let id = format!("v-{i}");
        let body = serde_json::json!({"id": id, "to": format!("+4915100{i:05}"), "text": format!("versions {i}"), "delivery_report": true});
        (id, body.to_string())
    })
    .await;
    let is_terminal =
        |m: &OwnedMessage| events::decode_status(m.payload().unwrap(), None).unwrap().status != Status::Submitted;
    let messages =
        collect(&status, Duration::from_secs(120), |m| m.iter().filter(|m| is_terminal(m)).count() >= n).await;
    let events = status_events(&messages);
    let terminal: HashMap<_, _> =
        events.iter().filter(|e| e.status != Status::Submitted).map(|e| (e.request_id.clone(), e.status)).collect();
    let submitted = events.iter().filter(|e| e.status == Status::Submitted).count();
    assert_eq!(terminal.len(), n, "every request has its final status");
    assert_eq!(events.len() - submitted, n, "exactly one final status per request");
    assert!(terminal.values().all(|s| *s == Status::Delivered), "{terminal:?}");

    // Both writers wrote, so both versions were read across the gateways.
    let binds: std::collections::BTreeSet<_> = sim.state.submits().iter().map(|s| s.bind).collect();
    assert_eq!(binds.len(), 2, "both gateways submitted");
    for topic in [&topics.submits, &topics.deliver, &topics.outcomes] {
        let consumer = watch(&kafka, topic);
        let records = collect(&consumer, Duration::from_secs(30), |m| {
            let (json, compact) = versions(m);
            json > 0 && compact > 0
        })
        .await;
        let (json, compact) = versions(&records);
        eprintln!("{topic}: {json} JSON records, {compact} compact");
        assert!(json > 0 && compact > 0, "{topic}: {json} JSON and {compact} compact records");
    }
    first.stop().await;
    second.stop().await;
}

//! Request ids are idempotency keys: a request published again with the same
//! id — at once, after it finished, or after the gateway restarted — is sent
//! to the SMSC once and gets one status.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, produce, settings, status_events, watch, Broker, Gateway, Sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_id_is_sent_once() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let settings = settings(&broker, sim.port, "");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let request =
        |n: u32| serde_json::json!({"id": "same-1", "to": "+4915112345678", "text": format!("copy {n}")}).to_string();

    let gateway = Gateway::start(settings.clone()).await;
    let status = watch(&kafka, &topics.status);
    // Two copies at once, then one more after the first finished.
    produce(&kafka, &topics.send, "same-1", request(1).as_bytes(), OwnedHeaders::new()).await;
    produce(&kafka, &topics.send, "same-1", request(2).as_bytes(), OwnedHeaders::new()).await;
    let first = collect(&status, Duration::from_secs(30), |m| !m.is_empty()).await;
    produce(&kafka, &topics.send, "same-1", request(3).as_bytes(), OwnedHeaders::new()).await;
    // A different request afterwards proves the copies were processed (skipped), not stuck.
    produce(
        &kafka,
        &topics.send,
        "other",
        br#"{"id":"other-1","to":"+4915112345679","text":"x"}"#,
        OwnedHeaders::new(),
    )
    .await;
    let rest = collect(&status, Duration::from_secs(30), |m| {
        m.iter().any(|m| status_events(std::slice::from_ref(m))[0].request_id == "other-1")
    })
    .await;
    gateway.stop().await;

    // A new gateway (fresh process state) rebuilds the done markers from Kafka.
    let gateway = Gateway::start(settings).await;
    produce(&kafka, &topics.send, "same-1", request(4).as_bytes(), OwnedHeaders::new()).await;
    produce(
        &kafka,
        &topics.send,
        "other",
        br#"{"id":"other-2","to":"+4915112345679","text":"y"}"#,
        OwnedHeaders::new(),
    )
    .await;
    let after_restart = collect(&status, Duration::from_secs(30), |m| {
        m.iter().any(|m| status_events(std::slice::from_ref(m))[0].request_id == "other-2")
    })
    .await;
    gateway.stop().await;

    let events = status_events(&[first, rest, after_restart].concat());
    let same: Vec<_> = events.iter().filter(|e| e.request_id == "same-1").collect();
    assert_eq!(same.len(), 1, "one status for the request id: {same:?}");
    assert_eq!(same[0].status, Status::Submitted);
    let sent: Vec<_> = sim.state.submits().into_iter().filter(|s| s.destination_addr == "4915112345678").collect();
    assert_eq!(sent.len(), 1, "the SMSC got the request once");
    assert_eq!(counters::duplicates_skipped("sim").get(), 3);
}

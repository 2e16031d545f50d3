//! A request id is an idempotency key for `kafka.id_retention` and no longer:
//! a copy inside the window is skipped, one published after it is sent again
//! (the done marker has aged out of the sender's memory, as the topic's
//! `compact,delete` retention removes it from the broker).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, produce, settings, status_events, watch, Broker, Gateway, Sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_is_a_key_for_id_retention_only() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let mut settings = settings(&broker, sim.port, "");
    settings.kafka.id_retention = Duration::from_secs(4);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let request = |id: &str, to: &str| serde_json::json!({"id": id, "to": to, "text": "x"}).to_string();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let seen = |id: &'static str| {
        move |m: &[kafka::rdkafka::message::OwnedMessage]| status_events(m).iter().any(|e| e.request_id == id)
    };

    produce(&kafka, &topics.send, "k", request("kept-1", "+4915112345678").as_bytes(), OwnedHeaders::new()).await;
    let first = collect(&status, Duration::from_secs(30), seen("kept-1")).await;
    // Inside the window: skipped. A later request proves the copy was handled.
    produce(&kafka, &topics.send, "k", request("kept-1", "+4915112345678").as_bytes(), OwnedHeaders::new()).await;
    produce(&kafka, &topics.send, "k", request("probe-1", "+4915112345679").as_bytes(), OwnedHeaders::new()).await;
    let inside = collect(&status, Duration::from_secs(30), seen("probe-1")).await;
    assert_eq!(counters::duplicates_skipped("sim").get(), 1, "the copy inside the window was skipped");

    tokio::time::sleep(Duration::from_secs(5)).await;
    produce(&kafka, &topics.send, "k", request("kept-1", "+4915112345678").as_bytes(), OwnedHeaders::new()).await;
    produce(&kafka, &topics.send, "k", request("probe-2", "+4915112345679").as_bytes(), OwnedHeaders::new()).await;
    let after = collect(&status, Duration::from_secs(30), seen("probe-2")).await;
    gateway.stop().await;

    let events = status_events(&[first, inside, after].concat());
    let kept: Vec<_> = events.iter().filter(|e| e.request_id == "kept-1").collect();
    assert_eq!(kept.len(), 2, "one status inside the window, one after it: {kept:?}");
    assert!(kept.iter().all(|e| e.status == Status::Submitted));
    let sent = sim.state.submits().into_iter().filter(|s| s.destination_addr == "4915112345678").count();
    assert_eq!(sent, 2, "sent once inside the window and once after it");
    assert_eq!(counters::duplicates_skipped("sim").get(), 1);
}

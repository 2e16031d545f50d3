//! Issue 10, scenario 4: an SMSC that reuses message ids (an id space of
//! ten) while earlier messages still await their receipts. A receipt key can
//! then name two messages; the gateway notices when the second submit record
//! arrives, ends the earlier message at once with code
//! `receipt_key_collision` (counted), and gives the key to the newer one.
//! Every request ends exactly once: none is dropped, none waits forever.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, settings, status_events, watch, Broker, Gateway, Sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reused_message_ids_end_the_earlier_message_and_nothing_is_left_open() {
    let n = 60;
    let collisions_before = counters::key_collisions("sim").get();
    let broker = Broker::start();
    // Receipts come after every id has been given out again.
    let sim =
        Sim::start(SimConfig { id_space: 10, receipt_delay: Duration::from_secs(3), ..SimConfig::default() }).await;
    let settings = settings(&broker, sim.port, "window = 5");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let producer = kafka::producer(&kafka).unwrap();
    let sends = (0..n).map(|i| {
        let body = serde_json::json!({"id": format!("k-{i}"), "to": format!("+4915500{i:05}"), "text": format!("key {i}"), "delivery_report": true});
        let (producer, topic) = (producer.clone(), topics.send.clone());
        async move {
            let (key, payload) = (format!("k-{i}"), body.to_string());
            let out = kafka::Outgoing { topic: &topic, key: &key, payload: payload.as_bytes(), headers: OwnedHeaders::new() };
            producer.publish(out).await.unwrap();
        }
    });
    futures::future::join_all(sends).await;
    let ended = |m: &[kafka::rdkafka::message::OwnedMessage]| {
        status_events(m).iter().filter(|e| e.status.is_terminal() && !e.request_id.is_empty()).count()
    };
    let mut messages = collect(&status, Duration::from_secs(60), |m| ended(m) >= n).await;
    messages.extend(collect(&status, Duration::from_secs(5), |_| false).await);
    gateway.stop().await;

    let mut finals: HashMap<String, Vec<events::StatusEvent>> = HashMap::new();
    for e in status_events(&messages).into_iter().filter(|e| e.status.is_terminal() && !e.request_id.is_empty()) {
        finals.entry(e.request_id.clone()).or_default().push(e);
    }
    assert_eq!(finals.len(), n, "every request ends");
    assert!(finals.values().all(|f| f.len() == 1), "exactly once each");
    let collided: Vec<_> = finals
        .values()
        .map(|f| &f[0])
        .filter(|e| e.error.as_ref().is_some_and(|x| x.code == "receipt_key_collision"))
        .collect();
    let delivered = finals.values().filter(|f| f[0].status == Status::Delivered).count();
    let counted = counters::key_collisions("sim").get() - collisions_before;
    eprintln!("{} ended by a key collision, {delivered} delivered, {counted} collisions counted", collided.len());
    assert!(!collided.is_empty(), "ids were reused while messages were open");
    assert!(collided.iter().all(|e| e.status == Status::Undeliverable));
    assert_eq!(collided.len() as u64, counted, "every collision counted");
    assert_eq!(collided.len() + delivered, n, "the rest delivered");
}

//! Issue 10, scenario 5: poison records. A request with close to a megabyte
//! of metadata (which would be copied into every record about it) is
//! REJECTED with code `metadata_too_large` and its metadata is not echoed; an
//! undecodable record larger than the broker takes from the gateway goes to
//! the dead-letter topic without its payload, with the reason in a header,
//! instead of being retried forever. Neither stops the partition: the
//! request published after them is delivered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use kafka::rdkafka::Message;
use simulator::SimConfig;
use smsgw_tests::{collect, header, settings, status_events, watch, Broker, Gateway, Sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_and_records_are_refused_with_a_reason_and_the_partition_goes_on() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let mut settings = settings(&broker, sim.port, "");
    // The gateway's producers take at most 200 kB: a dead letter copying a larger record is refused.
    settings.kafka.properties.insert("message.max.bytes".into(), "200000".into());
    settings.kafka.partitions = 1;
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let dead = watch(&kafka, &topics.dead_letter);

    let mut big = kafka.clone();
    big.properties.insert("message.max.bytes".into(), "2000000".into());
    let producer = kafka::producer(&big).unwrap();
    let send = |key: &'static str, payload: Vec<u8>| {
        let producer = producer.clone();
        let topic = topics.send.clone();
        async move {
            let out = kafka::Outgoing { topic: &topic, key, payload: &payload, headers: OwnedHeaders::new() };
            producer.publish(out).await.unwrap();
        }
    };
    let metadata = serde_json::json!({ "blob": "m".repeat(900_000) });
    let heavy = serde_json::json!({"id": "heavy", "to": "+4915112345678", "text": "hi", "metadata": metadata});
    send("heavy", heavy.to_string().into_bytes()).await;
    send("garbage", vec![0xFF; 500_000]).await;
    let fine = serde_json::json!({"id": "fine", "to": "+4915112345679", "text": "after the poison"});
    send("fine", fine.to_string().into_bytes()).await;

    let messages = collect(&status, Duration::from_secs(60), |m| m.len() >= 2).await;
    let events = status_events(&messages);
    let heavy = events.iter().find(|e| e.request_id == "heavy").expect("the heavy request ends");
    assert_eq!(heavy.status, Status::Rejected);
    assert_eq!(heavy.error.as_ref().unwrap().code, "metadata_too_large");
    assert!(heavy.metadata.is_empty(), "the oversized metadata is not echoed");
    let fine = events.iter().find(|e| e.request_id == "fine").expect("the partition goes on");
    assert_eq!(fine.status, Status::Submitted);

    let letters = collect(&dead, Duration::from_secs(30), |m| !m.is_empty()).await;
    assert_eq!(letters.len(), 1, "one dead letter");
    let letter = &letters[0];
    assert_eq!(letter.key(), Some(b"garbage".as_slice()));
    assert!(letter.payload().is_none_or(|p| p.is_empty()), "sent without the payload it could not carry");
    assert!(header(letter, "smsgw-error").is_some(), "the reason it is not a request");
    let dropped = header(letter, "smsgw-payload-dropped").expect("why the payload is missing");
    assert!(dropped.contains("500000 bytes"), "{dropped}");
    assert!(gateway.is_running());
    gateway.stop().await;
}

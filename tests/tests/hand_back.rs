//! The way back from the lane consumers' groups (`smsgw hand-back`,
//! `kafka::handback`): refused while a sender runs; with the senders
//! stopped, each queue's offsets go to its connection's own group, the old
//! release resumes exactly where the lane consumers stopped (nothing read
//! again), the lane groups are deleted, and upgrading once more takes the
//! queues over from there: every request sent once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use kafka::handback::{committed, Error};
use kafka::rdkafka::message::OwnedHeaders;
use kafka::rdkafka::Message;
use kafka::AckingConsumer;
use runtime::config::{connection_sender_group, senders_group, BrokerQuirks, Priority};
use simulator::SimConfig;
use smsgw_tests::{
    collect, produce, publish_requests, settings, settled_after, status_events, watch, Broker, Gateway, Sim,
};

const PARTITIONS: i32 = 2;

async fn offsets(kafka: &runtime::config::KafkaConfig, group: &str, topic: &str) -> Vec<(i32, i64)> {
    kafka::client::blocking(|| committed(kafka, group, topic, PARTITIONS)).unwrap()
}

fn total(offsets: &[(i32, i64)]) -> i64 {
    offsets.iter().map(|(_, at)| at).sum()
}

/// Publishes requests `from..to` and waits until each has its status.
async fn send(kafka: &runtime::config::KafkaConfig, topics: &runtime::config::TopicsConfig, from: usize, to: usize) {
    let status = watch(kafka, &topics.status);
    publish_requests(kafka, &topics.send, to - from, |i| {
        let id = format!("h-{}", from + i);
        (id.clone(), serde_json::json!({"id": id, "to": "+4915112345678", "text": "back and forth"}).to_string())
    })
    .await;
    let ids = |m: &kafka::rdkafka::message::OwnedMessage| {
        let id = status_events(std::slice::from_ref(m)).remove(0).request_id;
        id.strip_prefix("h-").and_then(|n| n.parse::<usize>().ok()).filter(|n| (from..to).contains(n)).map(|_| id)
    };
    collect(&status, Duration::from_secs(60), settled_after(to - from, Duration::from_millis(500), ids)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_go_back_to_their_connection_groups_and_over_again() {
    smsgw_tests::init_logs();
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let settings = settings(&broker, sim.port, "");
    let topics = settings.kafka.topics.clone();
    let mut kafka = broker.kafka_config();
    kafka.broker_quirks = BrokerQuirks::Tansu;
    let queue = topics.queue_for("sim", Priority::Normal);
    let lane = senders_group(&settings.kafka.group_prefix, Priority::Normal);
    let own = connection_sender_group(&settings.kafka.group_prefix, "sim", Priority::Normal);

    let gateway = Gateway::start(settings.clone()).await;
    send(&kafka, &topics, 0, 100).await;

    // Refused while the lane consumers are members: nothing moves.
    // (`smsgw hand-back --config FILE` runs `smsgw::tools::hand_back`.)
    match smsgw::tools::hand_back(&settings).await {
        Err(e) => match e.downcast_ref::<Error>() {
            Some(Error::Running { group, .. }) => assert!(group.starts_with("smsgw.senders"), "{group}"),
            _ => panic!("refused for another reason: {e:#}"),
        },
        Ok(moved) => panic!("handed back under a running sender: {moved:?}"),
    }
    assert_eq!(offsets(&kafka, &own, &queue).await, vec![], "nothing committed for the old group");
    gateway.stop().await;

    // Stopped: the lane group's offsets go to the connection's group.
    let lanes_left_at = offsets(&kafka, &lane, &queue).await;
    assert_eq!(total(&lanes_left_at), 100, "the lane group finished all 100: {lanes_left_at:?}");
    let moved = smsgw::tools::hand_back(&settings).await.unwrap();
    assert_eq!(moved.len(), 3, "one per lane: {moved:?}");
    let of_queue = moved.iter().find(|m| m.topic == queue).unwrap();
    assert_eq!(of_queue.to, own);
    assert_eq!(of_queue.offsets, lanes_left_at);
    assert_eq!(offsets(&kafka, &own, &queue).await, lanes_left_at);
    assert_eq!(offsets(&kafka, &lane, &queue).await, vec![], "the lane group is deleted");

    // The old release, reading in the connection's group, resumes where the
    // lane consumers stopped: only what came after (without the hand-back
    // its group has no offsets and would read all 100 again).
    for i in 0..4 {
        produce(&kafka, &queue, &format!("later-{i}"), b"later", OwnedHeaders::new()).await;
    }
    let old = AckingConsumer::subscribe(&kafka, &own, &[&queue]).unwrap();
    let mut read = BTreeSet::new();
    while read.len() < 4 {
        let m = tokio::time::timeout(Duration::from_secs(30), old.recv()).await.expect("the 4 later records").unwrap();
        let ticket = old.begin(m.topic(), m.partition(), m.offset());
        assert_eq!(m.payload(), Some(&b"later"[..]), "read again: partition {} offset {}", m.partition(), m.offset());
        read.insert((m.partition(), m.offset()));
        old.ack(&ticket);
    }
    let quiet = tokio::time::timeout(Duration::from_secs(3), old.recv()).await;
    assert!(quiet.is_err(), "read more than the later records: {:?}", quiet.map(|m| m.map(|m| m.offset())));
    old.commit_and_close();
    drop(old);

    // Upgrading again: the lane group takes the queue over from the
    // connection's group where it left off; no request goes out twice.
    let gateway = Gateway::start(settings).await;
    send(&kafka, &topics, 100, 150).await;
    gateway.stop().await;
    assert_eq!(total(&offsets(&kafka, &lane, &queue).await), 154, "taken over after the 4 later records");
    let submits = sim.state.submits();
    assert_eq!(submits.len(), 150, "every request sent once");
}

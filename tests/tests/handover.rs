//! Taking a topic over from the group that read it before
//! (`kafka::AckingConsumer::subscribe_after`, `kafka::consumer::handover`):
//! while a member of the old group still reads the topic, the new group
//! reads none of it; once the old group is empty, the new one starts where
//! the old one left off — no record read by both, none skipped. A partition
//! the new group committed an offset for is read at once, and one whose old
//! group never existed is read from its beginning.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use kafka::rdkafka::Message;
use kafka::{AckingConsumer, TopicSpec};
use runtime::config::BrokerQuirks;
use smsgw_tests::{publish_requests, Broker};

const TOPIC: &str = "handover";
const OLD: &str = "handover-old";
const NEW: &str = "handover-new";

/// Reads (and acknowledges) `n` records; fails after `within` without them.
async fn read(consumer: &AckingConsumer, n: usize, within: Duration) -> BTreeSet<(i32, i64)> {
    let mut seen = BTreeSet::new();
    while seen.len() < n {
        let m = tokio::time::timeout(within, consumer.recv()).await;
        let m = m.unwrap_or_else(|_| panic!("{} of {n} records within {within:?}", seen.len())).unwrap();
        let ticket = consumer.begin(m.topic(), m.partition(), m.offset());
        assert!(seen.insert((m.partition(), m.offset())), "read twice: {} {}", m.partition(), m.offset());
        consumer.ack(&ticket);
    }
    seen
}

async fn publish(kafka: &runtime::config::KafkaConfig, topic: &str, n: usize) {
    publish_requests(kafka, topic, n, |i| (format!("k{i}"), format!("record {i}"))).await;
}

fn successor(kafka: &runtime::config::KafkaConfig, topic: &str, old: &str) -> AckingConsumer {
    AckingConsumer::subscribe_after(kafka, NEW, &[topic], &[], &[], &[(topic, old)]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_group_waits_for_the_old_one_and_starts_where_it_left_off() {
    smsgw_tests::init_logs();
    let broker = Broker::start();
    let mut kafka = broker.kafka_config();
    kafka.broker_quirks = BrokerQuirks::Tansu;
    kafka::ensure_topics(&kafka, &[TopicSpec::plain(TOPIC), TopicSpec::plain("fresh")], 2).await.unwrap();
    publish(&kafka, TOPIC, 60).await;

    // A member of the old version reads 40 of 60 and stays.
    let old = AckingConsumer::subscribe(&kafka, OLD, &[TOPIC]).unwrap();
    let mut by_old = read(&old, 40, Duration::from_secs(30)).await;
    // The new version's member joins: it reads nothing while the old one is there.
    let new = successor(&kafka, TOPIC, OLD);
    let early = tokio::time::timeout(Duration::from_secs(8), new.recv()).await;
    assert!(early.is_err(), "read while the old group still had a member: {:?}", early.map(|m| m.map(|m| m.offset())));
    // The old member reads 10 more, commits and leaves.
    by_old.extend(read(&old, 10, Duration::from_secs(30)).await);
    old.commit_and_close();
    drop(old);
    // The new one takes over exactly where the old one left off.
    let by_new = read(&new, 10, Duration::from_secs(30)).await;
    assert!(by_old.is_disjoint(&by_new), "read by both: {:?}", by_old.intersection(&by_new).collect::<Vec<_>>());
    assert_eq!(by_old.len() + by_new.len(), 60);
    let quiet = tokio::time::timeout(Duration::from_secs(3), new.recv()).await;
    assert!(quiet.is_err(), "a record read twice: {:?}", quiet.map(|m| m.map(|m| m.offset())));
    new.commit_and_close();
    drop(new);

    // Rolled back and forward again: the old group has a member once more,
    // but the new group has its own offsets now and does not wait.
    let back = AckingConsumer::subscribe(&kafka, OLD, &[TOPIC]).unwrap();
    read(&back, 10, Duration::from_secs(30)).await;
    publish(&kafka, TOPIC, 6).await;
    let again = successor(&kafka, TOPIC, OLD);
    let by_again = read(&again, 6, Duration::from_secs(30)).await;
    let end = |p: i32| by_old.iter().chain(&by_new).filter(|(q, _)| *q == p).map(|(_, o)| o + 1).max().unwrap_or(0);
    assert!(by_again.iter().all(|(p, offset)| *offset >= end(*p)), "only the new records: {by_again:?}");
    drop(back);

    // A topic whose old group never existed is read from its beginning.
    publish(&kafka, "fresh", 4).await;
    let fresh =
        AckingConsumer::subscribe_after(&kafka, "fresh-new", &["fresh"], &[], &[], &[("fresh", "fresh-old")]).unwrap();
    assert_eq!(read(&fresh, 4, Duration::from_secs(30)).await.len(), 4);
}

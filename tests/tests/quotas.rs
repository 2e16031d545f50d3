//! Issue 13, quotas per tenant: `per_day` refuses what is over with
//! `quota_exceeded`, counted across router replicas and restarts;
//! `per_second` holds requests back instead of refusing them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use events::{Status, StatusEvent};
use kafka::rdkafka::consumer::StreamConsumer;
use runtime::config::KafkaConfig;
use simulator::SimConfig;
use smsgw_tests::{collect, group_settled, publish_requests, settings, status_events, watch, Broker, Gateway, Sim};

async fn send(kafka: &KafkaConfig, topic: &str, prefix: &str, n: usize, tenant: &str) {
    publish_requests(kafka, topic, n, |i| {
        let id = format!("{prefix}-{i:03}");
        let body = serde_json::json!({"id": id, "to": "+4915112345678", "text": "hi", "tenant": tenant});
        (id, body.to_string())
    })
    .await;
}

/// The first submit outcome of each of the `n` requests whose id starts
/// with `prefix` (a request redone after a rebalance counts once).
async fn outcomes(status: &StreamConsumer, prefix: &str, n: usize) -> Vec<StatusEvent> {
    let first = |m: &[_]| {
        let mut seen = std::collections::HashSet::new();
        let events = status_events(m).into_iter().filter(|e| {
            let outcome = !matches!(e.status, Status::Accepted | Status::Delivered | Status::Undeliverable);
            outcome && e.request_id.starts_with(prefix)
        });
        events.filter(|e| seen.insert(e.request_id.clone())).collect::<Vec<_>>()
    };
    let all = |m: &[_]| first(m).len() >= n;
    first(&collect(status, Duration::from_secs(90), all).await)
}

fn count(events: &[StatusEvent], status: Status) -> usize {
    events.iter().filter(|e| e.status == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_quota_across_restarts_and_replicas_and_rate_held_back() {
    let sim = Sim::start(SimConfig::default()).await;
    let broker = Broker::start();
    let mut config = settings(&broker, sim.port, "");
    // Two replicas at once: tansu needs sessions longer than the 3 s it holds
    // a follower's JoinGroup, or their groups rebalance without end
    // (docs/tracker.md, "tansu 0.6 and its quirks", 4).
    config.kafka.session_timeout = Duration::from_secs(10);
    let quotas = runtime::Settings::from_toml(
        r#"
        [kafka]
        brokers = "x:1"
        [[quotas]]
        tenant = "acme"
        per_day = 30
        [[quotas]]
        tenant = "slow"
        per_second = 5
        [[quotas]]
        tenant = "shared"
        per_day = 30
        per_second = 2
        "#,
    )
    .unwrap();
    config.quotas = quotas.quotas;
    let topics = config.kafka.topics.clone();
    let kafka = broker.kafka_config();

    // 20 today, then a restart (a new replica), then 20 more: 10 of them are over.
    let gateway = Gateway::start(config.clone()).await;
    let status = watch(&kafka, &topics.status);
    send(&kafka, &topics.send, "a1", 20, "acme").await;
    send(&kafka, &topics.send, "other", 5, "other").await;
    let first = outcomes(&status, "", 25).await;
    assert_eq!(count(&first, Status::Submitted), 25, "20 within the quota, 5 of a tenant without one");
    tokio::time::sleep(Duration::from_secs(2)).await; // the count is reported
    gateway.stop().await;
    let gateway = Gateway::start(config.clone()).await;
    send(&kafka, &topics.send, "a2", 20, "acme").await;
    let second = outcomes(&status, "a2", 20).await;
    assert_eq!(count(&second, Status::Submitted), 10, "{second:?}");
    let over: Vec<_> = second.iter().filter(|e| e.status == Status::Rejected).collect();
    assert_eq!(over.len(), 10);
    assert!(over.iter().all(|e| e.error.as_ref().unwrap().code == "quota_exceeded"));

    // Held back, not refused: 15 at 5 per second take about 3 s, and all go.
    let start = std::time::Instant::now();
    send(&kafka, &topics.send, "s", 15, "slow").await;
    let slow = outcomes(&status, "s", 15).await;
    let took = start.elapsed();
    assert_eq!(count(&slow, Status::Submitted), 15);
    assert!(took >= Duration::from_millis(2500), "15 at 5/s went in {took:?}");

    // Two replicas at once share one count: far fewer than the 40 both would take alone.
    let second_gateway = Gateway::start(config).await;
    group_settled(&kafka, &format!("{}.router", kafka.group_prefix), 2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // each replica reads its share of the rate
    send(&kafka, &topics.send, "sh", 40, "shared").await;
    let shared = outcomes(&status, "sh", 40).await;
    let accepted = count(&shared, Status::Submitted);
    assert!((30..=36).contains(&accepted), "{accepted} of 40 with a daily quota of 30 over two replicas");
    assert_eq!(accepted + count(&shared, Status::Rejected), 40);
    second_gateway.stop().await;
    gateway.stop().await;
}

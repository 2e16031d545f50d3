//! Issue 11: `smsgw_queue_lag{connection}` shows records piling up on a
//! connection's queue topic while its SMSC is down, and falls back to 0 once
//! they are sent.
//!
//! The sender takes up one record at a time (`max_in_flight = 1`), so the
//! rest stay on the topic. The requests reach a router that is already
//! consuming, one by one, so it writes them to the queue in batches of one:
//! tansu reports a partition's end as its last batch's base offset + 1
//! (`kafka::lag`), which would hide the rest of a larger batch.
//!
//! The registry is process-wide; this file is its own test binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, free_port, metrics, settings, status_events, watch, Broker, Gateway, Sim};
use tokio_util::sync::CancellationToken;

const N: usize = 20;
const LAG: &str = "smsgw_queue_lag{connection=\"sim\"}";

/// Polls `/metrics` until the queue lag satisfies `done` or `timeout`
/// passes; returns the values seen.
async fn lag_until(addr: std::net::SocketAddr, timeout: Duration, done: impl Fn(f64) -> bool) -> Vec<f64> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let lag = metrics::value(&metrics::get(addr).await, LAG).expect("smsgw_queue_lag{connection=\"sim\"} exposed");
        if seen.last() != Some(&lag) {
            seen.push(lag);
        }
        if done(lag) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_lag_grows_while_the_smsc_is_down_and_drains_to_zero() {
    let broker = Broker::start();
    // Nothing listens here until the SMSC "comes back" below.
    let port = free_port();
    let settings = settings(&broker, port, "max_in_flight = 1\nwindow = 1");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let shutdown = CancellationToken::new();
    let addr = metrics::serve(&shutdown).await;

    let producer = kafka::producer(&kafka).unwrap();
    for i in 0..N {
        let id = format!("lag-{i}");
        let payload = serde_json::json!({"id": id, "to": format!("+4915100{i:05}"), "text": "lag"}).to_string();
        let out = kafka::Outgoing {
            topic: &topics.send,
            key: &id,
            payload: payload.as_bytes(),
            headers: OwnedHeaders::new(),
        };
        producer.publish(out).await.unwrap();
        if i == 0 {
            // The router has joined its group once it queued the first.
            let queued = "smsgw_requests_total{status=\"queued\"}";
            let deadline = Instant::now() + Duration::from_secs(30);
            while metrics::value(&metrics::get(addr).await, queued).is_none() {
                assert!(Instant::now() < deadline, "the router queued nothing");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // At most one record is taken up (and waits for a bind); the rest wait on the topic.
    let threshold = (N / 2) as f64;
    let seen = lag_until(addr, Duration::from_secs(30), |lag| lag >= threshold).await;
    let most = seen.iter().copied().fold(0.0, f64::max);
    assert!(most >= threshold && most <= N as f64, "queue lag while the SMSC is down: {seen:?}");

    let sim = Sim::start_on(port, SimConfig::default()).await;
    let submitted = |m: &[kafka::rdkafka::message::OwnedMessage]| {
        status_events(m).iter().filter(|e| e.status == Status::Submitted).count()
    };
    let messages = collect(&status, Duration::from_secs(60), |m| submitted(m) >= N).await;
    assert_eq!(submitted(&messages), N, "{:?}", status_events(&messages));

    let drained = lag_until(addr, Duration::from_secs(20), |lag| lag == 0.0).await;
    assert_eq!(drained.last(), Some(&0.0), "queue lag after every request was sent: {drained:?}");
    eprintln!("queue lag seen: {seen:?} while down, then {drained:?}");

    shutdown.cancel();
    gateway.stop().await;
    drop(sim);
}

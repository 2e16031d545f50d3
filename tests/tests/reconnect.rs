//! The SMSC goes away — cleanly (unbind) or abruptly (TCP dropped with
//! submits in flight) — and comes back: binds reconnect with backoff and every
//! request still ends SUBMITTED; lost responses are retried.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, settings, status_events, watch, Broker, Gateway, Sim};

async fn send(producer: &kafka::rdkafka::producer::FutureProducer, topic: &str, range: std::ops::Range<usize>) {
    for i in range {
        let body = format!(r#"{{"id":"rc-{i}","to":"+4915100{i:05}","text":"reconnect {i}"}}"#);
        kafka::publish(
            producer,
            kafka::Outgoing { topic, key: &format!("rc-{i}"), payload: body.as_bytes(), headers: OwnedHeaders::new() },
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_reconnect_and_nothing_is_lost() {
    let broker = Broker::start();
    // Latency keeps submits in flight when the connection drops.
    let sim = Sim::start(SimConfig { latency: Duration::from_millis(300), ..SimConfig::default() }).await;
    let port = sim.port;
    let settings = settings(&broker, port, "binds = 2\nwindow = 20");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let producer = kafka::producer(&kafka).unwrap();

    // Phase 1: abrupt drop while a burst is in flight.
    send(&producer, &topics.send, 0..200).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sim.state.drop_connections();
    // Phase 2: the SMSC shuts down cleanly (unbind) and restarts on the same port.
    let first = collect(&status, Duration::from_secs(60), |m| m.len() >= 200).await;
    assert_eq!(first.len(), 200, "all of the first burst done after reconnecting");
    // Submits accepted by the SMSC whose response was lost were sent again:
    // some duplicates, but never more than the window of every bind.
    let accepted: Vec<_> = sim.state.submits().into_iter().filter(|s| s.status == 0).collect();
    let unique: HashSet<_> = accepted.iter().map(|s| s.destination_addr.clone()).collect();
    assert_eq!(unique.len(), 200);
    let duplicates = accepted.len() - unique.len();
    assert!((1..=40).contains(&duplicates), "{duplicates} duplicates (window 20 × 2 binds)");
    // Every duplicate the SMSC saw was counted as a possible one: a re-send
    // after a lost response (some of those the SMSC had not accepted, so ≥).
    let resubmits = counters::resubmits("sim").get() as usize;
    assert!(resubmits >= duplicates && resubmits <= 40, "resubmits {resubmits}, duplicates seen {duplicates}");
    sim.stop();
    drop(sim);
    send(&producer, &topics.send, 200..300).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sim2 = Sim::start_on(port, SimConfig::default()).await;

    let rest = collect(&status, Duration::from_secs(60), |m| m.len() >= 100).await;
    let events = status_events(&first.into_iter().chain(rest).collect::<Vec<_>>());
    assert_eq!(events.len(), 300);
    let ids: HashSet<_> = events.iter().map(|e| e.request_id.clone()).collect();
    assert_eq!(ids.len(), 300, "exactly one event per request");
    let not_submitted: Vec<_> = events.iter().filter(|e| e.status != Status::Submitted).collect();
    assert!(not_submitted.is_empty(), "{not_submitted:?}");
    assert_eq!(sim2.state.accepted(), 100, "the restarted SMSC got the requests that waited");
    // Both binds come back (the second may still be in its backoff).
    let binds = || sim2.state.binds.load(std::sync::atomic::Ordering::Relaxed);
    for _ in 0..100 {
        if binds() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(binds(), 2, "both binds reconnected");
    gateway.stop().await;
    assert_eq!(sim2.state.unbinds.load(std::sync::atomic::Ordering::Relaxed), 2, "both binds unbound at shutdown");
}

//! The SMSC goes away — cleanly (unbind) or abruptly (TCP dropped with
//! submits in flight) — and comes back: binds reconnect with backoff and every
//! request ends exactly once. A submit whose answer was lost with the
//! connection may be at the SMSC: by default it is not sent again and the
//! request ends FAILED `connection_lost`; with `resend_unanswered` it is sent
//! again (duplicates bounded by the window).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, settings, status_events, watch, Broker, Gateway, Sim};

async fn send(producer: &kafka::PlainProducer, topic: &str, range: std::ops::Range<usize>) {
    for i in range {
        let body = format!(r#"{{"id":"rc-{i}","to":"+4915100{i:05}","text":"reconnect {i}"}}"#);
        producer
            .publish(kafka::Outgoing {
                topic,
                key: &format!("rc-{i}"),
                payload: body.as_bytes(),
                headers: OwnedHeaders::new(),
            })
            .await
            .unwrap();
    }
}

/// Both ways in one test: the resubmit counter is per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_reconnect_and_lost_answers_end_failed_or_are_sent_again_when_allowed() {
    reconnect(false).await;
    reconnect(true).await;
}

async fn reconnect(resend: bool) {
    let resubmits_before = counters::resubmits("sim").get() as usize;
    let broker = Broker::start();
    // Latency keeps submits in flight when the connection drops.
    let sim = Sim::start(SimConfig { latency: Duration::from_millis(300), ..SimConfig::default() }).await;
    let port = sim.port;
    let settings = settings(&broker, port, &format!("binds = 2\nwindow = 20\nresend_unanswered = {resend}"));
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let producer = kafka::producer(&kafka).unwrap();

    // Phase 1: abrupt drop while a burst is in flight.
    send(&producer, &topics.send, 0..200).await;
    // Drop as soon as submits reach the SMSC (their answers take 300 ms), not
    // after a fixed sleep: on a cold machine the group may not even have
    // formed by then, and nothing would be in flight.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while sim.state.submits().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no submit reached the SMSC");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sim.state.drop_connections();
    // Phase 2: the SMSC shuts down cleanly (unbind) and restarts on the same port.
    let first = collect(&status, Duration::from_secs(60), |m| m.len() >= 200).await;
    assert_eq!(first.len(), 200, "all of the first burst done after reconnecting");
    let lost: Vec<_> = status_events(&first).into_iter().filter(|e| e.status == Status::Failed).collect();
    let accepted: Vec<_> = sim.state.submits().into_iter().filter(|s| s.status == 0).collect();
    let unique: HashSet<_> = accepted.iter().map(|s| s.destination_addr.clone()).collect();
    let duplicates = accepted.len() - unique.len();
    let resubmits = counters::resubmits("sim").get() as usize - resubmits_before;
    if resend {
        // Submits accepted by the SMSC whose response was lost were sent again:
        // some duplicates, but never more than the window of every bind.
        assert!(lost.is_empty(), "{lost:?}");
        assert_eq!(unique.len(), 200);
        assert!((1..=40).contains(&duplicates), "{duplicates} duplicates (window 20 × 2 binds)");
        // Every duplicate the SMSC saw was counted as a possible one: a re-send
        // after a lost response (some of those the SMSC had not accepted, so ≥).
        assert!(resubmits >= duplicates && resubmits <= 40, "resubmits {resubmits}, duplicates seen {duplicates}");
    } else {
        // Nothing sent twice; what was in flight ends FAILED, saying the SMSC may have it.
        assert_eq!(duplicates, 0, "no submit sent twice");
        assert_eq!(resubmits, 0);
        assert!((1..=40).contains(&lost.len()), "{} in flight at the drop (window 20 × 2 binds)", lost.len());
        assert!(lost.iter().all(|e| e.error.as_ref().is_some_and(|x| x.code == "connection_lost")), "{lost:?}");
    }
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
    assert_eq!(not_submitted.len(), lost.len(), "{not_submitted:?}");
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

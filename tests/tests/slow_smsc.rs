//! Issue 10, scenario 8: an SMSC that answers after the response timeout.
//! Such a submit may well be at the SMSC, so it is not sent again: the
//! request ends FAILED with code `response_timeout`, saying the SMSC may have
//! it, and the SMSC sees every message exactly once (its receipts, which come
//! anyway, are published as unmatched). With `resend_unanswered` the old
//! behaviour is there for SMSCs that drop repeats, and re-sends are counted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, produce, settings, status_events, watch, Broker, Gateway, Sim};

const N: usize = 20;

async fn run(resend: bool) -> (Vec<events::StatusEvent>, HashMap<String, usize>, u64) {
    let resubmits_before = counters::resubmits("sim").get();
    let broker = Broker::start();
    let sim = Sim::start(SimConfig {
        latency: Duration::from_millis(1_500),
        receipt_delay: Duration::from_millis(100),
        ..SimConfig::default()
    })
    .await;
    let extra = format!("window = 10\nmax_retries = 2\nresend_unanswered = {resend}");
    let mut settings = settings(&broker, sim.port, &extra);
    settings.connections[0].response_timeout = Duration::from_millis(500);
    settings.tracker.receipt_wait = Duration::from_secs(2);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    // Submits wait for answers that come too late: they hold the window meanwhile.
    let window = counters::window_in_use("sim");
    let sampler = tokio::spawn(async move {
        let mut held = 0;
        while held == 0 {
            held = held.max(window.get());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        held
    });
    let status = watch(&kafka, &topics.status);
    for i in 0..N {
        let body = serde_json::json!({"id": format!("slow-{i}"), "to": format!("+4915400{i:05}"), "text": format!("slow {i}"), "delivery_report": true});
        produce(&kafka, &topics.send, &format!("slow-{i}"), body.to_string().as_bytes(), OwnedHeaders::new()).await;
    }
    let done = |m: &[kafka::rdkafka::message::OwnedMessage]| {
        let events = status_events(m);
        let ended = events.iter().filter(|e| e.status.is_terminal() && !e.request_id.is_empty()).count();
        let unmatched = events.iter().filter(|e| e.request_id.is_empty()).count();
        ended >= N && (resend || unmatched >= N)
    };
    let mut messages = collect(&status, Duration::from_secs(90), done).await;
    messages.extend(collect(&status, Duration::from_secs(3), |_| false).await);
    gateway.stop().await;
    let held = tokio::time::timeout(Duration::from_secs(1), sampler).await;
    assert!(held.is_ok(), "submits awaiting their answer show in smsgw_window_in_use");
    assert_eq!(window.get(), 0, "every submit answered or given up: the window is free");
    let mut copies: HashMap<String, usize> = HashMap::new();
    for s in sim.state.submits().into_iter().filter(|s| s.status == 0) {
        *copies.entry(s.destination_addr).or_default() += 1;
    }
    (status_events(&messages), copies, counters::resubmits("sim").get() - resubmits_before)
}

/// Both ways in one test: the resubmit counter is per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_after_the_timeout_ends_the_request_without_sending_it_twice() {
    let answered = counters::submit_latency("sim").count();
    let (events, copies, resubmits) = run(false).await;
    // Latency is of answers: the late ones came after the timeout, so none counts.
    assert_eq!(counters::submit_latency("sim").count(), answered);
    let finals: Vec<_> = events.iter().filter(|e| e.status.is_terminal() && !e.request_id.is_empty()).collect();
    assert_eq!(finals.len(), N, "one final event per request");
    for e in &finals {
        assert_eq!(e.status, Status::Failed, "{e:?}");
        let error = e.error.as_ref().unwrap();
        assert_eq!(error.code, "response_timeout");
        assert!(error.text.contains("may have accepted it"), "{}", error.text);
    }
    assert_eq!(copies.len(), N, "every message reached the SMSC");
    assert!(copies.values().all(|n| *n == 1), "none twice: {copies:?}");
    assert_eq!(resubmits, 0);
    let unmatched = events.iter().filter(|e| e.request_id.is_empty() && e.status == Status::Delivered).count();
    assert_eq!(unmatched, N, "their receipts show the SMSC had them");

    // Where repeats are harmless, the old way: sent again up to max_retries, counted.
    let (events, copies, resubmits) = run(true).await;
    let finals = events.iter().filter(|e| e.status.is_terminal() && !e.request_id.is_empty()).count();
    assert_eq!(finals, N);
    assert!(copies.values().all(|n| *n == 3), "max_retries 2: three copies each: {copies:?}");
    assert_eq!(resubmits, 2 * N as u64);
}

//! Metrics end to end: 20 requests with delivery reports through broker,
//! gateway and simulator are counted where they happen — queued by the
//! router, submitted ok by the sender, their receipts matched by the tracker —
//! and `GET /metrics` shows it in the Prometheus text format, with no phone
//! number in any label.
//!
//! The registry is process-wide; this file is its own test binary (its own
//! process) with one test, so nothing else counts into it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use events::Status;
use simulator::SimConfig;
use smsgw_tests::{collect, metrics, publish_requests, settings, status_events, watch, Broker, Gateway, Sim};
use tokio_util::sync::CancellationToken;

const N: usize = 20;

/// The label values of every sample line.
fn label_values(body: &str) -> Vec<String> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| Some(l.split_once('{')?.1.rsplit_once('}')?.0.to_owned()))
        .flat_map(|labels| labels.split('"').skip(1).step_by(2).map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_submits_and_receipts_are_counted() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig { receipt_delay: Duration::from_millis(200), ..SimConfig::default() }).await;
    let settings = settings(&broker, sim.port, "binds = 2");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);

    publish_requests(&kafka, &topics.send, N, |i| {
        let id = format!("m-{i}");
        let body = serde_json::json!({"id": id, "to": format!("+4915100{i:05}"), "text": format!("metrics {i}"), "delivery_report": true});
        (id, body.to_string())
    })
    .await;
    let delivered = |m: &[kafka::rdkafka::message::OwnedMessage]| {
        status_events(m).iter().filter(|e| e.status == Status::Delivered).count()
    };
    let messages = collect(&status, Duration::from_secs(120), |m| delivered(m) >= N).await;
    assert_eq!(delivered(&messages), N, "{:?}", status_events(&messages));

    let shutdown = CancellationToken::new();
    let addr = metrics::serve(&shutdown).await;
    let body = metrics::get(addr).await;

    for line in [
        "smsgw_requests_total{status=\"queued\"} 20",
        "smsgw_submits_total{connection=\"sim\",result=\"ok\"} 20",
        "smsgw_outcomes_total{connection=\"sim\",status=\"SUBMITTED\"} 20",
        "smsgw_inbound_total{connection=\"sim\",kind=\"receipt\"} 20",
        "smsgw_receipts_total{connection=\"sim\",result=\"matched\"} 20",
        "smsgw_receipts_waiting 0",
        "smsgw_binds{connection=\"sim\"} 2",
        "smsgw_receipt_timeouts_total 0",
        // Every submit answered: latency observed once each, none still in the window.
        "smsgw_submit_latency_seconds_count{connection=\"sim\"} 20",
        "smsgw_submit_latency_seconds_bucket{connection=\"sim\",le=\"+Inf\"} 20",
        "smsgw_window_in_use{connection=\"sim\"} 0",
    ] {
        assert!(body.lines().any(|l| l == line), "no `{line}` in:\n{body}");
    }
    assert!(!body.contains("smsgw_resubmits_total{"), "nothing was lost, nothing resent:\n{body}");
    assert!(body.contains("# TYPE smsgw_submits_total counter\n"), "{body}");
    assert!(body.contains("# TYPE smsgw_binds gauge\n"), "{body}");

    let values = label_values(&body);
    assert!(values.contains(&"sim".to_owned()), "labels parsed: {values:?}");
    for value in values {
        // Phone numbers (and message ids) are long digit strings; no label value may hold one.
        let digits = value.chars().filter(char::is_ascii_digit).count();
        assert!(digits < 5 && !value.contains("4915100"), "high-cardinality label value {value:?} in:\n{body}");
    }

    shutdown.cancel();
    gateway.stop().await;
}

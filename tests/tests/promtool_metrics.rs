//! Issue 11: the gateway's real `/metrics`, after traffic, passes
//! `promtool check metrics` (the text format parses; names follow
//! Prometheus' conventions: `_total` on counters only, base units,
//! histogram suffixes) with nothing to say.
//!
//! promtool comes from `scripts/install-deps` (`scripts/lib/promtool.sh`);
//! without it this test fails rather than skips.
//!
//! The registry is process-wide; this file is its own test binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use events::Status;
use simulator::SimConfig;
use smsgw_tests::{collect, metrics, publish_requests, settings, status_events, watch, Broker, Gateway, Sim};
use tokio_util::sync::CancellationToken;

const N: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exposition_passes_promtool_check_metrics() {
    let promtool = metrics::promtool();
    let broker = Broker::start();
    let sim = Sim::start(SimConfig { receipt_delay: Duration::from_millis(100), ..SimConfig::default() }).await;
    let settings = settings(&broker, sim.port, "binds = 2");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);

    publish_requests(&kafka, &topics.send, N, |i| {
        let id = format!("lint-{i}");
        let body =
            serde_json::json!({"id": id, "to": format!("+4915100{i:05}"), "text": "lint", "delivery_report": true});
        (id, body.to_string())
    })
    .await;
    let delivered = |m: &[kafka::rdkafka::message::OwnedMessage]| {
        status_events(m).iter().filter(|e| e.status == Status::Delivered).count()
    };
    let messages = collect(&status, Duration::from_secs(60), |m| delivered(m) >= N).await;
    assert_eq!(delivered(&messages), N, "{:?}", status_events(&messages));
    // Every metric type has series now (the links observed submit latency
    // and the window; the tracker restored its partitions): all are linted.

    let shutdown = CancellationToken::new();
    let exposition = metrics::get(metrics::serve(&shutdown).await).await;
    for expected in [
        "smsgw_submits_total{connection=\"sim\",result=\"ok\"}",
        "smsgw_submit_latency_seconds_bucket{connection=\"sim\",le=\"+Inf\"}",
        "smsgw_window_in_use{connection=\"sim\"}",
        "smsgw_queue_lag{connection=\"sim\"}",
        "smsgw_restore_seconds{stage=\"matcher\"}",
        "smsgw_binds{connection=\"sim\"}",
    ] {
        assert!(metrics::value(&exposition, expected).is_some(), "no {expected} in:\n{exposition}");
    }

    let mut check = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", promtool.display()));
    check.stdin.take().unwrap().write_all(exposition.as_bytes()).unwrap();
    let out = check.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics ({}):\n{said}\non:\n{exposition}",
        out.status
    );

    shutdown.cancel();
    gateway.stop().await;
}

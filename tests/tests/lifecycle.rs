//! Issue 11: never a half-alive process. A role that fails to start, or a
//! connection task that panics, ends the whole process with a non-zero
//! status, so the orchestrator restarts it — instead of the other roles
//! running on and its probes passing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use simulator::SimConfig;
use smsgw_tests::{settings_toml, Broker, Process, Sim, Workdir};

/// Waits up to `limit` for the process to exit; its status.
fn exit_within(process: &mut Process, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = process.exited() {
            return status;
        }
        assert!(Instant::now() < deadline, "the process still runs after {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_failing_at_start_ends_the_process_non_zero() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    // The tracker refuses to run (co-partitioned topics differ); router and
    // sender would start fine.
    let toml = settings_toml(&broker, sim.port, "");
    let settings = runtime::Settings::from_toml(&toml).unwrap();
    let finals: Vec<_> =
        smsgw::topics(&settings).into_iter().filter(|t| t.name == settings.kafka.topics.finals).collect();
    kafka::ensure_topics(&settings.kafka, &finals, settings.kafka.partitions + 1).await.unwrap();
    let work = Workdir::new("lifecycle-role", &toml).await;

    let mut gateway = Process::start(&work.config, &work.log);
    let status = exit_within(&mut gateway, Duration::from_secs(60));
    assert!(!status.success(), "{status:?}");
    let log = std::fs::read_to_string(&work.log).unwrap();
    assert!(log.contains("partition count"), "the reason is logged: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_connection_ends_the_process_with_status_70() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let work = Workdir::new("lifecycle-panic", &settings_toml(&broker, sim.port, "")).await;
    let mut gateway = Process::start_with(&work.config, &work.log, "all", &[("SMSGW_FAULT_PANIC", "connection:sim")]);
    let status = exit_within(&mut gateway, Duration::from_secs(60));
    assert_eq!(status.code(), Some(runtime::shutdown::EX_SOFTWARE), "{status:?}");
    let log = std::fs::read_to_string(&work.log).unwrap();
    assert!(log.contains("fault injected at connection:sim"), "{log}");
}

/// SIGTERM with submits the SMSC never answers: the process gives them
/// `lifecycle.drain` and exits within drain + the exit margin, whatever is
/// still in flight (it is redone after the restart), so the orchestrator's
/// grace period holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_within_the_configured_drain() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig { latency: Duration::from_secs(300), ..SimConfig::default() }).await;
    let toml = format!("[lifecycle]\ndrain = \"2s\"\n{}", settings_toml(&broker, sim.port, ""))
        .replace("response_timeout = \"5s\"", "response_timeout = \"200s\"");
    let work = Workdir::new("lifecycle-drain", &toml).await;
    let mut gateway = Process::start(&work.config, &work.log);
    smsgw_tests::publish_requests(&broker.kafka_config(), &work.settings.kafka.topics.send, 5, |i| {
        let id = format!("drain-{i}");
        (id.clone(), serde_json::json!({"id": id, "to": "+4915112345678", "text": "slow"}).to_string())
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while sim.state.submits().is_empty() {
        assert!(Instant::now() < deadline, "no submit reached the SMSC");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stopping = Instant::now();
    let status = gateway.terminate(Duration::from_secs(60)).expect("exits");
    let took = stopping.elapsed();
    let limit = Duration::from_secs(2) + runtime::config::LifecycleConfig::EXIT_MARGIN + Duration::from_secs(3);
    eprintln!("exit after SIGTERM with unanswered submits: {took:?} ({status:?})");
    assert!(took < limit, "took {took:?}, limit {limit:?}");
}

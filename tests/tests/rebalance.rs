//! Issue 10, scenario 1: rebalances with submits in flight. A slow SMSC
//! (300 ms per answer), a low `max_tps`, 3,000 requests with receipts. While
//! they flow, (a) a second gateway joins and later leaves the way a rolling
//! update stops it (SIGTERM), and (b) the broker stalls — nothing reaches it
//! or comes back — for longer than the session timeout, then its
//! connections are reset (a [`Proxy`] in front of tansu: a SIGSTOP of tansu
//! 0.6 itself wedges its consumer groups for good, see `docs/tracker.md`). Every request still ends
//! with exactly one terminal status, and the SMSC sees at most
//! `window × binds` duplicates per event: a partition is given up only once
//! the submits already at the SMSC are recorded, and what was not sent yet
//! is withdrawn instead of sent twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use simulator::SimConfig;
use smsgw_tests::{
    collect, duplicates_at, free_port, publish_requests, settings_toml, settled_after, watch, Broker, Process, Proxy,
    Sim, Workdir,
};

const REQUESTS: usize = 3_000;
const WINDOW: usize = 10;
const BINDS: usize = 2;
/// join, leave, broker stall
const EVENTS: usize = 3;

/// Waits until the SMSC has accepted `n` submits.
async fn accepted(sim: &Sim, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while sim.state.accepted() < n {
        assert!(Instant::now() < deadline, "the SMSC saw {} submits, not {n}", sim.state.accepted());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebalances_and_a_broker_stall_send_nothing_twice_and_lose_nothing() {
    let listen = free_port();
    let proxy = Proxy::start(format!("127.0.0.1:{listen}")).await;
    let broker = Broker::start_advertised(listen, proxy.port);
    let sim = Sim::start(SimConfig {
        latency: Duration::from_millis(300),
        receipt_delay: Duration::from_millis(200),
        ..SimConfig::default()
    })
    .await;
    let toml = format!(
        "[tracker]\nreceipt_wait = \"60s\"\n{}",
        settings_toml(&broker, sim.port, &format!("binds = {BINDS}\nwindow = {WINDOW}\nmax_tps = 60"))
    )
    .replace("partitions = 2", "partitions = 4")
    .replace("session_timeout = \"3s\"", "session_timeout = \"10s\"");
    // Sessions of 10 s, not the 3 s of single-member tests: tansu 0.6 holds a
    // follower's JoinGroup for 3 s, so with 3 s sessions every rebalance of
    // a group with two members expires the follower and starts another.
    let work = Workdir::new("rebalance", &toml).await;
    let (config_path, log_path, settings) = (&work.config, &work.log, &work.settings);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();

    let status = watch(&kafka, &topics.status);
    let mut first = Process::start(config_path, log_path);
    publish_requests(&kafka, &topics.send, REQUESTS, |i| {
        let id = format!("rb-{i}");
        let body = serde_json::json!({"id": id, "to": format!("+4915300{i:05}"), "text": format!("rebalance {i}"), "delivery_report": true});
        (id, body.to_string())
    })
    .await;

    // (a) A second gateway joins, and later leaves as a rolling update stops it.
    accepted(&sim, 400).await;
    let mut second = Process::start(config_path, log_path);
    accepted(&sim, 1_200).await;
    let stopped = second.terminate(Duration::from_secs(60));
    assert!(stopped.is_some_and(|s| s.success()), "the second gateway drains and exits 0: {stopped:?}");
    // (b) The broker stalls for longer than the session timeout (10 s).
    accepted(&sim, 2_000).await;
    proxy.stall();
    tokio::time::sleep(Duration::from_secs(15)).await;
    proxy.resume();
    eprintln!("events done at {} accepted submits", sim.state.accepted());

    let terminal_of = |m: &kafka::rdkafka::message::OwnedMessage| {
        let ev = events::decode_status(kafka::rdkafka::Message::payload(m).unwrap_or_default(), None).unwrap();
        ev.status.is_terminal().then_some(ev)
    };
    let done = settled_after(REQUESTS, Duration::from_secs(10), |m| terminal_of(m).map(|e| e.request_id));
    let messages = collect(&status, Duration::from_secs(300), done).await;
    assert!(first.exited().is_none(), "the first gateway is still running");
    first.kill();

    let mut per_request: HashMap<String, Vec<events::Status>> = HashMap::new();
    let mut unmatched = 0;
    for ev in messages.iter().filter_map(terminal_of) {
        if ev.request_id.is_empty() {
            unmatched += 1;
        } else {
            per_request.entry(ev.request_id).or_default().push(ev.status);
        }
    }
    let dups = duplicates_at(&sim.state);
    let duplicates = dups.all;
    let twice: Vec<_> = per_request.iter().filter(|(_, s)| s.len() != 1).take(10).collect();
    let missing: Vec<String> =
        (0..REQUESTS).map(|i| format!("rb-{i}")).filter(|id| !per_request.contains_key(id)).take(10).collect();
    eprintln!(
        "{} requests ended, {} more than once, {} missing; {} submits accepted, {duplicates} duplicates, {unmatched} unmatched receipts",
        per_request.len(),
        per_request.values().filter(|s| s.len() != 1).count(),
        REQUESTS - per_request.len(),
        dups.accepted,
    );
    assert!(twice.is_empty(), "requests with more than one terminal status: {twice:?}");
    assert!(missing.is_empty(), "requests without a terminal status: {missing:?} (log: {})", log_path.display());
    assert!(per_request.values().all(|s| s == &[events::Status::Delivered]), "all delivered");
    assert!(
        duplicates <= WINDOW * BINDS * EVENTS,
        "{duplicates} duplicates at the SMSC > window × binds × {EVENTS} events"
    );
}

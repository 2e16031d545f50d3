//! Issue 10, scenario 2: stale finalisers. Two tracker processes share the
//! work while 5,000 requests with receipts flow; a third joins and is later
//! stopped the way a rolling update stops it, and the broker stalls for
//! longer than the session timeout. Each change moves finaliser partitions
//! between processes with final events being published. A partition is given
//! up only once the final events already decided are on the broker with
//! their markers, a publish that overruns the revoke timeout is dropped
//! instead of racing the next owner, and the next owner's restore reads the
//! status topic from the last marker's floor (offsets, not clocks). Every
//! request gets exactly one final event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use simulator::SimConfig;
use smsgw_tests::{
    collect, free_port, publish_requests, settings_toml, settled_after, watch, Broker, Process, Proxy, Sim, Workdir,
};
use tokio_util::sync::CancellationToken;

const REQUESTS: usize = 5_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trackers_joining_leaving_and_a_broker_stall_publish_one_final_event_per_request() {
    smsgw_tests::init_logs();
    let listen = free_port();
    let proxy = Proxy::start(format!("127.0.0.1:{listen}")).await;
    let broker = Broker::start_advertised(listen, proxy.port);
    let sim = Sim::start(SimConfig {
        latency: Duration::from_millis(2),
        receipt_delay: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let toml = format!(
        "[tracker]\nreceipt_wait = \"60s\"\n{}",
        settings_toml(&broker, sim.port, "binds = 2\nwindow = 20\nmax_tps = 250")
    )
    .replace("partitions = 2", "partitions = 6")
    .replace("session_timeout = \"3s\"", "session_timeout = \"10s\"");
    // Sessions of 10 s, not the 3 s of single-member tests: tansu 0.6 holds a
    // follower's JoinGroup for 3 s, so with 3 s sessions every rebalance of
    // a group with two members expires the follower and starts another.
    let toml = match std::env::var("SMSGW_KAFKA_DEBUG") {
        Ok(debug) => {
            toml.replace("partitions = 6", &format!("partitions = 6\n[kafka.properties]\ndebug = \"{debug}\""))
        }
        Err(_) => toml,
    };
    let work = Workdir::new("trackers", &toml).await;
    let (config_path, log_path) = (&work.config, &work.log);
    let settings = Arc::new(work.settings.clone());
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();

    let mut first = Process::start_role(config_path, log_path, "tracker");
    let mut second = Process::start_role(config_path, log_path, "tracker");
    let shutdown = CancellationToken::new();
    let router = tokio::spawn(smsgw::run_roles(settings.clone(), smsgw::Role::Router, shutdown.clone()));
    let senders = tokio::spawn(smsgw::run_roles(settings.clone(), smsgw::Role::Sender, shutdown.clone()));
    let status = watch(&kafka, &topics.status);

    publish_requests(&kafka, &topics.send, REQUESTS, |i| {
        let id = format!("tr-{i}");
        let body = serde_json::json!({"id": id, "to": format!("+4915800{i:05}"), "text": format!("trackers {i}"), "delivery_report": true});
        (id, body.to_string())
    })
    .await;

    let receipts = |n: u64| {
        let sim = &sim;
        async move {
            let deadline = Instant::now() + Duration::from_secs(300);
            while sim.state.receipts_sent.load(std::sync::atomic::Ordering::Relaxed) < n {
                assert!(Instant::now() < deadline, "receipts stopped flowing");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    receipts(800).await;
    let mut third = Process::start_role(config_path, log_path, "tracker");
    receipts(2_000).await;
    let stopped = third.terminate(Duration::from_secs(60));
    assert!(stopped.is_some_and(|s| s.success()), "the third tracker drains and exits 0: {stopped:?}");
    receipts(3_200).await;
    proxy.stall();
    tokio::time::sleep(Duration::from_secs(15)).await;
    proxy.resume();

    let final_of = |m: &kafka::rdkafka::message::OwnedMessage| {
        let ev = events::decode_status(kafka::rdkafka::Message::payload(m).unwrap_or_default(), None).ok()?;
        (ev.status.is_terminal() && !ev.request_id.is_empty()).then_some(ev)
    };
    let done = settled_after(REQUESTS, Duration::from_secs(10), |m| final_of(m).map(|e| e.request_id));
    let messages = collect(&status, Duration::from_secs(300), done).await;
    assert!(first.exited().is_none() && second.exited().is_none(), "both trackers still run");
    first.kill();
    second.kill();
    shutdown.cancel();
    let _ = router.await;
    let _ = senders.await;

    let mut per_request: HashMap<String, Vec<events::Status>> = HashMap::new();
    for ev in messages.iter().filter_map(final_of) {
        per_request.entry(ev.request_id).or_default().push(ev.status);
    }
    let twice: Vec<_> = per_request.iter().filter(|(_, s)| s.len() != 1).take(10).collect();
    let missing: Vec<String> =
        (0..REQUESTS).map(|i| format!("tr-{i}")).filter(|id| !per_request.contains_key(id)).take(10).collect();
    eprintln!(
        "{} requests ended, {} more than once, {} missing",
        per_request.len(),
        per_request.values().filter(|s| s.len() != 1).count(),
        REQUESTS - per_request.len()
    );
    for id in &missing {
        let i: usize = id.trim_start_matches("tr-").parse().unwrap();
        let text = format!("trackers {i}");
        let at_smsc = sim
            .state
            .submits()
            .iter()
            .filter(|s| text::decode(s.data_coding, &s.short_message).text.as_deref() == Some(&text))
            .count();
        let seen: Vec<_> = messages
            .iter()
            .filter(|m| kafka::rdkafka::Message::key(*m) == Some(id.as_bytes()))
            .filter_map(|m| events::decode_status(kafka::rdkafka::Message::payload(m).unwrap_or_default(), None).ok())
            .map(|e| e.status)
            .collect();
        eprintln!("{id}: {at_smsc} submits at the SMSC, events {seen:?}");
    }
    assert!(twice.is_empty(), "more than one final event: {twice:?}");
    assert!(missing.is_empty(), "no final event: {missing:?} (log {})", log_path.display());
    assert!(per_request.values().all(|s| s == &[events::Status::Delivered]));
}

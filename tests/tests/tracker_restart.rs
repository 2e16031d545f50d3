//! Issue 10, scenario 7: a tracker restarted at scale. The submit-record
//! topic already holds 300,000 earlier records and their tombstones (tansu
//! never compacts); the tracker runs as a process of its own and is killed
//! with SIGKILL while 5,000 receipts flow, then started again. Every request
//! ends DELIVERED exactly once and no receipt is published as unmatched:
//! receipts wait, unbegun, until their partition's submit records are read
//! to a fence, instead of timing out or overflowing `max_waiting` meanwhile.
//! The restore reads from the matcher's checkpoint (the oldest record still
//! open, or `duplicate_window` back), not the whole topic: both restore
//! times are printed.
//!
//! `SMSGW_OLD_SUBMITS` and `SMSGW_RESTART_REQUESTS` scale it (`scripts/soak`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use simulator::SimConfig;
use smsgw_tests::{collect, publish_requests, settings_toml, settled_after, watch, Broker, Process, Sim, Workdir};
use tokio_util::sync::CancellationToken;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

/// The restore times the tracker logged, in order.
fn restore_times(log: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains("partition restored") && l.contains("stage=matcher"))
        .filter_map(|l| l.split("took=").nth(1).map(|t| t.split_whitespace().next().unwrap_or("").to_owned()))
        .map(|t| t.replace("\u{1b}[0m", "").replace("\u{1b}[2m", ""))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracker_killed_and_restarted_over_a_long_history_matches_every_receipt() {
    let old = env("SMSGW_OLD_SUBMITS", 300_000);
    let n = env("SMSGW_RESTART_REQUESTS", 5_000);
    let broker = Broker::start();
    let sim = Sim::start(SimConfig { receipt_delay: Duration::from_millis(500), ..SimConfig::default() }).await;
    let toml = format!(
        "[tracker]\nduplicate_window = \"5s\"\nreceipt_wait = \"5s\"\nmax_waiting = 1000\n{}",
        settings_toml(&broker, sim.port, "binds = 2\nwindow = 20")
    );
    let work = Workdir::new("tracker-restart", &toml).await;
    let (config_path, log_path) = (&work.config, &work.log);
    let settings = Arc::new(work.settings.clone());
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();

    // The long history: earlier segments and the tombstones that concluded them.
    let started = Instant::now();
    let producer = kafka::producer(&kafka).unwrap();
    let record = serde_json::json!({"request_id": "old", "segment": 1, "segments": 1, "connection": "sim", "message_ids": ["x"], "submitted_at": 0}).to_string();
    for i in 0..old {
        let key = format!("sim:old-{i}");
        while producer.queue(kafka::Outgoing::new(&topics.submits, &key, record.as_bytes())).is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        while producer.queue_tombstone(&topics.submits, &key).is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    producer.flush(Duration::from_secs(120)).unwrap();
    eprintln!("{} earlier submit records and tombstones written in {:?}", old, started.elapsed());

    // The tracker alone in a process; router and senders in this one.
    let mut tracker = Process::start_role(config_path, log_path, "tracker");
    let shutdown = CancellationToken::new();
    let front = tokio::spawn(smsgw::run_roles(settings.clone(), smsgw::Role::Router, shutdown.clone()));
    let senders = tokio::spawn(smsgw::run_roles(settings.clone(), smsgw::Role::Sender, shutdown.clone()));
    let status = watch(&kafka, &topics.status);
    // Let the first restore (over the whole history) finish, and the old records leave the duplicate window.
    let deadline = Instant::now() + Duration::from_secs(300);
    while restore_times(log_path).len() < settings.kafka.partitions as usize {
        assert!(Instant::now() < deadline, "the tracker never finished its first restore");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(6)).await;

    publish_requests(&kafka, &topics.send, n, |i| {
        let id = format!("t-{i}");
        let body = serde_json::json!({"id": id, "to": format!("+4915700{i:05}"), "text": format!("tracker {i}"), "delivery_report": true});
        (id, body.to_string())
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(300);
    while sim.state.receipts_sent.load(std::sync::atomic::Ordering::Relaxed) < (n / 2) as u64 {
        assert!(Instant::now() < deadline, "receipts did not flow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tracker.kill();
    eprintln!("tracker killed after {} receipts", sim.state.receipts_sent.load(std::sync::atomic::Ordering::Relaxed));
    // A supervisor's restart delay; the dead member's session (3 s) runs out.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let restart_from = restore_times(log_path).len();
    let mut tracker = Process::start_role(config_path, log_path, "tracker");

    let terminal_id = |m: &kafka::rdkafka::message::OwnedMessage| {
        let ev = events::decode_status(kafka::rdkafka::Message::payload(m).unwrap_or_default(), None).ok()?;
        ev.status.is_terminal().then_some(ev.request_id)
    };
    let messages =
        collect(&status, Duration::from_secs(300), settled_after(n, Duration::from_secs(8), terminal_id)).await;
    tracker.kill();
    shutdown.cancel();
    let _ = front.await;
    let _ = senders.await;

    let times = restore_times(log_path);
    eprintln!(
        "restore times: first start {:?}; after the kill {:?}",
        &times[..restart_from.min(times.len())],
        &times[restart_from.min(times.len())..]
    );
    let events: Vec<_> = messages
        .iter()
        .filter_map(|m| events::decode_status(kafka::rdkafka::Message::payload(m).unwrap_or_default(), None).ok())
        .filter(|e| e.status.is_terminal())
        .collect();
    let unmatched = events.iter().filter(|e| e.request_id.is_empty()).count();
    let mut per_request: HashMap<&str, Vec<events::Status>> = HashMap::new();
    for e in events.iter().filter(|e| !e.request_id.is_empty()) {
        per_request.entry(&e.request_id).or_default().push(e.status);
    }
    let missing: HashSet<String> =
        (0..n).map(|i| format!("t-{i}")).filter(|id| !per_request.contains_key(id.as_str())).collect();
    eprintln!("{} ended, {} missing, {unmatched} unmatched", per_request.len(), missing.len());
    assert_eq!(unmatched, 0, "no receipt published as unmatched");
    assert!(missing.is_empty(), "{} without a final status (log {})", missing.len(), log_path.display());
    assert!(per_request.values().all(|s| s == &[events::Status::Delivered]), "each DELIVERED exactly once");
    assert!(times.len() > restart_from, "the restarted tracker restored its partitions");
}

//! Crash test (issues 3 and 10): 5,000 requests — most with delivery
//! reports, a quarter without, a fifth of them in two parts; the gateway
//! process is killed with SIGKILL twice at random moments while it works,
//! and started again each time. Every request still gets exactly one final
//! event (header `smsgw-final`): DELIVERED for those with a report, SUBMITTED
//! for those without; the SMSC sees at most window × binds duplicate
//! segments per kill; and the gateway's own records account for every
//! duplicate of a receipted segment the SMSC saw: a re-sent segment either
//! has two submit records (the first copy was recorded before the crash) or
//! its first copy's receipt comes back unmatched (it was not).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kafka::rdkafka::message::Message;
use simulator::SimConfig;
use smsgw_tests::{
    collect, duplicates_at, publish_requests, settings_toml, settled_after, watch, Broker, Process, Sim, Workdir,
};

const REQUESTS: usize = 5_000;
const WINDOW: usize = 10;
const BINDS: usize = 2;
const KILLS: usize = 2;

/// Requests without a delivery report: every fourth.
fn receipted(i: usize) -> bool {
    i % 4 != 0
}

/// Every fifth request needs two segments.
fn text(i: usize) -> String {
    if i % 5 == 0 {
        format!("crash {i} ").repeat(20)
    } else {
        format!("crash {i}")
    }
}

/// A pseudo-random duration in `[min, min + spread)`.
fn random_between(min: Duration, spread: Duration) -> Duration {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos() as u128;
    min + Duration::from_nanos((nanos * spread.as_nanos() / 1_000_000_000) as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_twice_and_every_request_ends_once() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig {
        latency: Duration::from_millis(10),
        receipt_delay: Duration::from_millis(200),
        ..SimConfig::default()
    })
    .await;
    let toml = format!(
        "[tracker]\nreceipt_wait = \"10s\"\n{}",
        settings_toml(&broker, sim.port, &format!("binds = {BINDS}\nwindow = {WINDOW}"))
    );
    let work = Workdir::new("crash", &toml).await;
    let (config_path, log_path, settings) = (&work.config, &work.log, &work.settings);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();

    let status = watch(&kafka, &topics.status);
    let mut gateway = Process::start(config_path, log_path);
    publish_requests(&kafka, &topics.send, REQUESTS, |i| {
        let id = format!("c-{i}");
        let body = serde_json::json!({"id": id, "to": format!("+4915200{i:05}"), "text": text(i), "delivery_report": receipted(i)});
        (id, body.to_string())
    })
    .await;

    // Kill while submits are in flight: at a random point of the first and
    // of the second third of the run (the SMSC's latency keeps the run a few
    // seconds long).
    let mut kills_at = Vec::new();
    for k in 0..KILLS {
        let third = (REQUESTS / 3) as u64;
        let at = third * k as u64
            + 200
            + random_between(Duration::ZERO, Duration::from_millis(third - 400)).as_millis() as u64;
        let deadline = Instant::now() + Duration::from_secs(180);
        while sim.state.accepted() < at {
            assert!(Instant::now() < deadline, "the SMSC saw {} submits, not {at}", sim.state.accepted());
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        gateway.kill();
        kills_at.push(sim.state.accepted());
        // Restart once the dead member's session (3 s) has run out: tansu 0.6
        // can leave a successor that joins earlier with no partitions for good.
        tokio::time::sleep(Duration::from_secs(4)).await;
        gateway = Process::start(config_path, log_path);
    }
    eprintln!("killed after {kills_at:?} accepted submits");

    // Every request's final event, then a while longer for any second one
    // (and for unmatched receipts, published after `receipt_wait`).
    let final_of = |m: &kafka::rdkafka::message::OwnedMessage| {
        let ev = events::decode_status(m.payload().unwrap_or_default(), None).unwrap();
        let is_final = smsgw_tests::header(m, records::FINAL_HEADER).is_some();
        (is_final || ev.status.is_terminal()).then_some(ev)
    };
    let done = settled_after(REQUESTS, Duration::from_secs(15), |m| final_of(m).map(|e| e.request_id));
    let messages = collect(&status, Duration::from_secs(180), done).await;
    gateway.kill();

    let mut per_request: HashMap<String, Vec<events::Status>> = HashMap::new();
    let mut unmatched_ids = HashSet::new();
    for m in &messages {
        let Some(ev) = final_of(m) else { continue };
        if ev.request_id.is_empty() {
            unmatched_ids.extend(ev.message_ids.iter().cloned());
        } else {
            assert!(
                smsgw_tests::header(m, records::FINAL_HEADER).is_some(),
                "a final event without its header: {ev:?}"
            );
            per_request.entry(ev.request_id).or_default().push(ev.status);
        }
    }
    let twice: Vec<_> = per_request.iter().filter(|(_, s)| s.len() != 1).collect();
    eprintln!(
        "{} requests with a final event, {} with more than one, {} unmatched receipts",
        per_request.len(),
        twice.len(),
        unmatched_ids.len()
    );
    assert!(twice.is_empty(), "requests with more than one final event: {twice:?}");
    let mut missing = 0;
    let queued = if per_request.len() < REQUESTS {
        collect(&watch(&kafka, "sms.queue.sim"), Duration::from_secs(10), |_| false).await
    } else {
        Vec::new()
    };
    let done = if per_request.len() < REQUESTS {
        collect(&watch(&kafka, &topics.done), Duration::from_secs(10), |_| false).await
    } else {
        Vec::new()
    };
    for i in 0..REQUESTS {
        let id = format!("c-{i}");
        if !per_request.contains_key(id.as_str()) {
            missing += 1;
            if missing <= 10 {
                let at_smsc = sim
                    .state
                    .submits()
                    .iter()
                    .filter(|s| String::from_utf8_lossy(&s.short_message).contains(&format!("crash {i}")))
                    .count();
                let seen: Vec<_> = messages
                    .iter()
                    .filter(|m| m.key() == Some(id.as_bytes()))
                    .filter_map(|m| events::decode_status(m.payload().unwrap_or_default(), None).ok())
                    .map(|e| (e.status, e.message_ids))
                    .collect();
                let copies: Vec<_> = queued
                    .iter()
                    .filter(|m| m.key() == Some(id.as_bytes()))
                    .map(|m| (m.partition(), m.offset()))
                    .collect();
                let marked = done.iter().any(|m| m.key() == Some(id.as_bytes()));
                eprintln!("{id}: no final event; {at_smsc} submits at the SMSC; events {seen:?}; queue records {copies:?}; done marker {marked}");
            }
        }
    }
    assert_eq!(per_request.len(), REQUESTS, "every request ends (gateway log: {})", log_path.display());
    for (id, statuses) in &per_request {
        let i: usize = id.trim_start_matches("c-").parse().unwrap();
        let want = if receipted(i) { events::Status::Delivered } else { events::Status::Submitted };
        assert_eq!(statuses, &[want], "{id}");
    }

    // Duplicate segments at the SMSC, bounded by what was in flight at each kill.
    let dups = duplicates_at(&sim.state);
    eprintln!("{} segments accepted, {} duplicates ({} receipted)", dups.accepted, dups.all, dups.receipted);
    assert!(dups.all <= WINDOW * BINDS * KILLS, "{} duplicates > window × binds × kills", dups.all);

    // The gateway's account of the receipted ones: segments with several
    // recorded submits, plus first copies it never recorded (their receipts
    // came back unmatched).
    let submits = watch(&kafka, &topics.submits);
    let records = collect(&submits, Duration::from_secs(10), |_| false).await;
    let mut ids_of: HashMap<(String, u16), HashSet<String>> = HashMap::new();
    for m in &records {
        if let Some(Ok(r)) = m.payload().map(records::decode::<records::SubmitRecord>) {
            let id = r.message_ids[usize::from(r.segment) - 1].clone();
            ids_of.entry((r.request_id, r.segment)).or_default().insert(id);
        }
    }
    let recorded_twice: usize = ids_of.values().map(|ids| ids.len() - 1).sum();
    eprintln!(
        "accounted: {recorded_twice} re-sent after a recorded submit, {} unmatched first copies",
        unmatched_ids.len()
    );
    assert_eq!(
        recorded_twice + unmatched_ids.len(),
        dups.receipted,
        "every duplicate receipted segment at the SMSC is accounted for"
    );
}

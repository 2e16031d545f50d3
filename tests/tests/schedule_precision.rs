//! Release precision: many messages scheduled over the coming seconds (CI)
//! or minutes (the bench, `scripts/bench-schedule`: 100,000 over 5 minutes)
//! each go out once, never before their send_at, and — printed as p50, p99
//! and max of submitted_at − send_at — within a second of it (p99).
//!
//! `SMSGW_SCHEDULE_MESSAGES` (default 300) and `SMSGW_SCHEDULE_SPREAD_S`
//! (default 20) size the run. CI's small run allows a p99 of 2.5 s, for a
//! busy shared machine; the bench holds the target, 1 s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use simulator::SimConfig;
use smsgw_tests::schedule::{destination, finals_for, now_ms, only_final, request, send, submit_counts};
use smsgw_tests::{publish_requests, settings, watch, Broker, Gateway, Sim};

fn env(name: &str, default: i64) -> i64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_messages_are_released_within_a_second() {
    smsgw_tests::init_logs();
    let bench = std::env::var_os("SMSGW_SCHEDULE_MESSAGES").is_some();
    let n = usize::try_from(env("SMSGW_SCHEDULE_MESSAGES", 300)).unwrap();
    let spread_ms = env("SMSGW_SCHEDULE_SPREAD_S", 20) * 1000;
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    // A window of 50: with 10 and every outcome recorded on the broker before
    // its slot frees, this one shared box's broker (and not the scheduler)
    // caps the submits near the 333/s the bench releases.
    let settings = settings(&broker, sim.port, "window = 50");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    send(&kafka, &topics.send, "warm", &request("warm", n + 1, 0, "")).await;
    assert!(finals_for(&status, &["warm".into()], Duration::from_secs(60)).await.contains_key("warm"));

    // Time to publish them all and for the router to schedule them before the first is due.
    let lead_ms = 8000 + n as i64 / 2;
    let start = now_ms();
    let due = |i: usize| start + lead_ms + spread_ms * i as i64 / n as i64;
    let ids: Vec<String> = (0..n).map(|i| format!("p-{i}")).collect();
    publish_requests(&kafka, &topics.send, n, |i| (ids[i].clone(), request(&ids[i], i, due(i), ""))).await;
    eprintln!("published {n} in {} ms; the first is due {lead_ms} ms after the start", now_ms() - start);

    let wait = Duration::from_millis(u64::try_from(lead_ms + spread_ms).unwrap()) + Duration::from_secs(120);
    let finals = finals_for(&status, &ids, wait).await;
    let counts = submit_counts(&sim.state);
    let mut late: Vec<i64> = Vec::with_capacity(n);
    for (i, id) in ids.iter().enumerate() {
        let ev = only_final(&finals, id);
        let at = ev.submitted_at.unwrap_or(ev.timestamp);
        assert!(at >= due(i), "{id} went out {} ms early", due(i) - at);
        late.push(at - due(i));
        let to = destination(i);
        assert_eq!(counts.get(to.trim_start_matches('+')), Some(&1), "{id} sent once");
    }
    // Where in the spread the late ones are (a tail at the start is the intake, one in the middle a hop).
    let tenths: Vec<String> = late.chunks(n.div_ceil(10)).map(|c| format!("{}", c.iter().max().unwrap())).collect();
    println!("schedule precision: max ms late per tenth of the spread: {}", tenths.join(" "));
    late.sort_unstable();
    let (p50, p99, max) = (late[n / 2], late[n * 99 / 100], late[n - 1]);
    println!(
        "schedule precision: {n} messages over {} s: submitted_at - send_at p50 {p50} ms, p99 {p99} ms, max {max} ms",
        spread_ms / 1000
    );
    let limit = if bench { 1000 } else { 2500 };
    assert!(p99 <= limit, "p99 {p99} ms over {limit} ms");
    gateway.stop().await;
}

//! A gateway stopped while scheduled messages wait — some held in memory
//! (due within 1.5 s), some read ahead from their level topics, most still
//! on the broker — and started again sends every one exactly once, none
//! before its send_at. A tiny read-ahead makes the scheduler pause and
//! resume level partitions all along, and a tiny hold (at most 20 held)
//! sends the rest through the short levels.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use simulator::SimConfig;
use smsgw_tests::schedule::{assert_on_time, finals_for, now_ms, only_final, request, send, submits_of};
use smsgw_tests::{publish_requests, settings, watch, Broker, Gateway, Sim};

const N: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_loses_no_scheduled_message_and_sends_none_twice() {
    smsgw_tests::init_logs();
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let mut settings = settings(&broker, sim.port, "");
    settings.scheduler.read_ahead = 4;
    settings.scheduler.max_held = 20;
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings.clone()).await;
    let status = watch(&kafka, &topics.status);
    send(&kafka, &topics.send, "warm", &request("warm", 999, 0, "")).await;
    assert!(finals_for(&status, &["warm".into()], Duration::from_secs(60)).await.contains_key("warm"));

    let start = now_ms();
    // Due from 3 s to 15 s from now, 60 ms apart; a few 20-25 s ahead (the 10s level).
    let due = |i: usize| if i % 20 == 0 { start + 20_000 + 250 * i as i64 / 20 } else { start + 3000 + 60 * i as i64 };
    let ids: Vec<String> = (0..N).map(|i| format!("r-{i}")).collect();
    publish_requests(&kafka, &topics.send, N, |i| (ids[i].clone(), request(&ids[i], i, due(i), ""))).await;

    tokio::time::sleep(Duration::from_millis(u64::try_from(start + 6000 - now_ms()).unwrap_or(0))).await;
    let held = counters::scheduled_held().get();
    let read_ahead = counters::scheduled_read_ahead().get();
    let released_before = counters::scheduled("released").get();
    let hops = counters::scheduled("hop").get();
    gateway.stop().await;
    eprintln!("stopped with {held} held, {read_ahead} read ahead, {released_before} released, {hops} hops");
    assert!(hops > 0, "the hold was full: the rest hopped through the short levels");
    assert!(released_before > 0 && released_before < N as u64, "stopped midway: {released_before} released");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let gateway = Gateway::start(settings).await;

    let finals = finals_for(&status, &ids, Duration::from_secs(120)).await;
    let mut late = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let ev = only_final(&finals, id);
        // Due while no gateway ran: late by the downtime; the rest on time.
        assert_on_time(ev, due(i), 30_000);
        late.push(ev.submitted_at.unwrap_or(ev.timestamp) - due(i));
        assert_eq!(submits_of(&sim.state, i), 1, "{id}: sent exactly once");
    }
    late.sort_unstable();
    eprintln!("lateness ms: p50 {} p99 {} max {}", late[N / 2], late[N * 99 / 100], late[N - 1]);
    gateway.stop().await;
}

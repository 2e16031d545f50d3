//! A slow connection holds up no other (DESIGN: a throttled or dead SMSC
//! only backs up its own queue). The senders of a process share one
//! consumer per lane (`sender::consumers`); each connection reads its own
//! partition queues, whose prefetch is bounded on its own. Here connection
//! `slow` (an SMSC answering each submit after 500 ms, one at a time) has
//! thousands of requests queued and its prefetch full; requests for `fast`
//! published after that all go out at once, while `slow` has sent only a
//! few of its backlog.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use events::Status;
use simulator::SimConfig;
use smsgw_tests::{collect, publish_requests, smpp_connection, status_events, watch, Broker, Process, Sim, Workdir};

const BACKLOG: usize = 3_000;
const FAST: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_connection_holds_up_no_other() {
    let broker = Broker::start();
    let slow = Sim::start(SimConfig { latency: Duration::from_millis(500), ..SimConfig::default() }).await;
    let fast = Sim::start(SimConfig::default()).await;
    let mut toml = broker.kafka_toml();
    toml.push_str("\n[[routes]]\nid = \"slow\"\nto_prefix = \"+4917\"\nconnection = \"slow\"\n");
    toml.push_str("\n[[routes]]\nid = \"fast\"\nto_prefix = \"+4916\"\nconnection = \"fast\"\n");
    toml.push_str(&smpp_connection("slow", slow.port, "window = 1"));
    toml.push_str(&smpp_connection("fast", fast.port, ""));
    let work = Workdir::new("slow-neighbour", &toml).await;
    let kafka = broker.kafka_config();
    let topics = work.settings.kafka.topics.clone();
    let _gateway = Process::start(&work.config, &work.log);
    let status = watch(&kafka, &topics.status);

    publish_requests(&kafka, &topics.send, BACKLOG, |i| {
        let id = format!("slow-{i:05}");
        (id.clone(), format!(r#"{{"id":"{id}","to":"+4917012{i:05}","text":"{id}"}}"#))
    })
    .await;
    // The slow connection works on its backlog, its partition queues full.
    let deadline = Instant::now() + Duration::from_secs(60);
    while slow.state.accepted() < 2 {
        assert!(Instant::now() < deadline, "the slow connection never started sending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    let started = Instant::now();
    publish_requests(&kafka, &topics.send, FAST, |i| {
        let id = format!("fast-{i:05}");
        (id.clone(), format!(r#"{{"id":"{id}","to":"+4916012{i:05}","text":"{id}"}}"#))
    })
    .await;
    let count = |m: &[kafka::rdkafka::message::OwnedMessage]| {
        status_events(m).iter().filter(|e| e.request_id.starts_with("fast-") && e.status == Status::Submitted).count()
    };
    let seen = collect(&status, Duration::from_secs(60), |m| count(m) >= FAST).await;
    let took = started.elapsed();
    let slow_sent = slow.state.accepted();
    eprintln!("{FAST} requests for the fast connection out in {took:?}; the slow one sent {slow_sent} of {BACKLOG}");
    assert_eq!(count(&seen), FAST, "every request for the fast connection went out");
    assert_eq!(fast.state.accepted() as usize, FAST);
    assert!(slow_sent < 200, "the slow connection was not that slow: {slow_sent} sent");
    assert!(slow.state.bound_now.load(SeqCst) >= 1, "the slow connection is still at work");
}

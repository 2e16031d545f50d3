//! Issue 13, throughput limit across replicas: `max_tps = 40` and `binds =
//! 3` hold for the connection as a whole (DESIGN principle 4) while three
//! gateway processes join and two leave the way a rolling update stops
//! them: in no one-second window does the SMSC see more than 40 submits, it
//! never has to refuse a bind over its limit of 3, and every request still
//! goes out. (Not SIGKILL: tansu 0.6 may keep a killed member in the group,
//! holding its partitions — `docs/tracker.md`, quirk 6.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use kafka::rdkafka::consumer::StreamConsumer;
use simulator::SimConfig;
use smsgw_tests::{collect, publish_requests, settings_toml, status_events, watch, Broker, Process, Sim, Workdir};

const REQUESTS: u64 = 1_200;
const MAX_TPS: usize = 40;
const BINDS: usize = 3;
/// Each share change is logged by `sender::pool`.
const LOG: &[(&str, &str)] = &[("RUST_LOG", "warn,sender=info,kafka::consumer=info")];

async fn accepted(sim: &Sim, n: u64, statuses: &StreamConsumer) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while sim.state.accepted() < n {
        if Instant::now() > deadline {
            let events = status_events(&collect(statuses, Duration::from_secs(5), |_| false).await);
            let unsent: Vec<String> = unsent(sim)
                .into_iter()
                .map(|i| {
                    let id = format!("tps-{i}");
                    let seen: Vec<String> = events
                        .iter()
                        .filter(|e| e.request_id == id)
                        .map(|e| format!("{} {:?}", e.status.symbol(), e.error.as_ref().map(|e| &e.text)))
                        .collect();
                    format!("{id} {seen:?}")
                })
                .collect();
            panic!("the SMSC saw {} submits, not {n}; never sent: {unsent:#?}", sim.state.accepted());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The requests (by number) the SMSC has not accepted.
fn unsent(sim: &Sim) -> Vec<u64> {
    let sent: std::collections::HashSet<String> =
        sim.state.submits().into_iter().filter(|s| s.status == 0).map(|s| s.destination_addr).collect();
    (0..REQUESTS)
        .filter(|i| !sent.contains(&format!("4915300{i:05}")) && !sent.contains(&format!("+4915300{i:05}")))
        .collect()
}

/// The most submits the SMSC accepted within any one second.
fn busiest_second(sim: &Sim) -> usize {
    let mut at: Vec<Instant> = sim.state.submits().iter().filter(|s| s.status == 0).map(|s| s.at).collect();
    at.sort();
    let mut most = 0;
    let mut start = 0;
    for end in 0..at.len() {
        while at[end].duration_since(at[start]) >= Duration::from_secs(1) {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_tps_holds_for_the_connection_as_replicas_join_and_leave() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig { record: true, max_binds: BINDS as u64, ..SimConfig::default() }).await;
    let toml = settings_toml(&broker, sim.port, &format!("binds = {BINDS}\nwindow = 10\nmax_tps = {MAX_TPS}"))
        .replace("partitions = 2", "partitions = 6")
        .replace("session_timeout = \"3s\"", "session_timeout = \"10s\"");
    let work = Workdir::new("tps-replicas", &toml).await;
    let kafka = broker.kafka_config();
    let topics = work.settings.kafka.topics.clone();

    let statuses = watch(&kafka, &topics.status);
    let mut first = Process::start_with(&work.config, &work.log, "all", LOG);
    publish_requests(&kafka, &topics.send, REQUESTS as usize, |i| {
        let id = format!("tps-{i}");
        (id.clone(), serde_json::json!({"id": id, "to": format!("+4915300{i:05}"), "text": "tps"}).to_string())
    })
    .await;
    accepted(&sim, 150, &statuses).await;
    let mut second = Process::start_with(&work.config, &work.log, "all", LOG);
    accepted(&sim, 350, &statuses).await;
    let mut third = Process::start_with(&work.config, &work.log, "all", LOG);
    accepted(&sim, 600, &statuses).await;
    let stopped = second.terminate(Duration::from_secs(60));
    assert!(stopped.is_some_and(|s| s.success()), "the second gateway drains and exits 0: {stopped:?}");
    accepted(&sim, 800, &statuses).await;
    let stopped = third.terminate(Duration::from_secs(60));
    assert!(stopped.is_some_and(|s| s.success()), "the third gateway drains and exits 0: {stopped:?}");
    accepted(&sim, REQUESTS, &statuses).await;
    first.kill();

    let busiest = busiest_second(&sim);
    eprintln!("{} submits accepted; at most {busiest} in one second (max_tps {MAX_TPS})", sim.state.accepted());
    assert!(busiest <= MAX_TPS, "{busiest} submits in one second > max_tps {MAX_TPS} (log: {})", work.log.display());
    let (most, refused) = (sim.state.most_bound.load(SeqCst), sim.state.binds_refused.load(SeqCst));
    eprintln!("at most {most} binds at once (binds {BINDS}); {refused} refused");
    assert_eq!(refused, 0, "binds over the SMSC's limit of {BINDS} (log: {})", work.log.display());
    assert!(most >= 2, "the replicas shared the binds: {most}");
}

//! Issue 13, reload without a restart, against a gateway process and two
//! SMSC simulators. A config that does not validate is refused with the
//! reason and the running one kept (SIGHUP); a new file (noticed on its
//! own) adds connection b, routes new traffic to it and changes a's
//! `max_tps` while a works through a backlog — a's sender restarts and not
//! one request of the backlog is lost or sent twice; removing a stops its
//! sender (it unbinds) while b carries on; adding c, whose queue topic has
//! another partition count than the done topic, is held back with the
//! counts while the gateway runs on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use events::{Status, StatusEvent};
use rdkafka::consumer::StreamConsumer;
use simulator::SimConfig;
use smsgw_tests::{
    collect, duplicates_at, publish_requests, smpp_connection, status_events, wait_for, watch, Broker, Process, Sim,
    Workdir,
};

use kafka::rdkafka;

/// The config with `connections` (id, port, max_tps) and every request routed to `route_to`.
fn config(broker: &Broker, connections: &[(&str, u16, u32)], route_to: &str) -> String {
    let mut toml = format!("{}\n[[routes]]\nid = \"all\"\nconnection = \"{route_to}\"\n", broker.kafka_toml());
    for (id, port, max_tps) in connections {
        toml.push_str(&smpp_connection(id, *port, &format!("max_tps = {max_tps}")));
    }
    toml
}

/// Publishes `n` requests with ids `{prefix}-{i}`.
async fn send(kafka: &runtime::config::KafkaConfig, topic: &str, prefix: &str, n: usize) {
    publish_requests(kafka, topic, n, |i| {
        let id = format!("{prefix}-{i:03}");
        (id.clone(), format!(r#"{{"id":"{id}","to":"+4917012{i:05}","text":"{id}"}}"#))
    })
    .await;
}

/// Collects until every request of `prefix` (n of them) has its outcome;
/// returns every outcome seen so far, by request id, each request once.
async fn outcomes(
    status: &StreamConsumer,
    seen: &mut Vec<StatusEvent>,
    prefix: &str,
    n: usize,
) -> BTreeMap<String, StatusEvent> {
    let count = |events: &[StatusEvent]| events.iter().filter(|e| e.request_id.starts_with(prefix)).count();
    let have = count(seen);
    let more = collect(status, Duration::from_secs(120), |m| have + count(&status_events(m)) >= n).await;
    seen.extend(status_events(&more));
    let mut by_id = BTreeMap::new();
    for e in seen.iter() {
        if let Some(earlier) = by_id.insert(e.request_id.clone(), e.clone()) {
            panic!("two outcomes for {}: {earlier:?} and {e:?}", e.request_id);
        }
    }
    by_id
}

/// Connections that carried the requests of `prefix`, with how many each.
fn carried(outcomes: &BTreeMap<String, StatusEvent>, prefix: &str) -> BTreeMap<String, usize> {
    let mut by = BTreeMap::new();
    for e in outcomes.values().filter(|e| e.request_id.starts_with(prefix)) {
        assert_eq!(e.status, Status::Submitted, "{e:?}");
        *by.entry(e.connection.clone().unwrap_or_default()).or_default() += 1;
    }
    by
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_and_routes_reload_without_losing_a_message() {
    let broker = Broker::start();
    let (a, b) =
        (Sim::start(SimConfig { record: true, ..SimConfig::default() }).await, Sim::start(SimConfig::default()).await);
    let work = Workdir::new("reload", &config(&broker, &[("a", a.port, 20)], "a")).await;
    let kafka = broker.kafka_config();
    let topics = work.settings.kafka.topics.clone();
    let mut gateway =
        Process::start_with(&work.config, &work.log, "all", &[("RUST_LOG", "warn,runtime::reload=info,sender=info")]);
    let status = watch(&kafka, &topics.status);
    let mut seen = Vec::new();
    let log = || std::fs::read_to_string(&work.log).unwrap_or_default();

    send(&kafka, &topics.send, "one", 10).await;
    let got = outcomes(&status, &mut seen, "one", 10).await;
    assert_eq!(carried(&got, "one"), BTreeMap::from([("a".into(), 10)]));

    // A route to a connection that does not exist: refused, with the key and why; a keeps the traffic.
    std::fs::write(&work.config, config(&broker, &[("a", a.port, 20)], "nowhere")).unwrap();
    gateway.signal("HUP");
    wait_for("the refusal in the log", Duration::from_secs(20), || log().contains("configuration reload refused"));
    let refusal = log().lines().find(|l| l.contains("configuration reload refused")).unwrap().to_owned();
    assert!(refusal.contains("routes[0]") && refusal.contains("nowhere"), "{refusal}");
    send(&kafka, &topics.send, "two", 10).await;
    let got = outcomes(&status, &mut seen, "two", 10).await;
    assert_eq!(carried(&got, "two"), BTreeMap::from([("a".into(), 10)]));

    // A backlog for a (20/s), then a new file: b added, new traffic to b, a faster.
    send(&kafka, &topics.send, "three", 150).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    std::fs::write(&work.config, config(&broker, &[("a", a.port, 50), ("b", b.port, 0)], "b")).unwrap();
    wait_for("a's sender restarting", Duration::from_secs(20), || log().contains("connection changed"));
    send(&kafka, &topics.send, "four", 10).await;
    let got = outcomes(&status, &mut seen, "three", 150).await;
    assert_eq!(carried(&got, "three"), BTreeMap::from([("a".into(), 150)]), "the backlog, each once");
    let got = outcomes(&status, &mut seen, "four", 10).await;
    assert_eq!(carried(&got, "four"), BTreeMap::from([("b".into(), 10)]));
    assert_eq!(duplicates_at(&a.state).all, 0, "nothing twice at a's SMSC");

    // a removed: its sender stops and unbinds; b goes on.
    let unbinds = a.state.unbinds.load(SeqCst);
    std::fs::write(&work.config, config(&broker, &[("b", b.port, 0)], "b")).unwrap();
    wait_for("a's sender stopping", Duration::from_secs(30), || a.state.bound_now.load(SeqCst) == 0);
    assert!(a.state.unbinds.load(SeqCst) > unbinds, "a unbound politely");
    send(&kafka, &topics.send, "five", 10).await;
    let got = outcomes(&status, &mut seen, "five", 10).await;
    assert_eq!(carried(&got, "five"), BTreeMap::from([("b".into(), 10)]));

    // c added, but its queue topic was made with another partition count
    // than the done topic's: the reload is held back, logged with the
    // counts (c's sender could not start, and what the router sent it
    // would wait); the gateway runs on and b keeps the traffic.
    let c_queue = topics.queue("c");
    kafka::ensure_topics(&kafka, &[kafka::TopicSpec::plain(&c_queue)], 1).await.unwrap();
    std::fs::write(&work.config, config(&broker, &[("b", b.port, 0), ("c", a.port, 0)], "b")).unwrap();
    let refused = |l: &&str| l.contains("reloaded configuration not applied") && l.contains(&format!("{c_queue}: 1"));
    wait_for("the partition counts in the log", Duration::from_secs(30), || log().lines().any(|l| refused(&l)));
    send(&kafka, &topics.send, "six", 10).await;
    let got = outcomes(&status, &mut seen, "six", 10).await;
    assert_eq!(carried(&got, "six"), BTreeMap::from([("b".into(), 10)]));
    assert_eq!(a.state.bound_now.load(SeqCst), 0, "no sender started for c");
    assert!(!log().contains("sender panicked"), "{}", log());

    // What a removed connection leaves in its lane consumers (partition
    // queues with records prefetched in them) must not hold up shutdown.
    let status = gateway.terminate(Duration::from_secs(60)).expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
}

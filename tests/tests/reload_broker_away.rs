//! A reload while the broker is away (README, "Reload without a restart":
//! "a change made while the broker is away applies once it is back").
//! The broker, on persistent storage, is killed; the config file then adds
//! connection b and routes everything to it. The file is read and
//! validated without the broker, but the new queue topics cannot be made:
//! the change waits. Once the broker is back it applies, b carries the new
//! traffic, and what a carried before is neither lost nor repeated.
//!
//! CI keeps the broker away 10 s, within the 60 s that creating topics
//! waits for a broker; `SMSGW_RELOAD_OUTAGE_SECS=75` (`scripts/soak`) keeps
//! it away longer, so that the attempt fails and is tried again with
//! backoff, which the log must then show.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use events::{Status, StatusEvent};
use simulator::SimConfig;
use smsgw_tests::{
    collect, publish_requests, smpp_connection, status_events, wait_for, watch, Broker, Process, Sim, Workdir,
};

fn outage() -> Duration {
    let secs = std::env::var("SMSGW_RELOAD_OUTAGE_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    Duration::from_secs(secs)
}

/// The config with connections (id, port) and every request routed to
/// `route_to`. Sessions outlast the outage: a member whose session ran out
/// while tansu 0.6 was down is kept as a leader that is no longer a member,
/// and its group never forms again (`docs/tracker.md`, "ghost group leaders").
fn config(broker: &Broker, connections: &[(&str, u16)], route_to: &str) -> String {
    let session = outage().as_secs() + 20;
    let mut toml = format!(
        "[kafka]\nbrokers = \"{}\"\nsession_timeout = \"{session}s\"\npartitions = 2\n\
         [[routes]]\nid = \"all\"\nconnection = \"{route_to}\"\n",
        broker.addr
    );
    for (id, port) in connections {
        toml.push_str(&smpp_connection(id, *port, ""));
    }
    toml
}

async fn send(kafka: &runtime::config::KafkaConfig, topic: &str, prefix: &str, n: usize) {
    publish_requests(kafka, topic, n, |i| {
        let id = format!("{prefix}-{i:03}");
        (id.clone(), format!(r#"{{"id":"{id}","to":"+4917034{i:05}","text":"{id}"}}"#))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_made_while_the_broker_is_away_applies_once_it_is_back() {
    let dir = std::env::temp_dir().join(format!("smsgw-reload-away-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut broker = Broker::start_persistent(&dir);
    let (a, b) = (Sim::start(SimConfig::default()).await, Sim::start(SimConfig::default()).await);
    let work = Workdir::new("reload-away", &config(&broker, &[("a", a.port)], "a")).await;
    let kafka = broker.kafka_config();
    let topics = work.settings.kafka.topics.clone();
    let mut gateway =
        Process::start_with(&work.config, &work.log, "all", &[("RUST_LOG", "warn,runtime::reload=info,sender=info")]);
    let log = || std::fs::read_to_string(&work.log).unwrap_or_default();
    let status = watch(&kafka, &topics.status);
    let mut seen: Vec<StatusEvent> = Vec::new();

    send(&kafka, &topics.send, "before", 10).await;
    seen.extend(status_events(&collect(&status, Duration::from_secs(120), |m| status_events(m).len() >= 10).await));

    broker.stop();
    std::fs::write(&work.config, config(&broker, &[("a", a.port), ("b", b.port)], "b")).unwrap();
    wait_for("the new file read", Duration::from_secs(20), || log().contains("configuration reloaded"));
    let away = Instant::now();
    let long = outage() > Duration::from_secs(60);
    if long {
        wait_for("the failed attempt", outage() + Duration::from_secs(30), || {
            log().contains("reloaded configuration not applied yet")
        });
    }
    std::thread::sleep(outage().saturating_sub(away.elapsed()));
    assert!(!log().contains("connection added"), "b started while the broker was away");
    broker.start_again();
    let back = Instant::now();
    wait_for("b's sender", Duration::from_secs(180), || log().contains("connection added"));
    let started = back.elapsed();

    send(&kafka, &topics.send, "after", 10).await;
    let have = seen.len();
    seen.extend(status_events(
        &collect(&status, Duration::from_secs(120), |m| have + status_events(m).len() >= 20).await,
    ));
    let mut carried: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut ids = std::collections::BTreeSet::new();
    for e in &seen {
        assert!(ids.insert(e.request_id.clone()), "two outcomes for {}", e.request_id);
        assert_eq!(e.status, Status::Submitted, "{e:?}");
        let prefix = e.request_id.split('-').next().unwrap_or_default().to_owned();
        *carried.entry((prefix, e.connection.clone().unwrap_or_default())).or_default() += 1;
    }
    let expected = BTreeMap::from([(("before".into(), "a".into()), 10), (("after".into(), "b".into()), 10)]);
    assert_eq!(carried, expected);
    if long {
        assert!(log().contains("retry_in"), "the failed attempt says when it is tried again: {}", log());
    }
    eprintln!("broker away {:?}; b's sender started {started:?} after it came back", outage());

    let exit = gateway.terminate(Duration::from_secs(60)).expect("exits after SIGTERM");
    assert!(exit.success(), "{exit:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

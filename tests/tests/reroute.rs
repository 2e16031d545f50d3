//! Issue 13, `reroute_after`: three SMSC simulators behind one failover
//! route. A backlog waits in connection a's queue (a sends 5 per second);
//! a's SMSC stops mid-run. After `reroute_after` what was queued for a
//! moves to b — none lost, none sent twice (no message at two SMSCs, no request with two
//! outcomes), c (after b in the route) gets nothing while b is up, and the
//! status events say which connection carried each request and why it moved.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use events::{Status, StatusEvent};
use smsgw_tests::{
    collect, links_up, publish_requests, smpp_connection, status_events, watch, Broker, Gateway, Process, Sim, Workdir,
};

const REQUESTS: usize = 40;

fn config(broker: &Broker, ports: [u16; 3]) -> runtime::Settings {
    let limits = ["max_tps = 5", "", ""];
    let connections: String =
        ["a", "b", "c"].iter().zip(ports).zip(limits).map(|((id, port), l)| smpp_connection(id, port, l)).collect();
    runtime::Settings::from_toml(&format!(
        r#"
        {kafka}
        {connections}
        [[routes]]
        id = "all"
        connections = ["a", "b", "c"]
        failover_after = "1s"
        reroute_after = "3s"
        "#,
        kafka = broker.kafka_toml(),
    ))
    .unwrap()
}

/// The one outcome of each request (SUBMITTED is final: no receipts asked
/// for); a request with two is a failure of its own.
fn outcomes(events: &[StatusEvent]) -> BTreeMap<String, &StatusEvent> {
    let mut outcomes = BTreeMap::new();
    for e in events.iter().filter(|e| e.status != Status::Accepted) {
        let earlier = outcomes.insert(e.request_id.clone(), e);
        assert!(earlier.is_none(), "two outcomes for {}: {earlier:?} and {e:?}", e.request_id);
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_connections_queue_moves_to_the_next_one() {
    let sims = Sim::start_many::<3>().await;
    let broker = Broker::start();
    let settings = config(&broker, sims.each_ref().map(|s| s.port));
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    links_up(&kafka, &topics.links, &["a", "b", "c"]).await;

    // Queued for a, which works through them at 5/s...
    let request =
        |i: usize| (format!("q-{i:02}"), format!(r#"{{"id":"q-{i:02}","to":"+4917012345{i:03}","text":"q-{i:02}"}}"#));
    publish_requests(&kafka, &topics.send, REQUESTS, request).await;
    let mut seen = collect(&status, Duration::from_secs(60), |m| outcomes(&status_events(m)).len() >= 3).await;
    // ...until its SMSC goes away with most of them still queued.
    sims[0].stop();
    seen.extend(
        collect(&status, Duration::from_secs(90), |m| {
            let mut all = seen.clone();
            all.extend(m.iter().cloned());
            outcomes(&status_events(&all)).len() >= REQUESTS
        })
        .await,
    );
    // Anything late (a second outcome) would show up here.
    seen.extend(collect(&status, Duration::from_secs(3), |_| false).await);
    let events = status_events(&seen);
    let outcomes = outcomes(&events);
    assert_eq!(outcomes.len(), REQUESTS, "every request has its one outcome");

    let mut carried: BTreeMap<&str, usize> = BTreeMap::new();
    for e in outcomes.values() {
        let connection = e.connection.as_deref().unwrap_or_default();
        let reason = e.route.as_ref().and_then(|r| r.reason.as_deref()).unwrap_or_default();
        match (e.status, connection) {
            (Status::Submitted, "a") => assert_eq!(reason, "", "{e:?}"),
            (Status::Submitted, "b") => assert!(reason.starts_with("rerouted from a: no link for"), "{e:?}"),
            // In flight at a when its SMSC went: it may have it, so it is not sent again.
            (Status::Failed, "a") => assert_eq!(e.error.as_ref().unwrap().code, "connection_lost", "{e:?}"),
            _ => panic!("unexpected outcome {e:?}"),
        }
        *carried.entry(connection).or_default() += 1;
    }
    eprintln!("carried: {carried:?}");
    assert!(carried.get("b").is_some_and(|n| *n >= REQUESTS / 2), "most of a's backlog moved to b: {carried:?}");

    // At the SMSCs: each message once, and none at c while b is up.
    let mut at: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    for (i, sim) in sims.iter().enumerate() {
        for s in sim.state.submits().into_iter().filter(|s| s.status == 0) {
            at.entry(s.short_message.to_vec()).or_default().push(i);
        }
    }
    let twice: Vec<_> = at.iter().filter(|(_, sims)| sims.len() > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    assert!(sims[2].state.submits().is_empty(), "c is after b in the route");
    assert_eq!(
        at.values().filter(|s| s == &&vec![1]).count(),
        carried["b"],
        "b's SMSC has what the status events say b carried"
    );
    gateway.stop().await;
}

/// The hand-over crashes between its done marker and the record on b's
/// queue (`SMSGW_FAULT_PANIC=hand_over:a`: the process ends there, as a
/// SIGKILL would end it); the gateway started again hands the request over
/// again instead of losing it or sending it from a, and b sends it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_in_the_middle_of_a_hand_over_loses_nothing() {
    let [a, b] = Sim::start_many::<2>().await;
    let broker = Broker::start();
    let toml = format!(
        r#"
        {kafka}
        {connections}
        [[routes]]
        id = "ab"
        connections = ["a", "b"]
        failover_after = "1s"
        reroute_after = "3s"
        "#,
        kafka = broker.kafka_toml(),
        connections = smpp_connection("a", a.port, "max_tps = 5") + &smpp_connection("b", b.port, ""),
    );
    let work = Workdir::new("reroute-crash", &toml).await;
    let kafka = broker.kafka_config();
    let topics = work.settings.kafka.topics.clone();
    let log = [("RUST_LOG", "warn,sender::connection=info")];
    let mut first =
        Process::start_with(&work.config, &work.log, "all", &[log[0], ("SMSGW_FAULT_PANIC", "hand_over:a")]);
    let status = watch(&kafka, &topics.status);
    links_up(&kafka, &topics.links, &["a", "b"]).await;
    let request =
        |i: usize| (format!("c-{i:02}"), format!(r#"{{"id":"c-{i:02}","to":"+4917012345{i:03}","text":"c-{i:02}"}}"#));
    publish_requests(&kafka, &topics.send, 20, request).await;
    let mut seen = collect(&status, Duration::from_secs(60), |m| outcomes(&status_events(m)).len() >= 2).await;
    a.stop();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while first.exited().is_none() {
        assert!(std::time::Instant::now() < deadline, "the fault point was never reached");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // After the dead member's session ran out, as a supervisor would (docs/tracker.md, quirk 6).
    tokio::time::sleep(Duration::from_secs(4)).await;
    let _second = Process::start_with(&work.config, &work.log, "all", &log);
    seen.extend(
        collect(&status, Duration::from_secs(120), |m| {
            let mut all = seen.clone();
            all.extend(m.iter().cloned());
            outcomes(&status_events(&all)).len() >= 20
        })
        .await,
    );
    seen.extend(collect(&status, Duration::from_secs(3), |_| false).await);
    let events = status_events(&seen);
    let outcomes = outcomes(&events);
    assert_eq!(outcomes.len(), 20, "every request has its one outcome");
    let at_b: Vec<_> = outcomes.values().filter(|e| e.connection.as_deref() == Some("b")).collect();
    assert!(at_b.len() >= 10, "a's backlog went to b: {}", at_b.len());
    assert!(at_b.iter().all(|e| e.status == Status::Submitted));
    let log = std::fs::read_to_string(&work.log).unwrap();
    assert!(log.contains("handing it over again"), "the redo found the marker and moved the request");
    // Each message at one SMSC, once.
    let mut texts: Vec<_> = [&a, &b]
        .iter()
        .flat_map(|s| s.state.submits())
        .filter(|s| s.status == 0)
        .map(|s| s.short_message.to_vec())
        .collect();
    let all = texts.len();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), all, "a message went out twice");
}

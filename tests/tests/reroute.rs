//! Issue 13, `reroute_after`: three SMSC simulators behind one failover
//! route. A backlog waits in connection a's queue (a sends 5 per second);
//! a's SMSC stops mid-run. After `failover_after` new requests go to b;
//! after `reroute_after` what was queued for a moves to b as well — none
//! lost, none sent twice (no message at two SMSCs, no request with two
//! outcomes), c (after b in the route) gets nothing while b is up, and the
//! status events say which connection carried each request and why it moved.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use events::{Status, StatusEvent};
use simulator::SimConfig;
use smsgw_tests::{collect, publish_requests, status_events, watch, Broker, Gateway, Sim};

const REQUESTS: usize = 40;

fn config(broker: &Broker, ports: [u16; 3]) -> runtime::Settings {
    let connections: String = ["a", "b", "c"]
        .iter()
        .zip(ports)
        .map(|(id, port)| {
            let limit = if *id == "a" { "max_tps = 5" } else { "" };
            format!(
                r#"
                [[connections]]
                id = "{id}"
                protocol = "smpp"
                host = "127.0.0.1"
                port = {port}
                system_id = "smsgw"
                reconnect_min = "100ms"
                reconnect_max = "500ms"
                {limit}
                "#
            )
        })
        .collect();
    runtime::Settings::from_toml(&format!(
        r#"
        [kafka]
        brokers = "{addr}"
        session_timeout = "3s"
        partitions = 2
        {connections}
        [[routes]]
        id = "all"
        connections = ["a", "b", "c"]
        failover_after = "1s"
        reroute_after = "3s"
        "#,
        addr = broker.addr,
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
    let sims = [
        Sim::start(SimConfig::default()).await,
        Sim::start(SimConfig::default()).await,
        Sim::start(SimConfig::default()).await,
    ];
    let broker = Broker::start();
    let settings = config(&broker, sims.each_ref().map(|s| s.port));
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);

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

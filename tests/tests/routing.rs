//! Issue 13, routing: `[[routes]]` against three SMSC simulators. Weighted
//! and round-robin shares follow the weights, a request no route matches and a hint
//! the route does not allow are REJECTED `no_route`, and when one SMSC stops
//! mid-run its route fails over to the next connection — the status events
//! name the route, the connection that carried each message and why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use events::{Status, StatusEvent};
use kafka::rdkafka::message::OwnedHeaders;
use smsgw_tests::{collect, links_up, produce, smpp_connection, status_events, watch, Broker, Gateway, Sim};

fn config(broker: &Broker, ports: [u16; 3]) -> runtime::Settings {
    let connections: String =
        ["a", "b", "c"].iter().zip(ports).map(|(id, port)| smpp_connection(id, port, "")).collect();
    runtime::Settings::from_toml(&format!(
        r#"
        {kafka}
        {connections}
        [[routes]]
        id = "otp"
        metadata = {{ kind = "otp" }}
        connections = ["a", "b"]
        failover_after = "2s"

        [[routes]]
        id = "shared"
        to_prefix = "+4916"
        connections = ["b", "c"]
        strategy = "weighted"
        weights = [3, 1]

        [[routes]]
        id = "de"
        to_country = "DE"
        connections = ["a", "b", "c"]
        strategy = "round_robin"
        "#,
        kafka = broker.kafka_toml(),
    ))
    .unwrap()
}

/// Sends `(id, to, metadata kind, hint)` requests, each asking for a receipt.
async fn send(kafka: &runtime::config::KafkaConfig, topic: &str, requests: &[(String, String, &str, Option<&str>)]) {
    for (id, to, kind, hint) in requests {
        let mut body = serde_json::json!({"id": id, "to": to, "text": "hello", "delivery_report": true});
        if !kind.is_empty() {
            body["metadata"] = serde_json::json!({ "kind": kind });
        }
        if let Some(hint) = hint {
            body["connection"] = serde_json::json!(hint);
        }
        produce(kafka, topic, id, body.to_string().as_bytes(), OwnedHeaders::new()).await;
    }
}

/// The final event of every request whose id starts with `prefix`.
fn finals<'a>(events: &'a [StatusEvent], prefix: &str) -> BTreeMap<&'a str, &'a StatusEvent> {
    let terminal = |e: &&StatusEvent| e.status != Status::Submitted && e.status != Status::Accepted;
    events
        .iter()
        .filter(terminal)
        .filter(|e| e.request_id.starts_with(prefix))
        .map(|e| (e.request_id.as_str(), e))
        .collect()
}

fn carried_by<'a>(finals: &BTreeMap<&str, &'a StatusEvent>) -> BTreeMap<&'a str, usize> {
    let mut counts = BTreeMap::new();
    for e in finals.values() {
        assert_eq!(e.status, Status::Delivered, "{e:?}");
        *counts.entry(e.connection.as_deref().unwrap()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_share_reject_and_fail_over() {
    let sims = Sim::start_many::<3>().await;
    let broker = Broker::start();
    let settings = config(&broker, [sims[0].port, sims[1].port, sims[2].port]);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    links_up(&kafka, &topics.links, &["a", "b", "c"]).await;

    // Shares: 40 to +4916 (weighted 3:1 over b and c), 30 more German ones
    // (round robin over all three), one no route matches, one hint the
    // matching route (otp: a and b) does not allow.
    let mut requests: Vec<_> = (0..40).map(|i| (format!("w-{i:02}"), format!("+4916012345{i:03}"), "", None)).collect();
    requests.extend((0..30).map(|i| (format!("r-{i:02}"), format!("+4915112345{i:03}"), "", None)));
    requests.push(("x-nowhere".into(), "+33612345678".into(), "", None));
    requests.push(("x-hint".into(), "+447400123456".into(), "otp", Some("c")));
    send(&kafka, &topics.send, &requests).await;
    let mut seen = collect(&status, Duration::from_secs(90), |m| finals(&status_events(m), "").len() >= 72).await;
    let events = status_events(&seen);
    let weighted = finals(&events, "w-");
    // Chosen by a hash of the request id: about 3:1, and these ids always the same way.
    let shares = carried_by(&weighted);
    assert!((24..=36).contains(&shares["b"]) && shares["b"] + shares["c"] == 40, "{shares:?}");
    assert!(weighted.values().all(|e| e.route.as_ref().unwrap().id.as_deref() == Some("shared")));
    let shares = carried_by(&finals(&events, "r-"));
    assert!(shares.len() == 3 && shares.values().all(|n| (5..=15).contains(n)), "{shares:?}");
    for id in ["x-nowhere", "x-hint"] {
        let e = finals(&events, id)[id];
        assert_eq!((e.status, e.error.as_ref().unwrap().code.as_str()), (Status::Rejected, "no_route"), "{id}");
    }
    let hint = &finals(&events, "x-hint")["x-hint"].error.as_ref().unwrap().text;
    assert!(hint.contains("connection `c` is not one of"), "{hint}");

    // OTPs go to a while it is up...
    let otp = |from: usize| {
        (from..from + 5).map(|i| (format!("o-{i}"), format!("+4917012345{i:03}"), "otp", None)).collect::<Vec<_>>()
    };
    send(&kafka, &topics.send, &otp(0)).await;
    seen.extend(collect(&status, Duration::from_secs(60), |m| finals(&status_events(m), "o-").len() >= 5).await);
    let events = status_events(&seen);
    let before = finals(&events, "o-");
    assert_eq!(carried_by(&before), BTreeMap::from([("a", 5)]));
    assert!(before.values().all(|e| e.route.as_ref().unwrap().reason.is_none()));

    // ...and to b once a has had no bind for failover_after (2 s; reports every second).
    sims[0].stop();
    tokio::time::sleep(Duration::from_secs(5)).await;
    send(&kafka, &topics.send, &otp(5)).await;
    seen.extend(collect(&status, Duration::from_secs(60), |m| finals(&status_events(m), "o-").len() >= 5).await);
    let events = status_events(&seen);
    let after: BTreeMap<_, _> =
        finals(&events, "o-").into_iter().filter(|(id, _)| id[2..].parse::<usize>().unwrap() >= 5).collect();
    assert_eq!(carried_by(&after), BTreeMap::from([("b", 5)]));
    for e in after.values() {
        let route = e.route.as_ref().unwrap();
        assert_eq!(route.id.as_deref(), Some("otp"));
        let reason = route.reason.as_deref().unwrap_or_default();
        assert!(reason.starts_with("failover: a has had no link for"), "{reason}");
    }
    gateway.stop().await;
}

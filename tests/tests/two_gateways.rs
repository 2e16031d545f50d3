//! Two gateway processes serving the same connection: receipts arrive on
//! whichever bind the SMSC picks — often the other gateway's — and every one
//! is matched, because receipts and submit records meet by key in Kafka, not
//! in the process that submitted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, settings, status_events, watch, Broker, Gateway, Sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_on_the_other_gateways_bind_are_matched() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig { receipt_delay: Duration::from_millis(300), ..SimConfig::default() }).await;
    let mut config = settings(&broker, sim.port, "binds = 1");
    config.kafka.session_timeout = Duration::from_secs(10);
    let topics = config.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let first = Gateway::start(config.clone()).await;
    let second = Gateway::start(config).await;
    let status = watch(&kafka, &topics.status);
    // Both gateways bound and their consumer groups settled (a rebalance while
    // records are in flight redoes them: at-least-once, see docs/tracker.md).
    tokio::time::sleep(Duration::from_secs(6)).await;

    let n = 300;
    let producer = kafka::producer(&kafka).unwrap();
    for i in 0..n {
        let body = serde_json::json!({"id": format!("g-{i}"), "to": format!("+4915100{i:05}"), "text": format!("two {i}"), "delivery_report": true});
        let key = format!("g-{i}");
        producer
            .publish(kafka::Outgoing {
                topic: &topics.send,
                key: &key,
                payload: body.to_string().as_bytes(),
                headers: OwnedHeaders::new(),
            })
            .await
            .unwrap();
    }
    let is_terminal = |m: &kafka::rdkafka::message::OwnedMessage| {
        events::decode_status(kafka::rdkafka::Message::payload(m).unwrap(), None).unwrap().status != Status::Submitted
    };
    let messages =
        collect(&status, Duration::from_secs(120), |m| m.iter().filter(|m| is_terminal(m)).count() >= n).await;
    let events = status_events(&messages);
    let terminal: HashMap<_, _> =
        events.iter().filter(|e| e.status != Status::Submitted).map(|e| (e.request_id.clone(), e.status)).collect();
    let submitted = events.iter().filter(|e| e.status == Status::Submitted).count();
    eprintln!("events: {} submitted, {} terminal ({} distinct)", submitted, events.len() - submitted, terminal.len());
    for i in 0..n {
        let id = format!("g-{i}");
        if !terminal.contains_key(&id) {
            let text = format!("two {i}");
            let at_smsc = sim.state.submits().iter().filter(|s| s.short_message.as_ref() == text.as_bytes()).count();
            let seen: Vec<_> = events.iter().filter(|e| e.request_id == id).map(|e| e.status).collect();
            eprintln!("{id}: no terminal status; submitted {at_smsc}x at the SMSC; events {seen:?}");
        }
    }
    assert_eq!(terminal.len(), n);
    assert_eq!(events.len() - submitted, n, "exactly one terminal status per request");
    assert!(terminal.values().all(|s| *s == Status::Delivered));

    // Both binds carried submits, so receipts crossed between the gateways.
    let binds: std::collections::BTreeSet<_> = sim.state.submits().iter().map(|s| s.bind).collect();
    assert_eq!(binds.len(), 2, "both gateways submitted");
    first.stop().await;
    second.stop().await;
}

//! The gateway with `kafka.schema_registry_url` set, against a fake registry:
//! JSON and Confluent-framed Avro requests (the latter written with an older
//! schema version, resolved through the registry) become SUBMITTED events in
//! the Confluent wire format with the id registered for the status subject;
//! a registry outage delays a request instead of dead-lettering it; a
//! Confluent-framed cancel written with a newer schema is resolved through
//! the registry and carried out; a
//! registry that is unreachable at start-up stops the gateway with an error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use events::{Framing, SendRequest, Status};
use kafka::rdkafka::message::OwnedHeaders;
use kafka::rdkafka::Message;
use registry::fake::{older_send_request, older_send_request_schema, FakeRegistry};
use registry::Registry;
use simulator::SimConfig;
use smsgw_tests::{collect, produce, settings, watch, Broker, Gateway, Sim};
use tokio_util::sync::CancellationToken;

fn confluent_id(payload: &[u8]) -> Option<u32> {
    registry::confluent_schema_id(payload)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_use_the_registry_wire_format() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let fake = FakeRegistry::start().await;
    let older = fake.add(&older_send_request_schema());
    let mut settings = settings(&broker, sim.port, "");
    settings.kafka.schema_registry_url = Some(fake.url.clone());
    let topics = settings.kafka.topics.clone();
    let queue_topic = topics.queue("sim");
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let queue = watch(&kafka, &queue_topic);
    let dead = watch(&kafka, &topics.dead_letter);

    produce(&kafka, &topics.send, "r-1", br#"{"id":"r-1","to":"+4915112345678","text":"json"}"#, OwnedHeaders::new())
        .await;
    let r2 = older_send_request(older, "r-2", "+4915112345679", "written with an older schema");
    produce(&kafka, &topics.send, "r-2", &r2, OwnedHeaders::new()).await;

    let messages = collect(&status, Duration::from_secs(60), |m| m.len() >= 2).await;
    let status_id = fake.subject_id(&format!("{}-value", topics.status)).expect("status schema registered at start-up");
    assert_ne!(status_id, older);
    let lookup = Registry::new(&fake.url).unwrap();
    lookup.prefetch(status_id).await.unwrap();
    let mut by_id = HashMap::new();
    for m in &messages {
        let payload = m.payload().unwrap();
        assert_eq!(payload[0], 0x00, "confluent magic byte");
        assert_eq!(confluent_id(payload), Some(status_id), "status events carry the status subject's id");
        let ev = events::decode_status(payload, Some(&lookup)).unwrap();
        by_id.insert(ev.request_id.clone(), ev);
    }
    let accepted: HashMap<String, String> =
        sim.state.submits().into_iter().filter(|s| s.status == 0).map(|s| (s.destination_addr, s.message_id)).collect();
    for (id, dest) in [("r-1", "4915112345678"), ("r-2", "4915112345679")] {
        let ev = by_id.get(id).unwrap_or_else(|| panic!("no event for {id}: {by_id:?}"));
        assert_eq!(ev.status, Status::Submitted, "{ev:?}");
        assert_eq!(ev.message_ids, vec![accepted[dest].clone()]);
    }

    // The router's queue records are framed with the queue subject's id.
    let queue_id = fake.subject_id(&format!("{queue_topic}-value")).expect("queue schema registered");
    let queued = collect(&queue, Duration::from_secs(30), |m| m.len() >= 2).await;
    assert_eq!(queued.len(), 2);
    assert!(queued.iter().all(|m| confluent_id(m.payload().unwrap()) == Some(queue_id)));

    // A registry outage holds a request back instead of dead-lettering it.
    // The router has not fetched the queue schema yet, so it must ask.
    fake.set_unavailable(true);
    let r3 = SendRequest {
        id: "r-3".into(),
        to: "+4915112345670".into(),
        text: Some("after the outage".into()),
        ..Default::default()
    };
    produce(
        &kafka,
        &topics.send,
        "r-3",
        &events::encode_request(&r3, Framing::Confluent { schema_id: queue_id }).unwrap(),
        OwnedHeaders::new(),
    )
    .await;
    let during = collect(&status, Duration::from_secs(2), |m| !m.is_empty()).await;
    assert!(during.is_empty(), "nothing decided while the registry is down");
    fake.set_unavailable(false);
    let after = collect(&status, Duration::from_secs(60), |m| !m.is_empty()).await;
    let ev = events::decode_status(after[0].payload().unwrap(), Some(&lookup)).unwrap();
    assert_eq!((ev.request_id.as_str(), ev.status), ("r-3", Status::Submitted));
    assert!(collect(&dead, Duration::from_secs(1), |m| !m.is_empty()).await.is_empty(), "no dead letters");

    // A cancel in the Confluent wire format, written with a newer schema
    // (a field more) that only the registry knows: resolved through it.
    let newer = newer_cancel_schema();
    let newer_id = fake.add(&newer);
    let newer = events::apache_avro::Schema::parse_str(&newer).unwrap();
    let send_at = timing::now_ms() + 4000;
    let r4 = format!(r#"{{"id":"r-4","to":"+4915112345671","text":"cancelled","send_at":{send_at}}}"#);
    produce(&kafka, &topics.send, "r-4", r4.as_bytes(), OwnedHeaders::new()).await;
    let cancel = newer_cancel(&newer, newer_id, "c-4", "r-4", send_at);
    produce(&kafka, &topics.cancel, "r-4", &cancel, OwnedHeaders::new()).await;
    let finals = collect(&status, Duration::from_secs(60), |m| m.len() >= 2).await;
    let mut finals: Vec<_> = finals
        .iter()
        .map(|m| events::decode_status(m.payload().unwrap(), Some(&lookup)).unwrap())
        .map(|ev| (ev.request_id.clone(), ev.status, ev.error.map(|e| e.code.as_str().to_owned())))
        .collect();
    finals.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        finals,
        [("c-4".into(), Status::Delivered, None), ("r-4".into(), Status::Rejected, Some("cancelled".into()))]
    );

    assert!(gateway.is_running());
    gateway.stop().await;
}

/// The cancel request schema with a field more (`reason`, with a default).
fn newer_cancel_schema() -> String {
    let mut schema: serde_json::Value =
        serde_json::from_str(events::schema_json(events::SchemaKind::CancelRequest)).unwrap();
    let reason = serde_json::json!({"name": "reason", "type": "string", "default": ""});
    schema["fields"].as_array_mut().unwrap().push(reason);
    schema.to_string()
}

/// A cancel written with [`newer_cancel_schema`], Confluent-framed with `schema_id`.
fn newer_cancel(schema: &events::apache_avro::Schema, schema_id: u32, id: &str, target: &str, send_at: i64) -> Vec<u8> {
    use events::apache_avro::types::Value;
    let value = Value::Record(vec![
        ("id".into(), Value::String(id.into())),
        ("request_id".into(), Value::String(target.into())),
        ("send_at".into(), Value::TimestampMillis(send_at)),
        ("reason".into(), Value::String("the customer changed their mind".into())),
    ]);
    let mut bytes = vec![0];
    bytes.extend_from_slice(&schema_id.to_be_bytes());
    bytes.extend_from_slice(&events::apache_avro::to_avro_datum(schema, value).unwrap());
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_registry_stops_start_up() {
    let broker = Broker::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut settings = settings(&broker, smsgw_tests::free_port(), "");
    settings.kafka.schema_registry_url = Some(format!("http://{closed}"));
    let run = smsgw::run_roles(Arc::new(settings), smsgw::Role::All, CancellationToken::new());
    let result = tokio::time::timeout(Duration::from_secs(60), run).await.expect("start-up gives up");
    let error = result.expect_err("registration failure is an error").to_string();
    assert!(error.contains("schema registry"), "{error}");
}

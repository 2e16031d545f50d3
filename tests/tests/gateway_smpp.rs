//! The core path against a real broker: JSON and Avro requests become
//! SUBMITTED events carrying the simulator's message ids; invalid requests
//! become REJECTED; undecodable bytes go to the dead-letter topic; the
//! gateway keeps running throughout; trace context travels.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use events::{Framing, SendRequest, Status};
use kafka::rdkafka::message::{Header, OwnedHeaders};
use simulator::SimConfig;
use smsgw_tests::{collect, header, produce, settings, status_events, watch, Broker, Gateway, Sim};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_become_status_events() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let settings = settings(&broker, sim.port, "binds = 2");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let dead = watch(&kafka, &topics.dead_letter);

    let traced = OwnedHeaders::new().insert(Header { key: "traceparent", value: Some(TRACEPARENT.as_bytes()) });
    produce(
        &kafka,
        &topics.send,
        "r-1",
        br#"{"id":"r-1","to":"+4915112345678","from":"ACME","text":"Your code is 123456"}"#,
        traced,
    )
    .await;
    let avro = SendRequest {
        id: "r-2".into(),
        to: "+4915112345679".into(),
        text: Some("Avro hello".into()),
        ..Default::default()
    };
    produce(
        &kafka,
        &topics.send,
        "r-2",
        &events::encode_request(&avro, Framing::SingleObject).unwrap(),
        OwnedHeaders::new(),
    )
    .await;
    let confluent = SendRequest {
        id: "r-3".into(),
        to: "+4915112345670".into(),
        text: Some("Confluent framed".into()),
        ..Default::default()
    };
    produce(
        &kafka,
        &topics.send,
        "r-3",
        &events::encode_request(&confluent, Framing::Confluent { schema_id: 7 }).unwrap(),
        OwnedHeaders::new(),
    )
    .await;
    produce(&kafka, &topics.send, "bad", br#"{"id":"r-bad","to":"not a number","text":"x"}"#, OwnedHeaders::new())
        .await;
    produce(&kafka, &topics.send, "junk", b"\x00\xff garbage that is no request", OwnedHeaders::new()).await;
    // After the garbage, the gateway must still be working.
    produce(
        &kafka,
        &topics.send,
        "r-4",
        br#"{"id":"r-4","to":"+4915112345671","text":"still alive, \u20ac and {braces}"}"#,
        OwnedHeaders::new(),
    )
    .await;

    let messages = collect(&status, Duration::from_secs(60), |m| m.len() >= 5).await;
    let events = status_events(&messages);
    let by_id: HashMap<_, _> = events.iter().map(|e| (e.request_id.as_str(), e)).collect();
    assert_eq!(events.len(), 5, "one event per valid/invalid request, none for garbage: {events:?}");

    let accepted: HashMap<String, String> =
        sim.state.submits().into_iter().filter(|s| s.status == 0).map(|s| (s.destination_addr, s.message_id)).collect();
    for (id, dest) in
        [("r-1", "4915112345678"), ("r-2", "4915112345679"), ("r-3", "4915112345670"), ("r-4", "4915112345671")]
    {
        let ev = by_id.get(id).unwrap_or_else(|| panic!("no event for {id}"));
        assert_eq!(ev.status, Status::Submitted, "{ev:?}");
        assert_eq!(ev.connection.as_deref(), Some("sim"));
        assert_eq!(ev.segments, 1);
        assert_eq!(ev.message_ids, vec![accepted[dest].clone()], "message id is the SMSC's");
    }
    let rejected = by_id["r-bad"];
    assert_eq!(rejected.status, Status::Rejected);
    assert_eq!(rejected.error.as_ref().unwrap().code, "invalid_destination");

    // The submit on the wire: GSM 7-bit, unpacked, with the extension table escapes.
    let r4 = sim.state.submits().into_iter().find(|s| s.destination_addr == "4915112345671").unwrap();
    assert_eq!(r4.data_coding, 0);
    assert_eq!(&r4.short_message[..], b"still alive, \x1b\x65 and \x1b\x28braces\x1b\x29");

    // Trace context: the event for r-1 continues the request's trace.
    let r1 = messages
        .iter()
        .find(|m| {
            events::decode_status(kafka::rdkafka::Message::payload(*m).unwrap(), None).unwrap().request_id == "r-1"
        })
        .unwrap();
    let tp = header(r1, "traceparent").expect("traceparent on the status event");
    assert!(tp.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "same trace id: {tp}");

    let dead_letters = collect(&dead, Duration::from_secs(30), |m| !m.is_empty()).await;
    assert_eq!(dead_letters.len(), 1);
    let reason = header(&dead_letters[0], "smsgw-error").expect("error header");
    assert!(reason.contains("undecodable"), "{reason}");
    assert_eq!(
        kafka::rdkafka::Message::payload(&dead_letters[0]).unwrap(),
        b"\x00\xff garbage that is no request",
        "original bytes kept"
    );

    assert!(gateway.is_running());
    gateway.stop().await;
}

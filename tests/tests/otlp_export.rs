//! Trace context end to end with OTLP export on: the request's `traceparent`
//! becomes the parent of smsgw's spans, the spans are exported over OTLP/HTTP
//! to a collector and decoded here (`opentelemetry-proto`), and the status
//! events carry the same trace id. The spans follow the OpenTelemetry
//! messaging conventions for Kafka; one trace shows request → queue →
//! submit → (linked: the receipt) → DELIVERED; no span carries the message
//! text or a phone number. Logs also go to the configured log file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use kafka::rdkafka::message::{Header, OwnedHeaders};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use runtime::config::TelemetryConfig;
use simulator::SimConfig;
use smsgw_tests::otlp::collector;
use smsgw_tests::{collect, header, produce, settings, status_events, watch, Broker, Gateway, Sim};

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

/// An attribute's value as text.
fn attr(span: &Span, key: &str) -> Option<String> {
    let value = span.attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?.value.as_ref()?;
    Some(match value {
        Value::StringValue(s) => s.clone(),
        Value::IntValue(i) => i.to_string(),
        Value::BoolValue(b) => b.to_string(),
        Value::DoubleValue(d) => d.to_string(),
        other => format!("{other:?}"),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The one span named `name` in `spans`.
fn named<'a>(spans: &[&'a Span], name: &str) -> &'a Span {
    let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    let names: Vec<_> = spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(found.len(), 1, "one span `{name}` in {names:?}");
    found[0]
}

#[test]
fn spans_follow_the_messaging_conventions_and_one_trace_shows_the_request() {
    let (endpoint, bodies) = collector();
    let log_dir = std::env::temp_dir().join(format!("smsgw-log-{}", std::process::id()));
    std::fs::create_dir_all(&log_dir).unwrap();
    let log_file = log_dir.join("smsgw.log");
    // Telemetry is initialised before the async runtime, as in main.
    let guard = runtime::telemetry::init(&TelemetryConfig {
        otlp_endpoint: Some(endpoint),
        log: "warn,router=info".into(),
        log_file: Some(log_file.clone()),
        ..TelemetryConfig::default()
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let traceparent = format!("00-{TRACE_ID}-b7ad6b7169203331-01");
    let (events, topics) = rt.block_on(async {
        let broker = Broker::start();
        let sim = Sim::start(SimConfig::default()).await;
        let settings = settings(&broker, sim.port, "");
        let topics = settings.kafka.topics.clone();
        let kafka = broker.kafka_config();
        let gateway = Gateway::start(settings).await;
        let status = watch(&kafka, &topics.status);
        let headers = OwnedHeaders::new().insert(Header { key: "traceparent", value: Some(traceparent.as_bytes()) });
        let request = br#"{"id":"o-1","to":"+4915112345678","text":"traced","delivery_report":true}"#;
        produce(&kafka, &topics.send, "o-1", request, headers).await;
        let messages = collect(&status, Duration::from_secs(60), |m| m.len() >= 2).await;
        gateway.stop().await;
        let events: Vec<_> = status_events(&messages)
            .into_iter()
            .zip(&messages)
            .map(|(e, m)| (e, header(m, "traceparent").expect("traceparent on the event")))
            .collect();
        (events, topics)
    });
    drop(rt);
    drop(guard); // flushes the batch exporter

    // Both events (SUBMITTED, then DELIVERED from the tracker) continue the request's trace.
    let statuses: Vec<_> = events.iter().map(|(e, _)| e.status).collect();
    assert_eq!(statuses, [events::Status::Submitted, events::Status::Delivered]);
    for (event, traceparent) in &events {
        let parts: Vec<_> = traceparent.split('-').collect();
        assert_eq!(parts[1], TRACE_ID, "{:?}: {traceparent}", event.status);
        assert_ne!(parts[2], "b7ad6b7169203331", "the event names smsgw's span as parent");
    }
    // Spans show message ids with digit runs masked (some SMSCs put the number in them).
    let message_id = runtime::redact::digits(&events[0].0.message_ids[0]);

    // The log file got the same lines as the console (written by a background worker, flushed on drop).
    let logged = std::fs::read_to_string(&log_file).unwrap_or_default();
    assert!(logged.contains("router started"), "router=info: {logged}");
    assert!(!logged.contains("partitions assigned"), "warn for the rest: {logged}");
    let _ = std::fs::remove_dir_all(&log_dir);

    let spans: Vec<Span> = bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| ExportTraceServiceRequest::decode(b.as_slice()).expect("an OTLP trace export"))
        .flat_map(|r| r.resource_spans)
        .flat_map(|r| r.scope_spans)
        .flat_map(|s| s.spans)
        .collect();
    let request_trace: Vec<&Span> = spans.iter().filter(|s| hex(&s.trace_id) == TRACE_ID).collect();
    let queue = topics.queue("sim");

    // The router consumed the request: a child of the client's span.
    let route = named(&request_trace, &format!("process {}", topics.send));
    assert_eq!(hex(&route.parent_span_id), "b7ad6b7169203331");
    assert_eq!(route.kind, SpanKind::Consumer as i32);
    assert_eq!(attr(route, "messaging.system").as_deref(), Some("kafka"));
    assert_eq!(attr(route, "messaging.operation.type").as_deref(), Some("process"));
    assert_eq!(attr(route, "messaging.destination.name").as_deref(), Some(topics.send.as_str()));
    assert!(attr(route, "messaging.destination.partition.id").is_some());
    assert_eq!(attr(route, "messaging.kafka.offset").as_deref(), Some("0"));
    assert_eq!(attr(route, "messaging.consumer.group.name").as_deref(), Some("smsgw.router"));
    assert_eq!(attr(route, "messaging.kafka.message.key"), None, "a client's key may be a phone number");

    // ... queued it for the connection: `send`, then the sender's `process`, its child.
    let queued = named(&request_trace, &format!("send {queue}"));
    assert_eq!(queued.kind, SpanKind::Producer as i32);
    assert_eq!(queued.parent_span_id, route.span_id);
    assert_eq!(attr(queued, "messaging.destination.name").as_deref(), Some(queue.as_str()));
    assert!(attr(queued, "messaging.kafka.offset").is_some(), "where the record landed");
    let sending = named(&request_trace, &format!("process {queue}"));
    assert_eq!(sending.parent_span_id, queued.span_id);
    assert_eq!(attr(sending, "messaging.kafka.message.key").as_deref(), Some("o-1"));
    assert_eq!(attr(sending, "messaging.consumer.group.name").as_deref(), Some("smsgw.senders"));

    // ... submitted it: one exchange with the SMSC.
    let submit = named(&request_trace, "submit sim");
    assert_eq!(submit.kind, SpanKind::Client as i32);
    assert_eq!(submit.parent_span_id, sending.span_id);
    assert_eq!(attr(submit, "smsgw.connection").as_deref(), Some("sim"));
    assert_eq!(attr(submit, "smsgw.protocol").as_deref(), Some("smpp"));
    assert!(attr(submit, "smsgw.sequence_number").is_some());
    assert_eq!(attr(submit, "smsgw.message_id"), Some(message_id.clone()));
    assert_eq!(attr(submit, "smsgw.outcome").as_deref(), Some("accepted"));

    // The receipt came in a trace of its own (the SMSC carries none) ...
    let receipt = spans.iter().find(|s| s.name == "receipt sim").expect("a span for the receipt");
    assert_eq!(receipt.kind, SpanKind::Server as i32);
    assert_ne!(hex(&receipt.trace_id), TRACE_ID);
    assert_eq!(attr(receipt, "smsgw.message_id"), Some(message_id.clone()));
    assert!(attr(receipt, "smsgw.sequence_number").is_some());
    assert_eq!(attr(receipt, "smsgw.outcome").as_deref(), Some("recorded"));
    // ... and its match is published in the request's trace, linked to the receipt's.
    let matched = named(&request_trace, &format!("send {}", topics.outcomes));
    let linked: Vec<_> = matched.links.iter().map(|l| hex(&l.trace_id)).collect();
    assert_eq!(linked, [hex(&receipt.trace_id)], "linked to the receipt's trace");
    // The final DELIVERED: the finaliser's publish, in the request's trace.
    let finals = request_trace.iter().filter(|s| s.name == format!("send {}", topics.status)).count();
    assert_eq!(finals, 2, "SUBMITTED and DELIVERED published in the request's trace");

    // Never the text or a phone number, in any span.
    for span in &spans {
        for kv in &span.attributes {
            let value = format!("{:?}", kv.value);
            assert!(
                !value.contains("4915112345678") && !value.contains("traced"),
                "{}: {} = {value}",
                span.name,
                kv.key
            );
        }
    }
}

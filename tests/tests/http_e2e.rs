//! `protocol = "http"` end to end, through the real broker, against the
//! simulator's HTTP SMS API: requests become SUBMITTED with the API's ids and
//! DELIVERED by its report callbacks; its inbound callbacks reach
//! `sms.inbound`; 429s (with Retry-After) and 500s are retried until every
//! message is SUBMITTED; a 400 FAILS the message with the API's error text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use events::{Status, StatusEvent};
use kafka::rdkafka::message::OwnedHeaders;
use kafka::rdkafka::Message;
use runtime::Settings;
use simulator::http::HttpOptions;
use simulator::SimConfig;
use smsgw_tests::http_sim::HttpSim;
use smsgw_tests::{collect, free_port, status_events, watch, Broker, Gateway};

fn http_settings(broker: &Broker, sim: &HttpSim, callback_port: u16, extra: &str) -> Settings {
    Settings::from_toml(&format!(
        r#"
        [kafka]
        brokers = "{addr}"
        session_timeout = "3s"
        partitions = 2
        [router]
        default_connection = "api"
        [[connections]]
        id = "api"
        protocol = "http"
        url = "http://127.0.0.1:{sim}/send"
        body = '{{"to":"+{{to}}","from":"{{from}}","text":"{{text}}","dlr":{{receipt}}}}'
        message_id = "/id"
        error_text = "/error"
        auth = {{ basic = {{ user = "smsgw", password = "secret" }} }}
        callback_listen = "127.0.0.1:{callback_port}"
        response_timeout = "5s"
        {extra}
        "#,
        addr = broker.addr,
        sim = sim.port,
    ))
    .unwrap()
}

fn credentials() -> Option<(String, String)> {
    Some(("smsgw".into(), "secret".into()))
}

async fn send_all(kafka: &runtime::config::KafkaConfig, topic: &str, requests: &[serde_json::Value]) {
    let producer = kafka::producer(kafka).unwrap();
    for r in requests {
        let key = r["id"].as_str().unwrap();
        let payload = r.to_string();
        let out = kafka::Outgoing { topic, key, payload: payload.as_bytes(), headers: OwnedHeaders::new() };
        producer.publish(out).await.unwrap();
    }
}

/// The text a simulator record carries (GSM septets or UCS-2).
fn record_text(r: &simulator::SubmitRecord) -> String {
    text::decode(r.data_coding, &r.short_message).text.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_delivered_inbound_and_refused() {
    let broker = Broker::start();
    let callback_port = free_port();
    let config =
        SimConfig { credentials: credentials(), receipt_delay: Duration::from_millis(200), ..SimConfig::default() };
    let sim = HttpSim::start(config, callback_port, None).await;
    let settings = http_settings(&broker, &sim, callback_port, "window = 5");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let inbound = watch(&kafka, &topics.inbound);

    let n = 12;
    let text_of = |i: usize| match i % 3 {
        0 => format!("Code {i}: {{ok}} costs 5€ \"quoted\""),
        1 => format!("Привет {i} 👋"),
        _ => format!("long {i:03} ").repeat(50), // 450 characters: one request, whole
    };
    let mut requests: Vec<_> = (0..n)
        .map(|i| {
            serde_json::json!({"id": format!("h-{i}"), "to": format!("+4915100{i:05}"), "from": "ACME",
                "text": text_of(i), "delivery_report": true})
        })
        .collect();
    // The API refuses alphanumeric senders longer than 11 characters: 400, for good.
    requests.push(serde_json::json!({"id": "h-bad", "to": "+4915199999999", "from": "ACME Corporation",
        "text": "never sent", "delivery_report": true}));
    send_all(&kafka, &topics.send, &requests).await;

    // The simulator's inbound callback reaches sms.inbound.
    let mo = smpp::Sm {
        source_addr: "4917012345".into(),
        destination_addr: "12345".into(),
        data_coding: 8,
        short_message: text::ucs2::encode("Grüße aus Köln 🌸").into(),
        ..smpp::Sm::default()
    };
    sim.state.send_mo("http", mo);
    let got = collect(&inbound, Duration::from_secs(60), |m| !m.is_empty()).await;
    let message = events::decode_inbound(got[0].payload().unwrap(), None).unwrap();
    assert_eq!((message.from.as_str(), message.to.as_str()), ("4917012345", "12345"));
    assert_eq!(message.text.as_deref(), Some("Grüße aus Köln 🌸"));
    assert_eq!(message.connection, "api");

    let messages = collect(&status, Duration::from_secs(90), |m| m.len() > 2 * n).await;
    let mut by_id: HashMap<String, Vec<StatusEvent>> = HashMap::new();
    for e in status_events(&messages) {
        by_id.entry(e.request_id.clone()).or_default().push(e);
    }
    let records = sim.state.submits();
    for i in 0..n {
        let events = &by_id[&format!("h-{i}")];
        let statuses: Vec<_> = events.iter().map(|e| e.status).collect();
        assert_eq!(statuses, [Status::Submitted, Status::Delivered], "h-{i}");
        let record = records.iter().find(|r| r.destination_addr == format!("4915100{i:05}")).unwrap();
        assert_eq!(events[0].message_ids, vec![record.message_id.clone()], "the API's id");
        assert_eq!(events[1].message_ids, events[0].message_ids, "the report matched by that id");
        assert_eq!(record_text(record), text_of(i), "the whole text, decoded and escaped right");
        assert_eq!((record.source_addr.as_str(), record.registered_delivery), ("ACME", 1));
        assert_eq!(record.data_coding, if i % 3 == 1 { 8 } else { 0 });
    }
    assert_eq!(records.iter().filter(|r| r.status == 0).count(), n, "one request per message");
    let failed = &by_id["h-bad"];
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].status, Status::Failed);
    let error = failed[0].error.as_ref().unwrap();
    assert_eq!(error.protocol_code, Some(400));
    assert_eq!(error.text, "HTTP 400 Bad Request: invalid sender: alphanumeric senders have at most 11 characters");
    assert_eq!(records.iter().filter(|r| r.status == 400).count(), 1, "a permanent error is not retried");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_and_failing_requests_still_end_submitted() {
    let broker = Broker::start();
    let callback_port = free_port();
    let config = SimConfig {
        credentials: credentials(),
        throttle_percent: 15,
        error_percent: 20,
        receipts: simulator::state::Receipts::Never,
        ..SimConfig::default()
    };
    let sim = HttpSim::start(config, callback_port, Some(1)).await;
    let settings = http_settings(&broker, &sim, callback_port, "binds = 2\nwindow = 3\nmax_retries = 10");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);

    let n = 30;
    let requests: Vec<_> = (0..n)
        .map(
            |i| serde_json::json!({"id": format!("t-{i}"), "to": format!("+4915100{i:05}"), "text": format!("hi {i}")}),
        )
        .collect();
    send_all(&kafka, &topics.send, &requests).await;
    let events = status_events(&collect(&status, Duration::from_secs(120), |m| m.len() >= n).await);
    assert_eq!(events.len(), n);
    let not_submitted: Vec<_> = events.iter().filter(|e| e.status != Status::Submitted).collect();
    assert!(not_submitted.is_empty(), "{not_submitted:?}");

    let records = sim.state.submits();
    let count = |status: u32| records.iter().filter(|r| r.status == status).count();
    assert_eq!(count(0), n, "each message accepted once");
    assert!(count(429) > 0 && count(500) > 0, "429s: {}, 500s: {}", count(429), count(500));
    // Retry-After: 1 paused the whole connection (both clients): after each
    // 429, nothing new arrived for most of a second (requests already on
    // their way when it was answered may still land just after it).
    for throttled in records.iter().filter(|r| r.status == 429) {
        let quiet = records.iter().filter(|r| {
            let after = r.at.saturating_duration_since(throttled.at);
            after > Duration::from_millis(250) && after < Duration::from_millis(900)
        });
        assert_eq!(quiet.count(), 0, "requests inside the Retry-After pause");
    }
    gateway.stop().await;
}

/// Issue 10, scenario 4: an API that answers success without a message id.
/// No receipt can ever be matched, so such a request ends at once: SUBMITTED
/// with metadata `smsgw.no_receipt = no_message_id` (the default), or FAILED
/// with code `no_message_id` (`missing_message_id = "failed"`). Each request
/// gets exactly one final event; none waits for a receipt forever, and none
/// shares an empty receipt key with another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_without_a_message_id_ends_the_request_at_once() {
    for (setting, status) in [("", Status::Submitted), ("missing_message_id = \"failed\"", Status::Failed)] {
        let broker = Broker::start();
        let callback_port = free_port();
        let config = SimConfig { credentials: credentials(), ..SimConfig::default() };
        let callback = Some(format!("http://127.0.0.1:{callback_port}"));
        let sim = HttpSim::start_with(config, HttpOptions { callback, omit_ids: true, ..HttpOptions::default() }).await;
        let settings = http_settings(&broker, &sim, callback_port, setting);
        let topics = settings.kafka.topics.clone();
        let kafka = broker.kafka_config();
        let gateway = Gateway::start(settings).await;
        let status_topic = watch(&kafka, &topics.status);
        let requests: Vec<_> = (0..5)
            .map(|i| serde_json::json!({"id": format!("n-{i}"), "to": format!("+4915100{i:05}"), "text": "no id", "delivery_report": true}))
            .collect();
        send_all(&kafka, &topics.send, &requests).await;
        let messages = collect(&status_topic, Duration::from_secs(60), |m| m.len() >= 5).await;
        let more = collect(&status_topic, Duration::from_secs(3), |_| false).await;
        gateway.stop().await;
        let events = status_events(&[messages.clone(), more].concat());
        assert_eq!(events.len(), 5, "{setting}: one event per request: {events:?}");
        for (e, m) in events.iter().zip(&messages) {
            assert_eq!(e.status, status, "{setting}: {e:?}");
            assert_eq!(smsgw_tests::header(m, records::FINAL_HEADER).as_deref(), Some("true"), "its final event");
            if status == Status::Submitted {
                assert_eq!(e.metadata.get("smsgw.no_receipt").map(String::as_str), Some("no_message_id"));
            } else {
                assert_eq!(e.error.as_ref().unwrap().code, "no_message_id");
            }
        }
        assert_eq!(sim.state.accepted(), 5);
    }
}

//! Issue 13, sender rewriting and number rules, as the SMSC sees them: a
//! route's sender map, sender pool by destination region (the same sender for
//! the same recipient every time) and fixed sender; national numbers in
//! international form by `router.default_country`; and a rewritten sender the
//! connection cannot carry REJECTED `invalid_source`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, produce, status_events, watch, Broker, Gateway, Sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_rewritten_and_national_numbers_normalised() {
    let sim = Sim::start(SimConfig { record: true, ..SimConfig::default() }).await;
    let broker = Broker::start();
    let settings = runtime::Settings::from_toml(&format!(
        r#"
        [kafka]
        brokers = "{addr}"
        session_timeout = "3s"
        partitions = 2
        [router]
        default_country = "DE"
        [[connections]]
        id = "sim"
        protocol = "smpp"
        host = "127.0.0.1"
        port = {port}
        system_id = "smsgw"
        [[routes]]
        id = "bank"
        from = "BANK"
        connection = "sim"
        sender_map = {{ "BANK" = "BANKDE" }}
        [[routes]]
        id = "otp"
        metadata = {{ kind = "otp" }}
        connection = "sim"
        sender_pool = {{ DE = ["+4915199990001", "+4915199990002", "+4915199990003"], "*" = ["+3212345678"] }}
        [[routes]]
        id = "too-long"
        metadata = {{ kind = "bad" }}
        connection = "sim"
        sender = "WAYTOOLONGSENDER"
        [[routes]]
        id = "rest"
        connection = "sim"
        sender = "INFO"
        "#,
        addr = broker.addr,
        port = sim.port,
    ))
    .unwrap();
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);

    let requests = [
        ("bank", "0151 11111111", Some("BANK"), ""),
        ("otp-de-1", "+4915122222222", Some("X"), "otp"),
        ("otp-de-2", "015122222222", None, "otp"),
        ("otp-fr", "+33612345678", None, "otp"),
        ("rest", "+4930123456", Some("SOMEONE ELSE"), ""),
        ("short-code", "22333", None, ""),
        ("bad", "+4915133333333", Some("X"), "bad"),
    ];
    for (id, to, from, kind) in requests {
        let mut body = serde_json::json!({"id": id, "to": to, "text": "hi"});
        if let Some(from) = from {
            body["from"] = serde_json::json!(from);
        }
        if !kind.is_empty() {
            body["metadata"] = serde_json::json!({ "kind": kind });
        }
        produce(&kafka, &topics.send, id, body.to_string().as_bytes(), OwnedHeaders::new()).await;
    }
    let terminal = |m: &[_]| status_events(m).iter().filter(|e| e.status != Status::Accepted).count() >= requests.len();
    let events = status_events(&collect(&status, Duration::from_secs(60), terminal).await);
    let bad = events.iter().find(|e| e.request_id == "bad").unwrap();
    assert_eq!((bad.status, bad.error.as_ref().unwrap().code.as_str()), (Status::Rejected, "invalid_source"));
    assert!(events.iter().filter(|e| e.request_id != "bad").all(|e| e.status == Status::Submitted), "{events:?}");

    let seen: BTreeMap<String, String> =
        sim.state.submits().into_iter().map(|s| (s.destination_addr, s.source_addr)).collect();
    assert_eq!(seen["4915111111111"], "BANKDE", "mapped sender, national number made international");
    let otp_de = &seen["4915122222222"];
    assert!(otp_de.starts_with("491519999000"), "{otp_de}: from the DE pool");
    assert_eq!(seen["33612345678"], "3212345678", "the `*` pool");
    assert_eq!(seen["4930123456"], "INFO");
    assert_eq!(seen["22333"], "INFO", "a short code stays as it is");
    let to_one: Vec<String> = sim
        .state
        .submits()
        .into_iter()
        .filter(|s| s.destination_addr == "4915122222222")
        .map(|s| s.source_addr)
        .collect();
    assert_eq!(to_one.len(), 2);
    assert_eq!(to_one[0], to_one[1], "the same recipient sees the same pooled sender");
    assert_eq!(seen.len(), 5, "{seen:?}");
    gateway.stop().await;
}

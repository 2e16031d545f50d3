//! UCP/EMI and CIMD2 connections end to end, the same round trip as SMPP:
//! requests through the real broker → SUBMITTED with the SMSC's ids →
//! DELIVERED from its delivery notifications (OT 53 / status report 23),
//! each matched to the right request; a long message arrives as numbered
//! parts with its UDH; mobile-originated messages (OT 52 / deliver 20) in
//! GSM and UCS-2 come out on the inbound topic. Faults (refusals, throttling,
//! connections dropped mid-window) still end every request exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use kafka::rdkafka::Message;
use runtime::config::Protocol;
use simulator::SimConfig;
use smsgw_tests::{collect, produce, settings, speak, status_events, watch, Broker, Gateway, Sim};

async fn round_trip(protocol: Protocol) {
    let sim = Sim::start_protocol(protocol, 0, SimConfig::default()).await;
    let broker = Broker::start();
    let mut settings = settings(&broker, sim.port, "binds = 2\nwindow = 20");
    speak(&mut settings.connections[0], protocol);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let inbound = watch(&kafka, &topics.inbound);

    let n = 40;
    let text = |i: usize| match i % 4 {
        0 => format!("@ home, 5€ {{ok}} #{i}"),
        1 => format!("Привет #{i}"),
        2 => format!("long {i:03} ").repeat(20),
        _ => format!("plain #{i}"),
    };
    for i in 0..n {
        let json = serde_json::json!({
            "id": format!("r{i}"), "to": format!("+4915100{i:05}"), "from": if i % 2 == 0 { "ACME" } else { "+4930123" },
            "text": text(i), "delivery_report": true,
        });
        produce(&kafka, &topics.send, &format!("r{i}"), json.to_string().as_bytes(), OwnedHeaders::new()).await;
    }
    let messages = collect(&status, Duration::from_secs(90), |m| m.len() >= 2 * n).await;
    let events = status_events(&messages);
    let mut terminal = HashMap::new();
    for e in events.iter().filter(|e| e.status != Status::Submitted) {
        assert!(terminal.insert(e.request_id.clone(), e.clone()).is_none(), "one terminal status: {e:?}");
    }
    for i in 0..n {
        let id = format!("r{i}");
        let done = terminal.get(&id).unwrap_or_else(|| panic!("{id} has no terminal status"));
        assert_eq!(done.status, Status::Delivered, "{done:?}");
        assert_eq!(done.segments, if i % 4 == 2 { 2 } else { 1 }, "{id}");
    }

    // What the SMSC got: the right texts, long ones as numbered parts.
    let submits = sim.state.submits();
    assert_eq!(submits.len(), n + n / 4, "one submit per segment");
    let to = |i: usize| format!("4915100{i:05}");
    for i in [0usize, 1, 2] {
        let mut parts: Vec<_> = submits.iter().filter(|s| s.destination_addr == to(i)).collect();
        parts.sort_by_key(|s| s.short_message.get(5).copied());
        let mut got = String::new();
        for s in &parts {
            let (udh, body) = if s.esm_class & 0x40 != 0 {
                let (udh, body) = text::parse_udh(&s.short_message).unwrap();
                (Some(udh), body)
            } else {
                (None, &s.short_message[..])
            };
            if parts.len() > 1 {
                let (_, total, _) = udh.unwrap().concat().unwrap();
                assert_eq!(usize::from(total), parts.len());
            }
            got.push_str(&text::decode(s.data_coding, body).text.unwrap());
        }
        assert_eq!(got, text(i), "{protocol:?} message {i}");
    }
    let alpha = submits.iter().find(|s| s.destination_addr == to(0)).unwrap();
    assert_eq!(alpha.source_addr, "ACME");

    // Inbound: GSM with extension characters, and UCS-2.
    let mo = |from: &str, data_coding: u8, body: Vec<u8>| smpp::Sm {
        source_addr: from.into(),
        destination_addr: "12345".into(),
        data_coding,
        short_message: body.into(),
        ..smpp::Sm::default()
    };
    sim.state.send_mo("smsgw", mo("491111", 0, b"\x00 costs 5\x1b\x65".to_vec()));
    sim.state.send_mo("smsgw", mo("492222", 8, text::ucs2::encode("Привет 👋")));
    let got = collect(&inbound, Duration::from_secs(30), |m| m.len() >= 2).await;
    gateway.stop().await;
    let got: HashMap<String, events::InboundMessage> = got
        .iter()
        .map(|m| events::decode_inbound(m.payload().unwrap(), None).unwrap())
        .map(|m| (m.from.clone(), m))
        .collect();
    assert_eq!(got["491111"].text.as_deref(), Some("@ costs 5€"), "{protocol:?}");
    assert_eq!(got["492222"].text.as_deref(), Some("Привет 👋"), "{protocol:?}");
    assert!(got.values().all(|m| m.connection == "sim" && m.to == "12345"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucp_round_trip() {
    round_trip(Protocol::Ucp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cimd2_round_trip() {
    round_trip(Protocol::Cimd2).await;
}

/// Faults: 20 % of submits refused as a system error, 15 % throttled, and the
/// SMSC drops every connection twice mid-window. Every request still ends
/// with exactly one terminal status, all DELIVERED, and the links recover.
async fn faults(protocol: Protocol) {
    let sim_config = SimConfig { error_percent: 20, throttle_percent: 15, ..SimConfig::default() };
    let sim = Sim::start_protocol(protocol, 0, sim_config).await;
    let broker = Broker::start();
    let mut settings =
        settings(&broker, sim.port, "binds = 2\nwindow = 10\nmax_retries = 10\nthrottle_pause = \"50ms\"");
    speak(&mut settings.connections[0], protocol);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let n = 60;
    for i in 0..n {
        let json = serde_json::json!({"id": format!("f{i}"), "to": format!("+4915200{i:05}"), "text": format!("fault {i}"), "delivery_report": true});
        produce(&kafka, &topics.send, &format!("f{i}"), json.to_string().as_bytes(), OwnedHeaders::new()).await;
        if i == 15 || i == 35 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            sim.state.drop_connections();
        }
    }
    let ended = |events: &[events::StatusEvent]| {
        events.iter().filter(|e| e.status.is_terminal() && e.request_id.starts_with('f')).count()
    };
    let messages = collect(&status, Duration::from_secs(120), |m| ended(&status_events(m)) >= n).await;
    // A moment more, so that a second terminal status would show.
    let more = collect(&status, Duration::from_secs(2), |_| false).await;
    gateway.stop().await;
    let events = status_events(&[messages, more].concat());
    let mut terminal: HashMap<String, Status> = HashMap::new();
    for e in events.iter().filter(|e| e.status.is_terminal() && !e.request_id.is_empty()) {
        assert!(terminal.insert(e.request_id.clone(), e.status).is_none(), "{protocol:?}: two terminal statuses {e:?}");
    }
    assert_eq!(terminal.len(), n, "{protocol:?}");
    // What did not end DELIVERED, with its reason: a fault the sender gave
    // up on shows which (a CI run once saw one FAILED among 60, unexplained).
    let undelivered: Vec<_> = events
        .iter()
        .filter(|e| e.status.is_terminal() && e.status != Status::Delivered && !e.request_id.is_empty())
        .map(|e| (&e.request_id, e.status, &e.error))
        .collect();
    assert!(undelivered.is_empty(), "{protocol:?}: not delivered: {undelivered:?}");
    assert!(sim.state.submits_refused.load(std::sync::atomic::Ordering::Relaxed) > 0, "faults were injected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucp_faults() {
    faults(Protocol::Ucp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cimd2_faults() {
    faults(Protocol::Cimd2).await;
}

/// The SMSC hangs with its sockets open (answers nothing, keep-alives
/// included) for a while: the link notices the unanswered keep-alive, drops
/// the connection and reconnects until the SMSC answers again; requests sent
/// meanwhile wait and then end DELIVERED, each exactly once. (A submit that
/// went into the silence got no answer; this simulator drops what it gets
/// while muted, so sending it again is safe: `resend_unanswered`.)
async fn silence(protocol: Protocol) {
    let sim = Sim::start_protocol(protocol, 0, SimConfig::default()).await;
    let broker = Broker::start();
    let extra = "enquire_link_interval = \"1s\"\nmax_retries = 20\nresend_unanswered = true";
    let mut settings = settings(&broker, sim.port, extra);
    speak(&mut settings.connections[0], protocol);
    settings.connections[0].response_timeout = Duration::from_secs(2);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let send = |i: usize| {
        let json = serde_json::json!({"id": format!("s{i}"), "to": format!("+4915300{i:05}"), "text": format!("silence {i}"), "delivery_report": true});
        (format!("s{i}"), json.to_string())
    };
    let delivered = |m: &[kafka::rdkafka::message::OwnedMessage]| {
        status_events(m).iter().filter(|e| e.status == Status::Delivered).count()
    };
    for i in 0..5 {
        let (key, body) = send(i);
        produce(&kafka, &topics.send, &key, body.as_bytes(), OwnedHeaders::new()).await;
    }
    let mut all = collect(&status, Duration::from_secs(60), |m| delivered(m) >= 5).await;
    sim.state.mute(true);
    tokio::time::sleep(Duration::from_secs(2)).await;
    for i in 5..10 {
        let (key, body) = send(i);
        produce(&kafka, &topics.send, &key, body.as_bytes(), OwnedHeaders::new()).await;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    sim.state.mute(false);
    all.extend(collect(&status, Duration::from_secs(90), |m| delivered(m) >= 5).await);
    all.extend(collect(&status, Duration::from_secs(2), |_| false).await);
    gateway.stop().await;
    let mut terminal: HashMap<String, Status> = HashMap::new();
    for e in status_events(&all).into_iter().filter(|e| e.status.is_terminal() && !e.request_id.is_empty()) {
        assert!(terminal.insert(e.request_id.clone(), e.status).is_none(), "{protocol:?}: two terminal statuses");
    }
    assert_eq!(terminal.len(), 10, "{protocol:?}: {terminal:?}");
    assert!(terminal.values().all(|s| *s == Status::Delivered), "{protocol:?}: {terminal:?}");
    // One login before the silence, at least one more after: the link gave up on the hung session.
    let logins = sim.state.binds.load(std::sync::atomic::Ordering::Relaxed);
    assert!(logins >= 2, "{protocol:?}: {logins} logins, the link never reconnected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpp_ucp_cimd2_survive_a_silent_smsc() {
    for protocol in [Protocol::Smpp, Protocol::Ucp, Protocol::Cimd2] {
        silence(protocol).await;
    }
}

/// Failure reports (SMPP `UNDELIV`, UCP Dst 2, CIMD2 status code 3) end the
/// request UNDELIVERABLE, with the protocol's reason in the event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_reports_end_undeliverable() {
    for protocol in [Protocol::Smpp, Protocol::Ucp, Protocol::Cimd2] {
        let sim =
            Sim::start_protocol(protocol, 0, SimConfig { undelivered_percent: 100, ..SimConfig::default() }).await;
        let broker = Broker::start();
        let mut settings = settings(&broker, sim.port, "");
        speak(&mut settings.connections[0], protocol);
        let topics = settings.kafka.topics.clone();
        let kafka = broker.kafka_config();
        let gateway = Gateway::start(settings).await;
        let status = watch(&kafka, &topics.status);
        for i in 0..3 {
            let json = serde_json::json!({"id": format!("u{i}"), "to": format!("+4915400{i:05}"), "text": "x", "delivery_report": true});
            produce(&kafka, &topics.send, &format!("u{i}"), json.to_string().as_bytes(), OwnedHeaders::new()).await;
        }
        let got = collect(&status, Duration::from_secs(60), |m| {
            status_events(m).iter().filter(|e| e.status.is_terminal()).count() >= 3
        })
        .await;
        gateway.stop().await;
        let terminal: Vec<_> = status_events(&got).into_iter().filter(|e| e.status.is_terminal()).collect();
        assert_eq!(terminal.len(), 3, "{protocol:?}");
        for e in &terminal {
            assert_eq!(e.status, Status::Undeliverable, "{protocol:?}: {e:?}");
        }
    }
}

//! A GSM modem connection end to end, the same round trip as SMPP: requests
//! through the real broker → SUBMITTED (the modem's TP-MR) → DELIVERED from
//! its `+CDS` status reports, a 3-part message as three concatenated
//! SMS-SUBMIT PDUs; an inbound message announced with `+CMTI` → `sms.inbound`,
//! and deleted from the SIM only after that. The modem is the scripted fake
//! on a `socat` pseudo-terminal pair; the gateway runs every role in one
//! process (`--role modem-host` runs just the modem senders).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use kafka::rdkafka::Message;
use runtime::config::{Link, ModemConfig};
use simulator::modem::ModemSim;
use smsgw_tests::{collect, produce, settings, status_events, watch, Broker, Gateway};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modem_round_trip() {
    if Command::new("socat").arg("-V").stdout(Stdio::null()).status().is_err() {
        let reason = "socat is not installed (scripts/install-deps installs it)";
        assert!(std::env::var_os("CI").is_none(), "{reason}");
        println!("skipping: {reason}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("smsgw-modem-{}", std::process::id()));
    let sim = ModemSim::start(&dir, Some("4321")).unwrap();
    let broker = Broker::start();
    let mut settings = settings(&broker, 1, "window = 4");
    let c = &mut settings.connections[0];
    c.link = Link::Modem(ModemConfig {
        device: sim.host_path.display().to_string(),
        pin: Some("4321".into()),
        ..ModemConfig::default()
    });
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let inbound = watch(&kafka, &topics.inbound);

    let texts = ["hellohello", "Grüße @ 5€", "Привет 👋", &"three parts ".repeat(35)];
    for (i, text) in texts.iter().enumerate() {
        let json = serde_json::json!({"id": format!("m{i}"), "to": format!("+4915100000{i:02}"), "text": text, "delivery_report": true});
        produce(&kafka, &topics.send, &format!("m{i}"), json.to_string().as_bytes(), OwnedHeaders::new()).await;
    }
    let got = collect(&status, Duration::from_secs(90), |m| m.len() >= 2 * texts.len()).await;
    let events = status_events(&got);
    let mut terminal = HashMap::new();
    for e in events.iter().filter(|e| e.status != Status::Submitted) {
        assert!(terminal.insert(e.request_id.clone(), e.clone()).is_none(), "one terminal status: {e:?}");
    }
    for i in 0..texts.len() {
        let done = &terminal[&format!("m{i}")];
        assert_eq!(done.status, Status::Delivered, "{done:?}");
    }
    let long = &terminal["m3"];
    assert_eq!(long.segments, 3);
    assert_eq!(long.message_ids.len(), 3);

    // What went over the air: one SMS-SUBMIT per segment, the right texts, a status report asked for.
    let pdus: Vec<modem::Submit> = sim.submitted().iter().map(|p| modem::decode_submit(p).unwrap()).collect();
    assert_eq!(pdus.len(), 6);
    let mut long_text = Vec::new();
    for p in &pdus {
        assert!(p.status_report);
        if p.to.value == "491510000003" {
            let data_coding = modem::dcs::to_data_coding(p.dcs);
            let (udh, decoded) = text::decode::decode_user_data(data_coding, &p.user_data, p.udhi).unwrap();
            let (_, total, seq) = udh.unwrap().concat().unwrap();
            assert_eq!(total, 3);
            long_text.push((seq, decoded.text.unwrap()));
        }
    }
    long_text.sort();
    assert_eq!(long_text.into_iter().map(|(_, t)| t).collect::<String>(), texts[3]);

    // Inbound: announced with +CMTI, read, published, then deleted.
    sim.send_mo("+491111", "@ home 👋");
    let mo = collect(&inbound, Duration::from_secs(30), |m| !m.is_empty()).await;
    let message = events::decode_inbound(mo[0].payload().unwrap(), None).unwrap();
    assert_eq!((message.from.as_str(), message.text.as_deref()), ("491111", Some("@ home 👋")));
    for _ in 0..50 {
        if sim.stored().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sim.stored().is_empty(), "the message is deleted from the SIM once recorded");
    gateway.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Faults: a `+CMS ERROR: 38` (network out of order, temporary), an
/// unsolicited line in the middle of a submit, and the line dropped (the
/// pseudo-terminal goes away and comes back): every request still ends with
/// exactly one terminal status, all DELIVERED, and the modem recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modem_faults() {
    if Command::new("socat").arg("-V").stdout(Stdio::null()).status().is_err() {
        let reason = "socat is not installed (scripts/install-deps installs it)";
        assert!(std::env::var_os("CI").is_none(), "{reason}");
        println!("skipping: {reason}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("smsgw-modem-faults-{}", std::process::id()));
    let sim = ModemSim::start(&dir, None).unwrap();
    sim.fail_next_submit("+CMS ERROR: 38");
    let broker = Broker::start();
    let mut settings = settings(&broker, 1, "window = 4");
    let c = &mut settings.connections[0];
    c.link = Link::Modem(ModemConfig { device: sim.host_path.display().to_string(), ..ModemConfig::default() });
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let send = |i: usize| {
        let json = serde_json::json!({"id": format!("f{i}"), "to": format!("+4915200000{i:02}"), "text": format!("fault {i}"), "delivery_report": true});
        (format!("f{i}"), json.to_string())
    };
    for i in 0..3 {
        let (key, body) = send(i);
        produce(&kafka, &topics.send, &key, body.as_bytes(), OwnedHeaders::new()).await;
    }
    let mut all = collect(&status, Duration::from_secs(60), |m| {
        status_events(m).iter().filter(|e| e.status == Status::Delivered).count() >= 3
    })
    .await;
    // The line drops: the device goes away, then the modem is back.
    sim.urc_during_next_submit("RING");
    drop(sim);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sim = ModemSim::start(&dir, None).unwrap();
    sim.urc_during_next_submit("RING");
    for i in 3..6 {
        let (key, body) = send(i);
        produce(&kafka, &topics.send, &key, body.as_bytes(), OwnedHeaders::new()).await;
    }
    all.extend(
        collect(&status, Duration::from_secs(60), |m| {
            status_events(m).iter().filter(|e| e.status == Status::Delivered).count() >= 3
        })
        .await,
    );
    all.extend(collect(&status, Duration::from_secs(2), |_| false).await);
    gateway.stop().await;
    let mut terminal = HashMap::new();
    for e in status_events(&all).into_iter().filter(|e| e.status.is_terminal()) {
        assert!(
            terminal.insert(e.request_id.clone(), e.status).is_none(),
            "two terminal statuses for {}",
            e.request_id
        );
    }
    assert_eq!(terminal.len(), 6, "{terminal:?}");
    assert!(terminal.values().all(|s| *s == Status::Delivered), "{terminal:?}");
    assert!(!sim.submitted().is_empty(), "the restarted modem took the later submits");
    let _ = std::fs::remove_dir_all(dir);
}

//! Mobile-originated messages from the SMSC (our simulator and the node-smpp
//! peer) appear on `sms.inbound` with the right text in GSM 7-bit, Latin-1
//! and UCS-2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::Duration;

use kafka::rdkafka::Message;
use simulator::SimConfig;
use smsgw_tests::{collect, settings, watch, Broker, Gateway, Sim};

fn mo(from: &str, data_coding: u8, body: Vec<u8>) -> smpp::Sm {
    smpp::Sm {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: from.into(),
        destination_addr: "12345".into(),
        data_coding,
        short_message: body.into(),
        ..smpp::Sm::default()
    }
}

fn inbound(messages: &[kafka::rdkafka::message::OwnedMessage]) -> Vec<events::InboundMessage> {
    messages.iter().map(|m| events::decode_inbound(m.payload().unwrap(), None).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mo_messages_from_the_simulator() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let settings = settings(&broker, sim.port, "");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let watcher = watch(&kafka, &topics.inbound);

    // GSM 7-bit, unpacked: '@' is 0x00; '€', '{' and '}' are escapes (0x1B 0x65/0x28/0x29).
    sim.state.send_mo("smsgw", mo("491111", 0, b"\x00 costs 5\x1b\x65 \x1b\x28ok\x1b\x29".to_vec()));
    sim.state.send_mo("smsgw", mo("492222", 3, b"Gr\xfc\xdfe aus K\xf6ln".to_vec()));
    sim.state.send_mo("smsgw", mo("493333", 8, text::ucs2::encode("Привет 👋")));

    let got = inbound(&collect(&watcher, Duration::from_secs(30), |m| m.len() >= 3).await);
    let text_from = |from: &str| got.iter().find(|m| m.from == from).and_then(|m| m.text.clone()).unwrap_or_default();
    assert_eq!(text_from("491111"), "@ costs 5€ {ok}");
    assert_eq!(text_from("492222"), "Grüße aus Köln");
    assert_eq!(text_from("493333"), "Привет 👋");
    for m in &got {
        assert_eq!(m.connection, "sim");
        assert_eq!(m.to, "12345");
        assert!(m.received_at > 0);
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mo_messages_from_node_smpp() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/node-smpp");
    let mut child = std::process::Command::new("node")
        .args(["server.js", "--port", "0", "--system-id", "smsgw", "--password", "secret"])
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start node (run scripts/install-deps)");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut lines, &mut first).unwrap();
    let port = serde_json::from_str::<serde_json::Value>(&first).unwrap()["port"].as_u64().unwrap() as u16;
    // The peer reports each bind on stdout; MO lines sent before one are dropped.
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(lines).map_while(Result::ok) {
            let event = serde_json::from_str::<serde_json::Value>(&line).unwrap_or_default();
            if event["event"] == "bind" && event["status"] == 0 {
                let _ = bound_tx.send(());
            }
        }
    });

    let broker = Broker::start();
    let settings = settings(&broker, port, "");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let watcher = watch(&kafka, &topics.inbound);
    tokio::task::spawn_blocking(move || bound_rx.recv_timeout(Duration::from_secs(60))).await.unwrap().expect("a bind");
    tokio::time::sleep(Duration::from_millis(200)).await; // the bind response is on its way

    let mut stdin = child.stdin.take().unwrap();
    for (from, text, dc) in [("4971", "Hello from node", 0), ("4972", "Grüße", 3), ("4973", "こんにちは 🌸", 8)]
    {
        let line = serde_json::json!({"mo": {"from": from, "to": "12345", "text": text, "data_coding": dc}});
        writeln!(stdin, "{line}").unwrap();
    }
    stdin.flush().unwrap();

    let got = inbound(&collect(&watcher, Duration::from_secs(30), |m| m.len() >= 3).await);
    let text_from = |from: &str| got.iter().find(|m| m.from == from).and_then(|m| m.text.clone()).unwrap_or_default();
    assert_eq!(text_from("4971"), "Hello from node");
    assert_eq!(text_from("4972"), "Grüße");
    assert_eq!(text_from("4973"), "こんにちは 🌸");
    gateway.stop().await;
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
}

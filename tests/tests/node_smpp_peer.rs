//! The SMPP sender against an SMSC written by others: a small server on the
//! `smpp` npm package (tests/peers/node-smpp), so both sides are not ours.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use smsgw_tests::{collect, settings, status_events, watch, Broker, Gateway};

struct NodePeer {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<serde_json::Value>,
}

impl NodePeer {
    fn start(extra: &[&str]) -> NodePeer {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/node-smpp");
        assert!(
            std::path::Path::new(dir).join("node_modules/smpp").exists(),
            "node-smpp is not installed: run `npm ci` in {dir} (.ci/run does)"
        );
        let mut child = Command::new("node")
            .arg("server.js")
            .args(["--port", "0", "--system-id", "smsgw", "--password", "secret"])
            .args(extra)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        let listening = lines.recv_timeout(Duration::from_secs(20)).expect("node-smpp prints its port");
        assert_eq!(listening["event"], "listening", "{listening}");
        let port = listening["port"].as_u64().unwrap() as u16;
        NodePeer { child, port, lines }
    }
}

impl Drop for NodePeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submits_to_node_smpp_server() {
    let broker = Broker::start();
    let peer = NodePeer::start(&["--throttle-percent", "20"]);
    let settings = settings(&broker, peer.port, "binds = 2\nwindow = 5\nthrottle_pause = \"20ms\"");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);

    let n = 40;
    let producer = kafka::producer(&kafka).unwrap();
    for i in 0..n {
        let text = if i % 2 == 0 { format!("hello node {i}") } else { format!("Grüße ж {i}") };
        let body =
            serde_json::json!({"id": format!("n-{i}"), "to": format!("+49151000{i:04}"), "from": "ACME", "text": text});
        let key = format!("n-{i}");
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
    let events = status_events(&collect(&status, Duration::from_secs(90), |m| m.len() >= n).await);
    assert_eq!(events.len(), n);

    // What node-smpp saw: one accepted submit per request, plus throttled ones.
    let mut accepted: HashMap<String, serde_json::Value> = HashMap::new();
    let mut throttled = 0;
    let mut binds = 0;
    while let Ok(line) = peer.lines.recv_timeout(Duration::from_millis(500)) {
        match line["event"].as_str() {
            Some("bind") if line["status"] == 0 => binds += 1,
            Some("submit") if line["status"] == 0 => {
                accepted.insert(line["destination_addr"].as_str().unwrap().to_owned(), line);
            }
            Some("submit") if line["status"] == 0x58 => throttled += 1,
            _ => {}
        }
    }
    assert_eq!(binds, 2, "two binds");
    assert!(throttled > 0, "the peer throttled some submits");
    for ev in &events {
        assert_eq!(ev.status, Status::Submitted, "{ev:?}");
        let i: usize = ev.request_id.trim_start_matches("n-").parse().unwrap();
        let seen = &accepted[&format!("49151000{i:04}")];
        assert_eq!(ev.message_ids, vec![seen["message_id"].as_str().unwrap().to_owned()]);
        let expected_dc = if i % 2 == 0 { 0 } else { 8 };
        assert_eq!(seen["data_coding"], expected_dc, "GSM 7-bit when it fits, else UCS-2");
        assert_eq!(seen["source_addr"], "ACME");
    }
    gateway.stop().await;
}

//! Issue 12, SMSC links: SMPP, UCP and CIMD2 over TLS (rustls), end to end
//! through the real broker. The simulator serves only TLS here, so a request
//! that ends DELIVERED went over an encrypted, verified link:
//! - each protocol carries requests to DELIVERED with `tls_ca` = the test CA,
//!   and an inbound message back;
//! - a server certificate the configured CA did not sign, or one for another
//!   name than `tls_server_name`, never binds: the reason is in the log,
//!   `smsgw_link_failures_total{reason="tls"}` rises, and the link keeps
//!   trying with backoff (a few attempts, not a tight loop);
//! - an SMSC that requires a client certificate gets `tls_cert`/`tls_key`
//!   (with `tls_server_name` = `localhost` while `host` is an address), and
//!   refuses a link without one;
//! - TLS written by others: Debian's stunnel4 terminating TLS in front of the
//!   node-smpp peer, carrying submits, receipts and an MO.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use kafka::rdkafka::Message;
use runtime::config::Protocol;
use simulator::SimConfig;
use smsgw_tests::tls::{Certs, Stunnel};
use smsgw_tests::{collect, produce, settings, speak, status_events, watch, Broker, Gateway, Sim};

/// Everything the in-process gateway logged, for the tests that look for a reason in it.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    let _ = tracing_subscriber::fmt()
        .with_writer(|| Capture)
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .try_init();
}

fn logged() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap()).into_owned()
}

/// The simulator speaking `protocol` over TLS only, with `certs`' server
/// certificate; clients must show a certificate of the test CA with `client_ca`.
async fn tls_sim(protocol: Protocol, certs: &Certs, client_ca: bool) -> Sim {
    let ca = client_ca.then_some(certs.ca.as_path());
    let tls = tls::server_config(&certs.server_cert, &certs.server_key, ca).unwrap();
    Sim::start_protocol(protocol, 0, SimConfig { tls: Some(tls), ..SimConfig::default() }).await
}

/// `settings` with the connection called `id` (metrics are per process, and
/// the tests of this file run at once).
fn named(mut settings: runtime::Settings, id: &str) -> runtime::Settings {
    settings.connections[0].id = id.into();
    settings.router.default_connection = Some(id.into());
    settings
}

fn tls_keys(ca: &std::path::Path) -> String {
    format!("tls = true\ntls_ca = \"{}\"", ca.display())
}

/// Sends `n` requests asking for receipts and checks each ends DELIVERED
/// (after SUBMITTED) with exactly one terminal status.
async fn delivered(broker: &Broker, gateway_settings: runtime::Settings, n: usize) -> Gateway {
    let topics = gateway_settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(gateway_settings).await;
    let status = watch(&kafka, &topics.status);
    for i in 0..n {
        let json = serde_json::json!({
            "id": format!("t{i}"), "to": format!("+4915100{i:05}"), "from": "ACME",
            "text": format!("over TLS #{i} 5€"), "delivery_report": true,
        });
        produce(&kafka, &topics.send, &format!("t{i}"), json.to_string().as_bytes(), OwnedHeaders::new()).await;
    }
    let messages = collect(&status, Duration::from_secs(90), |m| m.len() >= 2 * n).await;
    let mut terminal = HashMap::new();
    for e in status_events(&messages).into_iter().filter(|e| e.status != Status::Submitted) {
        assert!(terminal.insert(e.request_id.clone(), e.status).is_none(), "one terminal status for {}", e.request_id);
    }
    for i in 0..n {
        assert_eq!(terminal.get(&format!("t{i}")), Some(&Status::Delivered), "t{i}: {terminal:?}");
    }
    gateway
}

async fn round_trip(protocol: Protocol) {
    let certs = Certs::generate();
    let sim = tls_sim(protocol, &certs, false).await;
    let broker = Broker::start();
    let mut settings = settings(&broker, sim.port, &format!("binds = 2\nwindow = 10\n{}", tls_keys(&certs.ca)));
    speak(&mut settings.connections[0], protocol);
    let inbound_topic = settings.kafka.topics.inbound.clone();
    let gateway = delivered(&broker, settings, 10).await;
    let inbound = watch(&broker.kafka_config(), &inbound_topic);
    assert_eq!(sim.state.submits().iter().filter(|s| s.status == 0).count(), 10, "{protocol:?}");

    // And back: an inbound message over the same encrypted binds.
    let mo = smpp::Sm {
        source_addr: "491111".into(),
        destination_addr: "12345".into(),
        short_message: b"MO over TLS".to_vec().into(),
        ..smpp::Sm::default()
    };
    sim.state.send_mo("smsgw", mo);
    let got = collect(&inbound, Duration::from_secs(30), |m| !m.is_empty()).await;
    let message = events::decode_inbound(got[0].payload().unwrap(), None).unwrap();
    assert_eq!((message.from.as_str(), message.text.as_deref()), ("491111", Some("MO over TLS")), "{protocol:?}");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpp_over_tls() {
    round_trip(Protocol::Smpp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucp_over_tls() {
    round_trip(Protocol::Ucp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cimd2_over_tls() {
    round_trip(Protocol::Cimd2).await;
}

/// A TLS link that must never bind: no bind, nothing sent, `reason` in the
/// log, the failures counted under `tls`, and reconnects backed off
/// (reconnect_min 100 ms, reconnect_max 1 s: a handful of attempts in 5 s,
/// not thousands).
async fn never_binds(id: &str, tls_keys: String, reason: impl Fn(u16) -> String) {
    capture_logs();
    let certs = Certs::generate();
    let sim = tls_sim(Protocol::Smpp, &certs, false).await;
    let broker = Broker::start();
    let settings = named(
        settings(
            &broker,
            sim.port,
            &tls_keys
                .replace("{CA}", &certs.ca.display().to_string())
                .replace("{OTHER_CA}", &certs.other_ca.display().to_string()),
        ),
        id,
    );
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let failures = counters::link_failures(id, "tls");
    let before = failures.get();
    let gateway = Gateway::start(settings).await;
    let json = serde_json::json!({"id": "u1", "to": "+4915100000001", "text": "must not leave"});
    produce(&kafka, &topics.send, "u1", json.to_string().as_bytes(), OwnedHeaders::new()).await;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let attempts = failures.get() - before;
    assert!(attempts >= 3, "the link keeps trying: {attempts} attempts in {:?}", started.elapsed());
    assert!(attempts <= 60, "backed off, not a tight loop: {attempts} attempts in {:?}", started.elapsed());
    assert_eq!(counters::binds(id).get(), 0, "never bound");
    assert!(sim.state.submits().is_empty(), "nothing reached the SMSC");
    let expected = reason(sim.port);
    let log = logged();
    assert!(log.contains(&expected), "the reason is logged: {expected}\n{log}");
    assert!(log.contains("failure=\"tls\"") || log.contains("failure=tls"), "{log}");
    gateway.stop().await;
}

/// The SMSC's certificate is signed by a CA the connection does not trust
/// (`tls_ca` = another CA).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_smsc_certificate_never_binds() {
    never_binds("untrusted", "tls = true\ntls_ca = \"{OTHER_CA}\"".into(), |port| {
        format!("TLS handshake with 127.0.0.1:{port} failed: invalid peer certificate: UnknownIssuer")
    })
    .await;
}

/// A certificate from the trusted CA, but for another name than
/// `tls_server_name` (it names `localhost` and `127.0.0.1`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_name_never_binds() {
    let keys = "tls = true\ntls_ca = \"{CA}\"\ntls_server_name = \"smsc.example.net\"";
    never_binds("wrong-name", keys.into(), |port| {
        format!("TLS handshake with 127.0.0.1:{port} failed: invalid peer certificate: certificate not valid for name \"smsc.example.net\"")
    })
    .await;
}

/// An SMSC that requires a client certificate: a link presenting the test
/// client certificate (`tls_cert`, `tls_key`) delivers; one without never binds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_when_the_smsc_requires_one() {
    let certs = Certs::generate();
    let sim = tls_sim(Protocol::Smpp, &certs, true).await;
    let broker = Broker::start();
    let identity =
        format!("tls_cert = \"{}\"\ntls_key = \"{}\"", certs.client_cert.display(), certs.client_key.display());
    // Also: the certificate's name differs from `host` (127.0.0.1), as through a tunnel.
    let identity = format!("{identity}\ntls_server_name = \"localhost\"");
    let with_cert = settings(&broker, sim.port, &format!("{}\n{identity}", tls_keys(&certs.ca)));
    delivered(&broker, with_cert, 5).await.stop().await;
    assert_eq!(sim.state.submits().len(), 5);

    let broker = Broker::start();
    let without = named(settings(&broker, sim.port, &tls_keys(&certs.ca)), "no-client-cert");
    let topics = without.kafka.topics.clone();
    let gateway = Gateway::start(without).await;
    let json = serde_json::json!({"id": "x1", "to": "+4915100000009", "text": "no certificate"});
    produce(&broker.kafka_config(), &topics.send, "x1", json.to_string().as_bytes(), OwnedHeaders::new()).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(sim.state.submits().len(), 5, "a link without a client certificate sent nothing");
    assert_eq!(counters::binds("no-client-cert").get(), 0);
    // TLS 1.3: the client's side of the handshake ends first, and the SMSC's
    // alert fails the bind's read; still a TLS failure, and retried.
    let counted = counters::link_failures("no-client-cert", "tls").get();
    assert!(counted >= 2, "TLS failures counted: {counted}");
    gateway.stop().await;
}

/// TLS written by others: Debian's stunnel4 terminates TLS in front of the
/// node-smpp peer (tests/peers/node-smpp). Submits come back SUBMITTED with
/// node-smpp's ids and DELIVERED by its receipts; an MO it sends arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpp_through_stunnel_to_node_smpp() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/node-smpp");
    assert!(
        std::path::Path::new(dir).join("node_modules/smpp").exists(),
        "node-smpp is not installed: run `npm ci` in {dir} (.ci/run does)"
    );
    let mut node = std::process::Command::new("node")
        .args(["server.js", "--port", "0", "--system-id", "smsgw", "--password", "secret", "--receipts"])
        .args(["--receipt-delay-ms", "100"])
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start node (run scripts/install-deps)");
    let mut lines = std::io::BufReader::new(node.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut lines, &mut first).unwrap();
    let node_port = serde_json::from_str::<serde_json::Value>(&first).unwrap()["port"].as_u64().unwrap() as u16;
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    let certs = Certs::generate();
    let stunnel = Stunnel::start(&certs, node_port);

    let broker = Broker::start();
    let settings = settings(&broker, stunnel.port, &tls_keys(&certs.ca));
    let inbound_topic = settings.kafka.topics.inbound.clone();
    let gateway = delivered(&broker, settings, 10).await;
    let inbound = watch(&broker.kafka_config(), &inbound_topic);

    let mut stdin = node.stdin.take().unwrap();
    let line =
        serde_json::json!({"mo": {"from": "4971", "to": "12345", "text": "MO through stunnel", "data_coding": 0}});
    writeln!(stdin, "{line}").unwrap();
    stdin.flush().unwrap();
    let got = collect(&inbound, Duration::from_secs(30), |m| !m.is_empty()).await;
    assert!(!got.is_empty(), "no MO arrived; stunnel log:\n{}", stunnel.log());
    let message = events::decode_inbound(got[0].payload().unwrap(), None).unwrap();
    assert_eq!((message.from.as_str(), message.text.as_deref()), ("4971", Some("MO through stunnel")));
    gateway.stop().await;
    drop(stdin);
    let _ = node.kill();
    let _ = node.wait();
}

//! Issue 12, Kafka: the gateway reaches the broker over TLS, and over TLS
//! with SASL SCRAM, configured only through librdkafka's own properties in
//! `[kafka.properties]`; an untrusted broker certificate and a wrong
//! password end start-up at once with the cause and a non-zero status.
//!
//! tansu 0.6 cannot serve TLS itself (its `--cert` and `--key` are one
//! clap group, so only one can be given, and the TLS acceptor it builds is
//! never used: `tansu-broker/src/broker.rs`, `let _acceptor`), so Debian's
//! `stunnel4` terminates TLS in front of it and the broker advertises the
//! terminator's port: every connection, bootstrap and partition leader,
//! goes through TLS. Its SASL works for SCRAM-SHA-256 and SCRAM-SHA-512
//! ([`Broker::start_authenticating`]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use runtime::config::KafkaConfig;
use runtime::Settings;
use simulator::SimConfig;
use smsgw_tests::tls::{Certs, Stunnel};
use smsgw_tests::{collect, free_port, produce, settings_toml, status_events, watch, Broker, Gateway, Process, Sim};

const GATEWAY_PASSWORD: &str = "gw-Scram512-pa55";
const APP_PASSWORD: &str = "app-Scram256-pa55";
const WRONG_PASSWORD: &str = "not-the-Pa55word";

/// `[kafka.properties]` as a user writes them.
fn properties_toml(pairs: &[(&str, &str)]) -> String {
    let mut toml = String::from("\n[kafka.properties]\n");
    for (key, value) in pairs {
        toml.push_str(&format!("\"{key}\" = \"{value}\"\n"));
    }
    toml
}

fn tls(ca: &Path) -> Vec<(&'static str, String)> {
    vec![("security.protocol", "SSL".into()), ("ssl.ca.location", ca.display().to_string())]
}

fn sasl_ssl(ca: &Path, mechanism: &str, user: &str, password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("security.protocol", "SASL_SSL".into()),
        ("ssl.ca.location", ca.display().to_string()),
        ("sasl.mechanism", mechanism.into()),
        ("sasl.username", user.into()),
        ("sasl.password", password.into()),
    ]
}

fn with_properties(toml: &str, properties: &[(&'static str, String)]) -> String {
    let pairs: Vec<(&str, &str)> = properties.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format!("{toml}{}", properties_toml(&pairs))
}

/// The test's own clients: the broker's address plus `properties`.
fn client_config(broker: &Broker, properties: &[(&'static str, String)]) -> KafkaConfig {
    let mut config = broker.kafka_config();
    config.properties.extend(properties.iter().map(|(k, v)| (k.to_string(), v.clone())));
    config
}

/// Publishes `n` requests wanting receipts and waits until each is DELIVERED.
async fn round_trip(settings: Settings, client: &KafkaConfig, n: usize) {
    let topics = settings.kafka.topics.clone();
    let gateway = Gateway::start(settings).await;
    let status = watch(client, &topics.status);
    for i in 0..n {
        let id = format!("tls-{i}");
        let body = serde_json::json!({"id": id, "to": format!("+4915100{i:05}"), "text": format!("over TLS {i}"), "delivery_report": true});
        produce(client, &topics.send, &id, body.to_string().as_bytes(), OwnedHeaders::new()).await;
    }
    let delivered = |m: &[kafka::rdkafka::message::OwnedMessage]| {
        status_events(m).iter().filter(|e| e.status == Status::Delivered).count() >= n
    };
    let messages = collect(&status, Duration::from_secs(90), delivered).await;
    let events = status_events(&messages);
    for i in 0..n {
        let id = format!("tls-{i}");
        assert!(
            events.iter().any(|e| e.request_id == id && e.status == Status::Delivered),
            "{id} not DELIVERED: {events:?}"
        );
    }
    gateway.stop().await;
}

/// Waits up to `limit` for the process to exit; its status and how long it took.
fn exit_within(process: &mut Process, limit: Duration) -> (std::process::ExitStatus, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = process.exited() {
            return (status, started.elapsed());
        }
        assert!(started.elapsed() < limit, "the process still runs after {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs `gateway CONFIG ROLE` until it exits (it must, within 30 s, non-zero); its log.
fn failed_start(dir: &Path, toml: &str, role: &str) -> String {
    let (config, log) = (dir.join("gateway.toml"), dir.join("gateway.log"));
    std::fs::write(&config, toml).unwrap();
    let mut gateway = Process::start_role(&config, &log, role);
    let (status, took) = exit_within(&mut gateway, Duration::from_secs(30));
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success(), "{status:?}: {log}");
    assert!(took < Duration::from_secs(20), "start-up failed only after {took:?}: {log}");
    eprintln!("gateway {role} exited {status:?} after {took:?}:\n{log}");
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_reach_delivered_over_tls() {
    let certs = Certs::generate();
    let port = free_port();
    let terminator = Stunnel::start(&certs, port);
    let broker = Broker::start_advertised(port, terminator.port);
    let sim = Sim::start(SimConfig::default()).await;
    let properties = tls(&certs.ca);
    let toml = with_properties(&settings_toml(&broker, sim.port, ""), &properties);
    let settings = Settings::from_toml(&toml).unwrap();
    assert_eq!(settings.kafka.properties.get("security.protocol").map(String::as_str), Some("SSL"));
    round_trip(settings, &client_config(&broker, &properties), 20).await;
    // The broker is reachable only through the terminator, and it saw the clients.
    assert!(terminator.log().contains("accepted connection"), "{}", terminator.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_broker_certificate_ends_start_up() {
    let certs = Certs::generate();
    let port = free_port();
    let terminator = Stunnel::start(&certs, port);
    let broker = Broker::start_advertised(port, terminator.port);
    let dir = tempfile::tempdir().unwrap();
    // The broker's certificate is signed by `ca`; this gateway trusts only `other_ca`.
    let toml = with_properties(&settings_toml(&broker, free_port(), ""), &tls(&certs.other_ca));
    let log = failed_start(dir.path(), &toml, "all");
    assert!(log.contains("kafka TLS handshake failed"), "{log}");
    assert!(log.contains("certificate verify failed"), "{log}");
    assert!(log.contains(&format!("127.0.0.1:{}", terminator.port)), "names the broker: {log}");
}

/// The gateway logs in as one user with SCRAM-SHA-512, the test's clients
/// as another with SCRAM-SHA-256, both over TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_reach_delivered_over_tls_with_sasl_scram() {
    let certs = Certs::generate();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let terminator = Stunnel::start(&certs, port);
    let users = [("smsgw", GATEWAY_PASSWORD, "scram512"), ("app", APP_PASSWORD, "scram256")];
    let broker = Broker::start_authenticating(dir.path(), port, terminator.port, &users);
    let sim = Sim::start(SimConfig::default()).await;
    let gateway = sasl_ssl(&certs.ca, "SCRAM-SHA-512", "smsgw", GATEWAY_PASSWORD);
    let settings = Settings::from_toml(&with_properties(&settings_toml(&broker, sim.port, ""), &gateway)).unwrap();
    let client = client_config(&broker, &sasl_ssl(&certs.ca, "SCRAM-SHA-256", "app", APP_PASSWORD));
    round_trip(settings, &client, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_ends_start_up_without_showing_it() {
    let certs = Certs::generate();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let terminator = Stunnel::start(&certs, port);
    let broker =
        Broker::start_authenticating(dir.path(), port, terminator.port, &[("smsgw", GATEWAY_PASSWORD, "scram512")]);
    let wrong = sasl_ssl(&certs.ca, "SCRAM-SHA-512", "smsgw", WRONG_PASSWORD);
    let toml = with_properties(&settings_toml(&broker, free_port(), ""), &wrong);
    // One role alone fails the same way: the check runs before any role.
    let log = failed_start(dir.path(), &toml, "sender");
    assert!(log.contains("kafka SASL authentication failed"), "{log}");
    assert!(!log.contains(WRONG_PASSWORD) && !log.contains(GATEWAY_PASSWORD), "a password in the log: {log}");

    // A mechanism the broker does not offer (tansu 0.6 has no PLAIN) is refused as clearly.
    let plain = client_config(&broker, &sasl_ssl(&certs.ca, "PLAIN", "smsgw", GATEWAY_PASSWORD));
    let error = kafka::handshake::check(&plain).await.unwrap_err().to_string();
    assert!(error.starts_with("kafka SASL authentication failed"), "{error}");
    assert!(!error.contains(GATEWAY_PASSWORD), "{error}");
}

//! End-to-end test harness: a real Kafka-compatible broker (tansu, started
//! per test on a free loopback port and killed when dropped), the gateway run
//! in-process, the SMPP simulator in-process, and helpers to produce
//! requests and collect events.
//!
//! Tests live in `tests/tests/*.rs`; each starts what it needs and stops it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod http_sim;
pub mod otlp;
pub mod schedule;
pub mod tls;

pub mod metrics;

mod broker;
mod process;
mod proxy;
mod sim;
pub use broker::Broker;
pub use process::{signal, Process, Workdir};
pub use proxy::Proxy;
pub use sim::{duplicates_at, Duplicates, Sim};

use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kafka::rdkafka::consumer::StreamConsumer;
use kafka::rdkafka::message::{Headers, Message, OwnedHeaders, OwnedMessage};
use kafka::Outgoing;
use runtime::config::KafkaConfig;
use runtime::Settings;
use tokio_util::sync::CancellationToken;

/// A free TCP port on 127.0.0.1 (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Logs to the test's output when `RUST_LOG` is set (shown with `--nocapture` or on failure).
pub fn init_logs() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
    }
}

/// Gateway settings for one test: the broker, one SMPP connection `sim` on
/// `port`, extra `[[connections]]` keys in `connection_extra`.
pub fn settings(broker: &Broker, port: u16, connection_extra: &str) -> Settings {
    Settings::from_toml(&settings_toml(broker, port, connection_extra)).unwrap()
}

/// [`settings`] as TOML text, for a gateway run as a process (`src/bin/gateway.rs`).
pub fn settings_toml(broker: &Broker, port: u16, connection_extra: &str) -> String {
    format!(
        r#"
        [kafka]
        brokers = "{addr}"
        session_timeout = "3s"
        partitions = 2
        [router]
        default_connection = "sim"
        [[connections]]
        id = "sim"
        protocol = "smpp"
        host = "127.0.0.1"
        port = {port}
        system_id = "smsgw"
        password = "secret"
        response_timeout = "5s"
        reconnect_min = "100ms"
        reconnect_max = "1s"
        {connection_extra}
        "#,
        addr = broker.addr,
    )
}

/// A `[[connections]]` block: SMPP connection `id` to a simulator on
/// `port` on this machine, reconnecting quickly, with `extra` keys.
pub fn smpp_connection(id: &str, port: u16, extra: &str) -> String {
    format!(
        "\n[[connections]]\nid = \"{id}\"\nprotocol = \"smpp\"\nhost = \"127.0.0.1\"\nport = {port}\n\
         system_id = \"smsgw\"\nreconnect_min = \"100ms\"\nreconnect_max = \"500ms\"\n{extra}\n"
    )
}

/// Makes connection `c` (an SMPP one, as [`settings`] writes it) speak
/// `protocol`: the same SMSC account for UCP and CIMD2, a modem's defaults
/// for a modem.
pub fn speak(c: &mut runtime::config::ConnectionConfig, protocol: runtime::config::Protocol) {
    use runtime::config::{Link, Protocol};
    let smsc = c.smsc().cloned().expect("an SMSC connection");
    c.link = match protocol {
        Protocol::Smpp => Link::Smpp(smsc, Default::default()),
        Protocol::Ucp => Link::Ucp(smsc, Default::default()),
        Protocol::Cimd2 => Link::Cimd2(smsc, Default::default()),
        Protocol::Modem => Link::Modem(Default::default()),
        Protocol::Http => panic!("an HTTP connection needs its url: write it in TOML"),
    };
}

/// The gateway (every role) running in-process.
pub struct Gateway {
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<Result<(), smsgw::Error>>,
}

impl Gateway {
    pub async fn start(settings: Settings) -> Gateway {
        let settings = Arc::new(settings);
        // Create topics first so producers and the test's consumers see them at once.
        kafka::ensure_topics(&settings.kafka, &smsgw::topics(&settings), settings.kafka.partitions).await.unwrap();
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(smsgw::run_roles(settings, smsgw::Role::All, shutdown.clone()));
        Gateway { shutdown, handle }
    }

    /// True while the gateway task is still running.
    pub fn is_running(&self) -> bool {
        !self.handle.is_finished()
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(60), self.handle).await.expect("gateway stops").unwrap().unwrap();
    }
}

/// Publishes `payload` to `topic` and waits for the broker's acknowledgement.
pub async fn produce(config: &KafkaConfig, topic: &str, key: &str, payload: &[u8], headers: OwnedHeaders) {
    let producer = kafka::producer(config).unwrap();
    producer.publish(Outgoing { topic, key, payload, headers }).await.unwrap();
}

/// Reads `topic` from the beginning.
pub fn watch(config: &KafkaConfig, topic: &str) -> StreamConsumer {
    kafka::watcher(config, &format!("test-watch-{}-{}", topic, std::process::id()), &[topic]).unwrap()
}

/// Collects records from `consumer` until `done` says so or `timeout` passes.
/// `done` is asked after every record and at least every 500 ms, so a
/// condition on time ("settled for 10 s") ends the wait without a new record.
pub async fn collect(
    consumer: &StreamConsumer,
    timeout: Duration,
    mut done: impl FnMut(&[OwnedMessage]) -> bool,
) -> Vec<OwnedMessage> {
    let mut out = Vec::new();
    let deadline = Instant::now() + timeout;
    let mut stream = consumer.stream();
    while !done(&out) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(left.min(Duration::from_millis(500)), stream.next()).await {
            Ok(Some(Ok(m))) => out.push(m.detach()),
            Ok(Some(Err(e))) => eprintln!("consume error: {e}"),
            Ok(None) => break,
            Err(_) => {}
        }
    }
    out
}

/// Waits until `sms.links` (`topic`) has a report of a bind up for each of
/// `connections`, then a moment more for the routers, which follow the same
/// topic: a route's `failover_after` counts from a router's start while it
/// knows nothing, so a test that needs its first requests on the first
/// member waits here before publishing them.
pub async fn links_up(config: &KafkaConfig, topic: &str, connections: &[&str]) {
    let links = watch(config, topic);
    let up = |m: &[OwnedMessage]| {
        let reports: Vec<records::LinkReport> =
            m.iter().filter_map(|m| serde_json::from_slice(m.payload().unwrap_or_default()).ok()).collect();
        connections.iter().all(|c| reports.iter().any(|r| r.connection == *c && r.binds > 0 && !r.stopped))
    };
    let seen = collect(&links, Duration::from_secs(60), up).await;
    assert!(up(&seen), "no link report of a bind for each of {connections:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Decodes status events, panicking on anything else on the status topic.
pub fn status_events(messages: &[OwnedMessage]) -> Vec<events::StatusEvent> {
    messages
        .iter()
        .map(|m| {
            events::decode_status(m.payload().unwrap_or_default(), None).expect("status topic holds status events")
        })
        .collect()
}

/// The value of header `key`.
pub fn header(message: &OwnedMessage, key: &str) -> Option<String> {
    let headers = message.headers()?;
    headers.iter().find(|h| h.key == key).and_then(|h| h.value).map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Polls `done` every 100 ms until it holds; panics naming `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A `done` condition for [`collect`]: true once `n` distinct ids have been
/// found by `id_of` in the records, and then `quiet` has passed (so a second
/// final event would show). Looks at each record once.
pub fn settled_after(
    n: usize,
    quiet: Duration,
    id_of: impl Fn(&OwnedMessage) -> Option<String>,
) -> impl FnMut(&[OwnedMessage]) -> bool {
    let mut seen = 0;
    let mut ids = std::collections::HashSet::new();
    let mut settled: Option<Instant> = None;
    move |records| {
        for record in &records[seen..] {
            if let Some(id) = id_of(record).filter(|id| !id.is_empty()) {
                ids.insert(id);
            }
        }
        seen = records.len();
        if settled.is_none() && ids.len() >= n {
            settled = Some(Instant::now());
        }
        settled.is_some_and(|t| t.elapsed() >= quiet)
    }
}

/// Publishes `n` JSON requests (`request(i)` gives the id and the body) as
/// fast as the producer takes them, and waits until the broker has them all.
pub async fn publish_requests(kafka: &KafkaConfig, topic: &str, n: usize, request: impl Fn(usize) -> (String, String)) {
    let producer = kafka::producer(kafka).unwrap();
    for i in 0..n {
        let (id, body) = request(i);
        while producer.queue(Outgoing::new(topic, &id, body.as_bytes())).is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    producer.flush(Duration::from_secs(60)).unwrap();
}

/// Waits until consumer group `group` is stable with `members` members (read
/// with DescribeGroups; tansu leaves the members' assignments out), so a
/// test's traffic does not meet a rebalance a fixed sleep guessed over.
pub async fn group_settled(config: &KafkaConfig, group: &str, members: usize) {
    use kafka::rdkafka::consumer::{BaseConsumer, Consumer};
    let client: BaseConsumer = kafka::client::base_config(config).create().expect("admin client");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    while Instant::now() < deadline {
        // Blocking: other tasks of the test move to another worker meanwhile.
        let list = kafka::client::blocking(|| client.fetch_group_list(Some(group), Duration::from_secs(5)));
        if let Ok(list) = list {
            if let Some(g) = list.groups().first() {
                seen = format!("state {}, {} members", g.state(), g.members().len());
                if g.state() == "Stable" && g.members().len() == members {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("group {group} did not settle on {members} members: {seen}");
}

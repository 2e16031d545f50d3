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

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kafka::rdkafka::consumer::StreamConsumer;
use kafka::rdkafka::message::{Headers, Message, OwnedHeaders, OwnedMessage};
use kafka::{publish, Outgoing};
use runtime::config::KafkaConfig;
use runtime::Settings;
use simulator::{SimConfig, SimState};
use tokio_util::sync::CancellationToken;

/// A free TCP port on 127.0.0.1 (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tansu_binary() -> PathBuf {
    if let Ok(p) = std::env::var("TANSU") {
        return p.into();
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    for candidate in [format!("{home}/.cargo/bin/tansu"), "/usr/local/bin/tansu".into()] {
        if std::path::Path::new(&candidate).exists() {
            return candidate.into();
        }
    }
    "tansu".into()
}

/// A tansu broker on a free loopback port: in-memory storage, or SQLite
/// storage that survives a restart ([`Broker::start_persistent`]).
pub struct Broker {
    /// Where clients connect (the broker, or a [`Proxy`] in front of it).
    pub addr: String,
    child: Child,
    port: u16,
    advertised: u16,
    storage: String,
    /// Extra `tansu broker` arguments (`--authentication`).
    extra: Vec<&'static str>,
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

impl Broker {
    pub fn start() -> Broker {
        let port = free_port();
        Broker::start_with(port, port, "memory://tansu/".into(), Vec::new())
    }

    /// A broker listening on `port` that tells clients to connect to
    /// `advertised` (a [`Proxy`] in front of it).
    pub fn start_advertised(port: u16, advertised: u16) -> Broker {
        Broker::start_with(port, advertised, "memory://tansu/".into(), Vec::new())
    }

    /// A broker keeping its records in an SQLite file under `dir`, so that
    /// [`Broker::restart`] finds them again. Topics must be created before
    /// they are used (the gateway does at start-up).
    pub fn start_persistent(dir: &std::path::Path) -> Broker {
        let port = free_port();
        Broker::start_with(port, port, format!("sqlite:///{}", dir.join("tansu.db").display()), Vec::new())
    }

    /// A broker on `port`, advertising `advertised` (a TLS terminator in
    /// front of it), that requires SASL SCRAM from every client and knows
    /// `users`: (name, password, `scram256` or `scram512`). Its records and
    /// users are in an SQLite file under `dir`; topics must be created before
    /// they are used (the gateway does at start-up).
    ///
    /// tansu 0.6 keeps users in its storage and `tansu user create` cannot log
    /// in, so the users are created through a broker without
    /// `--authentication` on the same file, which then restarts with it
    /// (memory storage would forget them). It offers SCRAM-SHA-256 and
    /// SCRAM-SHA-512, not PLAIN (its SASL library is built without it).
    pub fn start_authenticating(
        dir: &std::path::Path,
        port: u16,
        advertised: u16,
        users: &[(&str, &str, &str)],
    ) -> Broker {
        let storage = format!("sqlite:///{}", dir.join("tansu.db").display());
        let setup = Broker::start_with(port, port, storage.clone(), Vec::new());
        let broker = format!("tcp://127.0.0.1:{port}");
        for &(name, password, mechanism) in users {
            let status = Command::new(tansu_binary())
                .args(["user", "create", "--broker", broker.as_str(), "--mechanism", mechanism, name, password])
                .stdout(Stdio::null())
                .status()
                .expect("run tansu user create");
            assert!(status.success(), "tansu user create {name}: {status}");
        }
        drop(setup);
        Broker::start_with(port, advertised, storage, vec!["--authentication"])
    }

    fn start_with(port: u16, advertised: u16, storage: String, extra: Vec<&'static str>) -> Broker {
        init_logs();
        let url = format!("tcp://127.0.0.1:{port}");
        let public = format!("tcp://127.0.0.1:{advertised}");
        let child = Command::new(tansu_binary())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &public,
                "--storage-engine",
                &storage,
            ])
            .args(&extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu (run .ci/run or scripts/install-deps to install it)");
        let listening = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&listening).is_err() {
            assert!(Instant::now() < deadline, "tansu did not start listening on {listening}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Broker { addr: format!("127.0.0.1:{advertised}"), child, port, advertised, storage, extra }
    }

    /// Kills the broker (SIGKILL) and starts it again on the same port and
    /// storage, as a crashed broker restarted by its supervisor.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let again = Broker::start_with(self.port, self.advertised, self.storage.clone(), self.extra.clone());
        drop(std::mem::replace(self, again));
    }

    /// The `[kafka]` section of a test gateway's config on this broker:
    /// short sessions (a replica that dies is noticed in seconds), 2 partitions.
    pub fn kafka_toml(&self) -> String {
        format!("[kafka]\nbrokers = \"{}\"\nsession_timeout = \"3s\"\npartitions = 2\n", self.addr)
    }

    pub fn kafka_config(&self) -> KafkaConfig {
        let mut c = KafkaConfig::new(&self.addr);
        c.session_timeout = Duration::from_secs(3);
        c
    }
}

impl Broker {
    /// Freezes the broker process (SIGSTOP): connections stay open and
    /// nothing is answered, as a broker stalled in a long GC pause or on a
    /// hung disk.
    pub fn freeze(&self) {
        signal(self.child.id(), "STOP");
    }

    /// Lets a frozen broker go on (SIGCONT).
    pub fn thaw(&self) {
        signal(self.child.id(), "CONT");
    }
}

/// Sends `signal` (a name such as `TERM`, `STOP`) to process `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// `target/<profile>/gateway`, which cargo builds with the integration tests
/// (they run from `target/<profile>/deps/`).
fn gateway_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent().and_then(|deps| deps.parent()).map(|dir| dir.join("gateway")).expect("target directory")
}

/// The gateway (every role) as a process of its own (`src/bin/gateway.rs`),
/// for tests that kill it, stop it gracefully or run several; killed when
/// dropped (also when the test fails).
pub struct Process(Child);

impl Process {
    /// Starts `gateway CONFIG` (every role), appending its log to `log`.
    pub fn start(config: &std::path::Path, log: &std::path::Path) -> Process {
        Process::start_role(config, log, "all")
    }

    /// Starts `gateway CONFIG ROLE`, appending its log to `log`.
    pub fn start_role(config: &std::path::Path, log: &std::path::Path, role: &str) -> Process {
        Process::start_with(config, log, role, &[])
    }

    /// Starts `gateway CONFIG ROLE` with extra environment variables.
    pub fn start_with(config: &std::path::Path, log: &std::path::Path, role: &str, env: &[(&str, &str)]) -> Process {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        let child = Command::new(gateway_binary())
            .arg(config)
            .arg(role)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the gateway process");
        Process(child)
    }

    /// Sends it `signal` (`HUP`, ...).
    pub fn signal(&self, name: &str) {
        signal(self.0.id(), name);
    }

    /// SIGKILL, and wait until it is gone.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// SIGTERM (a rolling update's stop), and wait until it exits; its status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        signal(self.0.id(), "TERM");
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.0.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Its exit status if it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.0.try_wait().ok().flatten()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The SMPP simulator running in-process.
pub struct Sim {
    pub port: u16,
    pub state: Arc<SimState>,
    shutdown: CancellationToken,
}

impl Sim {
    pub async fn start(config: SimConfig) -> Sim {
        Sim::start_on(0, config).await
    }

    /// Starts on a given port (0 = any), e.g. to restart an SMSC where the gateway expects it.
    pub async fn start_on(port: u16, config: SimConfig) -> Sim {
        Sim::start_protocol(runtime::config::Protocol::Smpp, port, config).await
    }

    /// The simulator speaking `protocol` (SMPP, UCP or CIMD2) on `port` (0 = any).
    pub async fn start_protocol(protocol: runtime::config::Protocol, port: u16, config: SimConfig) -> Sim {
        use runtime::config::Protocol;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(SimState::default());
        let shutdown = CancellationToken::new();
        let (s, c) = (state.clone(), shutdown.clone());
        match protocol {
            Protocol::Smpp => tokio::spawn(simulator::smpp::run(listener, config, s, c)),
            Protocol::Ucp => tokio::spawn(simulator::ucp::run(listener, config, s, c)),
            Protocol::Cimd2 => tokio::spawn(simulator::cimd2::run(listener, config, s, c)),
            Protocol::Modem | Protocol::Http => panic!("{protocol:?} has its own simulator, not a framed TCP one"),
        };
        Sim { port, state, shutdown }
    }
}

impl Sim {
    /// `N` SMPP simulators with the default behaviour (routing and failover tests).
    pub async fn start_many<const N: usize>() -> [Sim; N] {
        let mut sims = Vec::with_capacity(N);
        for _ in 0..N {
            sims.push(Sim::start(SimConfig::default()).await);
        }
        sims.try_into().unwrap_or_else(|_| unreachable!("N simulators were started"))
    }

    /// Stops listening and ends every session with an unbind.
    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown.cancel();
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
    publish(&producer, Outgoing { topic, key, payload, headers }).await.unwrap();
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

/// A TCP proxy in front of the broker, to stall it as clients see it: while
/// stalled, nothing passes in either direction (requests and answers wait in
/// the proxy); when the stall ends, every connection open during it is
/// dropped and clients reconnect.
///
/// Why not `kill -STOP` of the broker: tansu 0.6 wedges its consumer groups
/// when a stopped member's queued heartbeat reaches it after its session
/// expired (the group keeps that member as a leader that no longer exists;
/// every later SyncGroup fails UNKNOWN_MEMBER_ID, with no timer to clear it;
/// see `docs/tracker.md`). Here the broker itself never stops, so that
/// heartbeat is answered before the stall, and the members that time out
/// during it are expired as a real broker would.
pub struct Proxy {
    pub port: u16,
    stalled: tokio::sync::watch::Sender<bool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
    shutdown: CancellationToken,
}

impl Proxy {
    /// Proxies a free loopback port to `target`.
    pub async fn start(target: String) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stalled, watch) = tokio::sync::watch::channel(false);
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let shutdown = CancellationToken::new();
        let (stop, gen) = (shutdown.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stop.cancelled() => break,
                    a = listener.accept() => a,
                };
                let Ok((client, _)) = accepted else { continue };
                if *watch.borrow() {
                    continue; // refused while stalled
                }
                let Ok(server) = tokio::net::TcpStream::connect(&target).await else { continue };
                let born = gen.load(std::sync::atomic::Ordering::SeqCst);
                let (watch, gen, stop) = (watch.clone(), gen.clone(), stop.clone());
                tokio::spawn(async move {
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let up = pump(cr, sw, watch.clone(), gen.clone(), born);
                    let down = pump(sr, cw, watch.clone(), gen.clone(), born);
                    let mut changes = watch;
                    let cut = async {
                        while changes.changed().await.is_ok() {
                            if gen.load(std::sync::atomic::Ordering::SeqCst) != born {
                                return;
                            }
                        }
                    };
                    tokio::select! {
                        _ = up => {}
                        _ = down => {}
                        _ = cut => {}
                        _ = stop.cancelled() => {}
                    }
                });
            }
        });
        Proxy { port, stalled, generation, shutdown }
    }

    /// Holds all traffic until [`Proxy::resume`].
    pub fn stall(&self) {
        let _ = self.stalled.send(true);
    }

    /// Drops every connection that was open during the stall and lets new ones through.
    pub fn resume(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let _ = self.stalled.send(false);
    }
}

/// Copies `from` to `to`, holding bytes while stalled; ends when the
/// connection's generation is over.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut stalled: tokio::sync::watch::Receiver<bool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
    born: u64,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while *stalled.borrow() {
            if stalled.changed().await.is_err() {
                return;
            }
        }
        if generation.load(std::sync::atomic::Ordering::SeqCst) != born || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shutdown.cancel();
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

/// A gateway configuration written to a folder of its own, for tests that
/// run the gateway as [`Process`]es; its topics are created. The folder
/// (with the processes' log) is removed when the test passes, kept when it fails.
pub struct Workdir {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
    pub settings: Settings,
}

impl Workdir {
    pub async fn new(name: &str, toml: &str) -> Workdir {
        let dir = std::env::temp_dir().join(format!("smsgw-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (config, log) = (dir.join("gateway.toml"), dir.join("gateway.log"));
        std::fs::write(&config, toml).unwrap();
        let settings = Settings::from_toml(toml).unwrap();
        kafka::ensure_topics(&settings.kafka, &smsgw::topics(&settings), settings.kafka.partitions).await.unwrap();
        Workdir { dir, config, log, settings }
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Publishes `n` JSON requests (`request(i)` gives the id and the body) as
/// fast as the producer takes them, and waits until the broker has them all.
pub async fn publish_requests(kafka: &KafkaConfig, topic: &str, n: usize, request: impl Fn(usize) -> (String, String)) {
    use kafka::rdkafka::producer::{FutureProducer, FutureRecord, Producer};
    let producer: FutureProducer = kafka::producer(kafka).unwrap();
    for i in 0..n {
        let (id, body) = request(i);
        while producer.send_result(FutureRecord::to(topic).key(&id).payload(&body)).is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    producer.flush(Duration::from_secs(60)).unwrap();
}

/// Duplicate segments the SMSC accepted: copies beyond the first of each
/// segment, by what follows the UDH (a copy sent again carries a new
/// concatenation reference); `receipted` counts those that asked for a receipt.
pub fn duplicates_at(sim: &SimState) -> Duplicates {
    let mut copies: std::collections::HashMap<(Vec<u8>, bool), usize> = std::collections::HashMap::new();
    let accepted: Vec<_> = sim.submits().into_iter().filter(|s| s.status == 0).collect();
    for s in &accepted {
        let sm = &s.short_message;
        let body = if s.esm_class & 0x40 != 0 { &sm[(1 + usize::from(sm[0])).min(sm.len())..] } else { &sm[..] };
        *copies.entry((body.to_vec(), s.registered_delivery & 0x03 != 0)).or_default() += 1;
    }
    Duplicates {
        accepted: accepted.len(),
        all: copies.values().map(|n| n - 1).sum(),
        receipted: copies.iter().filter(|((_, r), _)| *r).map(|(_, n)| n - 1).sum(),
    }
}

/// What [`duplicates_at`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duplicates {
    pub accepted: usize,
    pub all: usize,
    pub receipted: usize,
}

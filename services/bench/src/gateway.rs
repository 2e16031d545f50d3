//! `smsgw-bench run` (was `smsgw bench`): N JSON requests through broker →
//! smsgw (in-process) → the SMPP simulator (in-process), timed from produce
//! to DELIVERED (or, with `--no-receipts`, SUBMITTED) consumed.
//!
//! Every run uses fresh topic names, so runs never see each other's records.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use kafka::rdkafka::message::Message;
use runtime::config::KafkaConfig;
use runtime::Settings;
use simulator::{SimConfig, SimState};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Bootstrap brokers; `mock`: librdkafka's mock cluster, in this process
    /// (a broker that answers a fetch as soon as it has records; see `mock`).
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub brokers: String,
    /// Requests to push through.
    #[arg(long, default_value_t = 100_000)]
    pub requests: usize,
    /// SMPP binds to the simulator.
    #[arg(long, default_value_t = 2)]
    pub binds: usize,
    /// Window per bind.
    #[arg(long, default_value_t = 200)]
    pub window: usize,
    /// Partitions of each topic.
    #[arg(long, default_value_t = 4)]
    pub partitions: i32,
    /// The connection's `max_in_flight`: requests worked on at once per lane
    /// (unset: the configuration's default, 3 × binds × window)
    #[arg(long)]
    pub max_in_flight: Option<usize>,
    /// Give up after this long.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "300s")]
    pub timeout: Duration,
    /// Only to SUBMITTED: no delivery reports requested.
    #[arg(long)]
    pub no_receipts: bool,
    /// Delay of the simulator's delivery receipts.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
    pub receipt_delay: Duration,
    /// Delay of the simulator's submit responses: a slow SMSC, behind which
    /// the connection's queue backs up (what its consumer prefetches then
    /// shows in `connections`' memory under load).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
    pub sim_latency: Duration,
    /// A librdkafka property for every client, the gateway's and the
    /// bench's own (`--property security.protocol=SSL --property
    /// ssl.ca.location=ca.pem`); repeatable.
    #[arg(long = "property", value_name = "NAME=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
    /// The router also publishes ACCEPTED when it has queued a request
    /// (`router.accepted_events`): `latency` then times the router's hop too.
    #[arg(long)]
    pub accepted_events: bool,
    /// The roles exchange their per-message records in the compact binary
    /// form (`kafka.compact_records`) instead of JSON.
    #[arg(long)]
    pub compact_records: bool,
    /// Another process whose CPU counts towards the run's CPU per request
    /// (`--cpu-of tansu=PID`: the broker); repeatable.
    #[arg(long = "cpu-of", value_name = "NAME=PID", value_parser = crate::cpu::parse_pid)]
    pub cpu_of: Vec<(String, u32)>,
}

pub(crate) fn parse_property(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err("expected NAME=VALUE".into()),
    }
}

pub(crate) fn settings(args: &BenchArgs, run: &str, sim_port: u16) -> anyhow::Result<Settings> {
    let toml = format!(
        r#"
        [kafka]
        brokers = "{brokers}"
        group_prefix = "{run}"
        session_timeout = "6s"
        partitions = {partitions}
        compact_records = {compact_records}
        [kafka.topics]
        send = "{run}.send"
        status = "{run}.status"
        inbound = "{run}.inbound"
        dead_letter = "{run}.dead"
        deliver = "{run}.deliver"
        submits = "{run}.submits"
        outcomes = "{run}.segments"
        done = "{run}.done"
        finals = "{run}.finals"
        mo_parts = "{run}.mo-parts"
        queue_prefix = "{run}.queue."
        [router]
        default_connection = "sim"
        accepted_events = {accepted_events}
        [[connections]]
        id = "sim"
        protocol = "smpp"
        host = "127.0.0.1"
        port = {sim_port}
        system_id = "bench"
        binds = {binds}
        window = {window}
        {max_in_flight}
        "#,
        brokers = args.brokers,
        partitions = args.partitions,
        binds = args.binds,
        window = args.window,
        max_in_flight = args.max_in_flight.map(|n| format!("max_in_flight = {n}")).unwrap_or_default(),
        accepted_events = args.accepted_events,
        compact_records = args.compact_records,
    );
    let mut settings = Settings::from_toml(&toml)?;
    settings.kafka.properties.extend(args.properties.iter().cloned());
    Ok(settings)
}

/// Creates the run's topics, starts the gateway (every role) and a watcher
/// of the status topic, and gives both time to join their groups, and the
/// senders time to read every queue, before a clock starts.
pub(crate) async fn start_gateway(
    settings: &Arc<Settings>,
    properties: &[(String, String)],
    run: &str,
    shutdown: &CancellationToken,
) -> anyhow::Result<(tokio::task::JoinHandle<Result<(), smsgw::Error>>, kafka::rdkafka::consumer::StreamConsumer)> {
    let topics = smsgw::topics(settings);
    let (brokers, partitions) = (&settings.kafka.brokers, settings.kafka.partitions);
    crate::mock::create_topics(brokers, topics.iter().map(|t| t.name.as_str()), partitions)?;
    for lane in runtime::config::LANES {
        let group = runtime::config::senders_group(&settings.kafka.group_prefix, lane);
        let queues: Vec<String> =
            settings.connections.iter().map(|c| settings.kafka.topics.queue_for(&c.id, lane)).collect();
        crate::mock::commit_start(brokers, &group, &queues, partitions)?;
    }
    kafka::ensure_topics(&settings.kafka, &topics, partitions).await?;
    let gateway = tokio::spawn(smsgw::run_roles(settings.clone(), smsgw::Role::All, shutdown.clone()));
    let mut watch_config = KafkaConfig::new(&settings.kafka.brokers);
    watch_config.session_timeout = Duration::from_secs(6);
    watch_config.properties.extend(properties.iter().cloned());
    let consumer = kafka::watcher(&watch_config, &format!("{run}.watch"), &[&settings.kafka.topics.status])?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    // No clock starts while a queue waits for its old group.
    reading(&settings.kafka.group_prefix).await;
    Ok((gateway, consumer))
}

/// When the lane consumers read every queue: on a fresh broker each
/// queue's partitions are first held for the per-connection group that
/// would have read it before (`smsgw_partitions_held`,
/// `kafka::consumer::handover`), for a few seconds until that group is
/// known never to have existed. Start-up is not over before; the idle
/// figures are read after. Once the gateway is ready every group has its
/// partitions, so none held then means none left to wait for (the bench
/// looks only after the rig's settling time, so this is an upper bound).
pub(crate) async fn reading(group_prefix: &str) -> Instant {
    let held = || -> i64 {
        runtime::config::LANES
            .into_iter()
            .map(|lane| counters::partitions_held(&runtime::config::senders_group(group_prefix, lane)).get())
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while (held() > 0 || !counters::health::ready().0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Instant::now()
}

/// The gateway (every role) and the simulator of one run, started, and a
/// watcher of the status topic; every topic and group is this run's own.
pub(crate) struct Rig {
    pub settings: Arc<Settings>,
    pub sim_state: Arc<SimState>,
    pub consumer: kafka::rdkafka::consumer::StreamConsumer,
    pub producer: kafka::PlainProducer,
    /// How long after the gateway started every bind of every connection
    /// was up at the simulator (set once they are).
    pub ready: Arc<std::sync::OnceLock<Duration>>,
    shutdown: CancellationToken,
    gateway: tokio::task::JoinHandle<Result<(), smsgw::Error>>,
    sim: tokio::task::JoinHandle<()>,
}

impl Rig {
    pub async fn start(args: &BenchArgs) -> anyhow::Result<Rig> {
        Rig::start_with(args, "bench", |_| {}).await
    }

    /// [`Rig::start`] with the run's topics named after `name` and the
    /// settings changed by `adjust` before the gateway starts.
    pub async fn start_with(args: &BenchArgs, name: &str, adjust: impl FnOnce(&mut Settings)) -> anyhow::Result<Rig> {
        // Ids repeat between runs (b0, b1, ...) and must never meet a
        // previous run's done markers or submit records.
        let started_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let run = format!("{name}-{}-{started_at}", std::process::id());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let sim_port = listener.local_addr()?.port();
        let shutdown = CancellationToken::new();
        let sim_state = Arc::new(SimState::default());
        let sim = tokio::spawn(simulator::smpp::run(
            listener,
            SimConfig {
                record: false,
                receipt_delay: args.receipt_delay,
                latency: args.sim_latency,
                ..SimConfig::default()
            },
            sim_state.clone(),
            shutdown.clone(),
        ));
        let mut settings = settings(args, &run, sim_port)?;
        adjust(&mut settings);
        let settings = Arc::new(settings);
        let ready = Arc::new(std::sync::OnceLock::new());
        let binds: usize = settings.connections.iter().map(|c| c.binds).sum();
        let (state, set, from) = (sim_state.clone(), ready.clone(), Instant::now());
        tokio::spawn(async move {
            while state.bound_now.load(std::sync::atomic::Ordering::Relaxed) < binds as u64 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let _ = set.set(from.elapsed());
        });
        let (gateway, consumer) = start_gateway(&settings, &args.properties, &run, &shutdown).await?;
        let producer = kafka::producer(&settings.kafka)?;
        Ok(Rig { settings, sim_state, consumer, producer, ready, shutdown, gateway, sim })
    }

    /// Queues one request, waiting while the producer's local queue is
    /// full. Its acknowledgement is not awaited: a request the producer
    /// gives up on is one that never gets its status, which every bench
    /// counts. (Awaiting each in a `FuturesUnordered` took 8 % of the bench
    /// process, charged to smsgw: a wake of the load generator's task from
    /// the report thread per request.)
    pub async fn publish(&self, id: &str, body: &str) {
        let topic = &self.settings.kafka.topics.send;
        let full =
            kafka::rdkafka::error::KafkaError::MessageProduction(kafka::rdkafka::types::RDKafkaErrorCode::QueueFull);
        loop {
            match self.producer.queue(kafka::Outgoing::new(topic, id, body.as_bytes())) {
                Ok(_) => return,
                Err(e) if e == full => tokio::time::sleep(Duration::from_millis(1)).await,
                // Not to be retried (an invalid record): the request goes
                // missing, and the bench says so.
                Err(e) => return tracing::error!(error = %e, id, "request not queued"),
            }
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.gateway.await;
        let _ = self.sim.await;
    }
}

/// A request of the benchmark: its id and JSON body.
pub(crate) fn request(prefix: &str, i: usize, receipts: bool) -> (String, String) {
    let id = format!("{prefix}{i}");
    let body = format!(
        r#"{{"id":"{id}","to":"+4915112{i:06}","from":"BENCH","text":"Your code is {i:06}","delivery_report":{receipts}}}"#
    );
    (id, body)
}

/// Runs the benchmark and prints one summary line.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let rig = Rig::start(&args).await?;
    let n = args.requests;
    let receipts = !args.no_receipts;
    let meter = crate::cpu::Meter::start("bench process (smsgw, simulator, load)", &args.cpu_of);
    let started = Instant::now();
    let mut sent_at = HashMap::with_capacity(n);
    for i in 0..n {
        let (id, body) = request("b", i, receipts);
        sent_at.insert(id.clone(), Instant::now());
        rig.publish(&id, &body).await;
    }
    let produced = started.elapsed();

    // Latency to the event that ends the measured path: DELIVERED with
    // receipts, SUBMITTED without; SUBMITTED latency is reported either way.
    let mut latencies = Vec::with_capacity(n);
    let mut submitted = Vec::with_capacity(n);
    let mut statuses: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut stream = rig.consumer.stream();
    let deadline = started + args.timeout;
    let mut last = started;
    while latencies.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(message)) = tokio::time::timeout(left, stream.next()).await else { break };
        let Ok(message) = message else { continue };
        let Ok(ev) = events::decode_status(message.payload().unwrap_or_default(), None) else { continue };
        let label = if ev.request_id.is_empty() { "UNMATCHED" } else { ev.status.symbol() };
        *statuses.entry(label).or_default() += 1;
        let now = Instant::now();
        if ev.status == events::Status::Submitted {
            if let Some(t0) = sent_at.get(&ev.request_id) {
                submitted.push(now - *t0);
            }
            if receipts {
                continue;
            }
        }
        let Some(t0) = sent_at.remove(&ev.request_id) else { continue };
        last = now;
        latencies.push(now - t0);
    }
    let cpu = meter.read();
    drop(stream);
    let accepted = rig.sim_state.accepted();
    rig.stop().await;

    let done = latencies.len();
    let (p50, p99) = percentiles(&mut latencies);
    let (s50, s99) = percentiles(&mut submitted);
    let elapsed = last - started;
    let end = if receipts { "DELIVERED" } else { "SUBMITTED" };
    println!(
        "smsgw bench: {done}/{n} requests to {end} in {secs:.2}s = {rate:.0} requests/s (produced in {prod:.2}s); \
         latency produce→{end} p50 {p50} ms, p99 {p99} ms; produce→SUBMITTED p50 {s50} ms, p99 {s99} ms; \
         {cpu}; statuses {statuses:?}; simulator accepted {acc}",
        secs = elapsed.as_secs_f64(),
        rate = done as f64 / elapsed.as_secs_f64().max(1e-9),
        prod = produced.as_secs_f64(),
        acc = accepted,
        cpu = cpu.per_request(done),
    );
    if latencies.len() < n {
        anyhow::bail!("only {} of {n} requests completed within {:?}", latencies.len(), args.timeout);
    }
    Ok(())
}

/// p50 and p99 in milliseconds.
pub(crate) fn percentiles(samples: &mut [Duration]) -> (u128, u128) {
    samples.sort();
    let at = |p: f64| {
        samples
            .get(((samples.len() as f64 * p) as usize).min(samples.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    (at(0.50).as_millis(), at(0.99).as_millis())
}

//! `smsgw bench`: N JSON requests through broker → smsgw (in-process) → the
//! SMPP simulator (in-process), timed from produce to SUBMITTED consumed.
//!
//! Every run uses fresh topic names, so runs never see each other's records.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use kafka::rdkafka::message::Message;
use kafka::rdkafka::producer::FutureRecord;
use runtime::config::KafkaConfig;
use runtime::Settings;
use simulator::{SimConfig, SimState};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Bootstrap brokers.
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
    /// Give up after this long.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "300s")]
    pub timeout: Duration,
}

fn settings(args: &BenchArgs, run: &str, sim_port: u16) -> anyhow::Result<Settings> {
    let toml = format!(
        r#"
        [kafka]
        brokers = "{brokers}"
        group_prefix = "{run}"
        session_timeout = "6s"
        partitions = {partitions}
        [kafka.topics]
        send = "{run}.send"
        status = "{run}.status"
        inbound = "{run}.inbound"
        dead_letter = "{run}.dead"
        deliver = "{run}.deliver"
        queue_prefix = "{run}.queue."
        [router]
        default_connection = "sim"
        [[connections]]
        id = "sim"
        protocol = "smpp"
        host = "127.0.0.1"
        port = {sim_port}
        system_id = "bench"
        binds = {binds}
        window = {window}
        max_in_flight = 20000
        "#,
        brokers = args.brokers,
        partitions = args.partitions,
        binds = args.binds,
        window = args.window,
    );
    Ok(Settings::from_toml(&toml)?)
}

/// Runs the benchmark and prints one summary line.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let run = format!("bench-{}", std::process::id());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sim_port = listener.local_addr()?.port();
    let shutdown = CancellationToken::new();
    let sim_state = Arc::new(SimState::default());
    let sim = tokio::spawn(simulator::smpp::run(
        listener,
        SimConfig { record: false, ..SimConfig::default() },
        sim_state.clone(),
        shutdown.clone(),
    ));
    let settings = Arc::new(settings(&args, &run, sim_port)?);
    kafka::ensure_topics(&settings.kafka, &crate::topics(&settings), settings.kafka.partitions).await?;
    let gateway = tokio::spawn(crate::run_roles(settings.clone(), crate::Role::All, shutdown.clone()));

    let mut watch_config = KafkaConfig::new(&args.brokers);
    watch_config.session_timeout = Duration::from_secs(6);
    let consumer = kafka::watcher(&watch_config, &format!("{run}.watch"), &[&settings.kafka.topics.status])?;
    // Let the gateway's and our consumers join their groups before the clock starts.
    tokio::time::sleep(Duration::from_secs(4)).await;

    let producer = kafka::producer(&settings.kafka)?;
    let topic = settings.kafka.topics.send.clone();
    let n = args.requests;
    let started = Instant::now();
    let mut sent_at = HashMap::with_capacity(n);
    let mut deliveries = futures::stream::FuturesUnordered::new();
    for i in 0..n {
        let id = format!("b{i}");
        let body = format!(r#"{{"id":"{id}","to":"+4915112{i:06}","from":"BENCH","text":"Your code is {i:06}"}}"#);
        sent_at.insert(id.clone(), Instant::now());
        loop {
            match producer.send_result(FutureRecord::to(&topic).key(&id).payload(&body)) {
                Ok(f) => {
                    deliveries.push(f);
                    break;
                }
                Err((e, _)) => {
                    // Local queue full: wait for some deliveries.
                    tracing::debug!(error = %e, "producer queue full");
                    if let Some(r) = deliveries.next().await {
                        r.ok();
                    }
                }
            }
        }
    }
    let produced = started.elapsed();
    tokio::spawn(async move { while deliveries.next().await.is_some() {} });

    let mut latencies = Vec::with_capacity(n);
    let mut statuses: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut stream = consumer.stream();
    let deadline = started + args.timeout;
    let mut last = started;
    while latencies.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(message)) = tokio::time::timeout(left, stream.next()).await else { break };
        let Ok(message) = message else { continue };
        let Ok(ev) = events::decode_status(message.payload().unwrap_or_default(), None) else { continue };
        let Some(t0) = sent_at.remove(&ev.request_id) else { continue };
        last = Instant::now();
        latencies.push(last - t0);
        *statuses.entry(ev.status.symbol()).or_default() += 1;
    }
    shutdown.cancel();
    let _ = gateway.await;
    let _ = sim.await;

    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let elapsed = last - started;
    println!(
        "smsgw bench: {done}/{n} requests in {secs:.2}s = {rate:.0} requests/s (produced in {prod:.2}s); latency produce→SUBMITTED p50 {p50} ms, p99 {p99} ms; statuses {statuses:?}; simulator accepted {acc}",
        done = latencies.len(),
        secs = elapsed.as_secs_f64(),
        rate = latencies.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        prod = produced.as_secs_f64(),
        p50 = pct(0.50).as_millis(),
        p99 = pct(0.99).as_millis(),
        acc = sim_state.accepted(),
    );
    if latencies.len() < n {
        anyhow::bail!("only {} of {n} requests completed within {:?}", latencies.len(), args.timeout);
    }
    Ok(())
}

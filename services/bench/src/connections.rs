//! `smsgw-bench connections --connections C`: C SMPP connections in one
//! process, each with its own binds to the simulator (2 by default), behind
//! one round-robin route. Measures what an aggregator with many SMSC
//! accounts meets: start-up to ready (every bind up), resident memory and
//! threads idle and under load, and the throughput of N requests to
//! SUBMITTED spread over all connections. Memory and threads are this
//! process's (`/proc/self/status`): the gateway with every role, plus the
//! simulator and the load generator, which are the same at every C.
//!
//! `scripts/bench` (SMSGW_BENCH_CONNECTIONS="1 2 10 50 200") runs one
//! process per count, each against a fresh broker, so no count inherits
//! another's allocations.

use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use kafka::rdkafka::message::Message;

use crate::gateway::{reading, request, BenchArgs, Rig};

/// How long the idle CPU is measured.
const IDLE: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub struct ConnectionsArgs {
    #[command(flatten)]
    pub bench: BenchArgs,
    /// SMPP connections in the process.
    #[arg(long)]
    pub connections: usize,
}

/// VmRSS (MiB) and Threads of this process.
fn memory_and_threads() -> (f64, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
    };
    (field("VmRSS:").unwrap_or(0) as f64 / 1024.0, field("Threads:").unwrap_or(0) as usize)
}

pub async fn run(args: ConnectionsArgs) -> anyhow::Result<()> {
    let c = args.connections;
    anyhow::ensure!(c > 0, "--connections must be at least 1");
    let binds = args.bench.binds;
    let started = Instant::now();
    let rig = Rig::start_with(&args.bench, "bench-connections", |settings| {
        let first = settings.connections[0].clone();
        settings.connections = (0..c)
            .map(|i| {
                let mut connection = first.clone();
                connection.id = format!("sim{i}");
                connection
            })
            .collect();
        settings.router.default_connection = None;
        settings.routes = round_robin(c);
    })
    .await?;
    // Ready: every bind of every connection up at the simulator.
    let deadline = Instant::now() + Duration::from_secs(300);
    let ready = loop {
        if let Some(ready) = rig.ready.get() {
            break *ready;
        }
        anyhow::ensure!(Instant::now() < deadline, "not every bind came up within 300s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let reading = reading(&rig.settings.kafka.group_prefix).await - started;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (idle_rss, idle_threads) = memory_and_threads();
    // The fixed cost of C idle connections: consumers polling, heartbeats,
    // timers, and the broker answering them.
    let idle = crate::cpu::Meter::start("bench process", &args.bench.cpu_of);
    tokio::time::sleep(IDLE).await;
    let idle = idle.read();

    let n = args.bench.requests;
    // The most memory and threads under load, sampled every 100 ms.
    let peak = std::sync::Arc::new(std::sync::Mutex::new((0.0f64, 0usize)));
    let sampling = tokio::spawn({
        let peak = peak.clone();
        async move {
            loop {
                let (rss, threads) = memory_and_threads();
                {
                    let mut p = peak.lock().unwrap_or_else(|e| e.into_inner());
                    *p = (p.0.max(rss), p.1.max(threads));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let meter = crate::cpu::Meter::start("bench process (smsgw, simulator, load)", &args.bench.cpu_of);
    let load_started = Instant::now();
    for i in 0..n {
        let (id, body) = request("c", i, false);
        rig.publish(&id, &body).await;
    }
    let mut submitted = 0usize;
    let mut stream = rig.consumer.stream();
    let deadline = Instant::now() + args.bench.timeout;
    let mut last = load_started;
    while submitted < n {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(message)) = tokio::time::timeout(left, stream.next()).await else { break };
        let Ok(message) = message else { continue };
        let Ok(ev) = events::decode_status(message.payload().unwrap_or_default(), None) else { continue };
        if ev.request_id.starts_with('c') && ev.status == events::Status::Submitted {
            submitted += 1;
            last = Instant::now();
        }
    }
    let usage = meter.read();
    sampling.abort();
    let (load_rss, load_threads) = *peak.lock().unwrap_or_else(|e| e.into_inner());
    drop(stream);
    rig.stop().await;

    let seconds = (last - load_started).as_secs_f64().max(1e-9);
    println!(
        "smsgw connections: {c} connections × {binds} binds: ready in {ready:.1}s, every queue read after {reading:.1}s; idle {idle_rss:.0} MiB resident, \
         {idle_threads} threads; under load {load_rss:.0} MiB, {load_threads} threads; {submitted}/{n} requests to \
         SUBMITTED in {seconds:.2}s = {rate:.0} requests/s, {per_request}; idle {idle_cpu}",
        ready = ready.as_secs_f64(),
        reading = reading.as_secs_f64(),
        rate = submitted as f64 / seconds,
        per_request = usage.per_request(submitted),
        idle_cpu = crate::cpu::PerSecond(&idle, IDLE),
    );
    anyhow::ensure!(submitted == n, "only {submitted} of {n} requests were submitted");
    Ok(())
}

/// One round-robin route over connections `sim0` .. `sim{c-1}`, as the
/// configuration file writes it (parsed with placeholder connections, so
/// the route is checked like any other).
fn round_robin(c: usize) -> Vec<runtime::config::Route> {
    let ids: Vec<String> = (0..c).map(|i| format!("sim{i}")).collect();
    let connections: String = ids
        .iter()
        .map(|id| format!("[[connections]]\nid = \"{id}\"\nprotocol = \"smpp\"\nhost = \"127.0.0.1\"\nport = 1\nsystem_id = \"x\"\n"))
        .collect();
    let members = ids.iter().map(|id| format!("\"{id}\"")).collect::<Vec<_>>().join(", ");
    let text = format!(
        "[kafka]\nbrokers = \"127.0.0.1:1\"\n{connections}[[routes]]\nid = \"all\"\nconnections = [{members}]\nstrategy = \"round_robin\"\n"
    );
    runtime::Settings::from_toml(&text).map(|s| s.routes).unwrap_or_default()
}

//! One run: the simulator, the DLR server, bearerbox and smsbox, a warm-up
//! message, then N sendsms requests timed to their delivery reports.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use simulator::state::Receipts;
use simulator::{SimConfig, SimState};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::args::BenchKannelArgs;
use super::boxes::{free_port, wait_port, Boxes};
use super::config::{kannel_conf, Ports};
use super::dlr::{dlr_server, Dlr};
use super::sendsms::{send, sendsms_url};

/// What one run measured.
#[derive(Debug, Clone)]
pub struct BenchResult {
    /// Requests whose delivery report (type 1) arrived.
    pub done: usize,
    pub requests: usize,
    /// From the first request to the last delivery report.
    pub seconds: f64,
    pub rate: f64,
    pub p50_ms: u128,
    pub p99_ms: u128,
}

/// Runs the benchmark, prints one summary line and returns the figures.
/// SIGINT or SIGTERM stops it, and bearerbox and smsbox with it.
/// With `--rate`, the open-loop run instead ([`super::latency`]).
pub async fn run(args: BenchKannelArgs) -> anyhow::Result<()> {
    let signal = runtime::shutdown::on_signal();
    let bench = async {
        match args.rate {
            Some(rate) => super::latency::run(&args, rate).await,
            None => bench(&args).await.map(|_| ()),
        }
    };
    tokio::select! {
        r = bench => r,
        _ = signal.cancelled() => anyhow::bail!("interrupted"),
    }
}

/// Kannel (bearerbox and smsbox), the simulator and the DLR server of one
/// run, started and warmed up: one message went all the way to its report.
pub(super) struct Rig {
    pub(super) boxes: Boxes,
    pub(super) sim_state: Arc<SimState>,
    pub(super) dlr_rx: mpsc::UnboundedReceiver<Dlr>,
    pub(super) client: reqwest::Client,
    pub(super) sendsms: u16,
    pub(super) dlr_port: u16,
    /// Stops the simulator and the DLR server when the rig is dropped.
    pub(super) _stop: tokio_util::sync::DropGuard,
}

pub(super) async fn start(args: &BenchKannelArgs, dlr_mask: u8) -> anyhow::Result<Rig> {
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone().drop_guard();

    let sim_listener = TcpListener::bind("127.0.0.1:0").await?;
    let sim_state = Arc::new(SimState::default());
    let sim_config = SimConfig {
        receipts: Receipts::Requested,
        receipt_delay: args.receipt_delay,
        record: false,
        ..SimConfig::default()
    };
    let ports = Ports {
        admin: free_port()?,
        smsbox: free_port()?,
        sendsms: free_port()?,
        sim: sim_listener.local_addr()?.port(),
    };
    tokio::spawn(simulator::smpp::run(sim_listener, sim_config, sim_state.clone(), shutdown.clone()));

    let dlr_listener = TcpListener::bind("127.0.0.1:0").await?;
    let dlr_port = dlr_listener.local_addr()?.port();
    let (dlr_tx, mut dlr_rx) = mpsc::unbounded_channel();
    tokio::spawn(dlr_server(dlr_listener, dlr_tx, shutdown.clone()));

    let dir = std::env::temp_dir().join(format!("smsgw-bench-kannel-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut boxes = Boxes { children: Vec::new(), dir: dir.clone(), keep: args.keep };
    let conf = dir.join("kannel.conf");
    std::fs::write(&conf, kannel_conf(args, &ports, &dir))?;
    if args.keep {
        eprintln!("kannel bench: configuration and logs in {}", dir.display());
    }

    boxes.spawn("bearerbox", &args.bearerbox, args.log_level, &conf)?;
    wait_port(ports.smsbox, &mut boxes, Duration::from_secs(20)).await?;
    boxes.spawn("smsbox", &args.smsbox, args.log_level, &conf)?;
    wait_port(ports.sendsms, &mut boxes, Duration::from_secs(20)).await?;
    let until = Instant::now() + Duration::from_secs(20);
    while sim_state.binds.load(Ordering::Relaxed) == 0 {
        boxes.check()?;
        anyhow::ensure!(Instant::now() < until, "Kannel did not bind to the simulator within 20s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?;
    // Warm-up: one message all the way to its delivery report before the clock starts.
    let n = args.requests;
    let warm_deadline = Instant::now() + Duration::from_secs(30);
    let url = sendsms_url(ports.sendsms, dlr_port, n, dlr_mask);
    send(&client, &url, &AtomicU64::new(0), warm_deadline).await?;
    loop {
        let left = warm_deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, dlr_rx.recv()).await {
            Ok(Some((id, 1, _))) if id == n => break,
            Ok(Some(_)) => {}
            _ => anyhow::bail!("the warm-up message's delivery report did not arrive within 30s"),
        }
    }
    Ok(Rig { boxes, sim_state, dlr_rx, client, sendsms: ports.sendsms, dlr_port, _stop: stop })
}

/// The closed-loop run: `--concurrency` sendsms requests in flight.
async fn bench(args: &BenchKannelArgs) -> anyhow::Result<BenchResult> {
    let Rig { boxes, sim_state, mut dlr_rx, client, sendsms, dlr_port, _stop } = start(args, 1).await?;
    let n = args.requests;
    let retries = AtomicU64::new(0);

    let meter = crate::cpu::Meter::start("bench process (simulator, load)", &boxes.pids());
    let started = Instant::now();
    let deadline = started + args.timeout;
    let sender = {
        let client = client.clone();
        let concurrency = args.concurrency;
        async move {
            let retries = &retries;
            let client = &client;
            let sent: Vec<(usize, anyhow::Result<Instant>)> =
                futures::stream::iter(0..n)
                    .map(|id| async move {
                        (id, send(client, &sendsms_url(sendsms, dlr_port, id, 1), retries, deadline).await)
                    })
                    .buffer_unordered(concurrency)
                    .collect()
                    .await;
            (sent, Instant::now(), retries.load(Ordering::Relaxed))
        }
    };
    let receiver = async {
        let mut delivered: HashMap<usize, Instant> = HashMap::with_capacity(n);
        let mut other = 0usize;
        while delivered.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, dlr_rx.recv()).await {
                Ok(Some((id, 1, at))) if id < n => {
                    delivered.entry(id).or_insert(at);
                }
                Ok(Some(_)) => other += 1,
                _ => break,
            }
        }
        (delivered, other)
    };
    let ((sent, sent_done, retries), (delivered, other_dlrs)) = tokio::join!(sender, receiver);
    let cpu = meter.read();
    let accepted = sim_state.accepted();
    drop(boxes);

    let mut sent_at = vec![None; n];
    let mut failed = 0usize;
    for (id, r) in sent {
        match r {
            Ok(t) => sent_at[id] = Some(t),
            Err(_) => failed += 1,
        }
    }
    let mut latencies: Vec<Duration> =
        delivered.iter().filter_map(|(id, at)| sent_at[*id].map(|t0| at.saturating_duration_since(t0))).collect();
    latencies.sort();
    let last = delivered.values().max().copied().unwrap_or(started);
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let seconds = (last - started).as_secs_f64();
    let result = BenchResult {
        done: latencies.len(),
        requests: n,
        seconds,
        rate: latencies.len() as f64 / seconds.max(1e-9),
        p50_ms: pct(0.50).as_millis(),
        p99_ms: pct(0.99).as_millis(),
    };
    println!(
        "kannel bench: {done}/{n} requests in {secs:.2}s = {rate:.0} requests/s with delivery reports; latency request→DLR p50 {p50} ms, p99 {p99} ms; sendsms accepted in {sent_secs:.2}s, {retries} retried, {failed} failed; {cpu}, of it busy: {busy}; simulator accepted {accepted}; other DLRs {other_dlrs}",
        done = result.done,
        secs = seconds,
        rate = result.rate,
        p50 = result.p50_ms,
        p99 = result.p99_ms,
        sent_secs = (sent_done - started).as_secs_f64(),
        cpu = cpu.per_request(result.done),
        busy = busy(&cpu, seconds),
    );
    if result.done < n {
        anyhow::bail!("only {} of {n} delivery reports arrived within {:?}", result.done, args.timeout);
    }
    Ok(result)
}

/// How busy each process was over the run: "bearerbox 85%, smsbox 40%, ...".
fn busy(cpu: &crate::cpu::Usage, seconds: f64) -> String {
    let share = |(name, used): &(String, f64)| format!("{name} {:.0}%", 100.0 * used / seconds.max(1e-9));
    cpu.0.iter().map(share).collect::<Vec<_>>().join(", ")
}

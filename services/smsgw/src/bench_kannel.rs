//! `smsgw bench-kannel`: the Kannel half of the side-by-side benchmark
//! (`scripts/bench`). Debian's Kannel 1.4.5 (bearerbox + smsbox, from
//! `scripts/install-kannel`) sends N messages to the same in-process SMPP
//! simulator that `smsgw bench` uses; each is an HTTP sendsms request asking
//! for a delivery report (`dlr-mask=1`) through `dlr-url` to a small HTTP
//! server here. Timed from sendsms request to the DLR (type 1) callback.
//!
//! Kannel settings (all processes bound to 127.0.0.1; see [`kannel_conf`]):
//! - core: `admin-interface`, `smsbox-interface` = 127.0.0.1, `admin-allow-ip`,
//!   `box-allow-ip` = 127.0.0.1; `dlr-storage = internal` (Kannel's default,
//!   in memory); `sms-outgoing-queue-limit = -1` (unbounded: sendsms is never
//!   refused for a full queue); `smsbox-max-pending` = `--max-pending`
//!   (default 1000, Kannel's own default 100 caps DLRs in flight to smsbox);
//!   `log-level` = `--log-level` (default 4 = panic only, and the same for the
//!   boxes' stderr with `-v`, so logging costs nothing).
//! - smsc: `smsc = smpp`, `transceiver-mode = true`, `max-pending-submits` =
//!   `--max-pending-submits` (Kannel's window, default 500: at 100 Kannel was
//!   10-25 % slower; the smsgw bench uses 2 binds × 200), `msg-id-type = 0`
//!   (the simulator's ids are decimal in submit_sm_resp and receipts), no
//!   `throughput` limit.
//! - smsbox: `sendsms-interface = 127.0.0.1`, `max-pending-requests` =
//!   `--max-pending` (concurrent dlr-url fetches), `immediate-sendsms-reply`
//!   unset (the reply comes once bearerbox has queued the message).
//! - sendsms-user: `max-messages = 1`.
//!
//! The client keeps `--concurrency` sendsms requests in flight (default 200,
//! keep-alive) so the pipeline stays full; a refused request (not 2xx) is
//! retried after a short pause and counted. 50 in flight was slower; 500
//! stalled smsbox's HTTP server (its listen backlog is 10) into the 60 s
//! client timeout.
//!
//! Tried on the 2-core machine: `--log-level 2` (warnings) made no measurable
//! difference to 4; `--max-pending 100` or 5000 no consistent one. Kannel is
//! CPU-bound: about 90 µs of bearerbox and 135 µs of smsbox CPU per message
//! with its delivery report, and the summary line prints both boxes' CPU.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use futures::StreamExt;
use simulator::state::Receipts;
use simulator::{SimConfig, SimState};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct BenchKannelArgs {
    /// Requests to push through.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// sendsms requests in flight.
    #[arg(long, default_value_t = 200)]
    pub concurrency: usize,
    /// Kannel's SMPP window (`max-pending-submits`).
    #[arg(long, default_value_t = 500)]
    pub max_pending_submits: usize,
    /// `smsbox-max-pending` (bearerbox) and `max-pending-requests` (smsbox).
    #[arg(long, default_value_t = 1000)]
    pub max_pending: usize,
    /// Kannel log level for log files and stderr (0 debug … 4 panic).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(0..=4))]
    pub log_level: u8,
    /// Delay between submit and receipt in the simulator.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "100ms")]
    pub receipt_delay: Duration,
    /// Give up after this long.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "300s")]
    pub timeout: Duration,
    /// bearerbox binary.
    #[arg(long, default_value = "/usr/sbin/bearerbox")]
    pub bearerbox: PathBuf,
    /// smsbox binary.
    #[arg(long, default_value = "/usr/sbin/smsbox")]
    pub smsbox: PathBuf,
    /// Keep the temporary directory (kannel.conf, logs) and print its path.
    #[arg(long)]
    pub keep: bool,
}

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

const USER: &str = "bench";
const PASSWORD: &str = "bench";

/// Ports of one Kannel set-up.
struct Ports {
    admin: u16,
    smsbox: u16,
    sendsms: u16,
    sim: u16,
}

/// The configuration file for bearerbox and smsbox.
fn kannel_conf(args: &BenchKannelArgs, ports: &Ports, dir: &Path) -> String {
    format!(
        r#"group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = {PASSWORD}
admin-allow-ip = 127.0.0.1
smsbox-port = {smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{dir}/bearerbox.log"
log-level = {log}
dlr-storage = internal
sms-outgoing-queue-limit = -1
smsbox-max-pending = {max_pending}

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = {sim}
transceiver-mode = true
smsc-username = {USER}
smsc-password = {PASSWORD}
system-type = ""
max-pending-submits = {window}
msg-id-type = 0
log-level = {log}

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
max-pending-requests = {max_pending}
log-file = "{dir}/smsbox.log"
log-level = {log}

group = sendsms-user
username = {USER}
password = {PASSWORD}
max-messages = 1
"#,
        admin = ports.admin,
        smsbox = ports.smsbox,
        sendsms = ports.sendsms,
        sim = ports.sim,
        dir = dir.display(),
        log = args.log_level,
        max_pending = args.max_pending,
        window = args.max_pending_submits,
    )
}

/// bearerbox and smsbox, killed (smsbox first) and the directory removed on drop.
struct Boxes {
    children: Vec<(&'static str, Child)>,
    dir: PathBuf,
    keep: bool,
}

impl Boxes {
    fn spawn(&mut self, name: &'static str, binary: &Path, log_level: u8, conf: &Path) -> anyhow::Result<()> {
        let stderr = std::fs::File::create(self.dir.join(format!("{name}.stderr")))?;
        let child = std::process::Command::new(binary)
            .arg("-v")
            .arg(log_level.to_string())
            .arg(conf)
            .stdin(Stdio::null())
            .stdout(stderr.try_clone()?)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {} (run scripts/install-kannel)", binary.display()))?;
        self.children.push((name, child));
        Ok(())
    }

    /// Fails if a box has exited.
    fn check(&mut self) -> anyhow::Result<()> {
        for (name, child) in &mut self.children {
            if let Some(status) = child.try_wait()? {
                // Keep the configuration and logs for a look.
                self.keep = true;
                anyhow::bail!("{name} exited with {status}; see {}/{name}.stderr", self.dir.display());
            }
        }
        Ok(())
    }

    /// CPU seconds (user + system) each box has used so far.
    fn cpu(&self) -> Vec<(&'static str, f64)> {
        self.children.iter().map(|(name, child)| (*name, cpu_seconds(&format!("/proc/{}/stat", child.id())))).collect()
    }
}

impl Drop for Boxes {
    fn drop(&mut self) {
        for (_, child) in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// utime + stime of a /proc stat file, in seconds (USER_HZ is 100 on Linux).
fn cpu_seconds(stat: &str) -> f64 {
    let Ok(text) = std::fs::read_to_string(stat) else { return 0.0 };
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// A free port on 127.0.0.1 (released again, for a child process to bind).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// One delivery report callback: our request id, Kannel's DLR type, when it arrived.
type Dlr = (usize, u32, Instant);

/// Serves Kannel's `dlr-url` callbacks (`GET /dlr?id=N&type=T`), HTTP/1.1 keep-alive.
async fn dlr_server(listener: TcpListener, tx: mpsc::UnboundedSender<Dlr>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => if let Ok((stream, _)) = accepted {
                let _ = stream.set_nodelay(true);
                tokio::spawn(dlr_connection(stream, tx.clone()));
            }
        }
    }
}

async fn dlr_connection(stream: TcpStream, tx: mpsc::UnboundedSender<Dlr>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let target = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let mut close = line.ends_with("HTTP/1.0\r\n");
        let mut length = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("connection") {
                    close = value.eq_ignore_ascii_case("close");
                } else if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().unwrap_or(0);
                }
            }
        }
        if length > 0 {
            let mut body = vec![0; length];
            tokio::io::AsyncReadExt::read_exact(&mut reader, &mut body).await?;
        }
        let now = Instant::now();
        let query = target.split_once('?').map_or("", |(_, q)| q);
        let (mut id, mut kind) = (None, None);
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("id", v)) => id = v.parse().ok(),
                Some(("type", v)) => kind = v.parse().ok(),
                _ => {}
            }
        }
        if let (Some(id), Some(kind)) = (id, kind) {
            let _ = tx.send((id, kind, now));
        }
        let connection = if close { "close" } else { "keep-alive" };
        write
            .write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: {connection}\r\n\r\n").as_bytes())
            .await?;
        if close {
            return Ok(());
        }
    }
}

/// The sendsms URL for request `id`.
fn sendsms_url(sendsms: u16, dlr_port: u16, id: usize) -> String {
    let dlr_url = format!("http://127.0.0.1:{dlr_port}/dlr?id={id}&type=%d");
    format!(
        "http://127.0.0.1:{sendsms}/cgi-bin/sendsms?username={USER}&password={PASSWORD}&to={to}&from=BENCH&text={text}&dlr-mask=1&dlr-url={dlr}",
        to = encode(&format!("+4915112{id:06}")),
        text = encode(&format!("Your code is {id:06}")),
        dlr = encode(&dlr_url),
    )
}

/// Sends one sendsms request, retrying refusals; the time of the first attempt.
async fn send(client: &reqwest::Client, url: &str, retries: &AtomicU64, deadline: Instant) -> anyhow::Result<Instant> {
    let first = Instant::now();
    loop {
        let outcome = client.get(url).send().await;
        match outcome {
            Ok(resp) if resp.status().is_success() => {
                // Drain the body so the connection goes back to the pool.
                let _ = resp.bytes().await;
                return Ok(first);
            }
            Ok(resp) => {
                let status = resp.status();
                let body = resp.text().await.unwrap_or_default();
                tracing::debug!(%status, body, "sendsms refused");
            }
            Err(e) => tracing::debug!(error = %e, "sendsms failed"),
        }
        if Instant::now() > deadline {
            anyhow::bail!("sendsms kept failing until the timeout");
        }
        retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_port(port: u16, boxes: &mut Boxes, within: Duration) -> anyhow::Result<()> {
    let until = Instant::now() + within;
    loop {
        if TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).await.is_ok() {
            return Ok(());
        }
        boxes.check()?;
        if Instant::now() > until {
            anyhow::bail!("port {port} did not open within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs the benchmark, prints one summary line and returns the figures.
/// SIGINT or SIGTERM stops it, and bearerbox and smsbox with it.
pub async fn run(args: BenchKannelArgs) -> anyhow::Result<BenchResult> {
    let signal = runtime::shutdown::on_signal();
    tokio::select! {
        r = bench(args) => r,
        _ = signal.cancelled() => anyhow::bail!("interrupted"),
    }
}

async fn bench(args: BenchKannelArgs) -> anyhow::Result<BenchResult> {
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();

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
    std::fs::write(&conf, kannel_conf(&args, &ports, &dir))?;
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
    let retries = AtomicU64::new(0);

    // Warm-up: one message all the way to its delivery report before the clock starts.
    let n = args.requests;
    let warm_deadline = Instant::now() + Duration::from_secs(30);
    send(&client, &sendsms_url(ports.sendsms, dlr_port, n), &retries, warm_deadline).await?;
    loop {
        let left = warm_deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, dlr_rx.recv()).await {
            Ok(Some((id, 1, _))) if id == n => break,
            Ok(Some(_)) => {}
            _ => anyhow::bail!("the warm-up message's delivery report did not arrive within 30s"),
        }
    }
    retries.store(0, Ordering::Relaxed);

    let cpu_before = boxes.cpu();
    let self_before = cpu_seconds("/proc/self/stat");
    let started = Instant::now();
    let deadline = started + args.timeout;
    let sender = {
        let client = client.clone();
        let concurrency = args.concurrency;
        let sendsms = ports.sendsms;
        async move {
            let retries = &retries;
            let client = &client;
            let sent: Vec<(usize, anyhow::Result<Instant>)> =
                futures::stream::iter(0..n)
                    .map(|id| async move {
                        (id, send(client, &sendsms_url(sendsms, dlr_port, id), retries, deadline).await)
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
    let cpu_after = boxes.cpu();
    let self_cpu = cpu_seconds("/proc/self/stat") - self_before;
    let accepted = sim_state.accepted();
    drop(boxes);
    shutdown.cancel();

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
    let cpu: Vec<String> = cpu_after
        .iter()
        .zip(&cpu_before)
        .map(|((name, after), (_, before))| {
            let used = after - before;
            format!("{name} cpu {used:.1}s ({:.0}%)", 100.0 * used / seconds.max(1e-9))
        })
        .collect();
    println!(
        "kannel bench: {done}/{n} requests in {secs:.2}s = {rate:.0} requests/s with delivery reports; latency request→DLR p50 {p50} ms, p99 {p99} ms; sendsms accepted in {sent_secs:.2}s, {retries} retried, {failed} failed; {cpu}, bench process (client + simulator) cpu {self_cpu:.1}s; simulator accepted {accepted}; other DLRs {other_dlrs}",
        done = result.done,
        secs = seconds,
        rate = result.rate,
        p50 = result.p50_ms,
        p99 = result.p99_ms,
        sent_secs = (sent_done - started).as_secs_f64(),
        cpu = cpu.join(", "),
    );
    if result.done < n {
        anyhow::bail!("only {} of {n} delivery reports arrived within {:?}", result.done, args.timeout);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode("+49 151"), "%2B49%20151");
        assert_eq!(encode("http://h:1/dlr?id=3&type=%d"), "http%3A%2F%2Fh%3A1%2Fdlr%3Fid%3D3%26type%3D%25d");
    }

    #[test]
    fn reads_cpu_of_this_process() {
        assert!(cpu_seconds("/proc/self/stat") >= 0.0);
        assert_eq!(cpu_seconds("/nonexistent"), 0.0);
    }
}

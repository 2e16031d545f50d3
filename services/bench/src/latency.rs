//! `smsgw-bench latency`: latency at a steady rate, open loop. Requests are
//! published on a fixed schedule (request i at start + i / rate), whatever
//! the gateway does, and each latency is counted from the request's
//! scheduled time, so a publisher held up by a slow gateway makes the
//! figures worse instead of hiding it (no coordinated omission). Prints
//! p50, p99 and p99.9 from produce to SUBMITTED and to DELIVERED.
//!
//! `scripts/bench` (SMSGW_BENCH_LATENCY=1) runs it at 25 %, 50 % and 75 % of
//! the throughput `smsgw-bench run` measured, beside `smsgw-bench kannel
//! --rate` at the same shares of Kannel's.

use std::fmt;
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use kafka::rdkafka::message::Message;

use crate::gateway::{request, BenchArgs, Rig};

#[derive(Debug, Args)]
pub struct LatencyArgs {
    #[command(flatten)]
    pub bench: BenchArgs,
    /// Requests per second, published on schedule (`--requests` of them).
    #[arg(long)]
    pub rate: f64,
}

/// Latencies, printed as "p50 1.2 ms, p99 3.4 ms, p99.9 5.6 ms".
pub struct Quantiles(Vec<Duration>);

impl Quantiles {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        Quantiles(samples)
    }

    /// The `q` quantile (nearest rank); zero without samples.
    pub fn at(&self, q: f64) -> Duration {
        let rank = ((self.0.len() as f64 * q).ceil() as usize).clamp(1, self.0.len().max(1));
        self.0.get(rank - 1).copied().unwrap_or_default()
    }
}

impl fmt::Display for Quantiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |q: f64| self.at(q).as_secs_f64() * 1e3;
        write!(f, "p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms", ms(0.5), ms(0.99), ms(0.999))
    }
}

/// Runs the open-loop benchmark and prints one summary line.
pub async fn run(args: LatencyArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.rate > 0.0 && args.rate.is_finite(), "--rate must be a positive number");
    let rig = Rig::start(&args.bench).await?;
    let n = args.bench.requests;
    let receipts = !args.bench.no_receipts;
    warm_up(&rig, receipts).await?;
    let meter = crate::cpu::Meter::start("bench process (smsgw, simulator, load)", &args.bench.cpu_of);
    let start = Instant::now() + Duration::from_millis(100);
    let due = |i: usize| start + Duration::from_secs_f64(i as f64 / args.rate);

    let publisher = async {
        let mut behind = Duration::ZERO;
        for i in 0..n {
            tokio::time::sleep_until(due(i).into()).await;
            behind = behind.max(Instant::now().saturating_duration_since(due(i)));
            let (id, body) = request("l", i, receipts);
            rig.publish(&id, &body).await;
        }
        behind
    };
    let collector = async {
        let (mut accepted, mut submitted, mut delivered) = (Vec::new(), Vec::with_capacity(n), Vec::with_capacity(n));
        let mut other = 0usize;
        let mut stream = rig.consumer.stream();
        let deadline = start + Duration::from_secs_f64(n as f64 / args.rate) + args.bench.timeout;
        let ended = |s: &Vec<Duration>, d: &Vec<Duration>| if receipts { d.len() >= n } else { s.len() >= n };
        while !ended(&submitted, &delivered) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(Some(message)) = tokio::time::timeout(left, stream.next()).await else { break };
            let Ok(message) = message else { continue };
            let Ok(ev) = events::decode_status(message.payload().unwrap_or_default(), None) else { continue };
            let Some(i) = ev.request_id.strip_prefix('l').and_then(|i| i.parse::<usize>().ok()) else { continue };
            let latency = Instant::now().saturating_duration_since(due(i));
            match ev.status {
                events::Status::Accepted => accepted.push(latency),
                events::Status::Submitted => submitted.push(latency),
                events::Status::Delivered => delivered.push(latency),
                _ => other += 1,
            }
        }
        (accepted, submitted, delivered, other)
    };
    let (behind, (accepted, submitted, delivered, other)) = tokio::join!(publisher, collector);
    let cpu = meter.read();
    rig.stop().await;

    let done = if receipts { delivered.len() } else { submitted.len() };
    let accepted =
        if accepted.is_empty() { String::new() } else { format!("produce→ACCEPTED {}; ", Quantiles::new(accepted)) };
    println!(
        "smsgw latency: {done}/{n} requests at {rate:.0}/s (open loop, publisher at most {behind:.1} ms behind \
         schedule); {accepted}produce→SUBMITTED {s}; produce→DELIVERED {d}; {cpu}; other statuses {other}",
        rate = args.rate,
        behind = behind.as_secs_f64() * 1e3,
        s = Quantiles::new(submitted),
        d = Quantiles::new(delivered),
        cpu = cpu.per_request(done),
    );
    anyhow::ensure!(done == n, "only {done} of {n} requests completed");
    Ok(())
}

/// One request all the way through before the clock starts, as Kannel's
/// run does: the bench's producer has its metadata and producer id, and
/// every role has handled a record.
async fn warm_up(rig: &Rig, receipts: bool) -> anyhow::Result<()> {
    let (id, body) = request("warm", 0, receipts);
    rig.publish(&id, &body).await;
    let end = if receipts { events::Status::Delivered } else { events::Status::Submitted };
    let mut stream = rig.consumer.stream();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(message)) = tokio::time::timeout(left, stream.next()).await else {
            anyhow::bail!("the warm-up request did not reach {end:?} within 30s");
        };
        let Ok(message) = message else { continue };
        let Ok(ev) = events::decode_status(message.payload().unwrap_or_default(), None) else { continue };
        if ev.request_id == id && ev.status == end {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let q = Quantiles::new((1..=1000).rev().map(Duration::from_millis).collect());
        assert_eq!(q.at(0.5), Duration::from_millis(500));
        assert_eq!(q.at(0.99), Duration::from_millis(990));
        assert_eq!(q.at(0.999), Duration::from_millis(999));
        assert_eq!(q.to_string(), "p50 500.0 ms, p99 990.0 ms, p99.9 999.0 ms");
        assert_eq!(Quantiles::new(Vec::new()).at(0.99), Duration::ZERO);
    }
}

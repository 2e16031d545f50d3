//! `smsgw-bench kannel --rate R`: Kannel at a steady rate, open loop, the
//! counterpart of `smsgw-bench latency`. sendsms request i goes out at
//! start + i / R whatever Kannel does, asking for two reports
//! (`dlr-mask=9`): 8 when the SMSC accepted the submit (smsgw's SUBMITTED)
//! and 1 when it was delivered (DELIVERED). Each latency counts from the
//! request's scheduled time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::stream::FuturesUnordered;
use futures::StreamExt;

use super::args::BenchKannelArgs;
use super::run::{start, Rig};
use super::sendsms::{send, sendsms_url};
use crate::latency::Quantiles;

/// Kannel's DLR types (`dlr-mask` bits).
const DELIVERED: u32 = 1;
const SMSC_ACCEPTED: u32 = 8;

pub(super) async fn run(args: &BenchKannelArgs, rate: f64) -> anyhow::Result<()> {
    anyhow::ensure!(rate > 0.0 && rate.is_finite(), "--rate must be a positive number");
    let mask = (DELIVERED | SMSC_ACCEPTED) as u8;
    let Rig { boxes, sim_state, mut dlr_rx, client, sendsms, dlr_port, _stop } = start(args, mask).await?;
    let n = args.requests;
    let meter = crate::cpu::Meter::start("bench process (simulator, load)", &boxes.pids());
    let start = Instant::now() + Duration::from_millis(100);
    let due = |i: usize| start + Duration::from_secs_f64(i as f64 / rate);
    let deadline = due(n) + args.timeout;
    let retries = AtomicU64::new(0);

    let publisher = async {
        let (client, retries) = (&client, &retries);
        let mut in_flight = FuturesUnordered::new();
        let (mut behind, mut failed) = (Duration::ZERO, 0usize);
        for i in 0..n {
            let at = tokio::time::sleep_until(due(i).into());
            tokio::pin!(at);
            loop {
                tokio::select! {
                    _ = &mut at => break,
                    Some(sent) = in_flight.next(), if !in_flight.is_empty() => {
                        let sent: anyhow::Result<Instant> = sent;
                        failed += usize::from(sent.is_err());
                    }
                }
            }
            behind = behind.max(Instant::now().saturating_duration_since(due(i)));
            let url = sendsms_url(sendsms, dlr_port, i, mask);
            in_flight.push(async move { send(client, &url, retries, deadline).await });
        }
        while let Some(sent) = in_flight.next().await {
            failed += usize::from(sent.is_err());
        }
        (behind, failed)
    };
    let collector = async {
        let (mut accepted, mut delivered, mut other) = (Vec::with_capacity(n), Vec::with_capacity(n), 0usize);
        while delivered.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, dlr_rx.recv()).await {
                Ok(Some((id, kind, at))) if id < n => {
                    let latency = at.saturating_duration_since(due(id));
                    match kind {
                        SMSC_ACCEPTED => accepted.push(latency),
                        DELIVERED => delivered.push(latency),
                        _ => other += 1,
                    }
                }
                Ok(Some(_)) => other += 1,
                _ => break,
            }
        }
        (accepted, delivered, other)
    };
    let ((behind, failed), (accepted, delivered, other)) = tokio::join!(publisher, collector);
    let cpu = meter.read();
    let done = delivered.len();
    println!(
        "kannel latency: {done}/{n} requests at {rate:.0}/s (open loop, publisher at most {behind:.1} ms behind \
         schedule); request→SMSC accepted (SUBMITTED) {a}; request→DLR (DELIVERED) {d}; {cpu}; {retried} retried, \
         {failed} failed; other DLRs {other}; simulator accepted {sim}",
        behind = behind.as_secs_f64() * 1e3,
        a = Quantiles::new(accepted),
        d = Quantiles::new(delivered),
        cpu = cpu.per_request(done),
        retried = retries.load(Ordering::Relaxed),
        sim = sim_state.accepted(),
    );
    drop(boxes);
    anyhow::ensure!(done == n, "only {done} of {n} delivery reports arrived");
    Ok(())
}

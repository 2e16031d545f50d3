//! `smsgw-bench priority` (was `smsgw bench-priority`): how long an urgent
//! request takes while a bulk backlog stands in its connection's queue.
//! `--bulk` normal requests go to one connection limited to `--max-tps`; once
//! they flow, `--urgent` urgent requests are published one every `--every`,
//! and each one's latency from produce to its SUBMITTED event is taken (p50,
//! p99). Without priority lanes an urgent request would wait for the whole
//! backlog (10,000 at 100/s: 100 s). `--bulk 0` gives the same figure without
//! a backlog, to compare.
//!
//! Broker → smsgw (in-process) → the SMPP simulator (in-process), with fresh
//! topic names per run, like `smsgw-bench run`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use kafka::rdkafka::message::Message;

use crate::gateway::{parse_property, percentiles, BenchArgs, Rig};

#[derive(Debug, Args)]
pub struct BenchPriorityArgs {
    /// Bootstrap brokers.
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub brokers: String,
    /// Normal (bulk) requests queued first.
    #[arg(long, default_value_t = 10_000)]
    pub bulk: usize,
    /// Urgent requests published while the bulk backlog stands.
    #[arg(long, default_value_t = 20)]
    pub urgent: usize,
    /// Time between two urgent requests.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "500ms")]
    pub every: Duration,
    /// The connection's throughput limit (submits per second).
    #[arg(long, default_value_t = 100)]
    pub max_tps: u32,
    /// A librdkafka property for every client; repeatable.
    #[arg(long = "property", value_name = "NAME=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
}

/// Runs the benchmark and prints one summary line.
pub async fn run(args: BenchPriorityArgs) -> anyhow::Result<()> {
    let base = BenchArgs {
        brokers: args.brokers.clone(),
        requests: args.bulk,
        binds: 1,
        window: 10,
        partitions: 4,
        max_in_flight: Some(2000),
        timeout: Duration::from_secs(600),
        no_receipts: true,
        receipt_delay: Duration::ZERO,
        sim_latency: Duration::ZERO,
        properties: args.properties.clone(),
        cpu_of: Vec::new(),
        accepted_events: false,
        compact_records: false,
    };
    let rig = Rig::start_with(&base, "bench-priority", |settings| {
        settings.connections[0].max_tps = args.max_tps;
    })
    .await?;
    let producer = &rig.producer;
    let topic = rig.settings.kafka.topics.send.clone();
    let request = |id: &str, i: usize, priority: &str| {
        format!(r#"{{"id":"{id}","to":"+4915112{i:06}","text":"{priority} {i}","priority":"{priority}"}}"#)
    };
    for i in 0..args.bulk {
        let id = format!("bulk-{i}");
        let body = request(&id, i, "normal");
        while producer.queue(kafka::Outgoing::new(&topic, &id, body.as_bytes())).is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    let mut stream = rig.consumer.stream();
    let mut bulk_done = 0usize;
    let deadline = Instant::now() + Duration::from_secs(120);
    // Flowing at the limit for three seconds: routed, and the backlog standing.
    let flowing = (args.max_tps as usize * 3).min(args.bulk);
    while bulk_done < flowing {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(Ok(m))) = tokio::time::timeout(left, stream.next()).await else {
            anyhow::bail!("bulk did not start flowing: {bulk_done} SUBMITTED");
        };
        if events::decode_status(m.payload().unwrap_or_default(), None).is_ok() {
            bulk_done += 1;
        }
    }
    let backlog = args.bulk - bulk_done;

    let mut sent_at: HashMap<String, Instant> = HashMap::new();
    let mut latencies = Vec::with_capacity(args.urgent);
    let mut next = Instant::now();
    let mut published = 0;
    let deadline = Instant::now() + args.every * args.urgent as u32 + Duration::from_secs(60);
    while latencies.len() < args.urgent && Instant::now() < deadline {
        let due = tokio::time::sleep_until(next.into());
        tokio::select! {
            _ = due, if published < args.urgent => {
                let id = format!("otp-{published}");
                let body = request(&id, published, "urgent");
                sent_at.insert(id.clone(), Instant::now());
                let _ = producer.queue(kafka::Outgoing::new(&topic, &id, body.as_bytes()));
                published += 1;
                next += args.every;
            }
            m = stream.next() => {
                let Some(Ok(m)) = m else { continue };
                let Ok(ev) = events::decode_status(m.payload().unwrap_or_default(), None) else { continue };
                match sent_at.remove(&ev.request_id) {
                    Some(t0) => latencies.push(t0.elapsed()),
                    None => bulk_done += 1,
                }
            }
        }
    }
    drop(stream);
    rig.stop().await;

    let (p50, p99) = percentiles(&mut latencies);
    let max = latencies.last().copied().unwrap_or_default().as_millis();
    println!(
        "smsgw bench-priority: urgent latency under a bulk backlog ({backlog} of {bulk} bulk queued at max_tps {tps}): \
         produce→SUBMITTED p50 {p50} ms, p99 {p99} ms, max {max} ms over {n} urgent (one every {every:?}); \
         bulk SUBMITTED by the end {bulk_done} of {bulk}",
        bulk = args.bulk,
        tps = args.max_tps,
        n = latencies.len(),
        every = args.every,
    );
    if latencies.len() < args.urgent {
        anyhow::bail!("only {} of {} urgent requests were submitted", latencies.len(), args.urgent);
    }
    Ok(())
}

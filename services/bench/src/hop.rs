//! `smsgw-bench hop`: the broker's own latency, one hop, with nothing of
//! smsgw in between: records published at a steady rate (open loop) to a
//! topic of the run's own with smsgw's producer settings, read back by a
//! watcher with smsgw's consumer settings. Prints produce→acknowledged and
//! produce→consumed p50/p99/p99.9. Read `smsgw-bench latency` against it:
//! a request crosses three such hops to SUBMITTED (request, queue record,
//! status event) and five to DELIVERED.

use std::time::{Duration, Instant};

use clap::Args;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use kafka::rdkafka::message::Message;
use runtime::config::KafkaConfig;

use crate::latency::Quantiles;

#[derive(Debug, Args)]
pub struct HopArgs {
    /// Bootstrap brokers; `mock`: librdkafka's mock cluster, in this process
    /// (a broker that answers a fetch as soon as it has records; see `mock`).
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub brokers: String,
    /// Records per second.
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Records to publish.
    #[arg(long, default_value_t = 2000)]
    pub requests: usize,
    /// A librdkafka property for both clients; repeatable.
    #[arg(long = "property", value_name = "NAME=VALUE", value_parser = crate::gateway::parse_property)]
    pub properties: Vec<(String, String)>,
}

pub async fn run(args: HopArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.rate > 0.0 && args.rate.is_finite(), "--rate must be a positive number");
    let mut config = KafkaConfig::new(&args.brokers);
    config.session_timeout = Duration::from_secs(6);
    config.properties.extend(args.properties.iter().cloned());
    let topic = format!("hop-{}-{}", std::process::id(), timing::now_ms());
    crate::mock::create_topics(&config.brokers, [topic.as_str()], 4)?;
    kafka::ensure_topics(&config, &[kafka::TopicSpec::plain(&topic)], 4).await?;
    let consumer = kafka::watcher(&config, &format!("{topic}.watch"), &[&topic])?;
    let producer = kafka::producer(&config)?;
    // Warm: the producer's metadata and id, the watcher's assignment.
    let warm = kafka::Outgoing::new(&topic, "warm", b"warm");
    tokio::time::timeout(Duration::from_secs(10), producer.publish(warm)).await??;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let n = args.requests;
    let start = Instant::now() + Duration::from_millis(100);
    let due = |i: usize| start + Duration::from_secs_f64(i as f64 / args.rate);
    let publisher = async {
        // Each acknowledgement is timed by a task of its own, as it comes.
        let mut acked = FuturesUnordered::new();
        for i in 0..n {
            tokio::time::sleep_until(due(i).into()).await;
            let key = i.to_string();
            let delivery = producer.queue(kafka::Outgoing::new(&topic, &key, key.as_bytes()))?;
            let at = due(i);
            acked.push(tokio::spawn(async move {
                delivery.await.is_ok().then(|| Instant::now().saturating_duration_since(at))
            }));
        }
        let mut latencies = Vec::with_capacity(n);
        while let Some(latency) = acked.next().await {
            latencies.extend(latency.ok().flatten());
        }
        Ok::<_, anyhow::Error>(latencies)
    };
    let collector = async {
        let mut latencies = Vec::with_capacity(n);
        let mut stream = consumer.stream();
        let deadline = due(n) + Duration::from_secs(30);
        while latencies.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(Some(Ok(message))) = tokio::time::timeout(left, stream.next()).await else { break };
            let Some(i) = message.payload().and_then(|p| std::str::from_utf8(p).ok()?.parse::<usize>().ok()) else {
                continue;
            };
            latencies.push(Instant::now().saturating_duration_since(due(i)));
        }
        latencies
    };
    let (acked, consumed) = tokio::join!(publisher, collector);
    let (acked, consumed) = (acked?, consumed);
    let done = consumed.len();
    println!(
        "broker hop: {done}/{n} records at {rate:.0}/s (open loop); produce→acknowledged {a}; produce→consumed {c}",
        rate = args.rate,
        a = Quantiles::new(acked),
        c = Quantiles::new(consumed),
    );
    anyhow::ensure!(done == n, "only {done} of {n} records were read back");
    Ok(())
}

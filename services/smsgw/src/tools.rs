//! `smsgw send` and `smsgw watch`: publish JSON send requests and print
//! events, for demos and for people without a Kafka client at hand; and
//! `smsgw hand-back`, the way back from the lane consumers' groups.

use std::time::Duration;

use clap::Args;
use futures::StreamExt;
use kafka::rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use kafka::Outgoing;
use runtime::config::KafkaConfig;

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Bootstrap brokers.
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub brokers: String,
    /// Topic to publish to.
    #[arg(long, default_value = "sms.send")]
    pub topic: String,
    /// Destination number.
    #[arg(long)]
    pub to: Option<String>,
    /// Message text.
    #[arg(long)]
    pub text: Option<String>,
    /// Sender id.
    #[arg(long)]
    pub from: Option<String>,
    /// Request id (default: random). With --count, `-N` is appended.
    #[arg(long)]
    pub id: Option<String>,
    /// Ask for a delivery report.
    #[arg(long)]
    pub delivery_report: bool,
    /// Publish this JSON document as it is instead of building one.
    #[arg(long, conflicts_with_all = ["to", "text", "from"])]
    pub json: Option<String>,
    /// How many requests to publish.
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    /// W3C traceparent header to attach.
    #[arg(long)]
    pub traceparent: Option<String>,
}

/// Publishes the requests and prints their ids.
pub async fn send(args: SendArgs) -> anyhow::Result<()> {
    let producer = kafka::producer(&KafkaConfig::new(&args.brokers))?;
    let base_id = args.id.clone().unwrap_or_else(|| format!("req-{:016x}", rand_u64()));
    for n in 0..args.count {
        let id = if args.count == 1 { base_id.clone() } else { format!("{base_id}-{n}") };
        let body = match &args.json {
            Some(json) => json.clone(),
            None => {
                let (Some(to), Some(text)) = (&args.to, &args.text) else {
                    anyhow::bail!("--to and --text are required unless --json is given");
                };
                let mut doc =
                    serde_json::json!({ "id": id, "to": to, "text": text, "delivery_report": args.delivery_report });
                if let Some(from) = &args.from {
                    doc["from"] = serde_json::Value::String(from.clone());
                }
                doc.to_string()
            }
        };
        let mut headers = OwnedHeaders::new();
        if let Some(tp) = &args.traceparent {
            headers = headers.insert(Header { key: "traceparent", value: Some(tp.as_bytes()) });
        }
        producer.publish(Outgoing { topic: &args.topic, key: &id, payload: body.as_bytes(), headers }).await?;
        println!("{id}");
    }
    Ok(())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish()
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Bootstrap brokers.
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub brokers: String,
    /// Topic to read from the beginning.
    #[arg(long, default_value = "sms.status")]
    pub topic: String,
    /// Stop after this many records.
    #[arg(long)]
    pub count: Option<usize>,
    /// Stop after this long without a record (e.g. `10s`).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub idle_timeout: Option<Duration>,
}

/// Prints each record as one JSON line: status events and inbound messages
/// decoded from Avro, anything else as text with its headers.
pub async fn watch(args: WatchArgs) -> anyhow::Result<()> {
    let mut config = KafkaConfig::new(&args.brokers);
    config.session_timeout = Duration::from_secs(6);
    let consumer = kafka::watcher(&config, &format!("smsgw-watch-{:x}", rand_u64()), &[&args.topic])?;
    let mut stream = consumer.stream();
    let mut seen = 0usize;
    loop {
        if args.count.is_some_and(|c| seen >= c) {
            return Ok(());
        }
        let next = match args.idle_timeout {
            Some(t) => match tokio::time::timeout(t, stream.next()).await {
                Ok(n) => n,
                Err(_) => anyhow::bail!("no record within {}", humantime::format_duration(t)),
            },
            None => stream.next().await,
        };
        let Some(message) = next else { return Ok(()) };
        let message = message?;
        let payload = message.payload().unwrap_or_default();
        let headers: serde_json::Map<String, serde_json::Value> = message
            .headers()
            .map(|h| {
                h.iter()
                    .map(|h| {
                        (
                            h.key.to_owned(),
                            serde_json::Value::String(
                                String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                            ),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let value = if let Ok(ev) = events::decode_status(payload, None) {
            serde_json::json!({ "status_event": ev, "headers": headers })
        } else if let Ok(m) = events::decode_inbound(payload, None) {
            serde_json::json!({ "inbound_message": m, "headers": headers })
        } else {
            serde_json::json!({ "raw": String::from_utf8_lossy(payload), "headers": headers })
        };
        println!("{value}");
        seen += 1;
    }
}

/// Hands every connection's queues back to the connection's own sender
/// groups and prints what each holds now (`kafka::handback`).
pub async fn hand_back(settings: &runtime::Settings) -> anyhow::Result<Vec<kafka::handback::Moved>> {
    let moves = sender::consumers::hand_back_moves(&settings.kafka, &settings.connections);
    let moved = kafka::handback::hand_back(&settings.kafka, &moves).await?;
    for m in &moved {
        let offsets: Vec<String> = m.offsets.iter().map(|(p, at)| format!("{p}:{at}")).collect();
        let offsets = if offsets.is_empty() { "nothing committed".to_owned() } else { offsets.join(" ") };
        println!("{} -> {}: {offsets}", m.topic, m.to);
    }
    let mut deleted: Vec<&str> = moves.iter().map(|m| m.from.as_str()).collect();
    deleted.sort_unstable();
    deleted.dedup();
    println!("deleted groups: {}", deleted.join(", "));
    Ok(moved)
}

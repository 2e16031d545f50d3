//! The finaliser's extra restore step ([`crate::aggregate`]): which requests
//! have a final event in the tail of the status topic, from the floor of the
//! last marker to the end.
//!
//! Kafka transactions would make "publish the event, write the marker"
//! atomic, but the test broker (tansu 0.6) has no `EndTxn`; so a final event
//! published just before a crash, whose marker never made it, is found here.
//! Both topics are keyed by request id with the outcome topic's partition
//! count (checked at start-up), so partition p of each holds the same requests.

use std::time::Duration;

use futures::StreamExt;
use kafka::rdkafka::consumer::{Consumer, StreamConsumer};
use kafka::rdkafka::message::{Headers, Message};
use kafka::rdkafka::{Offset, TopicPartitionList};
use runtime::config::KafkaConfig;
use timing::now_ms;

use crate::stage::Found;

/// Without a floor (no marker yet, or markers of an older version), the
/// tail read starts this far back in time.
const FALLBACK: Duration = Duration::from_secs(3600);

/// Records a fetch may hold past the reported end: tansu 0.6 reports the
/// last *batch's* base offset + 1 as the end, and our producers put at most
/// this many records in a batch.
const BATCH: i64 = 10_000;

/// The requests with a final event in partition `partition` of the status
/// topic, from `floor` to the end, and the end. Retried until the broker answers.
pub async fn status_tail(kafka: KafkaConfig, partition: i32, floor: Option<i64>) -> Found {
    let mut delay = Duration::from_millis(200);
    loop {
        match try_read(&kafka, partition, floor).await {
            Ok(found) => return found,
            Err(e) => {
                tracing::warn!(error = %e, partition, retry_in = ?delay, "cannot read the status tail, retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn try_read(
    kafka: &KafkaConfig,
    partition: i32,
    floor: Option<i64>,
) -> Result<Found, kafka::rdkafka::error::KafkaError> {
    let status = kafka.topics.status.clone();
    let mut cc = kafka::client::base_config(kafka);
    cc.set("group.id", format!("{}.finals-restore", kafka.group_prefix))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", kafka::client::fetch_wait_ms(kafka));
    let consumer: StreamConsumer = cc.create()?;
    let consumer = std::sync::Arc::new(consumer);
    let c = consumer.clone();
    let topic = status.clone();
    let (low, start, end) = tokio::task::spawn_blocking(move || {
        let timeout = Duration::from_secs(10);
        let (low, end) = c.fetch_watermarks(&topic, partition, timeout)?;
        let start = match floor {
            Some(floor) => floor.max(low),
            None => {
                let mut times = TopicPartitionList::new();
                times.add_partition_offset(
                    &topic,
                    partition,
                    Offset::Offset(now_ms() - FALLBACK.as_millis() as i64),
                )?;
                let found = c.offsets_for_times(times, timeout)?;
                // No record since then: offsets_for_times answers End.
                match found.find_partition(&topic, partition).map(|e| e.offset()) {
                    Some(Offset::Offset(n)) => n,
                    _ => end,
                }
            }
        };
        Ok::<_, kafka::rdkafka::error::KafkaError>((low, start, end))
    })
    .await
    .map_err(|e| kafka::rdkafka::error::KafkaError::ClientCreation(e.to_string()))??;
    let mut found = Found { keys: Vec::new(), end };
    if start >= end {
        return Ok(found);
    }
    let mut assignment = TopicPartitionList::new();
    // A fetch from inside a batch loses the rest of it on tansu: start at or before the batch.
    let rewind = kafka::quirks::rewind(kafka.broker_quirks);
    assignment.add_partition_offset(&status, partition, Offset::Offset((start - rewind).max(low)))?;
    consumer.assign(&assignment)?;
    let mut stream = consumer.stream();
    let mut read_to = start;
    // Past the reported end only where the broker reports it short (tansu).
    let drain = if kafka.broker_quirks == runtime::config::BrokerQuirks::None { 0 } else { BATCH };
    loop {
        // Up to the end, wait for the broker; past it, take only what the
        // last fetch already brought (the rest of the end's batch on tansu).
        let draining = read_to >= end;
        if draining && drain == 0 {
            break;
        }
        let wait = if draining { Duration::from_millis(100) } else { Duration::from_secs(10) };
        let message = match tokio::time::timeout(wait, stream.next()).await {
            Ok(Some(Ok(m))) => m,
            Ok(Some(Err(e))) => return Err(e),
            Ok(None) | Err(_) if draining => break,
            Ok(None) | Err(_) => continue,
        };
        if message.offset() < start {
            continue;
        }
        read_to = read_to.max(message.offset() + 1);
        if is_final(&message) {
            if let Some(key) = message.key() {
                found.keys.push(String::from_utf8_lossy(key).into_owned());
            }
        }
        if read_to >= end + drain {
            break;
        }
    }
    found.end = found.end.max(read_to);
    tracing::debug!(partition, start, end = found.end, finals = found.keys.len(), "status tail read");
    Ok(found)
}

/// A final event: the finaliser's header, or (events of older versions) a
/// terminal status in the status header.
fn is_final(message: &kafka::rdkafka::message::BorrowedMessage<'_>) -> bool {
    let Some(headers) = message.headers() else { return false };
    headers.iter().any(|h| {
        h.key == records::FINAL_HEADER
            || (h.key == records::STATUS_HEADER && h.value.is_some_and(|v| !matches!(v, b"ACCEPTED" | b"SUBMITTED")))
    })
}

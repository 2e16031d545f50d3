//! Which requests of a partition already have their terminal status — the
//! finaliser's state, rebuilt on every assignment before it decides anything.
//!
//! Kafka transactions would make "publish the status, write the marker"
//! atomic, but the test broker (tansu 0.6) has no `EndTxn`. So the state is
//! read back from two places, which together cover every crash point:
//! - the compacted marker topic (`kafka.topics.finals`), written *after* the
//!   status: every request finalised before the redo window;
//! - the status topic itself from shortly before the oldest outcome still to
//!   be redone: a status published just before a crash, whose marker never
//!   made it, was published after that outcome was written, so it is there.
//!
//! Both topics are keyed by request id and have the outcome topic's partition
//! count, so partition p of each holds the same requests.

use std::time::Duration;

use futures::StreamExt;
use kafka::rdkafka::consumer::{Consumer, StreamConsumer};
use kafka::rdkafka::message::{Headers, Message};
use kafka::rdkafka::{Offset, TopicPartitionList};
use kafka::recent::{now_ms, RecentIds};
use runtime::config::KafkaConfig;

/// How far before the oldest outcome to redo the status topic is read
/// (producers' clocks and linger).
const MARGIN_MS: i64 = 60_000;

/// The terminal requests of `partition`: every marker, and every terminal
/// status published since `since_ms` (epoch ms), each remembered for
/// `kafka.id_retention` from when it was written. Retried until the broker answers.
pub async fn restore(kafka: &KafkaConfig, partition: i32, since_ms: i64) -> RecentIds {
    let mut delay = Duration::from_millis(200);
    loop {
        match try_restore(kafka, partition, since_ms - MARGIN_MS).await {
            Ok(ids) => return ids,
            Err(e) => {
                tracing::warn!(error = %e, partition, retry_in = ?delay, "cannot restore terminal requests, retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn try_restore(
    kafka: &KafkaConfig,
    partition: i32,
    since_ms: i64,
) -> Result<RecentIds, kafka::rdkafka::error::KafkaError> {
    let topics = &kafka.topics;
    let mut cc = kafka::client::base_config(kafka);
    cc.set("group.id", format!("{}.finals-restore", kafka.group_prefix))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "50");
    let consumer: StreamConsumer = cc.create()?;
    let consumer = std::sync::Arc::new(consumer);
    let (finals, status) = (topics.finals.clone(), topics.status.clone());
    let c = consumer.clone();
    let (assignment, ends) = tokio::task::spawn_blocking(move || {
        let timeout = Duration::from_secs(10);
        let mut times = TopicPartitionList::new();
        times.add_partition_offset(&status, partition, Offset::Offset(since_ms))?;
        let from = c.offsets_for_times(times, timeout)?;
        let from = from.find_partition(&status, partition).map_or(Offset::End, |e| e.offset());
        let (finals_start, finals_end) = c.fetch_watermarks(&finals, partition, timeout)?;
        let (_, status_end) = c.fetch_watermarks(&status, partition, timeout)?;
        // No status since then: offsets_for_times answers End (-1).
        let status_start = match from {
            Offset::Offset(n) => n,
            _ => status_end,
        };
        let mut assignment = TopicPartitionList::new();
        let mut ends = Vec::new();
        for (topic, start, end) in [(finals, finals_start, finals_end), (status, status_start, status_end)] {
            if start < end {
                assignment.add_partition_offset(&topic, partition, Offset::Offset(start))?;
                ends.push((topic, end));
            }
        }
        Ok::<_, kafka::rdkafka::error::KafkaError>((assignment, ends))
    })
    .await
    .map_err(|e| kafka::rdkafka::error::KafkaError::ClientCreation(e.to_string()))??;
    if ends.is_empty() {
        return Ok(RecentIds::new(kafka.id_retention));
    }
    consumer.assign(&assignment)?;
    let mut ids = RecentIds::new(kafka.id_retention);
    let mut stream = consumer.stream();
    // Past the (ListOffsets) end, drain what the last fetch brought: tansu 0.6
    // reports the last batch's base offset + 1 as the end, and the rest of
    // that batch is already here (see `kafka::restore`).
    let mut draining = false;
    loop {
        if !draining {
            draining = ends.iter().all(|(topic, end)| {
                consumer
                    .position()
                    .ok()
                    .and_then(|p| p.find_partition(topic, partition).map(|e| e.offset()))
                    .is_some_and(|o| matches!(o, Offset::Offset(n) if n >= *end))
            });
        }
        let wait = if draining { Duration::from_millis(100) } else { Duration::from_millis(200) };
        let message = match tokio::time::timeout(wait, stream.next()).await {
            Ok(Some(Ok(m))) => m,
            Ok(Some(Err(e))) => return Err(e),
            Ok(None) | Err(_) if draining => break,
            Ok(None) | Err(_) => continue,
        };
        let Some(key) = message.key().map(|k| String::from_utf8_lossy(k).into_owned()) else { continue };
        let at = message.timestamp().to_millis().unwrap_or_else(now_ms);
        if message.topic() == topics.finals {
            if message.payload().is_some() {
                ids.insert(key, at);
            } else {
                ids.remove(&key);
            }
        } else if is_terminal(&message) {
            ids.insert(key, at);
        }
    }
    tracing::debug!(partition, requests = ids.len(), "terminal requests restored");
    Ok(ids)
}

fn is_terminal(message: &kafka::rdkafka::message::BorrowedMessage<'_>) -> bool {
    let Some(headers) = message.headers() else { return false };
    headers
        .iter()
        .any(|h| h.key == records::STATUS_HEADER && h.value.is_some_and(|v| !matches!(v, b"ACCEPTED" | b"SUBMITTED")))
}

//! Which broker bugs to work around (`kafka.broker_quirks`), probed at
//! start-up when set to `auto`.
//!
//! tansu 0.6 answers ListOffsets(latest) with the last *batch's* base
//! offset plus 1, and answers a fetch from inside a batch with the batches after it
//! (`docs/tracker.md`). The probe writes two records in one batch to
//! partition 0 of the done-marker topic (with the restore-fence key, which
//! the topic's owners ignore) and asks for the log end: a broker that
//! reports the end before the second record has the quirks. Others may write
//! to that partition at the same moment (every replica probes at start-up),
//! which pushes the end past the batch on tansu too; so when the end looks
//! right, the probe also fetches from the batch's second record, which a
//! broker with the quirks does not return.
//!
//! With quirks, consumers start an assigned partition 10,000 records before
//! its committed offset and skip up to it, and the finaliser's status-tail
//! read takes what the last fetch brought past the reported end. Without,
//! they resume exactly at the committed offset. Restore fences
//! ([`crate::restore`]) are used on every broker: they are exact everywhere.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::OwnedHeaders;
use rdkafka::{Message, Offset, TopicPartitionList};
use runtime::config::{BrokerQuirks, KafkaConfig};

use crate::client::{base_config, Error};
use crate::producer::{Outgoing, Producer, PublishError};
use crate::restore::FENCE_KEY;

/// How far before a committed offset a consumer resumes under `quirks`.
pub fn rewind(quirks: BrokerQuirks) -> i64 {
    match quirks {
        BrokerQuirks::None => 0,
        // Our producers put at most `batch.num.messages` (10,000) records in a batch.
        BrokerQuirks::Tansu | BrokerQuirks::Auto => 10_000,
    }
}

/// `config` with `broker_quirks` resolved: `auto` is probed on `topic`
/// (which must exist), the others are kept.
pub async fn resolve(config: &KafkaConfig, topic: &str) -> Result<KafkaConfig, Error> {
    let mut resolved = config.clone();
    if config.broker_quirks == BrokerQuirks::Auto {
        resolved.broker_quirks = if probe(config, topic).await? { BrokerQuirks::Tansu } else { BrokerQuirks::None };
        tracing::info!(quirks = ?resolved.broker_quirks, "broker probed");
    }
    Ok(resolved)
}

/// True when the broker reports a log end short of a batch's last record,
/// or answers a fetch from inside a batch without the record asked for.
pub async fn probe(config: &KafkaConfig, topic: &str) -> Result<bool, Error> {
    let mut batching = config.clone();
    batching.properties.insert("linger.ms".into(), "100".into());
    let producer = Producer::new(&batching, tokio_util::sync::CancellationToken::new(), Duration::ZERO)?;
    let record = || Outgoing { topic, key: FENCE_KEY, payload: b"quirks-probe", headers: OwnedHeaders::new() };
    let (first, second) = tokio::join!(producer.publish_to(record(), Some(0)), producer.publish_to(record(), Some(0)));
    let offsets = match (first, second) {
        (Ok(a), Ok(b)) => (a.offset.min(b.offset), a.offset.max(b.offset)),
        (Err(e), _) | (_, Err(e)) => {
            let reason = match e {
                PublishError::Rejected(r) => r,
                PublishError::Stopped => "stopped".into(),
            };
            return Err(Error::Probe(reason));
        }
    };
    if offsets.1 != offsets.0 + 1 {
        // Two records written apart (not one batch) prove nothing either way: assume the quirks.
        return Ok(true);
    }
    let config = config.clone();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut reader = base_config(&config);
        // assign() needs a group id; the group is never joined nor committed to.
        reader.set("group.id", "smsgw-quirks-probe").set("enable.auto.commit", "false");
        let consumer: BaseConsumer = reader.create().map_err(Error::Create)?;
        let metadata = |source| Error::Metadata { topic: topic.clone(), source };
        let (_, end) = consumer.fetch_watermarks(&topic, 0, Duration::from_secs(10)).map_err(metadata)?;
        if end <= offsets.1 {
            return Ok(true);
        }
        // The end is past our batch — or someone else wrote after it (every
        // replica probes at start-up, and trackers write markers here), so ask
        // the other symptom, which concurrent writers cannot hide: a fetch
        // from the batch's second record must bring that record.
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&topic, 0, Offset::Offset(offsets.1)).map_err(metadata)?;
        consumer.assign(&tpl).map_err(metadata)?;
        let deadline = std::time::Instant::now() + MID_BATCH_WAIT;
        while std::time::Instant::now() < deadline {
            match consumer.poll(Duration::from_millis(200)) {
                Some(Ok(record)) => return Ok(record.offset() != offsets.1),
                Some(Err(e)) => tracing::debug!(error = %e, "quirks probe fetch"),
                None => {}
            }
        }
        Ok(true)
    })
    .await
    .map_err(|e| Error::Probe(e.to_string()))?
}

/// How long the probe waits for a fetch from inside its batch to bring the
/// record asked for; a broker without the quirk answers at once.
const MID_BATCH_WAIT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::mocking::MockCluster;

    /// librdkafka's mock cluster behaves like Kafka here: no quirks, so
    /// consumers resume exactly at their committed offsets.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_broker_reporting_the_exact_end_has_no_quirks() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("probe", 1, 1).unwrap();
        let config = KafkaConfig::new(cluster.bootstrap_servers());
        assert!(!probe(&config, "probe").await.unwrap());
        assert_eq!(resolve(&config, "probe").await.unwrap().broker_quirks, BrokerQuirks::None);
        assert_eq!(rewind(BrokerQuirks::None), 0);
        // Kafka answers a waiting fetch when a record comes: the long wait is free.
        use crate::client::{default_fetch_wait_ms, fetch_wait_ms};
        assert_eq!(default_fetch_wait_ms(BrokerQuirks::None), "500");
        assert_eq!(default_fetch_wait_ms(BrokerQuirks::Tansu), "50");
        assert_eq!(default_fetch_wait_ms(BrokerQuirks::Auto), "50", "not yet probed: the short wait");
        // kafka.properties has the last word.
        let mut set = config.clone();
        set.broker_quirks = BrokerQuirks::Tansu;
        assert_eq!(fetch_wait_ms(&set), "50");
        set.properties.insert("fetch.wait.max.ms".into(), "10".into());
        assert_eq!(fetch_wait_ms(&set), "10");
        let mut fixed = config.clone();
        fixed.broker_quirks = BrokerQuirks::Tansu;
        assert_eq!(resolve(&fixed, "probe").await.unwrap().broker_quirks, BrokerQuirks::Tansu, "not probed");
    }
}

//! Which broker bugs to work around (`kafka.broker_quirks`), probed at
//! start-up when set to `auto`.
//!
//! tansu 0.6 answers ListOffsets(latest) with the last *batch's* base offset
//! + 1, and answers a fetch from inside a batch with the batches after it
//! (`docs/tracker.md`). The probe writes two records in one batch to
//! partition 0 of the done-marker topic (with the restore-fence key, which
//! the topic's owners ignore) and asks for the log end: a broker that
//! reports the end before the second record has the quirks.
//!
//! With quirks, consumers start an assigned partition 10,000 records before
//! its committed offset and skip up to it, and the finaliser's status-tail
//! read takes what the last fetch brought past the reported end. Without,
//! they resume exactly at the committed offset. Restore fences
//! ([`crate::restore`]) are used on every broker: they are exact everywhere.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::OwnedHeaders;
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

/// True when the broker reports a log end short of a batch's last record.
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
    let config = config.clone();
    let topic = topic.to_owned();
    let end = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = base_config(&config).create().map_err(Error::Create)?;
        consumer
            .fetch_watermarks(&topic, 0, Duration::from_secs(10))
            .map(|(_, high)| high)
            .map_err(|source| Error::Metadata { topic, source })
    })
    .await
    .map_err(|e| Error::Probe(e.to_string()))??;
    // Two records written apart (not one batch) prove nothing either way: assume the quirks.
    Ok(offsets.1 != offsets.0 + 1 || end <= offsets.1)
}

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
        let mut fixed = config.clone();
        fixed.broker_quirks = BrokerQuirks::Tansu;
        assert_eq!(resolve(&fixed, "probe").await.unwrap().broker_quirks, BrokerQuirks::Tansu, "not probed");
    }
}

//! A plain producer for tools, tests and the bench's load generator: the
//! settings of [`crate::Producer`] and its delivery-report thread
//! ([`crate::delivery`], which does not spin as rust-rdkafka's
//! `FutureProducer` does), without a role's retries or shutdown. A publish
//! fails once librdkafka's own retries (`message.timeout.ms`) are spent.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rdkafka::client::{Client, DefaultClientContext};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::producer::Producer as _;
use runtime::config::KafkaConfig;
use tokio::sync::oneshot;

use crate::client::Error;
use crate::delivery::{DeliveryProducer, Outcome, Record, Reports};
use crate::producer::{producer_config, Delivery, Outgoing};

/// An idempotent producer (`acks=all`) whose records are queued at once and
/// acknowledged later ([`Pending`]). Clones share one librdkafka producer.
#[derive(Clone)]
pub struct PlainProducer {
    inner: Arc<DeliveryProducer<DefaultClientContext>>,
}

/// A queued record's acknowledgement: where it landed, or librdkafka's
/// error once its retries are spent.
pub struct Pending(oneshot::Receiver<Outcome>);

impl Future for Pending {
    type Output = Result<Delivery, KafkaError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|outcome| match outcome {
            Ok(Ok((partition, offset))) => Ok(Delivery { partition, offset }),
            Ok(Err((error, _))) => Err(error),
            // The producer went before the report: the record is lost to us.
            Err(_) => Err(KafkaError::Canceled),
        })
    }
}

/// The plain producer of `config` (its `kafka.properties` included).
pub fn producer(config: &KafkaConfig) -> Result<PlainProducer, Error> {
    let inner = DeliveryProducer::new(&producer_config(config), DefaultClientContext).map_err(Error::Create)?;
    Ok(PlainProducer { inner: Arc::new(inner) })
}

impl PlainProducer {
    /// Queues `record` without waiting for the broker. Fails at once when
    /// librdkafka's queue is full (`QueueFull`: wait for a [`Pending`] and
    /// queue it again) or the record is invalid.
    pub fn queue(&self, record: Outgoing<'_>) -> Result<Pending, KafkaError> {
        self.queue_value(record.topic, record.key, Some(record.payload), record.headers)
    }

    /// Queues a tombstone (a record without a value) for `key`.
    pub fn queue_tombstone(&self, topic: &str, key: &str) -> Result<Pending, KafkaError> {
        self.queue_value(topic, key, None, Default::default())
    }

    fn queue_value(
        &self,
        topic: &str,
        key: &str,
        payload: Option<&[u8]>,
        headers: rdkafka::message::OwnedHeaders,
    ) -> Result<Pending, KafkaError> {
        let (done, outcome) = oneshot::channel();
        let mut record: Record<'_> = Record::with_opaque_to(topic, Box::new(done)).key(key).headers(headers);
        if let Some(payload) = payload {
            record = record.payload(payload);
        }
        self.inner.base().send(record).map_err(|(e, _)| e)?;
        Ok(Pending(outcome))
    }

    /// Queues `record` and waits until the broker has it.
    pub async fn publish(&self, record: Outgoing<'_>) -> Result<Delivery, KafkaError> {
        self.queue(record)?.await
    }

    /// Waits up to `timeout` for every queued record's acknowledgement.
    pub fn flush(&self, timeout: Duration) -> KafkaResult<()> {
        self.inner.flush(timeout)
    }

    /// The librdkafka client (metadata, for one).
    pub fn client(&self) -> &Client<Reports<DefaultClientContext>> {
        self.inner.base().client()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::mocking::MockCluster;
    use rdkafka::types::RDKafkaErrorCode;
    use rdkafka::Message;

    /// Records and a tombstone land in order, each acknowledged with its
    /// offset; a clone publishes through the same producer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn records_and_tombstones_are_acknowledged_where_they_landed() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("t", 1, 1).unwrap();
        let producer = producer(&KafkaConfig::new(cluster.bootstrap_servers())).unwrap();
        let out = |payload: &'static [u8]| Outgoing { topic: "t", key: "k", payload, headers: Default::default() };
        let first = producer.queue(out(b"one")).unwrap();
        let second = producer.clone().publish(out(b"two")).await.unwrap();
        let tombstone = producer.queue_tombstone("t", "k").unwrap().await.unwrap();
        assert_eq!(first.await.unwrap(), Delivery { partition: 0, offset: 0 });
        assert_eq!((second.offset, tombstone.offset), (1, 2));

        let read = crate::testing::read(&cluster.bootstrap_servers(), "t", 3);
        let payloads: Vec<_> = read.iter().map(|m| m.payload().map(<[u8]>::to_vec)).collect();
        assert_eq!(payloads, [Some(b"one".to_vec()), Some(b"two".to_vec()), None]);
    }

    /// A full local queue is an error of `queue` itself, at once, and
    /// librdkafka's give-up after `message.timeout.ms` that of the
    /// acknowledgement: neither waits forever.
    #[tokio::test]
    async fn a_full_queue_and_an_absent_broker_are_errors() {
        let mut config = KafkaConfig::new("127.0.0.1:9");
        config.properties.insert("queue.buffering.max.messages".into(), "1".into());
        config.properties.insert("message.timeout.ms".into(), "300".into());
        let producer = producer(&config).unwrap();
        let out = || Outgoing { topic: "t", key: "k", payload: b"p", headers: Default::default() };
        let waiting = producer.queue(out()).unwrap();
        let full = producer.queue(out()).err();
        assert_eq!(full, Some(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)));
        let gave_up = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap();
        assert_eq!(gave_up, Err(KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut)));
    }
}

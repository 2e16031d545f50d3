//! The producer every role publishes with, and what a failed publish means.
//!
//! [`Producer::publish`] waits until the broker has the record. It retries
//! what may pass (a broker down or stalled, a full local queue) until
//! shutdown, and stops at once on what cannot:
//! - [`PublishError::Rejected`]: the broker will never take this record (too
//!   large, not authorised, a partition that does not exist). The caller turns
//!   it into a FAILED status or a dead letter with the reason; retrying would
//!   stop the partition for good.
//! - [`PublishError::Stopped`]: the producer gave up before the broker had
//!   it — the drain time after shutdown ran out, or the producer is dead. The
//!   caller leaves its input unacknowledged, so it is redone after the restart.
//!   Giving up purges what librdkafka still holds (a record in flight may
//!   land all the same), which is what ends the publishes still waiting.
//!
//! During the drain after shutdown began, publishes still retry: in-flight
//! work records its outcome (STYLE.md §6) unless the broker stays away for
//! the whole drain.
//!
//! A *fatal* error of the idempotent producer (librdkafka cannot keep its
//! ordering and exactly-once guarantees any more, e.g. after the broker lost
//! acknowledged records) ends the process: it is recorded, shutdown is
//! triggered, and the role returns [`crate::Error::Fatal`], so `smsgw` exits
//! non-zero and the orchestrator restarts it with a fresh producer.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{Producer as _, PurgeConfig};
use rdkafka::ClientContext;
use runtime::config::KafkaConfig;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::client::{base_config, Error};
use crate::delivery::{DeliveryProducer, Record};

/// A record to publish.
pub struct Outgoing<'a> {
    pub topic: &'a str,
    pub key: &'a str,
    pub payload: &'a [u8],
    pub headers: OwnedHeaders,
}

impl<'a> Outgoing<'a> {
    /// `payload` keyed by `key`, without headers.
    pub fn new(topic: &'a str, key: &'a str, payload: &'a [u8]) -> Outgoing<'a> {
        Outgoing { topic, key, payload, headers: OwnedHeaders::new() }
    }
}

/// Why a record is not on the broker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// Retrying cannot help: the reason, for a status event or a dead letter.
    #[error("the broker refuses the record: {0}")]
    Rejected(String),
    /// Shutdown (or a fatal producer error) came first; redo the work after restart.
    #[error("stopped before the broker had the record")]
    Stopped,
}

/// Where a record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub partition: i32,
    pub offset: i64,
}

/// Notices librdkafka's fatal errors (idempotent producer), records the
/// reason and triggers shutdown.
pub struct FatalWatch {
    reason: Arc<OnceLock<String>>,
    shutdown: CancellationToken,
    abandon: CancellationToken,
}

impl ClientContext for FatalWatch {
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal) {
            tracing::error!(%error, reason, "fatal producer error: stopping so the process is restarted");
            let _ = self.reason.set(reason.to_owned());
            self.shutdown.cancel();
            self.abandon.cancel();
        } else {
            tracing::warn!(%error, reason, "kafka producer error");
        }
    }
}

/// An idempotent producer (`acks=all`) bound to the process's shutdown.
#[derive(Clone)]
pub struct Producer {
    inner: Arc<DeliveryProducer<FatalWatch>>,
    /// Set once, at the first fatal error: read before every publish, so
    /// a load, not a lock.
    reason: Arc<OnceLock<String>>,
    shutdown: CancellationToken,
    /// Cancelled `drain` after `shutdown` (or at a fatal error): retries end.
    abandon: CancellationToken,
}

impl Producer {
    /// A producer whose retries end `drain` after `shutdown` is cancelled; a
    /// fatal error cancels `shutdown`.
    pub fn new(config: &KafkaConfig, shutdown: CancellationToken, drain: Duration) -> Result<Producer, Error> {
        let reason = Arc::new(OnceLock::new());
        let abandon = CancellationToken::new();
        let watch = FatalWatch { reason: reason.clone(), shutdown: shutdown.clone(), abandon: abandon.clone() };
        let inner = Arc::new(DeliveryProducer::new(&producer_config(config), watch).map_err(Error::Create)?);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (shutdown, abandon, producer) = (shutdown.clone(), abandon.clone(), Arc::downgrade(&inner));
            runtime.spawn(async move {
                tokio::select! {
                    _ = abandon.cancelled() => {}
                    _ = async { shutdown.cancelled().await; tokio::time::sleep(drain).await } => abandon.cancel(),
                }
                if let Some(producer) = producer.upgrade() {
                    give_up(&producer);
                }
            });
        }
        Ok(Producer { inner, reason, shutdown, abandon })
    }

    /// The librdkafka producer, for what this wrapper does not cover.
    pub fn inner(&self) -> &DeliveryProducer<FatalWatch> {
        &self.inner
    }

    /// The fatal error that stopped this producer, if any.
    pub fn fatal(&self) -> Option<String> {
        self.reason.get().cloned()
    }

    /// [`Error::Fatal`] when a fatal error stopped this producer.
    pub fn check(&self) -> Result<(), Error> {
        self.fatal().map_or(Ok(()), |reason| Err(Error::Fatal(reason)))
    }

    /// Waits for queued records (at shutdown).
    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.inner.flush(timeout) {
            tracing::warn!(error = %e, "producer flush incomplete");
        }
    }

    /// Publishes `record` (to `partition`, or by key) and waits until the
    /// broker has it; see the module docs for the errors.
    pub async fn publish_to(&self, record: Outgoing<'_>, partition: Option<i32>) -> Result<Delivery, PublishError> {
        self.send(record.topic, record.key, Some(record.payload), record.headers, partition).await
    }

    /// Publishes a tombstone (a record without a value) for `key`: deletes the
    /// key from a compacted topic.
    pub async fn tombstone(&self, topic: &str, key: &str, headers: OwnedHeaders) -> Result<Delivery, PublishError> {
        self.send(topic, key, None, headers, None).await
    }

    /// Publishes with retries; a record that carries a trace does it under
    /// its `send {topic}` span ([`crate::trace::send_span`]).
    async fn send(
        &self,
        topic: &str,
        key: &str,
        payload: Option<&[u8]>,
        headers: OwnedHeaders,
        partition: Option<i32>,
    ) -> Result<Delivery, PublishError> {
        let Some((span, headers)) = crate::trace::send_span(topic, &headers) else {
            return self.attempts(topic, key, payload, headers, partition).await;
        };
        let result = self.attempts(topic, key, payload, headers, partition).instrument(span.clone()).await;
        let landed = match &result {
            Ok(d) => Ok((d.partition, d.offset)),
            Err(PublishError::Rejected(_)) => Err("rejected"),
            Err(PublishError::Stopped) => Err("stopped"),
        };
        crate::trace::sent(&span, landed);
        result
    }

    async fn attempts(
        &self,
        topic: &str,
        key: &str,
        payload: Option<&[u8]>,
        headers: OwnedHeaders,
        partition: Option<i32>,
    ) -> Result<Delivery, PublishError> {
        let record = Outgoing { topic, key, payload: payload.unwrap_or_default(), headers };
        // The headers go to librdkafka as they are; a failed attempt hands
        // them back with its record, for the next (no copy per record).
        let mut headers = Some(record.headers);
        let mut delay = Duration::from_millis(100);
        loop {
            if self.reason.get().is_some() || self.abandon.is_cancelled() {
                return Err(PublishError::Stopped);
            }
            let (done, outcome) = oneshot::channel();
            let mut queued: Record<'_> = Record::with_opaque_to(record.topic, Box::new(done)).key(record.key);
            if let Some(headers) = headers.take() {
                queued = queued.headers(headers);
            }
            if let Some(payload) = payload {
                queued = queued.payload(payload);
            }
            if let Some(p) = partition {
                queued = queued.partition(p);
            }
            // No race with `abandon` per record (that registered with the
            // token and left it again for every record: 1.4 % of a bench
            // process): giving up purges what librdkafka holds, which ends
            // every delivery still awaited ([`give_up`]). A record queued
            // after that purge is purged here, once queued.
            let error = match self.inner.base().send(queued) {
                Ok(()) => {
                    if self.abandon.is_cancelled() {
                        give_up(&self.inner);
                    }
                    match outcome.await {
                        Ok(Ok((partition, offset))) => return Ok(Delivery { partition, offset }),
                        Ok(Err((e, mut message))) => {
                            headers = message.detach_headers();
                            e
                        }
                        // The producer is gone: nothing more will be sent.
                        Err(_) => return Err(PublishError::Stopped),
                    }
                }
                Err((e, mut record)) => {
                    headers = record.headers.take();
                    e
                }
            };
            if self.abandon.is_cancelled() {
                // Purged, or failed after giving up: the record may still
                // reach the broker; the caller redoes its work either way,
                // and records are idempotent by key.
                return Err(PublishError::Stopped);
            }
            if error == KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull) {
                // librdkafka's queue is full: wait for room, as long as it takes.
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(100)) => continue,
                    _ = self.abandon.cancelled() => return Err(PublishError::Stopped),
                }
            }
            match classify(&error) {
                Class::Rejected => {
                    tracing::error!(topic = record.topic, error = %error, bytes = record.payload.len(), "record refused");
                    return Err(PublishError::Rejected(error.to_string()));
                }
                Class::Fatal => {
                    let reason = self.inner.base().client().fatal_error().map_or_else(|| error.to_string(), |(_, r)| r);
                    tracing::error!(topic = record.topic, %reason, "fatal producer error");
                    let _ = self.reason.set(reason);
                    self.shutdown.cancel();
                    self.abandon.cancel();
                    return Err(PublishError::Stopped);
                }
                Class::Retry => {
                    tracing::warn!(topic = record.topic, error = %error, retry_in = ?delay, "publish failed, retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = self.abandon.cancelled() => return Err(PublishError::Stopped),
                    }
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    /// [`Producer::publish_to`] by key.
    pub async fn publish(&self, record: Outgoing<'_>) -> Result<Delivery, PublishError> {
        self.publish_to(record, None).await
    }
}

/// Ends every delivery still awaited: what librdkafka holds, queued or in
/// flight, comes back at once as failed (`abandon`: shutdown's drain is
/// over, or a fatal error).
fn give_up(producer: &DeliveryProducer<FatalWatch>) {
    producer.purge(PurgeConfig::default().queue().inflight().non_blocking());
}

enum Class {
    Retry,
    Rejected,
    Fatal,
}

/// What a produce error means for the record.
fn classify(error: &KafkaError) -> Class {
    use RDKafkaErrorCode as C;
    match error.rdkafka_error_code() {
        Some(C::Fatal) => Class::Fatal,
        Some(
            C::MessageSizeTooLarge
            | C::InvalidMessageSize
            | C::InvalidMessage
            | C::InvalidRecord
            | C::InvalidTopic
            | C::UnknownPartition
            | C::TopicAuthorizationFailed
            | C::ClusterAuthorizationFailed
            | C::InvalidArgument,
        ) => Class::Rejected,
        _ => Class::Retry,
    }
}

/// Producer settings: idempotent, `acks=all`, batching for a few milliseconds;
/// `kafka.properties` last, so users can override any of them.
pub(crate) fn producer_config(config: &KafkaConfig) -> rdkafka::ClientConfig {
    let mut cc = base_config(config);
    cc.set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "1000000")
        .set("message.timeout.ms", "300000");
    for (k, v) in &config.properties {
        cc.set(k, v);
    }
    cc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_errors_are_not_retried() {
        let too_large = KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge);
        assert!(matches!(classify(&too_large), Class::Rejected));
        let unknown = KafkaError::MessageProduction(RDKafkaErrorCode::UnknownPartition);
        assert!(matches!(classify(&unknown), Class::Rejected));
        let timed_out = KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut);
        assert!(matches!(classify(&timed_out), Class::Retry));
        let fatal = KafkaError::MessageProduction(RDKafkaErrorCode::Fatal);
        assert!(matches!(classify(&fatal), Class::Fatal));
    }

    /// A record larger than `message.max.bytes` is refused at once, not
    /// retried forever; shutdown ends the retries of one that may pass later.
    #[tokio::test]
    async fn a_record_too_large_is_rejected_and_shutdown_stops_retries() {
        // No broker at this address: every record that could pass waits.
        let mut config = KafkaConfig::new("127.0.0.1:9");
        config.properties.insert("message.max.bytes".into(), "10000".into());
        let shutdown = CancellationToken::new();
        let producer = Producer::new(&config, shutdown.clone(), Duration::from_millis(100)).unwrap();
        let big = vec![b'x'; 20_000];
        let out = |payload: &'static [u8]| Outgoing { topic: "t", key: "k", payload, headers: OwnedHeaders::new() };
        let big: &'static [u8] = Box::leak(big.into_boxed_slice());
        let refused = producer.publish(out(big)).await;
        assert!(matches!(refused, Err(PublishError::Rejected(_))), "{refused:?}");
        let stop = shutdown.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            stop.cancel();
        });
        let waiting = tokio::time::timeout(Duration::from_secs(10), producer.publish(out(b"small"))).await;
        assert_eq!(waiting.unwrap(), Err(PublishError::Stopped));
        assert!(producer.check().is_ok(), "shutdown is not a fatal error");
    }
}

#[cfg(test)]
mod retry_tests {
    use super::*;
    use rdkafka::message::{Header, Headers};
    use rdkafka::mocking::MockCluster;
    use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
    use rdkafka::Message;

    /// A record whose first attempt fails (librdkafka gave up on it) is
    /// published again by the retry loop with its headers: the attempt
    /// hands them back with the failed record, nothing copies them up front.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_retried_record_keeps_its_headers() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("t", 1, 1).unwrap();
        let mut config = KafkaConfig::new(cluster.bootstrap_servers());
        config.properties.insert("message.timeout.ms".into(), "300".into());
        let producer = Producer::new(&config, CancellationToken::new(), Duration::from_secs(1)).unwrap();
        // Enough retriable errors to outlast the first attempt's 300 ms.
        cluster.request_errors(RDKafkaApiKey::Produce, &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS; 20]);
        let headers = OwnedHeaders::new().insert(Header { key: "traceparent", value: Some("00-abc-def-01") });
        let out = Outgoing { topic: "t", key: "k", payload: b"p", headers };
        let started = std::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(30), producer.publish(out)).await.unwrap().unwrap();
        assert!(started.elapsed() >= Duration::from_millis(300), "the first attempt failed: {:?}", started.elapsed());

        let message = crate::testing::read(&cluster.bootstrap_servers(), "t", 1).remove(0);
        let got = message.headers().expect("headers").get(0);
        assert_eq!((got.key, got.value), ("traceparent", Some(&b"00-abc-def-01"[..])));
    }
}

#[cfg(test)]
mod fatal_tests {
    use super::*;
    use rdkafka::mocking::MockCluster;
    use rdkafka::types::RDKafkaRespErr;

    /// A fatal idempotent-producer error (the broker fenced this producer's
    /// epoch) stops the producer: publishes end, shutdown is triggered, and
    /// the role can report [`Error::Fatal`] so the process exits non-zero.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fatal_producer_error_stops_publishing_and_triggers_shutdown() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("t", 1, 1).unwrap();
        let mut config = KafkaConfig::new(cluster.bootstrap_servers());
        config.properties.insert("enable.gapless.guarantee".into(), "true".into());
        let shutdown = CancellationToken::new();
        let producer = Producer::new(&config, shutdown.clone(), Duration::from_secs(1)).unwrap();
        let out = |payload: &'static [u8]| Outgoing { topic: "t", key: "k", payload, headers: OwnedHeaders::new() };
        producer.publish(out(b"first")).await.unwrap();
        cluster.request_errors(
            rdkafka::types::RDKafkaApiKey::Produce,
            &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER; 3],
        );
        let result = tokio::time::timeout(Duration::from_secs(30), producer.publish(out(b"second"))).await;
        eprintln!("{result:?} fatal={:?}", producer.fatal());
        assert_eq!(result.unwrap(), Err(PublishError::Stopped));
        assert!(shutdown.is_cancelled(), "shutdown triggered");
        assert!(matches!(producer.check(), Err(Error::Fatal(_))));
    }
}

//! Building Kafka clients from [`KafkaConfig`], and the at-least-once consumer.
//!
//! Consumers run with `enable.auto.commit=true` but `enable.auto.offset.store=false`
//! (rust-rdkafka's `at_least_once` example): an offset is stored — and so
//! committed by the next auto-commit — only once [`AckingConsumer::ack`] says
//! that message's outcome is durably recorded, in order per partition.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::FutureProducer;
use rdkafka::Message;
use rdkafka::{ClientConfig, ClientContext};
use runtime::config::KafkaConfig;

use crate::offsets::OffsetTracker;

/// Kafka client errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot create kafka client: {0}")]
    Create(#[source] KafkaError),
    #[error("cannot subscribe to {topics:?}: {source}")]
    Subscribe {
        topics: Vec<String>,
        #[source]
        source: KafkaError,
    },
    #[error("cannot create topic {topic}: {source}")]
    CreateTopic {
        topic: String,
        #[source]
        source: KafkaError,
    },
}

/// The common client properties: brokers plus the `kafka.properties` escape hatch.
pub fn base_config(config: &KafkaConfig) -> ClientConfig {
    let mut cc = ClientConfig::new();
    cc.set("bootstrap.servers", &config.brokers);
    for (k, v) in &config.properties {
        cc.set(k, v);
    }
    cc
}

/// An idempotent producer (`acks=all`), batching for a few milliseconds.
pub fn producer(config: &KafkaConfig) -> Result<FutureProducer, Error> {
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
    cc.create().map_err(Error::Create)
}

/// How far before its committed offset an assigned partition is read again
/// (the records before the committed offset are skipped here). tansu 0.6
/// answers a fetch from the middle of a record batch with the batches
/// *after* it, silently losing the rest of that batch — so a consumer
/// resuming at a committed offset inside a batch must start at or before the
/// batch's base. Our producers put at most `batch.num.messages` (10,000)
/// records in a batch. With a real Kafka this only costs re-reading them.
const REWIND: i64 = 10_000;

/// The consumer context: forgets revoked partitions' pending offsets and
/// rewinds assigned partitions (see [`REWIND`]).
pub struct AckContext {
    tracker: Arc<Mutex<OffsetTracker>>,
    /// Partitions revoked since the owner last asked ([`AckingConsumer::take_revoked`]).
    revoked: Arc<Mutex<Vec<(String, i32)>>>,
    /// Per rewound partition, the committed offset: records before it are skipped.
    resume_at: Arc<Mutex<HashMap<(String, i32), i64>>>,
}

impl ClientContext for AckContext {}

impl ConsumerContext for AckContext {
    /// The eager protocol's rebalance (every smsgw consumer uses `range`),
    /// with assigned partitions rewound before fetching starts.
    fn rebalance(
        &self,
        consumer: &rdkafka::consumer::BaseConsumer<Self>,
        err: rdkafka::types::RDKafkaRespErr,
        tpl: &mut rdkafka::TopicPartitionList,
    ) {
        use rdkafka::types::RDKafkaRespErr::{
            RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS,
        };
        match err {
            RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                self.rewind(consumer, tpl);
                if let Err(e) = consumer.assign(tpl) {
                    tracing::error!(error = %e, "cannot take the assigned partitions");
                }
                tracing::info!(partitions = tpl.count(), "partitions assigned");
            }
            RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                let mut tracker = lock(&self.tracker);
                let mut revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
                for elem in tpl.elements() {
                    tracker.forget(elem.topic(), elem.partition());
                    revoked.push((elem.topic().to_owned(), elem.partition()));
                }
                drop((tracker, revoked));
                if let Err(e) = consumer.unassign() {
                    tracing::error!(error = %e, "cannot give up the revoked partitions");
                }
                tracing::info!(partitions = tpl.count(), "partitions revoked");
            }
            other => {
                tracing::error!(error = ?other, "rebalance error");
                let _ = consumer.unassign();
            }
        }
    }
}

impl AckContext {
    /// Starts every assigned partition that has a committed offset
    /// [`REWIND`] records earlier, remembering where to resume.
    fn rewind(&self, consumer: &rdkafka::consumer::BaseConsumer<Self>, tpl: &mut rdkafka::TopicPartitionList) {
        let committed = match consumer.committed_offsets(tpl.clone(), Duration::from_secs(10)) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read committed offsets; starting where the group left off");
                return;
            }
        };
        let mut resume_at = self.resume_at.lock().unwrap_or_else(|e| e.into_inner());
        for elem in committed.elements() {
            let key = (elem.topic().to_owned(), elem.partition());
            resume_at.remove(&key);
            tracing::debug!(topic = elem.topic(), partition = elem.partition(), committed = ?elem.offset(), "assigned");
            if let rdkafka::Offset::Offset(at) = elem.offset() {
                if at > 0 {
                    let from = rdkafka::Offset::Offset((at - REWIND).max(0));
                    if tpl.set_partition_offset(elem.topic(), elem.partition(), from).is_ok() {
                        resume_at.insert(key, at);
                    }
                }
            }
        }
    }
}

fn lock(tracker: &Mutex<OffsetTracker>) -> std::sync::MutexGuard<'_, OffsetTracker> {
    // A panic while holding this lock cannot leave the tracker half-updated in
    // a way that loses messages (worst case: an offset is not stored and the
    // message is redone), so poisoning is ignored.
    tracker.lock().unwrap_or_else(|e| e.into_inner())
}

/// A consumer whose offsets advance only through [`AckingConsumer::ack`].
pub struct AckingConsumer {
    consumer: StreamConsumer<AckContext>,
    tracker: Arc<Mutex<OffsetTracker>>,
    revoked: Arc<Mutex<Vec<(String, i32)>>>,
    resume_at: Arc<Mutex<HashMap<(String, i32), i64>>>,
}

impl AckingConsumer {
    /// Joins `group` and subscribes to `topics`.
    pub fn subscribe(config: &KafkaConfig, group: &str, topics: &[&str]) -> Result<Self, Error> {
        Self::subscribe_with(config, group, topics, &[])
    }

    /// [`AckingConsumer::subscribe`] with extra client properties, e.g.
    /// `partition.assignment.strategy=range` so that partition p of several
    /// co-partitioned topics goes to the same member.
    pub fn subscribe_with(
        config: &KafkaConfig,
        group: &str,
        topics: &[&str],
        extra: &[(&str, &str)],
    ) -> Result<Self, Error> {
        let tracker = Arc::new(Mutex::new(OffsetTracker::default()));
        let revoked = Arc::new(Mutex::new(Vec::new()));
        let resume_at = Arc::new(Mutex::new(HashMap::new()));
        let mut cc = base_config(config);
        cc.set("group.id", group)
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "500")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", config.session_timeout.as_millis().to_string())
            .set("heartbeat.interval.ms", (config.session_timeout.as_millis() / 4).max(100).to_string())
            .set("fetch.wait.max.ms", "50");
        for (k, v) in extra {
            cc.set(*k, *v);
        }
        for (k, v) in &config.properties {
            cc.set(k, v);
        }
        let consumer: StreamConsumer<AckContext> = cc
            .create_with_context(AckContext {
                tracker: tracker.clone(),
                revoked: revoked.clone(),
                resume_at: resume_at.clone(),
            })
            .map_err(Error::Create)?;
        consumer
            .subscribe(topics)
            .map_err(|source| Error::Subscribe { topics: topics.iter().map(|t| t.to_string()).collect(), source })?;
        Ok(Self { consumer, tracker, revoked, resume_at })
    }

    /// The next record, skipping those a rewound partition re-reads before
    /// its committed offset (see [`REWIND`]).
    pub async fn recv(&self) -> Result<rdkafka::message::BorrowedMessage<'_>, KafkaError> {
        loop {
            let message = self.consumer.recv().await?;
            let mut resume_at = self.resume_at.lock().unwrap_or_else(|e| e.into_inner());
            if resume_at.is_empty() {
                return Ok(message);
            }
            let key = (message.topic().to_owned(), message.partition());
            match resume_at.get(&key) {
                Some(&at) if message.offset() < at => continue,
                Some(_) => {
                    resume_at.remove(&key);
                }
                None => {}
            }
            return Ok(message);
        }
    }

    /// The underlying consumer, to receive messages.
    pub fn consumer(&self) -> &StreamConsumer<AckContext> {
        &self.consumer
    }

    /// Marks a received message as being worked on. Call before handing it off.
    pub fn begin(&self, topic: &str, partition: i32, offset: i64) {
        lock(&self.tracker).begin(topic, partition, offset);
    }

    /// Marks a message's outcome as durably recorded; stores the partition's
    /// offset once every earlier message of it is done too.
    pub fn ack(&self, topic: &str, partition: i32, offset: i64) {
        let store = lock(&self.tracker).finish(topic, partition, offset);
        if let Some(done) = store {
            if let Err(e) = self.consumer.store_offset(topic, partition, done) {
                // The partition was revoked meanwhile: the new owner redoes the work.
                tracing::debug!(topic, partition, offset = done, error = %e, "offset not stored");
            }
        }
    }

    /// Partitions revoked since the last call, for owners that keep state per
    /// partition (it must be dropped: the new owner rebuilds it).
    pub fn take_revoked(&self) -> Vec<(String, i32)> {
        std::mem::take(&mut *self.revoked.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Messages begun and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        lock(&self.tracker).in_flight()
    }

    /// Commits stored offsets now (at shutdown) and leaves the group.
    pub fn commit_and_close(&self) {
        match self.consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync) {
            Ok(()) => {}
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => tracing::warn!(error = %e, "final offset commit failed"),
        }
        self.consumer.unsubscribe();
    }
}

/// A topic smsgw creates at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub name: String,
    /// `cleanup.policy=compact`: the latest record per key is kept (state topics).
    pub compacted: bool,
    /// With `compacted`: also delete records older than this
    /// (`cleanup.policy=compact,delete`, `retention.ms`).
    pub retention: Option<Duration>,
}

impl TopicSpec {
    /// A topic with time-based retention.
    pub fn plain(name: impl Into<String>) -> Self {
        Self { name: name.into(), compacted: false, retention: None }
    }

    /// A compacted topic.
    pub fn compacted(name: impl Into<String>) -> Self {
        Self { name: name.into(), compacted: true, retention: None }
    }

    /// A compacted topic whose records are also deleted after `retention`.
    pub fn compacted_for(name: impl Into<String>, retention: Duration) -> Self {
        Self { name: name.into(), compacted: true, retention: Some(retention) }
    }
}

/// Creates `topics` with `partitions` partitions each; topics that exist are left alone.
pub async fn ensure_topics(config: &KafkaConfig, topics: &[TopicSpec], partitions: i32) -> Result<(), Error> {
    let admin: AdminClient<DefaultClientContext> = base_config(config).create().map_err(Error::Create)?;
    let retention_ms: Vec<String> =
        topics.iter().map(|t| t.retention.map_or(0, |r| r.as_millis()).to_string()).collect();
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .zip(&retention_ms)
        .map(|(t, ms)| {
            let topic = NewTopic::new(&t.name, partitions, TopicReplication::Fixed(1));
            match (t.compacted, t.retention) {
                (true, Some(_)) => topic.set("cleanup.policy", "compact,delete").set("retention.ms", ms),
                (true, None) => topic.set("cleanup.policy", "compact"),
                (false, _) => topic,
            }
        })
        .collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin.create_topics(new.iter(), &opts).await.map_err(|source| Error::CreateTopic {
        topic: topics.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(","),
        source,
    })?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(Error::CreateTopic { topic, source: KafkaError::AdminOp(code) });
            }
        }
    }
    Ok(())
}

/// A plain consumer that reads every partition of `topics` from the
/// beginning, without joining a consumer group (no rebalances, no waiting for
/// a join), for tools and tests that watch a topic.
pub fn watcher(config: &KafkaConfig, group: &str, topics: &[&str]) -> Result<StreamConsumer, Error> {
    let mut cc = base_config(config);
    cc.set("group.id", group).set("enable.auto.commit", "false").set("fetch.wait.max.ms", "50");
    let consumer: StreamConsumer = cc.create().map_err(Error::Create)?;
    let mut assignment = rdkafka::TopicPartitionList::new();
    for topic in topics {
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .map_err(|source| Error::Subscribe { topics: vec![topic.to_string()], source })?;
        for t in metadata.topics() {
            for p in t.partitions() {
                assignment
                    .add_partition_offset(t.name(), p.id(), rdkafka::Offset::Beginning)
                    .map_err(|source| Error::Subscribe { topics: vec![topic.to_string()], source })?;
            }
        }
    }
    consumer
        .assign(&assignment)
        .map_err(|source| Error::Subscribe { topics: topics.iter().map(|t| t.to_string()).collect(), source })?;
    Ok(consumer)
}

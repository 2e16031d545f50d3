//! Building Kafka clients from [`KafkaConfig`]: the common properties,
//! topics smsgw creates, the partition-count check of co-partitioned topics,
//! and a group-less watcher for tools and tests.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::ClientConfig;
use runtime::config::{BrokerQuirks, KafkaConfig};

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
    #[error("cannot list the cluster's topics: {0}")]
    ListTopics(#[source] KafkaError),
    #[error("cannot read the partition count of {topic}: {source}")]
    Metadata {
        topic: String,
        #[source]
        source: KafkaError,
    },
    /// Topics read together by key have different partition counts, so one
    /// key would land in different partition numbers and never meet.
    #[error("co-partitioned topics differ in partition count ({counts}); give them the same count (kafka.partitions when smsgw creates them)")]
    PartitionMismatch { counts: String },
    /// The broker could not be probed for its quirks (`kafka.broker_quirks = "auto"`).
    #[error("cannot probe the broker (set kafka.broker_quirks to tansu or none to skip): {0}")]
    Probe(String),
    /// The idempotent producer hit a fatal error: the process must restart.
    #[error("fatal kafka producer error: {0}")]
    Fatal(String),
    /// The brokers' TLS handshake failed ([`crate::handshake`]); librdkafka's
    /// reason names the broker and the cause (e.g. "certificate verify failed").
    #[error("kafka TLS handshake failed: {0}")]
    Tls(String),
    /// The brokers refused the SASL login ([`crate::handshake`]): wrong
    /// credentials, or a mechanism they do not offer.
    #[error("kafka SASL authentication failed: {0}")]
    Authentication(String),
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

/// librdkafka's `builtin.features` of this build (`ssl`, `sasl_scram`,
/// `sasl_plain`, ...), as the library itself reports them.
pub fn builtin_features() -> Result<Vec<String>, Error> {
    let features = ClientConfig::new()
        .create_native_config()
        .and_then(|native| native.get("builtin.features"))
        .map_err(Error::Create)?;
    Ok(features.split(',').map(str::to_owned).collect())
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
///
/// The cluster's topics are listed first (one Metadata request) and only the
/// missing ones are asked for: a cluster whose topics were provisioned
/// beforehand (the usual way where applications hold no CREATE
/// permission) sees no CreateTopics from smsgw at all, and so does a broker
/// without that API (librdkafka's mock cluster).
pub async fn ensure_topics(config: &KafkaConfig, topics: &[TopicSpec], partitions: i32) -> Result<(), Error> {
    let admin: AdminClient<DefaultClientContext> = base_config(config).create().map_err(Error::Create)?;
    // As long as the CreateTopics request below may take (librdkafka's
    // default `socket.timeout.ms`): a broker still starting is waited for.
    let listed = blocking(|| admin.inner().fetch_metadata(None, Duration::from_secs(60))).map_err(Error::ListTopics)?;
    let exists = |name: &str| {
        listed.topics().iter().any(|t| t.name() == name && t.error().is_none() && !t.partitions().is_empty())
    };
    let topics: Vec<&TopicSpec> = topics.iter().filter(|t| !exists(&t.name)).collect();
    if topics.is_empty() {
        return Ok(());
    }
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
///
/// It waits for the topics' metadata (up to 10 s each); on a multi-threaded
/// runtime the worker is handed over first ([`blocking`]), so tasks of the
/// same runtime (another role's, a proxy's in tests) keep running meanwhile.
pub fn watcher(config: &KafkaConfig, group: &str, topics: &[&str]) -> Result<StreamConsumer, Error> {
    blocking(|| watcher_now(config, group, topics))
}

/// Runs `f`, which blocks the thread (librdkafka's synchronous metadata
/// calls): on a tokio multi-threaded runtime through `block_in_place`, so
/// the worker's other tasks move to another thread instead of waiting.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// A consumer's `fetch.wait.max.ms`: how long the broker may hold a fetch.
/// `kafka.properties` sets it like any other property; otherwise it
/// follows the broker ([`default_fetch_wait_ms`]).
pub fn fetch_wait_ms(config: &KafkaConfig) -> String {
    match config.properties.get("fetch.wait.max.ms") {
        Some(set) => set.clone(),
        None => default_fetch_wait_ms(config.broker_quirks).to_owned(),
    }
}

/// `fetch.wait.max.ms` under `quirks`. Kafka answers a fetch as soon as a
/// record arrives (`fetch.min.bytes` = 1), so the wait costs no latency
/// there and only sets how often an idle consumer asks: librdkafka's
/// default, 500 ms. tansu 0.6 holds every fetch to its end, with records
/// or without (`tansu-storage`'s fetch service sleeps out the wait before
/// it answers), which makes the wait a latency floor for each hop (one and
/// a half waits on average, two at worst): 50 ms there, at ten times the
/// idle fetches.
pub fn default_fetch_wait_ms(quirks: BrokerQuirks) -> &'static str {
    match quirks {
        BrokerQuirks::None => "500",
        BrokerQuirks::Tansu | BrokerQuirks::Auto => "50",
    }
}

fn watcher_now(config: &KafkaConfig, group: &str, topics: &[&str]) -> Result<StreamConsumer, Error> {
    let mut cc = base_config(config);
    cc.set("group.id", group).set("enable.auto.commit", "false").set("fetch.wait.max.ms", fetch_wait_ms(config));
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

/// Reads every partition of `topic` from the beginning until `shutdown`
/// (a [`watcher`] of group `group`), handing each record to `on_record`:
/// how every replica follows a compacted topic it needs whole (the links
/// reports; `restore::follow` for state read to a fence first). A read
/// error is logged and reading goes on.
pub fn tail(
    config: &KafkaConfig,
    group: &str,
    topic: &str,
    shutdown: tokio_util::sync::CancellationToken,
    mut on_record: impl FnMut(&rdkafka::message::OwnedMessage) + Send + 'static,
) -> Result<(), Error> {
    use futures::StreamExt;
    let consumer = watcher(config, group, &[topic])?;
    let topic = topic.to_owned();
    tokio::spawn(async move {
        let mut stream = consumer.stream();
        loop {
            let message = tokio::select! {
                _ = shutdown.cancelled() => break,
                m = stream.next() => m,
            };
            match message {
                Some(Ok(m)) => on_record(&m.detach()),
                Some(Err(e)) => tracing::warn!(%topic, error = %e, "reading"),
                None => break,
            }
        }
    });
    Ok(())
}

/// Refuses to start when topics that must be co-partitioned (read together
/// by key with the range assignor: queue and done markers, submit records and
/// receipts, outcomes, markers and statuses) differ in partition count: one
/// key would land in different partition numbers, and the records that must
/// meet would go to different owners. Their one partition count, when
/// they agree.
pub async fn check_copartitioned(config: &KafkaConfig, topics: &[&str]) -> Result<usize, Error> {
    let counts = partition_counts(config, topics).await?;
    if counts.windows(2).all(|w| w[0].1 == w[1].1) {
        return Ok(counts.first().map_or(0, |(_, n)| *n));
    }
    let counts = counts.iter().map(|(t, n)| format!("{t}: {n}")).collect::<Vec<_>>().join(", ");
    Err(Error::PartitionMismatch { counts })
}

/// The partition count of each of `topics` (0 for one the broker does not know).
pub async fn partition_counts(config: &KafkaConfig, topics: &[&str]) -> Result<Vec<(String, usize)>, Error> {
    let config = config.clone();
    let topics: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
    let counts = tokio::task::spawn_blocking(move || {
        let consumer: rdkafka::consumer::BaseConsumer = base_config(&config).create().map_err(Error::Create)?;
        let mut counts = Vec::new();
        for topic in &topics {
            let metadata = consumer
                .fetch_metadata(Some(topic), Duration::from_secs(10))
                .map_err(|source| Error::Metadata { topic: topic.clone(), source })?;
            let n = metadata.topics().iter().find(|t| t.name() == topic).map_or(0, |t| t.partitions().len());
            counts.push((topic.clone(), n));
        }
        Ok::<_, Error>(counts)
    })
    .await
    .map_err(|e| Error::Create(KafkaError::ClientCreation(e.to_string())))??;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build carries TLS and the SASL mechanisms enterprise clusters ask
    /// for (rdkafka's `ssl` feature; GSSAPI is left out on purpose).
    #[test]
    fn librdkafka_is_built_with_tls_and_sasl() {
        let features = builtin_features().unwrap();
        for wanted in ["ssl", "sasl_plain", "sasl_scram", "sasl_oauthbearer"] {
            assert!(features.iter().any(|f| f == wanted), "{wanted} missing from {features:?}");
        }
        assert!(!features.iter().any(|f| f == "sasl_gssapi"), "{features:?}");
    }

    /// Topics that exist are not asked for: librdkafka's mock cluster has
    /// no CreateTopics, as a cluster that denies smsgw the CREATE permission
    /// answers none, so only a request left out lets start-up through; a
    /// missing topic is still asked for (and there, refused).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn provisioned_topics_are_not_created_again() {
        let cluster = rdkafka::mocking::MockCluster::new(1).unwrap();
        cluster.create_topic("provisioned.a", 2, 1).unwrap();
        cluster.create_topic("provisioned.b", 2, 1).unwrap();
        let mut config = KafkaConfig::new(cluster.bootstrap_servers());
        // The refusal comes as the admin request's timeout: short here.
        config.properties.insert("socket.timeout.ms".into(), "3000".into());
        let provisioned = [TopicSpec::plain("provisioned.a"), TopicSpec::compacted("provisioned.b")];
        ensure_topics(&config, &provisioned, 2).await.unwrap();
        let missing = [TopicSpec::plain("provisioned.a"), TopicSpec::plain("missing")];
        match ensure_topics(&config, &missing, 2).await {
            Err(Error::CreateTopic { topic, .. }) => assert_eq!(topic, "missing"),
            other => panic!("expected the missing topic to be asked for, got {other:?}"),
        }
    }
}

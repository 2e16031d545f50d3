//! `[kafka]`: the brokers, consumer groups, Schema Registry, how records are
//! written, and the topic names.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{invalid, ConfigError, Properties, Secret};

/// Broker connection, topics and consumer groups.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Comma-separated `host:port` bootstrap brokers.
    pub brokers: String,
    /// Prefix of every consumer group id smsgw uses (`{prefix}.router`, `{prefix}.sender.{connection}`).
    #[serde(default = "default_group_prefix")]
    pub group_prefix: String,
    /// Confluent Schema Registry URL; when set, events use its wire format.
    /// `https://` is verified against the system's trust store, or against
    /// `schema_registry_ca`. Credentials in the URL (`https://user:password@host`)
    /// are used for basic authentication and never shown.
    #[serde(default)]
    pub schema_registry_url: Option<String>,
    /// PEM file with the CA certificate(s) the schema registry's certificate
    /// must chain to; when set, only these are trusted (as librdkafka's
    /// `ssl.ca.location` does for the brokers).
    #[serde(default)]
    pub schema_registry_ca: Option<PathBuf>,
    /// User for HTTP basic authentication to the schema registry (RFC 7617).
    #[serde(default)]
    pub schema_registry_user: Option<String>,
    /// Its password; from the environment: `SMSGW__KAFKA__SCHEMA_REGISTRY_PASSWORD`.
    #[serde(default)]
    pub schema_registry_password: Option<Secret>,
    /// Consumer group session timeout; a rebalance waits about half of it.
    #[serde(default = "default_session_timeout", with = "humantime_serde")]
    pub session_timeout: Duration,
    /// How long a consumer giving up a partition in a rebalance waits for the
    /// work that already reached the outside (a submit at the SMSC, a status
    /// being published) to record its outcome, before the partition goes to
    /// its next owner. Keep it above the connections' `response_timeout` and
    /// well below librdkafka's `max.poll.interval.ms` (300 s by default).
    #[serde(default = "default_revoke_timeout", with = "humantime_serde")]
    pub revoke_timeout: Duration,
    /// Work around the test broker tansu 0.6 (`docs/tracker.md`, "tansu 0.6 and
    /// its quirks"): `auto` (probe the broker at start-up), `tansu`, or `none`
    /// (a broker that answers fetches from inside a record batch and reports the
    /// log end exactly, as Kafka does: consumers then resume exactly at their
    /// committed offsets instead of re-reading 10,000 records before them).
    #[serde(default)]
    pub broker_quirks: BrokerQuirks,
    /// Partitions given to topics smsgw creates itself.
    #[serde(default = "default_partitions")]
    pub partitions: i32,
    /// How long a request id stays an idempotency key and a terminal status is
    /// remembered: the retention of `topics.done` and `topics.finals`
    /// (`cleanup.policy=compact,delete`) and the age at which their ids leave memory.
    #[serde(default = "default_id_retention", with = "humantime_serde")]
    pub id_retention: Duration,
    /// Write the records the roles exchange for every message (submit
    /// records, receipts, outcomes, inbound parts) in their compact binary
    /// form (version 1) instead of JSON (version 0). Every reader takes
    /// both; turn it on once no replica of an older release runs (they read
    /// JSON only). `records::codec` says more.
    #[serde(default)]
    pub compact_records: bool,
    /// Topic names.
    #[serde(default)]
    pub topics: TopicsConfig,
    /// Extra librdkafka properties applied to every client (escape hatch for TLS, SASL...).
    #[serde(default)]
    pub properties: Properties,
}

impl KafkaConfig {
    /// Defaults for everything but the brokers (tools, tests, the bench).
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            group_prefix: default_group_prefix(),
            schema_registry_url: None,
            schema_registry_ca: None,
            schema_registry_user: None,
            schema_registry_password: None,
            session_timeout: default_session_timeout(),
            revoke_timeout: default_revoke_timeout(),
            broker_quirks: BrokerQuirks::Auto,
            partitions: default_partitions(),
            id_retention: default_id_retention(),
            compact_records: false,
            topics: TopicsConfig::default(),
            properties: Properties::default(),
        }
    }
}

fn default_group_prefix() -> String {
    "smsgw".into()
}
fn default_session_timeout() -> Duration {
    Duration::from_secs(10)
}
/// Which broker bugs smsgw works around (`kafka.broker_quirks`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum BrokerQuirks {
    /// Probed at start-up; where it was not probed, treated as `tansu` (safe on any broker).
    #[default]
    Auto,
    /// Fetches from inside a batch lose the rest of it; ListOffsets reports a short end.
    Tansu,
    /// A broker without those bugs (Kafka, Redpanda, ...).
    None,
}

fn default_revoke_timeout() -> Duration {
    Duration::from_secs(30)
}
fn default_partitions() -> i32 {
    4
}
fn default_id_retention() -> Duration {
    Duration::from_secs(7 * 24 * 3600)
}

/// Topic names; all configurable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TopicsConfig {
    /// Send requests from applications.
    pub send: String,
    /// Status events for the whole lifecycle of an outbound message.
    pub status: String,
    /// Inbound (mobile-originated) messages.
    pub inbound: String,
    /// Records that could not be decoded at all, with the error in a header.
    pub dead_letter: String,
    /// Per-connection queues are `{queue_prefix}{connection id}`.
    pub queue_prefix: String,
    /// Delivery receipts as received by senders (parsed), for the tracker.
    pub deliver: String,
    /// Compacted: one record per submitted segment awaiting its receipt.
    pub submits: String,
    /// Outcomes on their way to the finaliser, keyed by request id: each
    /// segment's final state, and terminal statuses decided elsewhere
    /// (key `outcomes`, or `segments` as older files call it). The default
    /// topic keeps its old name, `sms.segments`, so an upgrade finds the
    /// outcomes still waiting there.
    #[serde(alias = "segments")]
    pub outcomes: String,
    /// Compacted: a marker per request id whose terminal status is published,
    /// so a request gets exactly one.
    pub finals: String,
    /// Compacted: a marker per request id whose outcome is recorded, so a
    /// request id is sent once (idempotency key) however often it arrives.
    pub done: String,
    /// Parts of concatenated inbound messages, keyed by connection, addresses
    /// and reference, so all parts of one message meet on one tracker.
    pub mo_parts: String,
    /// Compacted: each sender replica's report on each of its connections
    /// (binds up, queue lag, window in use), for routing and failover.
    pub links: String,
    /// Compacted: one record per (number, subscriber) that opted out or back in.
    pub optouts: String,
    /// Compacted: each router replica's count of each tenant's requests per day.
    pub quotas: String,
    /// Scheduled messages wait in the delay-level topics
    /// `{scheduled_prefix}{level}` (`0s`, `1s`, `4s`, `15s`, `1m`, `4m`, `15m`, `1h`, `4h`, `1d`).
    pub scheduled_prefix: String,
    /// Cancel requests for scheduled messages, keyed by the id of the
    /// message to cancel (compacted, `id_retention`).
    pub cancel: String,
}

impl Default for TopicsConfig {
    fn default() -> Self {
        Self {
            send: "sms.send".into(),
            status: "sms.status".into(),
            inbound: "sms.inbound".into(),
            dead_letter: "sms.send.dead-letter".into(),
            queue_prefix: "sms.queue.".into(),
            deliver: "sms.deliver".into(),
            submits: "sms.submits".into(),
            outcomes: "sms.segments".into(),
            done: "sms.done".into(),
            finals: "sms.finals".into(),
            mo_parts: "sms.mo-parts".into(),
            links: "sms.links".into(),
            optouts: "sms.optouts".into(),
            quotas: "sms.quotas".into(),
            scheduled_prefix: "sms.scheduled.".into(),
            cancel: "sms.cancel".into(),
        }
    }
}

impl TopicsConfig {
    /// The queue topic of one connection: its normal (bulk) lane.
    pub fn queue(&self, connection: &str) -> String {
        format!("{}{}", self.queue_prefix, connection)
    }

    /// The topic of one delay level of the scheduler (`1m`, ...).
    pub fn scheduled(&self, level: &str) -> String {
        format!("{}{}", self.scheduled_prefix, level)
    }
}

impl KafkaConfig {
    /// Checks what serde cannot: the broker list, ranges, the schema
    /// registry's keys belonging together, and topic names.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.brokers.trim().is_empty() {
            return Err(invalid("kafka.brokers", "must name at least one broker"));
        }
        if self.id_retention < Duration::from_secs(1) {
            return Err(invalid("kafka.id_retention", "must be at least 1s"));
        }
        if self.schema_registry_password.is_some() && self.schema_registry_user.is_none() {
            return Err(invalid("kafka.schema_registry_password", "needs kafka.schema_registry_user"));
        }
        if self.schema_registry_url.is_none()
            && (self.schema_registry_ca.is_some() || self.schema_registry_user.is_some())
        {
            let key = if self.schema_registry_ca.is_some() {
                "kafka.schema_registry_ca"
            } else {
                "kafka.schema_registry_user"
            };
            return Err(invalid(key, "needs kafka.schema_registry_url"));
        }
        if self.revoke_timeout > Duration::from_secs(240) {
            return Err(invalid("kafka.revoke_timeout", "must be at most 240s (below max.poll.interval.ms)"));
        }
        let topics = &self.topics;
        for (key, value) in [
            ("kafka.topics.send", &topics.send),
            ("kafka.topics.status", &topics.status),
            ("kafka.topics.inbound", &topics.inbound),
            ("kafka.topics.dead_letter", &topics.dead_letter),
            ("kafka.topics.queue_prefix", &topics.queue_prefix),
            ("kafka.topics.deliver", &topics.deliver),
            ("kafka.topics.submits", &topics.submits),
            ("kafka.topics.outcomes", &topics.outcomes),
            ("kafka.topics.done", &topics.done),
            ("kafka.topics.finals", &topics.finals),
            ("kafka.topics.mo_parts", &topics.mo_parts),
            ("kafka.topics.links", &topics.links),
            ("kafka.topics.optouts", &topics.optouts),
            ("kafka.topics.quotas", &topics.quotas),
            ("kafka.topics.scheduled_prefix", &topics.scheduled_prefix),
            ("kafka.topics.cancel", &topics.cancel),
        ] {
            if value.is_empty() || !value.chars().all(valid_topic_char) {
                return Err(invalid(key, format!("`{value}` is not a valid topic name")));
            }
        }
        Ok(())
    }
}

pub(super) fn valid_topic_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

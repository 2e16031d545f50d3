//! The gateway's configuration: serde structs loaded once at start-up from a
//! TOML file, then `SMSGW__SECTION__KEY` environment variables, and validated
//! with errors that name the offending key.
//!
//! Every struct denies unknown fields, so a typo (`max_tsp`) is an error at
//! start-up, not a silently ignored setting.

use std::path::Path;
use std::time::Duration;

pub use events::Priority;
use serde::Deserialize;

mod connection;
pub mod env;
pub mod http;
mod kafka;
mod lanes;
pub mod link_tls;
pub mod routes;
mod scheduler;
mod secret;
pub use connection::{
    BindType, Cimd2Config, ConnectionConfig, Link, MissingMessageId, ModemConfig, Protocol, SmppConfig, Smsc,
    UcpAlphabet, UcpConfig,
};
pub use http::{BodyFormat, DlrCallback, HttpAuth, HttpConfig, HttpMethod, MoCallback};
pub use kafka::{BrokerQuirks, KafkaConfig, TopicsConfig};
pub use lanes::{lane_suffix, LANES};
pub use routes::{List, ListKind, MessageClass, Quota, Route, Strategy};
pub use scheduler::SchedulerConfig;
pub use secret::{is_secret_property, Properties, Secret};

/// A configuration error; `key` is the dotted path of the bad setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file or the environment could not be read or parsed.
    #[error("cannot load configuration: {0}")]
    Load(#[source] config::ConfigError),
    /// A setting parsed but its value is not acceptable.
    #[error("invalid configuration key `{key}`: {reason}")]
    Invalid { key: String, reason: String },
}

impl ConfigError {
    /// Setting `key` (a dotted path) is not acceptable, and why.
    pub fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid { key: key.into(), reason: reason.into() }
    }
}

/// A check the configuration must pass beyond its own validation, by the
/// code that knows a limit (the protocols' limits: `sender::check`); run at
/// start-up and on every reload.
pub type Check = fn(&Settings) -> Result<(), ConfigError>;

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::invalid(key, reason)
}

/// The whole configuration of one smsgw process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Broker connection, topics and consumer groups.
    pub kafka: KafkaConfig,
    /// Logging, log file, OpenTelemetry export and the metrics endpoint.
    #[serde(default)]
    pub telemetry: TelemetryConfig,
    /// How requests are validated and routed to connections.
    #[serde(default)]
    pub router: RouterConfig,
    /// Delivery-receipt correlation.
    #[serde(default)]
    pub tracker: TrackerConfig,
    /// Holding scheduled messages (`send_at`) until due, and cancelling them.
    #[serde(default)]
    pub scheduler: SchedulerConfig,
    /// The SMSC accounts and modems messages can be sent through.
    #[serde(default)]
    pub connections: Vec<ConnectionConfig>,
    /// Routing rules, first match wins (`config::routes`).
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Block and allow lists of destinations.
    #[serde(default)]
    pub lists: Vec<List>,
    /// Opt-out keywords in inbound messages.
    #[serde(default)]
    pub optout: OptOutConfig,
    /// Per-tenant quotas.
    #[serde(default)]
    pub quotas: Vec<Quota>,
    /// Start-up and shutdown.
    #[serde(default)]
    pub lifecycle: LifecycleConfig,
}

impl Settings {
    /// Loads `path` (TOML), applies `SMSGW__...` environment overrides and validates.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::load_with_env(path, std::env::vars())
    }

    /// [`Settings::load`] with the environment given ([`env`] says which
    /// variables mean what).
    pub fn load_with_env(path: &Path, vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let overrides = env::Overrides::read(vars);
        let built = config::Config::builder()
            .add_source(config::File::from(path).format(config::FileFormat::Toml))
            .add_source(
                config::Environment::with_prefix("SMSGW")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(overrides.plain.clone())),
            )
            .build()
            .map_err(ConfigError::Load)?;
        let mut settings: Settings = built.try_deserialize().map_err(ConfigError::Load)?;
        overrides.apply(&mut settings)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Parses TOML text without environment overrides (tests, embedded configs).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let built = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()
            .map_err(ConfigError::Load)?;
        let settings: Settings = built.try_deserialize().map_err(ConfigError::Load)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what serde cannot: ranges, references between sections, uniqueness.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.kafka.brokers.trim().is_empty() {
            return Err(invalid("kafka.brokers", "must name at least one broker"));
        }
        if self.kafka.id_retention < Duration::from_secs(1) {
            return Err(invalid("kafka.id_retention", "must be at least 1s"));
        }
        let registry = &self.kafka;
        if registry.schema_registry_password.is_some() && registry.schema_registry_user.is_none() {
            return Err(invalid("kafka.schema_registry_password", "needs kafka.schema_registry_user"));
        }
        if registry.schema_registry_url.is_none()
            && (registry.schema_registry_ca.is_some() || registry.schema_registry_user.is_some())
        {
            let key = if registry.schema_registry_ca.is_some() {
                "kafka.schema_registry_ca"
            } else {
                "kafka.schema_registry_user"
            };
            return Err(invalid(key, "needs kafka.schema_registry_url"));
        }
        if self.kafka.revoke_timeout > Duration::from_secs(240) {
            return Err(invalid("kafka.revoke_timeout", "must be at most 240s (below max.poll.interval.ms)"));
        }
        let topics = &self.kafka.topics;
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
        let mut ids = std::collections::BTreeSet::new();
        for (i, conn) in self.connections.iter().enumerate() {
            conn.validate(&format!("connections[{i}]"))?;
            if !ids.insert(conn.id.as_str()) {
                return Err(invalid(format!("connections[{i}].id"), format!("duplicate connection id `{}`", conn.id)));
            }
        }
        lanes::validate_ids(&self.connections, &ids)?;
        if let Some(default) = &self.router.default_connection {
            if !ids.contains(default.as_str()) {
                return Err(invalid("router.default_connection", format!("no connection with id `{default}`")));
            }
        }
        routes::validate(&self.routes, &ids)?;
        routes::validate_lists(&self.lists)?;
        routes::validate_quotas(&self.quotas)?;
        if let Some(country) = &self.router.default_country {
            if country.parse::<phonenumber::country::Id>().is_err() {
                return Err(invalid("router.default_country", format!("`{country}` is not an ISO 3166 region code")));
            }
        }
        self.scheduler.validate()?;
        for (i, rule) in self.router.rules.iter().enumerate() {
            if !ids.contains(rule.connection.as_str()) {
                return Err(invalid(
                    format!("router.rules[{i}].connection"),
                    format!("no connection with id `{}`", rule.connection),
                ));
            }
            if rule.prefix.is_empty() || !rule.prefix.trim_start_matches('+').chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(format!("router.rules[{i}].prefix"), "must be digits, optionally after a `+`"));
            }
        }
        if self.telemetry.log_max_bytes < 4096 {
            return Err(invalid("telemetry.log_max_bytes", "must be at least 4096"));
        }
        if self.lifecycle.drain > Duration::from_secs(600) {
            return Err(invalid("lifecycle.drain", "must be at most 10m"));
        }
        let tracker = &self.tracker;
        for (key, value) in [
            ("tracker.max_waiting", tracker.max_waiting),
            ("tracker.max_waiting_per_connection", tracker.max_waiting_per_connection),
            ("tracker.max_mo_sets_per_connection", tracker.max_mo_sets_per_connection),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        if self.router.max_segments == 0 || self.router.max_segments > 255 {
            return Err(invalid("router.max_segments", "must be between 1 and 255"));
        }
        Ok(())
    }

    /// The connection with this id.
    pub fn connection(&self, id: &str) -> Option<&ConnectionConfig> {
        self.connections.iter().find(|c| c.id == id)
    }
}

fn valid_topic_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// Logging, log file, OpenTelemetry export and the metrics endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// `tracing` filter directive, e.g. `info,sender=debug`; `RUST_LOG` wins when set.
    pub log: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Also append logs to this file, in `log_format` ([`crate::logfile`]).
    pub log_file: Option<std::path::PathBuf>,
    /// The log file is rotated when it would grow past this many bytes.
    pub log_max_bytes: u64,
    /// Rotated log files kept (`smsgw.log.1` ... `.N`).
    pub log_keep: usize,
    /// OTLP/HTTP endpoint (e.g. `http://collector:4318/v1/traces`); tracing export is off when unset.
    pub otlp_endpoint: Option<String>,
    /// `service.name` resource attribute.
    pub service_name: String,
    /// Address for Prometheus' `GET /metrics` (e.g. `127.0.0.1:9464`); no endpoint when unset.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// For debugging a connection: log each submit's destination at debug
    /// level, masked but for its last four digits. Off by default: no phone
    /// number reaches a log otherwise (see `runtime::redact`).
    pub log_numbers: bool,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log: "info".into(),
            log_format: LogFormat::Text,
            log_file: None,
            log_max_bytes: 100 * 1024 * 1024,
            log_keep: 5,
            otlp_endpoint: None,
            service_name: "smsgw".into(),
            metrics_listen: None,
            log_numbers: false,
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// How requests are validated and routed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouterConfig {
    /// Connection used when no hint and no rule matches; requests are REJECTED when unset.
    pub default_connection: Option<String>,
    /// ISO 3166 region of national destination numbers (`DE`: `0151...` is
    /// `+49151...`), when valid there by libphonenumber's metadata; national
    /// numbers stay national when unset.
    pub default_country: Option<String>,
    /// Destination-prefix rules, first match wins.
    pub rules: Vec<RouteRule>,
    /// Requests needing more segments than this are REJECTED.
    pub max_segments: usize,
    /// Publish an ACCEPTED status event when a request is queued for its connection.
    pub accepted_events: bool,
    /// Largest `metadata` a request may carry (keys and values, in bytes). It is
    /// copied into the queue record, every segment's submit record and every
    /// event, so an unbounded map could make records the broker refuses;
    /// larger requests are REJECTED with code `metadata_too_large`.
    pub max_metadata_bytes: usize,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            default_connection: None,
            default_country: None,
            rules: Vec::new(),
            max_segments: 10,
            accepted_events: false,
            max_metadata_bytes: 4096,
        }
    }
}

/// Opt-outs: an inbound message whose whole text is a stop keyword (any
/// case, surrounding spaces and punctuation ignored) opts its sender out of
/// messages from the number it was sent to; a start keyword opts back in.
/// Later requests from that number to that subscriber are REJECTED `opted_out`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptOutConfig {
    /// Watch inbound messages for the keywords.
    pub enabled: bool,
    /// Stop keywords, any language.
    pub stop_keywords: Vec<String>,
    /// Start keywords, any language.
    pub start_keywords: Vec<String>,
}

impl Default for OptOutConfig {
    fn default() -> Self {
        // The CTIA's (US) and common European ones.
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect();
        Self {
            enabled: true,
            stop_keywords: words(&[
                "STOP",
                "STOPALL",
                "UNSUBSCRIBE",
                "CANCEL",
                "END",
                "QUIT",
                "STOPP",
                "ARRET",
                "ARRÊT",
                "BAJA",
                "ABMELDEN",
            ]),
            start_keywords: words(&["START", "UNSTOP", "YES"]),
        }
    }
}

/// Delivery-receipt correlation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrackerConfig {
    /// How long a receipt that arrived before its submit record waits for it;
    /// then it is published as unmatched.
    #[serde(with = "humantime_serde")]
    pub receipt_wait: Duration,
    /// How long a multi-part request waits for every segment's receipt; then
    /// its status is the worst known, missing segments counting as undeliverable.
    #[serde(with = "humantime_serde")]
    pub segment_timeout: Duration,
    /// Receipts held while waiting for their submit record, at most; beyond
    /// it a receipt is published unmatched at once (`smsgw_limit_reached_total`).
    pub max_waiting: usize,
    /// Of those, from one connection at most, so one noisy SMSC cannot push
    /// another connection's receipts out.
    pub max_waiting_per_connection: usize,
    /// Incomplete concatenated inbound messages held per connection, at
    /// most; beyond it that connection's oldest is published incomplete at
    /// once (nothing is dropped; `smsgw_limit_reached_total`).
    pub max_mo_sets_per_connection: usize,
    /// How long the parts of a concatenated inbound message wait for the
    /// rest; then what arrived is published, flagged incomplete.
    #[serde(with = "humantime_serde")]
    pub mo_timeout: Duration,
    /// How long a concluded receipt key is remembered after a restart, to
    /// tell a receipt the SMSC sends again (its acknowledgement was lost)
    /// from one that matches nothing. The matcher's restore starts no further
    /// back than this (or than the oldest submit still awaiting its receipt),
    /// so it reads what is still open, not the whole history of the topic.
    #[serde(with = "humantime_serde")]
    pub duplicate_window: Duration,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            receipt_wait: Duration::from_secs(600),
            duplicate_window: Duration::from_secs(3600),
            segment_timeout: Duration::from_secs(48 * 3600),
            max_waiting: 100_000,
            max_waiting_per_connection: 20_000,
            max_mo_sets_per_connection: 10_000,
            mo_timeout: Duration::from_secs(600),
        }
    }
}

/// Start-up and shutdown.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LifecycleConfig {
    /// After SIGTERM, how long work in flight may take to record its outcome
    /// (what has not reached the outside is withdrawn at once). The process
    /// exits at the latest [`LifecycleConfig::EXIT_MARGIN`] after it: keep
    /// the orchestrator's grace period (`terminationGracePeriodSeconds`)
    /// above drain + 10 s.
    #[serde(with = "humantime_serde")]
    pub drain: Duration,
}

impl LifecycleConfig {
    /// Flushing the producers and unbinding after the drain, at most.
    pub const EXIT_MARGIN: Duration = Duration::from_secs(10);
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self { drain: Duration::from_secs(20) }
    }
}

/// A destination-prefix routing rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    /// Digits the normalised destination (international, without `+`) starts with; a leading `+` is ignored.
    pub prefix: String,
    /// Connection id to use.
    pub connection: String,
}

#[cfg(test)]
mod tests;

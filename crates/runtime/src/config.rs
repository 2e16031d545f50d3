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
mod lifecycle;
pub mod link_tls;
mod router;
pub mod routes;
mod scheduler;
mod secret;
mod telemetry;
mod tracker;
pub use connection::{
    BindType, Cimd2Config, ConnectionConfig, Link, MissingMessageId, ModemConfig, Protocol, SmppConfig, Smsc,
    UcpAlphabet, UcpConfig,
};
pub use http::{BodyFormat, DlrCallback, HttpAuth, HttpConfig, HttpMethod, MoCallback};
pub use kafka::{BrokerQuirks, KafkaConfig, TopicsConfig};
pub use lanes::{connection_sender_group, lane_suffix, senders_group, LANES};
pub use lifecycle::LifecycleConfig;
pub use router::{OptOutConfig, RouteRule, RouterConfig};
pub use routes::{List, ListKind, MessageClass, Quota, Route, Strategy};
pub use scheduler::SchedulerConfig;
pub use secret::{is_secret_property, Properties, Secret};
pub use telemetry::{LogFormat, TelemetryConfig};
pub use tracker::TrackerConfig;

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
        self.kafka.validate()?;
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

#[cfg(test)]
mod tests;

//! `[telemetry]`: logging, the log file, OpenTelemetry export and the
//! metrics endpoint.

use serde::Deserialize;

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

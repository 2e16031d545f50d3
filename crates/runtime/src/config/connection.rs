//! One `[[connections]]` entry: an SMSC account (SMPP, UCP/EMI, CIMD2), an
//! HTTP(S) SMS API (keys in [`super::http`]) or a GSM modem, with its window,
//! throughput limit, retries and text options, validated per protocol.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::http::{self, BodyFormat, DlrCallback, HttpAuth, HttpMethod, MoCallback};
use super::{invalid, valid_topic_char, ConfigError, Secret};

/// The protocol a connection speaks.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// SMPP 3.4 (binds; `system_id`/`password` bind credentials).
    Smpp,
    /// UCP/EMI 4.x (`system_id` is the login OAdC, `password` its PWD; `window` at most 100).
    Ucp,
    /// CIMD2 (`system_id` is the user identity, `password` the password; `window` at most 125).
    Cimd2,
    /// A GSM modem on a serial port (`device`, `baud`, `pin`), run by the modem host role.
    Modem,
    /// A provider's HTTP(S) SMS API: one request per message (`url`, `body`, ...; see [`http`]),
    /// reports and inbound messages by callback to `callback_listen`.
    Http,
}

impl Protocol {
    /// Its name in the configuration (and in spans and logs).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smpp => "smpp",
            Protocol::Ucp => "ucp",
            Protocol::Cimd2 => "cimd2",
            Protocol::Modem => "modem",
            Protocol::Http => "http",
        }
    }
}

/// The alphabet of UCP AMsg text.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum UcpAlphabet {
    #[default]
    Gsm,
    Ira,
}

/// What a submit accepted without a message id ends as.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum MissingMessageId {
    /// SUBMITTED, no receipt expected.
    #[default]
    Submitted,
    /// FAILED with code `no_message_id`.
    Failed,
}

/// SMPP bind type (SMPP 3.4 §4.1).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum BindType {
    Transmitter,
    Receiver,
    #[default]
    Transceiver,
}

/// One SMSC account (or, later, one modem).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    /// Unique id; requests name it in `connection`, events report it.
    pub id: String,
    /// Wire protocol.
    pub protocol: Protocol,
    /// SMSC host name or address (SMPP, UCP, CIMD2).
    #[serde(default)]
    pub host: String,
    /// SMSC TCP port (SMPP, UCP, CIMD2).
    #[serde(default)]
    pub port: u16,
    /// Bind `system_id` (SMPP 3.4 §4.1.1, at most 15 characters; SMPP, UCP, CIMD2).
    #[serde(default)]
    pub system_id: String,
    /// Serial device of a modem (`/dev/ttyUSB0`, `/dev/serial/by-id/...`).
    #[serde(default)]
    pub device: String,
    /// Serial speed of a modem.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// SIM PIN of a modem, when the SIM asks for one; best set from the
    /// environment (`SMSGW__CONNECTIONS__<ID>__PIN`, see `config::env`) or a secret, never in a file
    /// under version control. Never logged.
    #[serde(default)]
    pub pin: Option<Secret>,
    /// UCP only: the alphabet of AMsg text, `gsm` (GSM 03.38 codes, as Kannel
    /// and most EMI SMSCs use) or `ira` (ITU-T T.50, as the EMI spec says; it
    /// has no `€` and no Greek capitals, so such texts fail with the character named).
    #[serde(default)]
    pub ucp_alphabet: UcpAlphabet,
    /// Bind password (at most 8 characters).
    #[serde(default)]
    pub password: Secret,
    /// Bind `system_type`.
    #[serde(default)]
    pub system_type: String,
    /// Bind type of every bind.
    #[serde(default)]
    pub bind: BindType,
    /// How many binds to open (respect the SMSC's bind limit).
    #[serde(default = "one")]
    pub binds: usize,
    /// Maximum outstanding requests per bind.
    #[serde(default = "default_window")]
    pub window: usize,
    /// Messages (segments) per second over all binds of this connection; 0 = unlimited.
    #[serde(default)]
    pub max_tps: u32,
    /// TON / NPI for a numeric source address without `+` (SMPP 3.4 §5.2.5/§5.2.6);
    /// `+` numbers are sent as international (1/1), alphanumeric ones as 5/0.
    #[serde(default = "default_source_ton")]
    pub source_ton: u8,
    #[serde(default = "one_u8")]
    pub source_npi: u8,
    /// TON / NPI for a national destination; `+` numbers are sent as international (1/1).
    #[serde(default = "one_u8")]
    pub dest_ton: u8,
    #[serde(default = "one_u8")]
    pub dest_npi: u8,
    /// Source address used when a request has no `from`.
    #[serde(default)]
    pub default_source: Option<String>,
    /// How long to wait for a response before the request counts as timed out.
    #[serde(default = "default_response_timeout", with = "humantime_serde")]
    pub response_timeout: Duration,
    /// Idle time after which an enquire_link is sent.
    #[serde(default = "default_enquire_link", with = "humantime_serde")]
    pub enquire_link_interval: Duration,
    /// Reconnect backoff: first delay and cap (full jitter).
    #[serde(default = "default_reconnect_min", with = "humantime_serde")]
    pub reconnect_min: Duration,
    #[serde(default = "default_reconnect_max", with = "humantime_serde")]
    pub reconnect_max: Duration,
    /// How often a temporary error is retried before the message FAILS.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// Send a submission again when its answer never came (no response within
    /// `response_timeout`, or the connection lost after it went out). The SMSC
    /// may have accepted the first copy, so this can deliver a message twice;
    /// set it only where the SMSC drops repeats (e.g. an HTTP API that
    /// deduplicates by `{reference}`) or where a duplicate is better than a
    /// message that may be lost. Off: the request ends FAILED with code
    /// `response_timeout` or `connection_lost`, saying the SMSC may have it.
    #[serde(default)]
    pub resend_unanswered: bool,
    /// A submit accepted without a message id (some HTTP APIs; a broken
    /// SMSC) can never be matched to its delivery report: `submitted` ends
    /// such a request SUBMITTED, with metadata `smsgw.no_receipt =
    /// no_message_id`; `failed` ends it FAILED with code `no_message_id`.
    #[serde(default)]
    pub missing_message_id: MissingMessageId,
    /// Extra SMPP command_status values to treat as temporary (retried).
    #[serde(default)]
    pub temporary_errors: Vec<u32>,
    /// How long throttling (ESME_RTHROTTLED / ESME_RMSGQFUL) pauses the connection.
    #[serde(default = "default_throttle_pause", with = "humantime_serde")]
    pub throttle_pause: Duration,
    /// Messages being worked on at once by this connection's sender, per
    /// priority lane (each lane has its own consumer and its own bound, so a
    /// bulk backlog never holds the slots an urgent message needs).
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    /// The share of submits the normal (bulk) lane gets while messages of
    /// higher priority are waiting too (0.1: every tenth), so bulk is slowed
    /// but never starved. Between them, urgent always goes before high.
    /// Above 0 and below 1; at least 0.001.
    #[serde(default = "default_bulk_share")]
    pub bulk_share: f64,
    /// How this SMSC writes message ids in submit_sm_resp and in receipts
    /// (`{ submit = "hex", receipt = "decimal" }`; `as_is`, `hex`, `decimal`,
    /// `case_insensitive`), so that both sides correlate.
    #[serde(default)]
    pub dlr_id_format: receipt::DlrIdFormat,
    /// How the parts of a long message are tied together (TS 23.040 §9.2.3.24.1/.8,
    /// SMPP 3.4 §5.3.2.22-24 and §5.3.2.32): `udh8` (default), `udh16`, `sar`,
    /// `payload` (the default, and the only choice, for HTTP). Read it with [`ConnectionConfig::concat`].
    #[serde(default, rename = "concat")]
    pub concat_setting: Option<text::Concat>,
    /// Speak TLS to the SMSC (SMPP, UCP, CIMD2; HTTP connections use `https://`
    /// URLs): the handshake follows the TCP connect, within `response_timeout`;
    /// a certificate the client cannot verify ends the attempt, which is
    /// retried with the reconnect backoff. Checked at start-up ([`super::link_tls`]).
    #[serde(default)]
    pub tls: bool,
    /// PEM file of the CA certificates that may sign the SMSC's certificate;
    /// unset: the system trust store.
    #[serde(default)]
    pub tls_ca: Option<PathBuf>,
    /// PEM file of a client certificate (chain, leaf first), for SMSCs that
    /// ask for one; with `tls_key`.
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// PEM file of the client certificate's private key; with `tls_cert`.
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// The name the SMSC's certificate must carry (a DNS name or an IP
    /// address), when it is not `host` (an address, a tunnel).
    #[serde(default)]
    pub tls_server_name: Option<String>,
    /// National language shift tables (TS 23.038 §6.2.1.2) the SMSC and the
    /// handsets of this route accept, e.g. `["turkish"]`. `auto` encoding uses
    /// one when the default alphabet cannot encode a text and the tables need
    /// fewer segments than UCS-2. Empty (default): never.
    #[serde(default)]
    pub national_languages: Vec<text::Language>,

    // protocol = "http" only; documented and validated in `http`.
    /// The API's URL (`http://` or `https://`).
    #[serde(default)]
    pub url: Option<String>,
    /// `POST` (default) or `GET` (then `body` is the query string).
    #[serde(default)]
    pub method: HttpMethod,
    /// Extra request headers (API keys, ...).
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// `{ basic = { user = "...", password = "..." } }` or `{ bearer = "token" }`.
    #[serde(default)]
    pub auth: Option<HttpAuth>,
    /// The request body (or query string) with placeholders ([`http::PLACEHOLDERS`]).
    #[serde(default)]
    pub body: Option<String>,
    /// How placeholders are escaped: `json` (default for POST) or `form` (URL-encoded; GET's only choice).
    #[serde(default)]
    pub body_format: Option<BodyFormat>,
    /// Statuses meaning "accepted"; empty (default) means any 2xx.
    #[serde(default)]
    pub success_status: Vec<u16>,
    /// JSON pointer (RFC 6901) to the message id in a success response.
    #[serde(default)]
    pub message_id: Option<String>,
    /// Or a regex with one capture group applied to the response body.
    #[serde(default)]
    pub message_id_regex: Option<String>,
    /// JSON pointer to the error text in a failure response.
    #[serde(default)]
    pub error_text: Option<String>,
    /// Or a regex with one capture group; without either the body itself is the text.
    #[serde(default)]
    pub error_text_regex: Option<String>,
    /// Where the provider's callbacks arrive (`POST|GET /dlr`, `/mo`); no listener when unset.
    #[serde(default)]
    pub callback_listen: Option<std::net::SocketAddr>,
    /// A shared secret every callback must carry, as `Authorization: Bearer <token>`
    /// or the query parameter `token=<token>` (put it in the callback URL you give
    /// the provider); callbacks without it get 401. Unset: any caller is believed.
    #[serde(default)]
    pub callback_token: Option<Secret>,
    /// Serve the callbacks over TLS with this PEM certificate (chain, leaf
    /// first) and `callback_tls_key`; plain HTTP when unset.
    #[serde(default)]
    pub callback_tls_cert: Option<PathBuf>,
    /// PEM private key of `callback_tls_cert`.
    #[serde(default)]
    pub callback_tls_key: Option<PathBuf>,
    /// Allow `callback_listen` on an address other than loopback without a
    /// `callback_token`: only where nobody but the provider can reach it.
    #[serde(default)]
    pub callback_trusted_network: bool,
    /// Callback connections open at once; more wait unaccepted in the
    /// listen backlog, so a flood of idle or slow ones cannot use up the
    /// process's file descriptors or memory.
    #[serde(default = "default_callback_max_connections")]
    pub callback_max_connections: usize,
    /// Callback requests handled per second, across all connections (with a
    /// burst of as many); more get 429 with `Retry-After`, which providers honour.
    #[serde(default = "default_callback_max_rate")]
    pub callback_max_rate: u32,
    /// Which fields of a `/dlr` callback hold the id, status and error.
    #[serde(default)]
    pub dlr_callback: DlrCallback,
    /// Which fields of a `/mo` callback hold the addresses and text.
    #[serde(default)]
    pub mo_callback: MoCallback,
}

impl ConnectionConfig {
    /// How long messages are carried: `concat` when set, else `payload` for HTTP
    /// (one request per message) and `udh8` for the others.
    pub fn concat(&self) -> text::Concat {
        match (self.concat_setting, self.protocol) {
            (Some(c), _) => c,
            (None, Protocol::Http) => text::Concat::Payload,
            (None, _) => text::Concat::Udh8,
        }
    }

    /// How this connection splits texts; `reference` and `class` are per message.
    pub fn split_options(&self, max_segments: usize) -> text::SplitOptions {
        text::SplitOptions {
            max_segments,
            concat: self.concat(),
            languages: self.national_languages.iter().copied().collect(),
            ..text::SplitOptions::default()
        }
    }
}

fn one() -> usize {
    1
}
fn one_u8() -> u8 {
    1
}
fn default_source_ton() -> u8 {
    0
}
fn default_baud() -> u32 {
    115_200
}

fn default_window() -> usize {
    10
}
fn default_response_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_enquire_link() -> Duration {
    Duration::from_secs(30)
}
fn default_reconnect_min() -> Duration {
    Duration::from_millis(500)
}
fn default_reconnect_max() -> Duration {
    Duration::from_secs(30)
}
fn default_max_retries() -> u32 {
    5
}
fn default_throttle_pause() -> Duration {
    Duration::from_millis(200)
}
fn default_max_in_flight() -> usize {
    2000
}
fn default_bulk_share() -> f64 {
    0.1
}
fn default_callback_max_connections() -> usize {
    1024
}
fn default_callback_max_rate() -> u32 {
    1000
}

impl ConnectionConfig {
    pub(super) fn validate(&self, key: &str) -> Result<(), ConfigError> {
        if self.id.is_empty() || !self.id.chars().all(valid_topic_char) {
            return Err(invalid(format!("{key}.id"), "must be non-empty and use only letters, digits, `.`, `_`, `-`"));
        }
        if self.protocol == Protocol::Http {
            http::validate(self, key)?;
        } else {
            http::validate_unused(self, key)?;
        }
        super::link_tls::validate(self, key)?;
        if self.protocol == Protocol::Modem {
            if self.device.is_empty() {
                return Err(invalid(format!("{key}.device"), "must name the modem's serial device"));
            }
            if self
                .pin
                .as_ref()
                .map(Secret::expose)
                .is_some_and(|p| !(4..=8).contains(&p.len()) || !p.chars().all(|c| c.is_ascii_digit()))
            {
                return Err(invalid(format!("{key}.pin"), "must be 4 to 8 digits"));
            }
        } else if self.protocol != Protocol::Http {
            if self.host.is_empty() {
                return Err(invalid(format!("{key}.host"), "must not be empty"));
            }
            if self.port == 0 {
                return Err(invalid(format!("{key}.port"), "must not be 0"));
            }
            if self.system_id.is_empty() {
                return Err(invalid(format!("{key}.system_id"), "must not be empty"));
            }
        }
        match self.protocol {
            Protocol::Smpp if self.system_id.len() > 15 => {
                return Err(invalid(format!("{key}.system_id"), "must be 1 to 15 characters (SMPP 3.4 §4.1.1)"));
            }
            Protocol::Smpp if self.password.expose().len() > 8 => {
                return Err(invalid(format!("{key}.password"), "must be at most 8 characters (SMPP 3.4 §4.1.1)"));
            }
            Protocol::Ucp if self.window > 100 => {
                return Err(invalid(format!("{key}.window"), "must be at most 100 for UCP (two-digit TRN)"));
            }
            Protocol::Cimd2 if self.window > 125 => {
                return Err(invalid(format!("{key}.window"), "must be at most 125 for CIMD2 (odd packet numbers)"));
            }
            Protocol::Ucp | Protocol::Cimd2 | Protocol::Modem
                if matches!(self.concat(), text::Concat::Sar | text::Concat::Payload) =>
            {
                return Err(invalid(
                    format!("{key}.concat"),
                    "UCP, CIMD2 and modems carry long messages with a UDH: udh8 or udh16",
                ));
            }
            _ => {}
        }
        if self.system_type.len() > 12 {
            return Err(invalid(format!("{key}.system_type"), "must be at most 12 characters"));
        }
        if self.binds == 0 || self.binds > 64 {
            return Err(invalid(format!("{key}.binds"), "must be between 1 and 64"));
        }
        if self.window == 0 || self.window > 1000 {
            return Err(invalid(format!("{key}.window"), "must be between 1 and 1000"));
        }
        if self.response_timeout.is_zero() {
            return Err(invalid(format!("{key}.response_timeout"), "must be positive"));
        }
        if self.reconnect_min.is_zero() || self.reconnect_min > self.reconnect_max {
            return Err(invalid(format!("{key}.reconnect_min"), "must be positive and not above reconnect_max"));
        }
        if self.max_in_flight == 0 {
            return Err(invalid(format!("{key}.max_in_flight"), "must be positive"));
        }
        if !(0.001..1.0).contains(&self.bulk_share) {
            return Err(invalid(format!("{key}.bulk_share"), "must be at least 0.001 and below 1"));
        }
        Ok(())
    }
}

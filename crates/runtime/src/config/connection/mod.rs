//! One `[[connections]]` entry: an SMSC account (SMPP, UCP/EMI, CIMD2), an
//! HTTP(S) SMS API (keys in [`super::http`]) or a GSM modem. What every
//! connection has (window, throughput limit, retries, text options) is
//! [`ConnectionConfig`]; what only its protocol has is its [`Link`], one
//! struct per protocol, so a key of another protocol is an error by
//! construction. The file format is one flat table per connection, as before.
//!
//! The protocol structs live here, one file per kind (`smsc.rs`, `modem.rs`,
//! `config/http.rs`), not beside each link in the sender: the whole file is
//! parsed and validated once, by this crate, before any role runs, and every
//! role reads it (the router a connection's protocol and text options);
//! `runtime` sits below the roles and may not import them. The limits the
//! links enforce (UCP's window of 100, SMPP's field lengths) are constants
//! of the codec crates, checked against these structs by `sender::check`.

use std::time::Duration;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::Deserialize;

use super::http::{self, HttpConfig};
use super::kafka::valid_topic_char;
use super::{invalid, ConfigError};

pub mod fields;
mod modem;
mod smsc;
pub use modem::ModemConfig;
pub use smsc::{BindType, Cimd2Config, SmppConfig, Smsc, UcpAlphabet, UcpConfig};

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

/// One `[[connections]]` entry: what every connection has, and its
/// [`Link`], the part only its protocol has. In the file they are one table;
/// a key of another protocol (a modem's `pin` on an SMPP connection) is an
/// error naming it, as an unknown key is.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConnectionConfig {
    /// Unique id; requests name it in `connection`, events report it.
    pub id: String,
    /// How many binds to open (respect the SMSC's bind limit).
    #[serde(default = "one")]
    pub binds: usize,
    /// Maximum outstanding requests per bind.
    #[serde(default = "default_window")]
    pub window: usize,
    /// Messages (segments) per second over all binds of this connection; 0 = unlimited.
    #[serde(default)]
    pub max_tps: u32,
    /// Source address used when a request has no `from`.
    #[serde(default)]
    pub default_source: Option<String>,
    /// How long to wait for a response before the request counts as timed out.
    #[serde(default = "default_response_timeout", with = "humantime_serde")]
    pub response_timeout: Duration,
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
    /// bulk backlog never holds the slots an urgent message needs). Unset:
    /// [`ConnectionConfig::in_flight`] derives it from `binds × window`.
    #[serde(default)]
    pub max_in_flight: Option<usize>,
    /// The share of submits the lanes below the highest one waiting get
    /// between them while they have messages waiting too (0.1: under high,
    /// normal gets every tenth; under urgent, high and normal every
    /// twentieth each), so they are slowed but never starved
    /// (`sender::lanes::LanePolicy`). Above 0 and below 1; at least 0.001.
    #[serde(default = "default_bulk_share")]
    pub bulk_share: f64,
    /// How this SMSC writes message ids in submit_sm_resp and in receipts
    /// (`{ submit = "hex", receipt = "decimal" }`; `as_is`, `hex`, `decimal`,
    /// `case_insensitive`), so that both sides correlate.
    #[serde(default)]
    pub dlr_id_format: msgid::DlrIdFormat,
    /// How the parts of a long message are tied together (TS 23.040 §9.2.3.24.1/.8,
    /// SMPP 3.4 §5.3.2.22-24 and §5.3.2.32): `udh8` (default), `udh16`, `sar`,
    /// `payload` (the default, and the only choice, for HTTP). Read it with [`ConnectionConfig::concat`].
    #[serde(default, rename = "concat")]
    pub concat_setting: Option<text::Concat>,
    /// National language shift tables (TS 23.038 §6.2.1.2) the SMSC and the
    /// handsets of this route accept, e.g. `["turkish"]`. `auto` encoding uses
    /// one when the default alphabet cannot encode a text and the tables need
    /// fewer segments than UCS-2. Empty (default): never.
    #[serde(default)]
    pub national_languages: Vec<text::Language>,
    /// `protocol` and the keys that belong to it.
    #[serde(flatten)]
    pub link: Link,
}

/// The part of a connection only its protocol has, chosen by `protocol`.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    Smpp(Smsc, SmppConfig),
    Ucp(Smsc, UcpConfig),
    Cimd2(Smsc, Cimd2Config),
    Modem(ModemConfig),
    Http(Box<HttpConfig>),
}

impl<'de> Deserialize<'de> for Link {
    /// Takes the keys of the connection's table that are not common ones
    /// (serde's `flatten` hands over what [`ConnectionConfig`] did not
    /// take): `protocol`, then for SMPP, UCP and CIMD2 the [`Smsc`] keys,
    /// then the protocol's own struct. A key left over belongs to no part
    /// of this protocol: an error that names it.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut keys = Keys::deserialize(deserializer)?;
        let protocol = keys.remove("protocol").ok_or_else(|| de::Error::missing_field("protocol"))?;
        let protocol: Protocol =
            protocol.try_deserialize().map_err(|e| de::Error::custom(format_args!("protocol: {e}")))?;
        let link = match protocol {
            Protocol::Smpp => Link::Smpp(part(protocol, &mut keys)?, part(protocol, &mut keys)?),
            Protocol::Ucp => Link::Ucp(part(protocol, &mut keys)?, part(protocol, &mut keys)?),
            Protocol::Cimd2 => Link::Cimd2(part(protocol, &mut keys)?, part(protocol, &mut keys)?),
            Protocol::Modem => Link::Modem(part(protocol, &mut keys)?),
            Protocol::Http => Link::Http(Box::new(part(protocol, &mut keys)?)),
        };
        match keys.keys().min() {
            None => Ok(link),
            Some(key) => {
                let hint = match (protocol, key.starts_with("tls")) {
                    (Protocol::Http, true) => " (an HTTP connection uses an https:// url)",
                    _ => "",
                };
                Err(de::Error::custom(format_args!("`{key}` is not a key of protocol {}{hint}", protocol.name())))
            }
        }
    }
}

/// A connection's table as the `config` crate read it (its values keep
/// their key paths in errors).
type Keys = config::Map<String, config::Value>;

/// Takes the keys of part `T` out of `keys` and reads them.
fn part<T: DeserializeOwned, E: de::Error>(protocol: Protocol, keys: &mut Keys) -> Result<T, E> {
    let mine: Keys = fields::of::<T>().iter().filter_map(|k| keys.remove_entry(*k)).collect();
    config::Value::new(None, config::ValueKind::Table(mine))
        .try_deserialize()
        .map_err(|e| E::custom(format_args!("{} connection: {e}", protocol.name())))
}

impl ConnectionConfig {
    /// Requests worked on at once per priority lane: `max_in_flight`, or
    /// else three times what the links hold at once (`binds × window`: the
    /// submits in the window, twice that waiting in the connection's queue,
    /// and room for outcomes being recorded), at least 100. More than that
    /// only keeps handlers waiting for room in the queue: `smsgw-bench run`
    /// (2 binds × 200) spent 139 µs CPU per request at 1,200 against 151-160
    /// µs at 2,000 and 174-178 µs at 20,000, at the same or better throughput.
    pub fn in_flight(&self) -> usize {
        self.max_in_flight.unwrap_or((3 * self.binds * self.window).max(100))
    }

    /// The protocol it speaks.
    pub fn protocol(&self) -> Protocol {
        match self.link {
            Link::Smpp(..) => Protocol::Smpp,
            Link::Ucp(..) => Protocol::Ucp,
            Link::Cimd2(..) => Protocol::Cimd2,
            Link::Modem(_) => Protocol::Modem,
            Link::Http(_) => Protocol::Http,
        }
    }

    /// The SMSC account of an SMPP, UCP or CIMD2 connection.
    pub fn smsc(&self) -> Option<&Smsc> {
        match &self.link {
            Link::Smpp(smsc, _) | Link::Ucp(smsc, _) | Link::Cimd2(smsc, _) => Some(smsc),
            Link::Modem(_) | Link::Http(_) => None,
        }
    }

    /// The SMSC account of an SMPP, UCP or CIMD2 connection, to change.
    pub fn smsc_mut(&mut self) -> Option<&mut Smsc> {
        match &mut self.link {
            Link::Smpp(smsc, _) | Link::Ucp(smsc, _) | Link::Cimd2(smsc, _) => Some(smsc),
            Link::Modem(_) | Link::Http(_) => None,
        }
    }

    /// The keys of an HTTP connection.
    pub fn http(&self) -> Option<&HttpConfig> {
        match &self.link {
            Link::Http(http) => Some(http),
            _ => None,
        }
    }

    /// The keys of a modem connection.
    pub fn modem(&self) -> Option<&ModemConfig> {
        match &self.link {
            Link::Modem(modem) => Some(modem),
            _ => None,
        }
    }
    /// How long messages are carried: `concat` when set, else `payload` for HTTP
    /// (one request per message) and `udh8` for the others.
    pub fn concat(&self) -> text::Concat {
        match (self.concat_setting, self.protocol()) {
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

fn default_window() -> usize {
    10
}
fn default_response_timeout() -> Duration {
    Duration::from_secs(10)
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
fn default_bulk_share() -> f64 {
    0.1
}

impl ConnectionConfig {
    pub(super) fn validate(&self, key: &str) -> Result<(), ConfigError> {
        if self.id.is_empty() || !self.id.chars().all(valid_topic_char) {
            return Err(invalid(format!("{key}.id"), "must be non-empty and use only letters, digits, `.`, `_`, `-`"));
        }
        match &self.link {
            Link::Smpp(smsc, _) | Link::Ucp(smsc, _) | Link::Cimd2(smsc, _) => smsc.validate(key)?,
            Link::Modem(modem) => modem.validate(key)?,
            Link::Http(http) => http::validate(http, self.concat_setting, key)?,
        }
        // The protocols' own limits (window, field lengths) are checked where
        // they are written once, by their codec crates: `sender::check`.
        match self.protocol() {
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
        if self.max_in_flight == Some(0) {
            return Err(invalid(format!("{key}.max_in_flight"), "must be positive"));
        }
        if !(0.001..1.0).contains(&self.bulk_share) {
            return Err(invalid(format!("{key}.bulk_share"), "must be at least 0.001 and below 1"));
        }
        Ok(())
    }
}

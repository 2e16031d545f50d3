//! The keys of connections to an SMSC over TCP: SMPP, UCP/EMI and CIMD2
//! share the account and the socket ([`Smsc`]); SMPP and UCP add their own.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::config::{invalid, link_tls, ConfigError, Secret};

/// An SMSC account over TCP (SMPP, UCP, CIMD2): where, who, and TLS.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smsc {
    /// SMSC host name or address .
    #[serde(default)]
    pub host: String,
    /// SMSC TCP port .
    #[serde(default)]
    pub port: u16,
    /// Bind `system_id` (SMPP 3.4 §4.1.1, at most 15 characters; SMPP, UCP, CIMD2).
    #[serde(default)]
    pub system_id: String,
    /// Bind password (at most 8 characters).
    #[serde(default)]
    pub password: Secret,
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
    /// Idle time after which an enquire_link is sent.
    #[serde(default = "default_enquire_link", with = "humantime_serde")]
    pub enquire_link_interval: Duration,
}

/// SMPP 3.4's own keys: the bind and the addresses' TON and NPI.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmppConfig {
    /// Bind `system_type`.
    #[serde(default)]
    pub system_type: String,
    /// Bind type of every bind.
    #[serde(default)]
    pub bind: BindType,
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
}

impl Default for SmppConfig {
    fn default() -> Self {
        SmppConfig {
            system_type: String::new(),
            bind: BindType::default(),
            source_ton: default_source_ton(),
            source_npi: one_u8(),
            dest_ton: one_u8(),
            dest_npi: one_u8(),
        }
    }
}

/// UCP/EMI's own keys.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UcpConfig {
    /// The alphabet of AMsg text, `gsm` (GSM 03.38 codes, as Kannel
    /// and most EMI SMSCs use) or `ira` (ITU-T T.50, as the EMI spec says; it
    /// has no `€` and no Greek capitals, so such texts fail with the character named).
    #[serde(default)]
    pub ucp_alphabet: UcpAlphabet,
}

/// CIMD2 has no keys of its own.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cimd2Config {}

/// The alphabet of UCP AMsg text.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum UcpAlphabet {
    #[default]
    Gsm,
    Ira,
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

fn one_u8() -> u8 {
    1
}
fn default_source_ton() -> u8 {
    0
}
fn default_enquire_link() -> Duration {
    Duration::from_secs(30)
}

impl Smsc {
    pub(super) fn validate(&self, key: &str) -> Result<(), ConfigError> {
        if self.host.is_empty() {
            return Err(invalid(format!("{key}.host"), "must not be empty"));
        }
        if self.port == 0 {
            return Err(invalid(format!("{key}.port"), "must not be 0"));
        }
        if self.system_id.is_empty() {
            return Err(invalid(format!("{key}.system_id"), "must not be empty"));
        }
        link_tls::validate(self, key)
    }
}

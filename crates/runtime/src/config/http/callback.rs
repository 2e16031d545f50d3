//! The callbacks of an `http` connection: where a provider's delivery
//! reports (`/dlr`) and inbound messages (`/mo`) carry what, and the keys of
//! the listener that takes them.

use serde::Deserialize;

use super::HttpConfig;
use crate::config::{invalid, ConfigError, Secret};

/// Where a `/dlr` callback carries what. Each field is a name (a top-level
/// JSON key, or a form / query field) or a JSON pointer (`/data/id`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct DlrCallback {
    /// The message id, as the submit response gave it.
    pub id: String,
    /// The delivery status.
    pub status: String,
    /// An error code or text, when present.
    pub error: String,
    /// Status values (case-insensitive) meaning delivered; other values than
    /// these three lists are intermediate (the message is still on its way).
    pub delivered: Vec<String>,
    /// Status values meaning undeliverable.
    pub failed: Vec<String>,
    /// Status values meaning expired.
    pub expired: Vec<String>,
}

impl Default for DlrCallback {
    fn default() -> Self {
        let list = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        Self {
            id: "id".into(),
            status: "status".into(),
            error: "error".into(),
            delivered: list(&["delivered"]),
            failed: list(&["failed", "undelivered", "undeliverable", "rejected"]),
            expired: list(&["expired"]),
        }
    }
}

/// Where a `/mo` callback carries what (names or JSON pointers, as in [`DlrCallback`]).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MoCallback {
    pub from: String,
    pub to: String,
    pub text: String,
}

impl Default for MoCallback {
    fn default() -> Self {
        Self { from: "from".into(), to: "to".into(), text: "text".into() }
    }
}

/// The callback listener's keys: TLS files that load and go together, a
/// token wherever strangers may reach the listener, positive limits.
pub(super) fn validate_callbacks(c: &HttpConfig, key: &str) -> Result<(), ConfigError> {
    let k = |name: &str| format!("{key}.{name}");
    let dlr = &c.dlr_callback;
    for (name, field) in [("id", &dlr.id), ("status", &dlr.status)] {
        check_field(field).map_err(|e| invalid(k(&format!("dlr_callback.{name}")), e))?;
    }
    if !dlr.error.is_empty() {
        check_field(&dlr.error).map_err(|e| invalid(k("dlr_callback.error"), e))?;
    }
    if dlr.delivered.is_empty() {
        return Err(invalid(k("dlr_callback.delivered"), "must list at least one status value"));
    }
    let mo = &c.mo_callback;
    for (name, field) in [("from", &mo.from), ("to", &mo.to), ("text", &mo.text)] {
        check_field(field).map_err(|e| invalid(k(&format!("mo_callback.{name}")), e))?;
    }
    match (&c.callback_tls_cert, &c.callback_tls_key) {
        (Some(cert), Some(tls_key)) => {
            tls::server_config(cert, tls_key, None).map_err(|e| invalid(k("callback_tls_cert"), e.to_string()))?;
        }
        (Some(_), None) => return Err(invalid(k("callback_tls_key"), "required with callback_tls_cert")),
        (None, Some(_)) => return Err(invalid(k("callback_tls_cert"), "required with callback_tls_key")),
        (None, None) => {}
    }
    if let Some(listen) = c.callback_listen {
        if !listen.ip().is_loopback() && c.callback_token.is_none() && !c.callback_trusted_network {
            return Err(invalid(
                k("callback_token"),
                format!(
                    "required when callback_listen ({listen}) is not a loopback address: anyone who reaches it could \
                     forge delivery reports and inbound messages; set callback_trusted_network = true if only the \
                     provider can reach it"
                ),
            ));
        }
    }
    if c.callback_token
        .as_ref()
        .map(Secret::expose)
        .is_some_and(|t| t.is_empty() || t.bytes().any(|b| b.is_ascii_control()))
    {
        return Err(invalid(k("callback_token"), "must be a non-empty token without control characters"));
    }
    if c.callback_max_connections == 0 {
        return Err(invalid(k("callback_max_connections"), "must be positive"));
    }
    if c.callback_max_rate == 0 {
        return Err(invalid(k("callback_max_rate"), "must be positive"));
    }
    Ok(())
}

/// An RFC 6901 JSON pointer: empty (the whole document) or `/`-separated
/// tokens with `~` only in `~0` and `~1`.
pub(super) fn check_pointer(p: &str) -> Result<(), String> {
    if !p.is_empty() && !p.starts_with('/') {
        return Err(format!("`{p}` is not a JSON pointer (RFC 6901): start it with `/`"));
    }
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!("`{p}`: `~` must be followed by 0 or 1 (RFC 6901)"));
        }
    }
    Ok(())
}

/// A field of a callback: a JSON pointer or a plain name.
fn check_field(f: &str) -> Result<(), String> {
    if f.is_empty() {
        return Err("must name a field or be a JSON pointer".into());
    }
    if f.starts_with('/') {
        check_pointer(f)
    } else {
        Ok(())
    }
}

//! Settings of `protocol = "http"` connections: a provider's HTTP(S) SMS API.
//!
//! One request per message (HTTP APIs take whole texts), built from a body
//! template with placeholders ([`Placeholder`]); the response mapped by status
//! and a JSON pointer or regex; delivery reports and inbound messages arriving
//! as callbacks on `callback_listen`, read by field names or JSON pointers.
//! `config/smsgw.example.toml` shows every key.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::{invalid, ConfigError, Secret};

mod callback;
mod template;
use callback::{check_pointer, validate_callbacks};
pub use callback::{DlrCallback, MoCallback};
pub use template::{parse_template, Piece, Placeholder, DEFAULT_FORM_BODY, DEFAULT_JSON_BODY};

/// The keys of a `protocol = "http"` connection.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
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

fn default_callback_max_connections() -> usize {
    1024
}
fn default_callback_max_rate() -> u32 {
    1000
}

/// HTTP method of the submit request.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
pub enum HttpMethod {
    #[default]
    #[serde(rename = "POST", alias = "post")]
    Post,
    /// The body template is the query string.
    #[serde(rename = "GET", alias = "get")]
    Get,
}

/// How placeholder values are escaped into the template, and the body's content type.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    /// JSON string escaping (`application/json`): put placeholders inside quotes.
    Json,
    /// URL encoding (`application/x-www-form-urlencoded`, and query strings).
    Form,
}

/// Request authentication (secrets are [`Secret`]s: never shown).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum HttpAuth {
    /// `Authorization: Basic ...` (RFC 7617).
    Basic { user: String, password: Secret },
    /// `Authorization: Bearer <token>` (RFC 6750).
    Bearer(Secret),
}

impl HttpConfig {
    /// `body_format`, or its default: `json` for POST, `form` for GET.
    pub fn body_format(&self) -> BodyFormat {
        self.body_format.unwrap_or(match self.method {
            HttpMethod::Post => BodyFormat::Json,
            HttpMethod::Get => BodyFormat::Form,
        })
    }

    /// `body`, or the default template for the body format.
    pub fn body(&self) -> &str {
        self.body.as_deref().unwrap_or(match self.body_format() {
            BodyFormat::Json => DEFAULT_JSON_BODY,
            BodyFormat::Form => DEFAULT_FORM_BODY,
        })
    }
}

/// Checks an `http` connection's keys.
pub(super) fn validate(c: &HttpConfig, concat: Option<text::Concat>, key: &str) -> Result<(), ConfigError> {
    let k = |name: &str| format!("{key}.{name}");
    let Some(url) = c.url.as_deref() else {
        return Err(invalid(k("url"), "required for protocol = \"http\""));
    };
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        Ok(_) => return Err(invalid(k("url"), "must be an http:// or https:// URL with a host")),
        Err(e) => return Err(invalid(k("url"), format!("not a URL: {e}"))),
    }
    if c.method == HttpMethod::Get && c.body_format == Some(BodyFormat::Json) {
        return Err(invalid(k("body_format"), "GET sends the template as the query string: form only"));
    }
    parse_template(c.body()).map_err(|e| invalid(k("body"), e))?;
    for (name, value) in &c.headers {
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            return Err(invalid(format!("{key}.headers.{name}"), "not a valid header name"));
        }
        if value.expose().bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(invalid(format!("{key}.headers.{name}"), "control characters in the value"));
        }
    }
    match &c.auth {
        Some(HttpAuth::Basic { user, .. }) if user.is_empty() || user.contains(':') => {
            return Err(invalid(k("auth.basic.user"), "must be non-empty, without `:`"));
        }
        Some(HttpAuth::Bearer(token)) if token.is_empty() || token.expose().bytes().any(|b| b.is_ascii_control()) => {
            return Err(invalid(k("auth.bearer"), "must be a non-empty token"));
        }
        _ => {}
    }
    if let Some(s) = c.success_status.iter().find(|s| !(100..=599).contains(*s)) {
        return Err(invalid(k("success_status"), format!("{s} is not an HTTP status")));
    }
    for (pointer, p, regex, r) in [
        ("message_id", &c.message_id, "message_id_regex", &c.message_id_regex),
        ("error_text", &c.error_text, "error_text_regex", &c.error_text_regex),
    ] {
        if p.is_some() && r.is_some() {
            return Err(invalid(k(regex), format!("set {pointer} or {regex}, not both")));
        }
        if let Some(p) = p {
            check_pointer(p).map_err(|e| invalid(k(pointer), e))?;
        }
        if let Some(r) = r {
            check_regex(r).map_err(|e| invalid(k(regex), e))?;
        }
    }
    validate_callbacks(c, key)?;
    if let Some(concat) = concat.filter(|&c| c != text::Concat::Payload) {
        return Err(invalid(
            k("concat"),
            format!("HTTP sends each message whole in one request: payload (or unset), not {concat:?}"),
        ));
    }
    Ok(())
}

/// A regex with exactly one capture group.
fn check_regex(r: &str) -> Result<(), String> {
    let re = regex_lite::Regex::new(r).map_err(|e| format!("not a regex: {e}"))?;
    if re.captures_len() != 2 {
        return Err(format!("needs exactly one capture group, has {}", re.captures_len() - 1));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

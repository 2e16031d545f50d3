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

/// A value the body template can carry, written `{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// Destination: digits (no `+`) or as the request wrote it when not a number.
    To,
    /// Source, likewise; empty when the request has none and no `default_source`.
    From,
    /// The whole text, decoded from the submission with its data coding.
    Text,
    /// The data coding (decimal), e.g. `0` GSM, `8` UCS-2.
    DataCoding,
    /// The UDH in hex (national language shift tables), usually empty.
    UdhHex,
    /// The encoded user data in hex (GSM septets unpacked, UCS-2 big-endian, binary as is).
    PayloadHex,
    /// `1` when a delivery report is requested, else `0`.
    Receipt,
    /// The request id: stable across retries, so a provider that deduplicates by it can.
    Reference,
    /// Validity end as RFC 3339 UTC (`2026-11-26T12:54:00Z`); empty when the request has none.
    ExpiresAt,
}

impl Placeholder {
    pub const ALL: [Placeholder; 9] = [
        Placeholder::To,
        Placeholder::From,
        Placeholder::Text,
        Placeholder::DataCoding,
        Placeholder::UdhHex,
        Placeholder::PayloadHex,
        Placeholder::Receipt,
        Placeholder::Reference,
        Placeholder::ExpiresAt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Placeholder::To => "to",
            Placeholder::From => "from",
            Placeholder::Text => "text",
            Placeholder::DataCoding => "data_coding",
            Placeholder::UdhHex => "udh_hex",
            Placeholder::PayloadHex => "payload_hex",
            Placeholder::Receipt => "receipt",
            Placeholder::Reference => "reference",
            Placeholder::ExpiresAt => "expires_at",
        }
    }
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    Value(Placeholder),
}

/// Splits a template into literals and placeholders. Only `{name}` with a
/// lower-case name is a placeholder (so JSON braces stay literal), and the
/// name must be known: a typo is an error, not text sent to the provider.
pub fn parse_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        literal.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after.find('}').map(|close| &after[..close]);
        match name {
            Some(name)
                if !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
            {
                let Some(p) = Placeholder::ALL.into_iter().find(|p| p.name() == name) else {
                    let known: Vec<_> = Placeholder::ALL.iter().map(|p| format!("{{{}}}", p.name())).collect();
                    return Err(format!("unknown placeholder `{{{name}}}`; known: {}", known.join(", ")));
                };
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Value(p));
                rest = &after[name.len() + 1..];
            }
            _ => {
                literal.push('{');
                rest = after;
            }
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// The body used when `body` is unset (the simulator's API).
pub const DEFAULT_JSON_BODY: &str = r#"{"to":"{to}","from":"{from}","text":"{text}"}"#;
/// The form / query string used when `body` is unset.
pub const DEFAULT_FORM_BODY: &str = "to={to}&from={from}&text={text}";

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
    validate_callbacks(c, key)?;
    if let Some(concat) = concat.filter(|&c| c != text::Concat::Payload) {
        return Err(invalid(
            k("concat"),
            format!("HTTP sends each message whole in one request: payload (or unset), not {concat:?}"),
        ));
    }
    Ok(())
}

/// The callback listener's keys: TLS files that load and go together, a
/// token wherever strangers may reach the listener, positive limits.
fn validate_callbacks(c: &HttpConfig, key: &str) -> Result<(), ConfigError> {
    let k = |name: &str| format!("{key}.{name}");
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
fn check_pointer(p: &str) -> Result<(), String> {
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

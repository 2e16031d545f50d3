//! The HTTP client: register a schema under a subject, fetch a schema by id,
//! and the id cache behind [`events::SchemaLookup`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use events::apache_avro::Schema;
use events::{Framing, SchemaKind};
use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use runtime::config::Secret;
use serde::{Deserialize, Serialize};

/// Per request, connecting included: a registry that does not answer within
/// this is treated as down (the caller retries), not waited for.
const TIMEOUT: Duration = Duration::from_secs(5);

const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Error bodies are quoted in messages up to this many characters.
const MAX_QUOTED_BODY: usize = 200;

/// Schema registry errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `kafka.schema_registry_url` is not a usable URL.
    #[error("invalid schema registry url {url:?}: {reason}")]
    Url { url: String, reason: String },
    /// `kafka.schema_registry_ca` cannot be read or holds no certificate.
    #[error("kafka.schema_registry_ca {}: {reason}", .path.display())]
    Ca { path: PathBuf, reason: String },
    /// The HTTP client could not be built.
    #[error("cannot build the schema registry http client: {0}")]
    Client(#[source] reqwest::Error),
    /// No answer: connection refused, timeout, broken response, a TLS
    /// handshake that failed (the message carries the innermost cause, such
    /// as "invalid peer certificate: UnknownIssuer").
    #[error("schema registry request {url} failed: {}", causes(.source))]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The registry answered with an error status.
    #[error("schema registry answered {status} to {url}: {body}")]
    Status { url: String, status: u16, body: String },
    /// The registry's answer is not the JSON we expect.
    #[error("unexpected schema registry response from {url}: {source}")]
    Response {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The schema stored under `id` is not an Avro schema we can parse.
    #[error("schema {id} from the registry does not parse: {source}")]
    Schema {
        id: u32,
        #[source]
        source: Box<events::apache_avro::Error>,
    },
}

impl Error {
    /// True when asking again later may succeed (the registry is down or
    /// overloaded), false when the registry's answer is final (unknown id,
    /// unparsable schema, bad configuration).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. } => true,
            Error::Status { status, .. } => *status >= 500 || *status == StatusCode::TOO_MANY_REQUESTS.as_u16(),
            Error::Url { .. } | Error::Ca { .. } | Error::Client(_) | Error::Response { .. } | Error::Schema { .. } => {
                false
            }
        }
    }
}

/// An error and its sources, `: `-separated: reqwest's own message says
/// only "error sending request", the reason (a refused connection, an
/// unknown certificate issuer) is further down the chain.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        next = cause.source();
    }
    text
}

/// How the registry is reached beyond its URL (from `kafka.schema_registry_*`).
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// PEM file of the CA certificates to trust instead of the system's (`https` only).
    pub ca: Option<PathBuf>,
    /// HTTP basic authentication (RFC 7617): user and password.
    pub basic: Option<(String, Secret)>,
}

#[derive(Serialize)]
struct SchemaBody<'a> {
    schema: &'a str,
}

#[derive(Deserialize)]
struct IdBody {
    id: u32,
}

#[derive(Deserialize)]
struct SchemaAnswer {
    schema: String,
}

/// A Confluent Schema Registry client with a cache of schemas by id.
///
/// Schemas under an id never change in a Confluent registry, so cached
/// entries are never invalidated.
pub struct Registry {
    /// Without credentials: this is what messages show.
    base: Url,
    http: reqwest::Client,
    basic: Option<(String, Secret)>,
    schemas: RwLock<HashMap<u32, Schema>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("url", &self.base.as_str()).finish_non_exhaustive()
    }
}

impl Registry {
    /// A client for the registry at `url` (`http://host:8081` or
    /// `https://...`, optionally with a path prefix), trusting the system's
    /// certificate authorities.
    pub fn new(url: &str) -> Result<Registry, Error> {
        Registry::with_access(url, Access::default())
    }

    /// A client for the registry at `url` reached as `access` says. User
    /// and password in the URL are taken out of it and used for basic
    /// authentication, so no message shows them.
    pub fn with_access(url: &str, access: Access) -> Result<Registry, Error> {
        // The URL as given may carry a password: messages show it without.
        let shown =
            Url::parse(url).map(|u| without_credentials(&u).to_string()).unwrap_or_else(|_| "(unparsable)".into());
        let bad = |reason: &str| Error::Url { url: shown.clone(), reason: reason.to_owned() };
        let mut base = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad("the scheme must be http or https"));
        }
        if base.cannot_be_a_base() || base.host().is_none() {
            return Err(bad("no host"));
        }
        let mut basic = access.basic;
        if !base.username().is_empty() || base.password().is_some() {
            if basic.is_some() {
                return Err(bad("credentials both in the url and in kafka.schema_registry_user"));
            }
            let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
            let user = decode(base.username());
            let password = base.password().map(decode).unwrap_or_default();
            basic = Some((user, Secret::new(password)));
            base = without_credentials(&base);
        }
        let mut builder = reqwest::Client::builder().timeout(TIMEOUT).connect_timeout(TIMEOUT);
        if let Some(path) = &access.ca {
            if base.scheme() != "https" {
                return Err(bad("kafka.schema_registry_ca is set, so the url must be https"));
            }
            builder = builder.tls_certs_only(read_ca(path)?);
        }
        if basic.is_some() && base.scheme() == "http" {
            tracing::warn!(url = %base, "schema registry credentials sent without TLS");
        }
        let http = builder.build().map_err(Error::Client)?;
        Ok(Registry { base, http, basic, schemas: RwLock::new(HashMap::new()) })
    }

    /// The client for `kafka.schema_registry_url` with `kafka.schema_registry_ca`,
    /// `_user` and `_password`, or `None` when no URL is set.
    pub fn from_config(kafka: &runtime::config::KafkaConfig) -> Result<Option<Registry>, Error> {
        let Some(url) = kafka.schema_registry_url.as_deref() else { return Ok(None) };
        let basic = kafka
            .schema_registry_user
            .clone()
            .map(|user| (user, kafka.schema_registry_password.clone().unwrap_or_else(|| Secret::new(""))));
        Registry::with_access(url, Access { ca: kafka.schema_registry_ca.clone(), basic }).map(Some)
    }

    /// The registry's URL.
    pub fn url(&self) -> &str {
        self.base.as_str()
    }

    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        // `new` checked that the URL can be a base, so this cannot fail.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Registers `schema_json` under `subject` (idempotent: an identical
    /// schema gets its existing id) and returns the schema's id.
    pub async fn register(&self, subject: &str, schema_json: &str) -> Result<u32, Error> {
        let url = self.endpoint(&["subjects", subject, "versions"]);
        let request = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE))
            .json(&SchemaBody { schema: schema_json });
        let answer: IdBody = self.call(url, request).await?;
        tracing::debug!(subject, id = answer.id, "schema registered");
        Ok(answer.id)
    }

    /// Registers one of our schemas under `{topic}-value` (TopicNameStrategy)
    /// and returns the framing to write `topic`'s records with.
    pub async fn register_value(&self, topic: &str, kind: SchemaKind) -> Result<Framing, Error> {
        let schema_id = self.register(&subject(topic), events::schema_json(kind)).await?;
        Ok(Framing::Confluent { schema_id })
    }

    /// The schema registered under `id`, from the cache or the registry.
    pub async fn schema_by_id(&self, id: u32) -> Result<Schema, Error> {
        if let Some(schema) = self.cached(id) {
            return Ok(schema);
        }
        let url = self.endpoint(&["schemas", "ids", &id.to_string()]);
        let request = self.http.get(url.clone());
        let answer: SchemaAnswer = self.call(url, request).await?;
        let schema = Schema::parse_str(&answer.schema).map_err(|e| Error::Schema { id, source: Box::new(e) })?;
        self.schemas.write().unwrap_or_else(PoisonError::into_inner).insert(id, schema.clone());
        Ok(schema)
    }

    /// Makes sure schema `id` is cached, so that the synchronous
    /// [`events::SchemaLookup`] implementation finds it.
    pub async fn prefetch(&self, id: u32) -> Result<(), Error> {
        self.schema_by_id(id).await.map(drop)
    }

    /// [`Registry::prefetch`], retried with backoff (200 ms doubling to 30 s)
    /// while the registry is down: the record is fine, so it is neither
    /// dead-lettered nor skipped. A final answer (unknown id, not Avro) returns
    /// true and the decoder reports the record as undecodable. False only once
    /// `shutdown` is cancelled.
    pub async fn prefetch_with_retry(&self, id: u32, shutdown: &tokio_util::sync::CancellationToken) -> bool {
        let mut wait = Duration::from_millis(200);
        loop {
            match self.prefetch(id).await {
                Ok(()) => return true,
                Err(e) if !e.is_transient() => {
                    tracing::debug!(schema_id = id, error = %e, "writer schema not available");
                    return true;
                }
                Err(e) => {
                    tracing::warn!(schema_id = id, error = %e, retry_in = ?wait, "schema registry unavailable, retrying")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return false,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(Duration::from_secs(30));
        }
    }

    fn cached(&self, id: u32) -> Option<Schema> {
        // A panic elsewhere while holding the lock cannot leave a half-written
        // map entry, so poisoning is ignored.
        self.schemas.read().unwrap_or_else(PoisonError::into_inner).get(&id).cloned()
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
        request: reqwest::RequestBuilder,
    ) -> Result<T, Error> {
        let unreachable = |source| Error::Unreachable { url: url.to_string(), source };
        let request = match &self.basic {
            Some((user, password)) => request.basic_auth(user, Some(password.expose())),
            None => request,
        };
        let response = request
            .header(ACCEPT, HeaderValue::from_static("application/vnd.schemaregistry.v1+json, application/json"))
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let body: String = body.chars().take(MAX_QUOTED_BODY).collect();
            return Err(Error::Status { url: url.to_string(), status: status.as_u16(), body });
        }
        response.json().await.map_err(|source| {
            if source.is_decode() {
                Error::Response { url: url.to_string(), source }
            } else {
                unreachable(source)
            }
        })
    }
}

impl events::SchemaLookup for Registry {
    /// Reads the cache only: call [`Registry::prefetch`] first.
    fn schema_by_id(&self, id: u32) -> Option<Schema> {
        self.cached(id)
    }
}

/// `url` without user and password.
fn without_credentials(url: &Url) -> Url {
    let mut url = url.clone();
    // Only URLs that cannot be a base refuse these, and those are refused before.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// The certificates of the PEM file at `path`; at least one.
fn read_ca(path: &Path) -> Result<Vec<reqwest::Certificate>, Error> {
    let fail = |reason: String| Error::Ca { path: path.to_owned(), reason };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| fail(causes(&e)))?;
    if certs.is_empty() {
        return Err(fail("no PEM certificate in it".into()));
    }
    Ok(certs)
}

/// The subject of `topic`'s record values under TopicNameStrategy.
pub fn subject(topic: &str) -> String {
    format!("{topic}-value")
}

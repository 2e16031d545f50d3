//! `protocol = "http"`: a provider's HTTP(S) SMS API as a link of the pool.
//!
//! Each link takes submissions from the pool like the framed-protocol driver
//! does (after the throttle pause and a rate token) and keeps up to `window`
//! requests in flight; each submission is one request, a whole message
//! (HTTP APIs take whole texts, so `concat` is `payload`). [`template`] makes
//! the body, [`response`] reads the answer, and every submission the link
//! took is answered exactly once. Delivery reports and inbound messages
//! arrive at the connection's callback listener ([`callback`], [`fields`]).
//!
//! Failures: a connection that could not be made is a temporary error (the
//! request never left); a timeout or a connection lost after sending is
//! [`SubmitError::Timeout`] / [`SubmitError::ConnectionLost`], since the
//! provider may have the message.

pub mod callback;
pub mod fields;
pub mod response;
pub mod slots;
pub mod template;

use events::ErrorCode;
use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use runtime::config::{BodyFormat, ConnectionConfig, HttpAuth, HttpConfig, HttpMethod};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::link::{Answer, Submission, SubmitError, Verdict};
use crate::queue::Queue;
use response::Mapping;
use template::Template;

/// Largest response body read; the rest is ignored.
const MAX_RESPONSE: usize = 1024 * 1024;

/// One link's request machinery, built once from the connection's config.
struct Link {
    client: reqwest::Client,
    url: reqwest::Url,
    method: HttpMethod,
    auth: Option<HttpAuth>,
    template: Template,
    mapping: Mapping,
}

impl Link {
    fn new(config: &ConnectionConfig, http: &HttpConfig) -> Result<Link, String> {
        let url = http.url.as_deref().unwrap_or_default();
        let url = reqwest::Url::parse(url).map_err(|e| format!("url: {e}"))?;
        let mut headers = HeaderMap::new();
        for (name, value) in &http.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("headers.{name}: {e}"))?;
            let mut value = HeaderValue::from_str(value.expose()).map_err(|e| format!("headers.{name}: {e}"))?;
            // Header values are secrets (API keys): hidden from hyper's and reqwest's Debug.
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        if http.method == HttpMethod::Post && !headers.contains_key(CONTENT_TYPE) {
            let content_type = match http.body_format() {
                BodyFormat::Json => "application/json",
                BodyFormat::Form => "application/x-www-form-urlencoded",
            };
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("smsgw/", env!("CARGO_PKG_VERSION")))
            .timeout(config.response_timeout)
            .connect_timeout(config.response_timeout)
            .pool_max_idle_per_host(config.window)
            // A moved API is a configuration matter; a POST must not turn into a GET.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(Link {
            client,
            url,
            method: http.method,
            auth: http.auth.clone(),
            template: Template::new(http.body(), http.body_format())?,
            mapping: Mapping::new(http)?,
        })
    }

    /// Sends one submission; the answer, with the connection paused first
    /// when the provider asks for it.
    async fn send(&self, submission: &Submission, queue: &Queue) -> Result<Answer, SubmitError> {
        let rendered = match self.template.render(submission) {
            Ok(r) => r,
            Err(e) => return Ok(refused(ErrorCode::InvalidRequest, e.to_string())),
        };
        let request = match self.method {
            HttpMethod::Post => self.client.post(self.url.clone()).body(rendered),
            HttpMethod::Get => {
                let mut url = self.url.clone();
                let query = match url.query() {
                    Some(q) if !q.is_empty() => format!("{q}&{rendered}"),
                    _ => rendered,
                };
                url.set_query(Some(&query));
                self.client.get(url)
            }
        };
        let request = match &self.auth {
            Some(HttpAuth::Basic { user, password }) => request.basic_auth(user, Some(password.expose())),
            Some(HttpAuth::Bearer(token)) => request.bearer_auth(token.expose()),
            None => request,
        };
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return failure(&e),
        };
        let status = response.status().as_u16();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() < MAX_RESPONSE => body.extend_from_slice(&chunk),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    // The status decides; only the id or error text may be missing.
                    tracing::warn!(status, error = %chain(&e), "response body cut short");
                    break;
                }
            }
        }
        let mapped = self.mapping.map(status, retry_after.as_deref(), &body);
        if let Some(pause) = mapped.pause {
            queue.pause_for(pause);
        }
        if mapped.answer.verdict != Verdict::Accepted {
            tracing::debug!(status, text = %mapped.answer.text, "submission not accepted");
        }
        Ok(mapped.answer)
    }
}

/// Runs one link until `shutdown` or until the pool closes, then lets the
/// requests in flight finish (each bounded by `response_timeout`).
pub async fn run(queue: Arc<Queue>, http: Arc<HttpConfig>, index: usize, shutdown: CancellationToken) {
    let link = match Link::new(&queue.config, &http) {
        Ok(link) => Arc::new(link),
        Err(e) => {
            // Validation makes this unreachable; say so loudly if it is not.
            tracing::error!(error = %e, index, "cannot set up the http link");
            return;
        }
    };
    queue.link_up();
    tracing::info!(url = %link.url.origin().ascii_serialization(), "http link ready");
    let window = Arc::new(Semaphore::new(queue.config.window));
    let requests = TaskTracker::new();
    loop {
        let slot = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            slot = window.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
        };
        // Dropped during a throttle pause or a token wait (shutdown): nothing
        // was taken from the queue yet.
        let submit = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            submit = queue.next_submit() => match submit {
                Some(s) => s,
                None => break, // the pool is closed
            },
        };
        let (link, queue) = (link.clone(), queue.clone());
        requests.spawn(
            async move {
                let submission = submit.submission.clone();
                let sent = crate::exchange::InFlight::new(submit, &queue.config, None);
                sent.answer(link.send(&submission, &queue).await);
                drop(slot);
            }
            .in_current_span(),
        );
    }
    requests.close();
    requests.wait().await;
    queue.link_down();
}

/// A request that failed without a response.
fn failure(e: &reqwest::Error) -> Result<Answer, SubmitError> {
    if e.is_connect() {
        // Nothing reached the provider: retried with backoff, counted as an attempt.
        return Ok(Answer {
            verdict: Verdict::Temporary,
            message_id: String::new(),
            protocol_code: 0,
            error_code: Some(ErrorCode::ConnectionFailed),
            text: chain(e),
        });
    }
    if e.is_builder() {
        return Ok(refused(ErrorCode::InvalidRequest, chain(e)));
    }
    tracing::debug!(error = %chain(e), "request failed after it was sent");
    Err(if e.is_timeout() { SubmitError::Timeout } else { SubmitError::ConnectionLost })
}

fn refused(error_code: ErrorCode, text: String) -> Answer {
    Answer {
        verdict: Verdict::Permanent,
        message_id: String::new(),
        protocol_code: 0,
        error_code: Some(error_code),
        text,
    }
}

/// An error with its causes (reqwest's own message names only the URL).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

#[cfg(test)]
mod decode_tests;
#[cfg(test)]
mod tests;

//! The HTTP side of the simulator: a small JSON SMS API, as many providers
//! offer one.
//!
//! `POST /send` with `{"to", "from", "text", "dlr"}` (`from` optional, `dlr`
//! true or 1 asks for a delivery report) answers `200 {"id": "..."}`;
//! `401` without the configured basic credentials; `400 {"error": "..."}`
//! for a malformed request, an empty text or an alphanumeric sender longer
//! than 11 characters; injected `429` (with `Retry-After` when configured)
//! and `500` by percentage, after `latency`. Submits are recorded in
//! [`SimState`] like SMPP ones (text as unpacked GSM septets, data coding 0,
//! when the default alphabet has it, else UCS-2 with 8; `status` 0 when
//! accepted, else the HTTP status). Delivery reports and inbound messages
//! are posted to the gateway ([`callbacks`]).

pub mod callbacks;

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as Body;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rand::Rng;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::state::{Receipts, SimConfig, SimState, SubmitRecord};

/// What only the HTTP front-end needs.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The gateway's callback base URL (`{callback}/dlr`, `{callback}/mo`); none are sent without it.
    pub callback: Option<String>,
    /// Inbound messages queued with [`SimState::send_mo`] for this system id go to `{callback}/mo`;
    /// submits are recorded under it.
    pub system_id: String,
    /// `Retry-After` (seconds) on injected 429s.
    pub retry_after: Option<u32>,
    /// Answer accepted messages `200 {}`, without an id, as some providers do.
    pub omit_ids: bool,
    /// Sent with every callback as `Authorization: Bearer <token>` (the gateway's `callback_token`).
    pub callback_token: Option<String>,
    /// PEM CA certificate an `https://` callback URL's certificate must chain
    /// to, instead of the system trust store.
    pub callback_ca: Option<Vec<u8>>,
    /// Keep callback connections open for the next callback (as most HTTP
    /// clients do); `false` opens a new connection for every callback, as
    /// some providers do (and the hardest case for a listener under a flood).
    pub callback_keep_alive: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            callback: None,
            system_id: "http".into(),
            retry_after: None,
            omit_ids: false,
            callback_token: None,
            callback_ca: None,
            callback_keep_alive: true,
        }
    }
}

/// Everything a request handler needs.
pub(crate) struct Shared {
    pub config: SimConfig,
    pub options: HttpOptions,
    pub state: Arc<SimState>,
    pub client: reqwest::Client,
    pub shutdown: CancellationToken,
}

/// Runs the HTTP API on `listener` until `shutdown`.
pub async fn run(
    listener: TcpListener,
    config: SimConfig,
    options: HttpOptions,
    state: Arc<SimState>,
    shutdown: CancellationToken,
) {
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(10));
    if !options.callback_keep_alive {
        builder = builder.pool_max_idle_per_host(0);
    }
    if let Some(pem) = &options.callback_ca {
        match reqwest::Certificate::from_pem(pem) {
            Ok(ca) => builder = builder.tls_certs_only([ca]),
            Err(e) => tracing::error!(error = %e, "callback_ca is not a PEM certificate; using the system trust store"),
        }
    }
    let client = builder.build().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot build the callback client; using the defaults");
        reqwest::Client::default()
    });
    let shared = Arc::new(Shared { config, options, state, client, shutdown: shutdown.clone() });
    tokio::spawn(callbacks::forward_mo(shared.clone()).instrument(tracing::info_span!("sim_http_mo")));
    let connections = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (shared, stop) = (shared.clone(), shutdown.clone());
        connections.spawn(
            async move {
                let service = hyper::service::service_fn(move |request| {
                    let shared = shared.clone();
                    async move { Ok::<_, Infallible>(handle(&shared, request).await) }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(TokioIo::new(stream), service);
                let mut connection = std::pin::pin!(connection);
                tokio::select! {
                    _ = connection.as_mut() => {}
                    _ = stop.cancelled() => {
                        connection.as_mut().graceful_shutdown();
                        let _ = connection.await;
                    }
                }
            }
            .instrument(tracing::debug_span!("sim_http_session", %peer)),
        );
    }
    connections.close();
    connections.wait().await;
}

async fn handle(shared: &Arc<Shared>, request: Request<Body>) -> Response<Full<Bytes>> {
    if request.uri().path() != "/send" {
        return reply(StatusCode::NOT_FOUND, json!({"error": "not found: POST /send"}));
    }
    if request.method() != Method::POST {
        return reply(StatusCode::METHOD_NOT_ALLOWED, json!({"error": "POST only"}));
    }
    if let Some((user, password)) = &shared.config.credentials {
        let given = request.headers().get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let expected = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        if given != Some(format!("Basic {expected}").as_str()) {
            return reply(StatusCode::UNAUTHORIZED, json!({"error": "unauthorized"}));
        }
    }
    let body = match Limited::new(request.into_body(), 64 * 1024).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return reply(StatusCode::BAD_REQUEST, json!({"error": format!("cannot read the body: {e}")})),
    };
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let send = match parse(&body) {
        Ok(s) => s,
        Err(error) => {
            shared.state.submits_refused.fetch_add(1, Ordering::Relaxed);
            return reply(StatusCode::BAD_REQUEST, json!({ "error": error }));
        }
    };
    let roll: u8 = rand::rng().random_range(0..100);
    let status = if let Err(error) = check(&send) {
        Err((StatusCode::BAD_REQUEST, error))
    } else if roll < shared.config.throttle_percent {
        Err((StatusCode::TOO_MANY_REQUESTS, "too many requests".to_owned()))
    } else if roll < shared.config.throttle_percent.saturating_add(shared.config.error_percent) {
        Err((StatusCode::INTERNAL_SERVER_ERROR, "injected failure".to_owned()))
    } else {
        Ok(())
    };
    let message_id = match status {
        Ok(()) => {
            let n = shared.config.message_number(&shared.state);
            shared.state.submits_ok.fetch_add(1, Ordering::Relaxed);
            let wants = match shared.config.receipts {
                Receipts::Never => false,
                Receipts::Always => true,
                Receipts::Requested => send.dlr,
            };
            if wants {
                callbacks::schedule_receipt(shared.clone(), shared.config.receipt_id_format.format(n));
            }
            shared.config.id_format.format(n)
        }
        Err(_) => {
            shared.state.submits_refused.fetch_add(1, Ordering::Relaxed);
            String::new()
        }
    };
    if shared.config.record {
        shared.state.record(record(&shared.options.system_id, &send, &message_id, &status));
    }
    match status {
        Ok(()) if shared.options.omit_ids => reply(StatusCode::OK, json!({})),
        Ok(()) => reply(StatusCode::OK, json!({ "id": message_id })),
        Err((code, error)) => {
            let mut response = reply(code, json!({ "error": error }));
            if let (StatusCode::TOO_MANY_REQUESTS, Some(seconds)) = (code, shared.options.retry_after) {
                response.headers_mut().insert(hyper::header::RETRY_AFTER, seconds.into());
            }
            response
        }
    }
}

/// One `/send` request.
#[derive(Debug, PartialEq, Eq)]
struct Send {
    to: String,
    from: String,
    text: String,
    dlr: bool,
}

fn parse(body: &[u8]) -> Result<Send, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("body is not valid JSON: {e}"))?;
    let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(Send {
        to: field("to").ok_or("`to` is required")?,
        from: field("from").unwrap_or_default(),
        text: field("text").ok_or("`text` is required")?,
        dlr: match value.get("dlr") {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_u64().is_some_and(|n| n != 0),
            _ => false,
        },
    })
}

/// What a provider refuses for good.
fn check(send: &Send) -> Result<(), String> {
    let digits = send.to.strip_prefix('+').unwrap_or(&send.to);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("invalid destination `{}`", send.to));
    }
    let numeric = send.from.trim_start_matches('+').chars().all(|c| c.is_ascii_digit());
    if !numeric && send.from.chars().count() > 11 {
        return Err("invalid sender: alphanumeric senders have at most 11 characters".into());
    }
    if send.text.is_empty() {
        return Err("empty text".into());
    }
    Ok(())
}

/// The canonical record of a submit: text as unpacked GSM septets when the
/// default alphabet (with its extension) has every character, else UCS-2.
fn record(system_id: &str, send: &Send, message_id: &str, status: &Result<(), (StatusCode, String)>) -> SubmitRecord {
    let (data_coding, short_message) = match text::gsm7::encode_unpacked(&send.text) {
        Ok(septets) => (0, septets),
        Err(_) => (8, text::ucs2::encode(&send.text)),
    };
    SubmitRecord {
        at: Instant::now(),
        system_id: system_id.to_owned(),
        bind: 0,
        source_addr: send.from.trim_start_matches('+').to_owned(),
        destination_addr: send.to.trim_start_matches('+').to_owned(),
        esm_class: 0,
        data_coding,
        registered_delivery: u8::from(send.dlr),
        short_message: short_message.into(),
        tlvs: Vec::new(),
        message_id: message_id.to_owned(),
        status: match status {
            Ok(()) => 0,
            Err((code, _)) => u32::from(code.as_u16()),
        },
    }
}

fn reply(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_read_and_checked() {
        let send = parse(br#"{"to":"+4915112345678","from":"ACME","text":"hi","dlr":1}"#).unwrap();
        assert_eq!(send, Send { to: "+4915112345678".into(), from: "ACME".into(), text: "hi".into(), dlr: true });
        assert!(check(&send).is_ok());
        assert!(!parse(br#"{"to":"1","text":"x","dlr":false}"#).unwrap().dlr);
        assert!(parse(b"{").unwrap_err().contains("not valid JSON"));
        assert_eq!(parse(br#"{"text":"x"}"#).unwrap_err(), "`to` is required");
        let long = Send { from: "ACME Corporation".into(), ..send };
        assert!(check(&long).unwrap_err().contains("sender"));
        let bad_to = Send { to: "+49abc".into(), from: String::new(), ..long };
        assert!(check(&bad_to).unwrap_err().contains("destination"));
    }

    #[test]
    fn records_are_canonical() {
        let send = |text: &str| Send { to: "+491".into(), from: "+492".into(), text: text.into(), dlr: false };
        let r = record("http", &send("5€"), "7", &Ok(()));
        assert_eq!((r.data_coding, &r.short_message[..]), (0, &[0x35, 0x1B, 0x65][..]));
        assert_eq!((r.source_addr.as_str(), r.destination_addr.as_str(), r.status), ("492", "491", 0));
        let r = record("http", &send("Ж"), "", &Err((StatusCode::TOO_MANY_REQUESTS, String::new())));
        assert_eq!((r.data_coding, &r.short_message[..], r.status), (8, &[0x04, 0x16][..], 429));
    }
}

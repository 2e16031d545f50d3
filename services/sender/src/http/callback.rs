//! The listener for a connection's callbacks: `/dlr` (delivery reports) and
//! `/mo` (inbound messages), GET or POST. Each becomes an [`Incoming`] for the
//! sender, and the provider gets 200 only once it is recorded on the broker —
//! 503 otherwise, so it calls again. Malformed callbacks get 400 with the
//! reason; nothing a caller sends can stop the listener.
//!
//! Served by hyper's own HTTP/1 server (hyper is already in the tree under
//! reqwest); two fixed paths need no router, so no axum. With
//! `callback_tls_cert` it serves HTTPS (rustls, the `tls` crate).
//!
//! A listener reachable by strangers must not be starved by them, so:
//! - at most `callback_max_connections` connections are open at once; when
//!   all are taken, a newcomer takes the slot of the oldest connection that
//!   has not shown the token ([`super::slots`]), so idle or trickling
//!   connections cannot crowd out the provider;
//! - a connection has [`READ_TIMEOUT`] for its TLS handshake, for each
//!   request's headers (also while idle between requests) and for its body,
//!   so slow or silent connections give their place back;
//! - a call without the right `callback_token` is answered 401 and its
//!   connection closed, before anything else is read;
//! - at most `callback_max_rate` authorised calls per second are handled; more
//!   get 429 with `Retry-After: 1`.
//!
//! Each refusal counts in `smsgw_callbacks_refused_total{reason}`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as Body;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use runtime::config::{DlrCallback, HttpConfig, MoCallback, Protocol};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::fields::{self, Fields};
use super::slots::{Slots, Taken};
use crate::link::{Ack, Delivered, Incoming};

/// Largest callback body read.
const MAX_BODY: usize = 64 * 1024;
/// Time a caller has to finish the TLS handshake, to send a request's
/// headers (or its first byte, on an idle connection), and its body.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause before binding again when the address is taken.
const BIND_RETRY: Duration = Duration::from_secs(5);

/// What the listener needs: the field mappings and the way to the sender.
pub struct Callbacks {
    dlr: DlrCallback,
    mo: MoCallback,
    /// The shared secret callers must show (`callback_token`).
    token: Option<String>,
    inbound: mpsc::Sender<Delivered>,
    /// The connection's id (in spans and metrics).
    connection: String,
    /// Authorised calls handled per second (`callback_max_rate`).
    rate: DefaultDirectRateLimiter,
    /// Connections open at once (`callback_max_connections`).
    max_connections: usize,
}

impl Callbacks {
    pub fn new(connection: &str, config: &HttpConfig, inbound: mpsc::Sender<Delivered>) -> Arc<Callbacks> {
        Arc::new(Callbacks {
            dlr: config.dlr_callback.clone(),
            mo: config.mo_callback.clone(),
            token: config.callback_token.as_ref().map(|t| t.expose().to_owned()),
            inbound,
            connection: connection.to_owned(),
            rate: rate_limiter(config.callback_max_rate),
            max_connections: config.callback_max_connections.max(1),
        })
    }

    /// True when no token is configured, or the request carries it as a bearer
    /// token or as the `token` query parameter (compared in constant time).
    fn authorised(&self, request: &Request<Body>) -> bool {
        let Some(token) = &self.token else { return true };
        let bearer = request
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let query = request.uri().query().unwrap_or_default();
        let in_query = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v);
        bearer.is_some_and(|b| same(b.as_bytes(), token.as_bytes()))
            || in_query.is_some_and(|q| same(q.as_bytes(), token.as_bytes()))
    }
}

/// `per_second` calls a second, in bursts of as many (a provider delivering
/// a backlog of receipts at once).
fn rate_limiter(per_second: u32) -> DefaultDirectRateLimiter {
    let n = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    RateLimiter::direct(Quota::per_second(n).allow_burst(n))
}

/// The TLS side of the listener, from `callback_tls_cert` and `callback_tls_key`;
/// `Ok(None)` for plain HTTP.
pub fn acceptor(config: &HttpConfig) -> Result<Option<tls::TlsAcceptor>, tls::Error> {
    match (&config.callback_tls_cert, &config.callback_tls_key) {
        (Some(cert), Some(key)) => Ok(Some(tls::TlsAcceptor::from(tls::server_config(cert, key, None)?))),
        _ => Ok(None),
    }
}

/// Byte equality in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Binds `listen` (retrying while it is taken, loudly) and serves until `shutdown`.
pub async fn run(
    listen: SocketAddr,
    callbacks: Arc<Callbacks>,
    tls: Option<tls::TlsAcceptor>,
    shutdown: CancellationToken,
) {
    let listener = loop {
        match TcpListener::bind(listen).await {
            Ok(l) => break l,
            Err(e) => {
                tracing::error!(error = %e, retry_in = ?BIND_RETRY, "cannot listen for callbacks");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(BIND_RETRY) => {}
                }
            }
        }
    };
    tracing::info!(tls = tls.is_some(), "listening for callbacks");
    serve(listener, callbacks, tls, shutdown).await;
}

/// Serves callbacks on `listener` (over TLS with `tls`) until `shutdown`,
/// then lets requests in progress finish (their records are on their way) and returns.
pub async fn serve(
    listener: TcpListener,
    callbacks: Arc<Callbacks>,
    tls: Option<tls::TlsAcceptor>,
    shutdown: CancellationToken,
) {
    let connections = TaskTracker::new();
    let slots = Slots::new(callbacks.max_connections);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let slot = match slots.take() {
            Some((slot, Taken::Free)) => slot,
            Some((slot, Taken::Evicted)) => {
                counters::callbacks_refused(&callbacks.connection, "connections").inc();
                tracing::debug!(%peer, "callback_max_connections reached: the oldest untrusted connection closed");
                slot
            }
            None => {
                // Every slot is held by a caller that showed the token: this one calls again later.
                counters::callbacks_refused(&callbacks.connection, "connections").inc();
                tracing::debug!(%peer, "callback connection refused: callback_max_connections reached");
                drop(stream);
                continue;
            }
        };
        let (callbacks, stop, tls) = (callbacks.clone(), shutdown.clone(), tls.clone());
        let span = tracing::debug_span!("callback_connection", %peer);
        connections.spawn(
            async move {
                let trusted = slot.trust_flag();
                let connection = async move {
                    match tls {
                        None => serve_connection(TokioIo::new(stream), callbacks, trusted, stop).await,
                        Some(tls) => match tokio::time::timeout(READ_TIMEOUT, tls.accept(stream)).await {
                            Ok(Ok(stream)) => serve_connection(TokioIo::new(stream), callbacks, trusted, stop).await,
                            Ok(Err(e)) => tracing::debug!(error = %e, "callback TLS handshake failed"),
                            Err(_) => tracing::debug!("callback TLS handshake timed out"),
                        },
                    }
                };
                tokio::select! {
                    _ = connection => {}
                    _ = slot.evicted.cancelled() => tracing::debug!("closed for a newcomer"),
                }
                drop(slot);
            }
            .instrument(span),
        );
    }
    connections.close();
    connections.wait().await;
}

/// Serves one callback connection until it ends (or, at `stop`, until its
/// request in progress is answered).
async fn serve_connection<I>(io: I, callbacks: Arc<Callbacks>, trusted: Arc<AtomicBool>, stop: CancellationToken)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let (callbacks, trusted) = (callbacks.clone(), trusted.clone());
        async move { Ok::<_, Infallible>(callbacks.handle(request, &trusted).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(READ_TIMEOUT)
        .serve_connection(io, service);
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "callback connection ended with an error");
    }
}

impl Callbacks {
    /// Answers one callback; `trusted` is set once the connection shows the token.
    async fn handle(&self, request: Request<Body>, trusted: &AtomicBool) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        if !matches!(path.as_str(), "/dlr" | "/mo") {
            return respond(StatusCode::NOT_FOUND, "callbacks go to /dlr or /mo");
        }
        if !matches!(*request.method(), Method::GET | Method::POST) {
            return respond(StatusCode::METHOD_NOT_ALLOWED, "use GET or POST");
        }
        if !self.authorised(&request) {
            counters::callbacks_refused(&self.connection, "unauthorised").inc();
            tracing::debug!(%path, "callback without the configured token refused");
            let mut response = respond(StatusCode::UNAUTHORIZED, "callback_token missing or wrong");
            // A forger must open a new connection (within callback_max_connections) for every try.
            response.headers_mut().insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
            return response;
        }
        if self.token.is_some() {
            trusted.store(true, Ordering::Relaxed);
        }
        if self.rate.check().is_err() {
            counters::callbacks_refused(&self.connection, "rate").inc();
            let mut response = respond(StatusCode::TOO_MANY_REQUESTS, "callback_max_rate reached; call again");
            response.headers_mut().insert(hyper::header::RETRY_AFTER, hyper::header::HeaderValue::from_static("1"));
            return response;
        }
        let query = request.uri().query().unwrap_or_default().to_owned();
        let content_type =
            request.headers().get(hyper::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = match tokio::time::timeout(READ_TIMEOUT, Limited::new(request.into_body(), MAX_BODY).collect()).await
        {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                tracing::warn!(%path, "callback body too large");
                return respond(StatusCode::PAYLOAD_TOO_LARGE, &format!("body larger than {MAX_BODY} bytes"));
            }
            Ok(Err(e)) => return respond(StatusCode::BAD_REQUEST, &format!("cannot read the body: {e}")),
            Err(_) => return respond(StatusCode::REQUEST_TIMEOUT, "body not received in time"),
        };
        let incoming = Fields::parse(content_type.as_deref(), &body, &query).and_then(|f| match path.as_str() {
            "/dlr" => fields::report(&f, &self.dlr).map(Incoming::Report),
            _ => fields::mo(&f, &self.mo).map(Incoming::Mo),
        });
        let incoming = match incoming {
            Ok(i) => i,
            Err(reason) => {
                tracing::warn!(%path, %reason, "malformed callback refused");
                return respond(StatusCode::BAD_REQUEST, &reason);
            }
        };
        let (delivered, answer) = crate::exchange::delivered(&self.connection, Protocol::Http, incoming, None);
        if self.inbound.send(delivered).await.is_err() {
            return respond(StatusCode::SERVICE_UNAVAILABLE, "shutting down; call again later");
        }
        match answer.await {
            Ok(Ack::Recorded) => respond(StatusCode::OK, "ok"),
            Ok(Ack::Refused) | Err(_) => respond(StatusCode::SERVICE_UNAVAILABLE, "not recorded; call again later"),
        }
    }
}

fn respond(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

#[cfg(test)]
mod tests;

//! The link against a small in-process HTTP server: what goes on the wire
//! (method, query or body, headers, auth) and how failures without a
//! response are answered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::link::{Submission, SubmitError, Verdict};
use crate::pool::Pool;

/// One request as the server saw it.
#[derive(Debug)]
struct Seen {
    at: Instant,
    method: String,
    uri: String,
    headers: hyper::HeaderMap,
    body: String,
}

/// A server answering every request with `status`, `headers` and `body`; what it saw.
async fn server(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> (u16, mpsc::UnboundedReceiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let tx = tx.clone();
            let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let tx = tx.clone();
                async move {
                    let (parts, incoming) = request.into_parts();
                    let bytes = incoming.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                    let _ = tx.send(Seen {
                        at: Instant::now(),
                        method: parts.method.to_string(),
                        uri: parts.uri.to_string(),
                        headers: parts.headers,
                        body: String::from_utf8_lossy(&bytes).into_owned(),
                    });
                    let mut response = hyper::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                    for (name, value) in headers {
                        response.headers_mut().insert(*name, hyper::header::HeaderValue::from_static(value));
                    }
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(io, service));
        }
    });
    (port, rx)
}

fn pool(url: &str, extra: &str) -> (Pool, CancellationToken) {
    let settings = runtime::Settings::from_toml(&format!(
        "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"c\"\nprotocol = \"http\"\nurl = \"{url}\"\n{extra}\n"
    ))
    .unwrap();
    let (inbound, _) = mpsc::channel(1);
    let stop = CancellationToken::new();
    let pool = Pool::start(settings.connections[0].clone(), inbound, &TaskTracker::new(), stop.clone());
    (pool, stop)
}

fn submission(text: &str) -> Submission {
    let payload = text::gsm7::encode_unpacked(text).unwrap();
    Submission { whole: true, reference: "r-1".into(), ..Submission::test(0, &payload, None) }
}

#[tokio::test]
async fn get_with_query_bearer_and_headers() {
    let (port, mut seen) = server(200, &[], "OK id=abc42").await;
    let (pool, stop) = pool(
        &format!("http://127.0.0.1:{port}/send?account=7"),
        "method = \"GET\"\nbody = \"to={to}&text={text}&dlr={receipt}\"\nmessage_id_regex = 'id=(\\w+)'\n\
         auth = { bearer = \"t0k\" }\nheaders = { \"X-Api-Key\" = \"k\" }",
    );
    let answer = pool.submit(events::Priority::Normal, submission("hi there & more"), None, None).await.unwrap();
    assert_eq!((answer.verdict, answer.message_id.as_str()), (Verdict::Accepted, "abc42"));
    let request = seen.recv().await.unwrap();
    assert_eq!(request.method, "GET");
    assert_eq!(request.uri, "/send?account=7&to=4915112345678&text=hi+there+%26+more&dlr=1");
    assert_eq!(request.headers["authorization"], "Bearer t0k");
    assert_eq!(request.headers["x-api-key"], "k");
    assert!(request.headers.get("content-type").is_none(), "no body, no content type");
    assert_eq!(request.body, "");
    stop.cancel();
}

#[tokio::test]
async fn post_form_with_basic_auth() {
    let (port, mut seen) = server(202, &[], r#"{"result":{"ids":[7]}}"#).await;
    let (pool, stop) = pool(
        &format!("http://127.0.0.1:{port}/sms"),
        "body_format = \"form\"\nbody = \"msisdn={to}&sender={from}&message={text}&ref={reference}\"\n\
         message_id = \"/result/ids/0\"\nauth = { basic = { user = \"Aladdin\", password = \"open sesame\" } }",
    );
    let answer = pool.submit(events::Priority::Normal, submission("Üñìöé? no: 5€"), None, None).await.unwrap();
    assert_eq!(answer.message_id, "7");
    let request = seen.recv().await.unwrap();
    assert_eq!((request.method.as_str(), request.uri.as_str()), ("POST", "/sms"));
    // RFC 7617 §2's example credentials.
    assert_eq!(request.headers["authorization"], "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    assert_eq!(request.headers["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(
        request.body,
        "msisdn=4915112345678&sender=ACME&message=%C3%9C%C3%B1%C3%AC%C3%B6%C3%A9%3F+no%3A+5%E2%82%AC&ref=r-1"
    );
    stop.cancel();
}

#[tokio::test]
async fn refused_connection_is_temporary_and_no_response_is_a_timeout() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let (pool_closed, stop) = pool(&format!("http://127.0.0.1:{closed}/send"), "");
    let answer = pool_closed.submit(events::Priority::Normal, submission("x"), None, None).await.unwrap();
    assert_eq!((answer.verdict, answer.code()), (Verdict::Temporary, "connection_failed"), "{}", answer.text);
    stop.cancel();

    // Accepts the connection, never answers: the provider may have the message.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let keep = held.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = silent.accept().await {
            keep.lock().await.push(s);
        }
    });
    let (pool_silent, stop) = pool(&format!("http://127.0.0.1:{port}/send"), "response_timeout = \"300ms\"");
    assert_eq!(
        pool_silent.submit(events::Priority::Normal, submission("x"), None, None).await,
        Err(SubmitError::Timeout)
    );
    stop.cancel();
}

#[tokio::test]
async fn retry_after_pauses_the_connection() {
    let (port, mut seen) = server(429, &[("retry-after", "1")], "slow down").await;
    let (pool, stop) = pool(&format!("http://127.0.0.1:{port}/send"), "throttle_pause = \"10ms\"");
    let answer = pool.submit(events::Priority::Normal, submission("x"), None, None).await.unwrap();
    assert_eq!((answer.verdict, answer.protocol_code), (Verdict::Throttled, 429));
    let _ = pool.submit(events::Priority::Normal, submission("y"), None, None).await;
    let (first, second) = (seen.recv().await.unwrap(), seen.recv().await.unwrap());
    let gap = second.at - first.at;
    assert!(gap >= Duration::from_millis(950), "the next request waited {gap:?}, not Retry-After's 1s");
    stop.cancel();
}

#[tokio::test]
async fn expired_submissions_are_not_sent() {
    let (port, mut seen) = server(200, &[], "id").await;
    let (pool, stop) = pool(&format!("http://127.0.0.1:{port}/send"), "");
    let past = Some(Instant::now() - Duration::from_millis(1));
    assert_eq!(pool.submit(events::Priority::Normal, submission("x"), past, None).await, Err(SubmitError::Expired));
    assert!(seen.try_recv().is_err());
    stop.cancel();
}

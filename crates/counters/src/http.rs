//! `GET /metrics`, `/healthz` and `/readyz` over hand-parsed HTTP/1.1: one request per connection,
//! answered and closed. Prometheus needs nothing more, and this keeps hyper
//! out of the dependency tree.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Requests larger than this (headers included) are refused.
const MAX_REQUEST: usize = 8 * 1024;
/// A client that sends no complete request within this is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What a request head asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    /// More bytes are needed.
    Incomplete,
    /// `GET /metrics` (a query string is ignored).
    Metrics,
    /// `GET /healthz`: the process's loops are alive ([`crate::health::live`]).
    Healthz,
    /// `GET /readyz`: live, and able to do its work ([`crate::health::ready`]).
    Readyz,
    /// Anything else, including garbage.
    Other,
}

/// Parses a request head from the bytes read so far; no I/O.
pub fn parse(buf: &[u8]) -> Request {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Request::Incomplete;
    };
    let head = &buf[..end];
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut parts = line.split(|&b| b == b' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let path = target.map(|t| t.split(|&b| b == b'?').next().unwrap_or_default());
    let valid = matches!(version, Some(v) if v.starts_with(b"HTTP/1.")) && parts.next().is_none();
    match (method, path) {
        (Some(b"GET"), Some(b"/metrics")) if valid => Request::Metrics,
        (Some(b"GET"), Some(b"/healthz")) if valid => Request::Healthz,
        (Some(b"GET"), Some(b"/readyz")) if valid => Request::Readyz,
        _ => Request::Other,
    }
}

/// The full response to `request`.
pub fn respond(request: &Request) -> Vec<u8> {
    let probe = |(ok, body): (bool, String)| {
        (if ok { "200 OK" } else { "503 Service Unavailable" }, "text/plain; charset=utf-8", body)
    };
    let (status, content_type, body) = match request {
        Request::Metrics => ("200 OK", "text/plain; version=0.0.4; charset=utf-8", crate::render()),
        Request::Healthz => probe(crate::health::live()),
        Request::Readyz => probe(crate::health::ready()),
        _ => ("404 Not Found", "text/plain; charset=utf-8", "not found\n".to_owned()),
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// Answers `GET /metrics`, `/healthz` and `/readyz` on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, shutdown: CancellationToken) {
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        tokio::spawn(answer(stream));
    }
}

async fn answer(mut stream: TcpStream) {
    let mut buf = Vec::with_capacity(1024);
    let read = async {
        let mut chunk = [0u8; 1024];
        loop {
            match parse(&buf) {
                Request::Incomplete if buf.len() < MAX_REQUEST => {}
                Request::Incomplete => return Some(Request::Other),
                done => return Some(done),
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let Ok(Some(request)) = tokio::time::timeout(READ_TIMEOUT, read).await else { return };
    let _ = stream.write_all(&respond(&request)).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_request_heads() {
        assert_eq!(parse(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"), Request::Incomplete);
        assert_eq!(parse(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), Request::Metrics);
        assert_eq!(parse(b"GET /metrics?x=1 HTTP/1.0\r\n\r\n"), Request::Metrics);
        assert_eq!(parse(b"GET / HTTP/1.1\r\n\r\n"), Request::Other);
        assert_eq!(parse(b"POST /metrics HTTP/1.1\r\n\r\n"), Request::Other);
        assert_eq!(parse(b"GET /metricsx HTTP/1.1\r\n\r\n"), Request::Other);
        assert_eq!(parse(b"\x00\xff\r\n\r\n"), Request::Other);
        assert_eq!(parse(b"GET /healthz HTTP/1.1\r\n\r\n"), Request::Healthz);
        assert_eq!(parse(b"GET /readyz?verbose HTTP/1.1\r\n\r\n"), Request::Readyz);
        assert_eq!(parse(b"GET /readyz HTTP/2\r\n\r\n"), Request::Other);
    }

    #[test]
    fn probes_answer_503_with_the_reason() {
        let _serial = crate::health::TEST_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let check = crate::health::check("http-test-check", false);
        let text = String::from_utf8(respond(&Request::Readyz)).unwrap();
        assert!(text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{text}");
        assert!(text.contains("FAIL http-test-check"), "{text}");
        check.set(true);
        let text = String::from_utf8(respond(&Request::Readyz)).unwrap();
        assert!(!text.contains("FAIL http-test-check"), "{text}");
        let live = String::from_utf8(respond(&Request::Healthz)).unwrap();
        assert!(!live.contains("http-test-check"), "checks do not decide liveness: {live}");
    }

    async fn get(addr: std::net::SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(request).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn serves_metrics_and_404() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(serve(listener, shutdown.clone()));
        crate::submits("http-test", "ok").inc();

        let ok = get(addr, b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
        let (head, body) = ok.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("Content-Type: text/plain; version=0.0.4"), "{head}");
        assert!(head.contains(&format!("Content-Length: {}", body.len())), "{head}");
        assert!(body.contains("smsgw_submits_total{connection=\"http-test\",result=\"ok\"} 1\n"), "{body}");
        assert!(body.contains("# TYPE smsgw_binds gauge\n"), "{body}");

        let missing = get(addr, b"GET / HTTP/1.1\r\n\r\n").await;
        assert!(missing.starts_with("HTTP/1.1 404 Not Found\r\n"), "{missing}");

        shutdown.cancel();
        server.await.unwrap();
        assert!(TcpStream::connect(addr).await.is_err(), "listener closed after shutdown");
    }
}

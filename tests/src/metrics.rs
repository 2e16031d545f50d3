//! This process's `/metrics` for tests: served on a free port, fetched, a
//! series' value read, and `promtool` found.
//!
//! The registry is process-wide, and the gateway runs in the test's
//! process, so what a test serves here is the gateway's own exposition.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// Serves this process's metrics on a free loopback port until `shutdown`.
pub async fn serve(shutdown: &CancellationToken) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(counters::serve(listener, shutdown.clone()));
    addr
}

/// The body of `GET /metrics` at `addr`, checked to be a 200 in the text format 0.0.4.
pub async fn get(addr: SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a complete response");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Type: text/plain; version=0.0.4"), "{head}");
    body.to_owned()
}

/// The value of the sample `series` (its name and labels exactly as
/// exposed, e.g. `smsgw_binds{connection="sim"}`) in `exposition`.
pub fn value(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Prometheus' `promtool`: `$SMSGW_PROMTOOL`, or where `scripts/install-deps`
/// and `scripts/check-chart` unpack it (`scripts/lib/promtool.sh`:
/// `${SMSGW_CHART_TOOLS:-~/.cache/smsgw-chart}/promtool`). Panics when it is
/// not there: a lint that cannot run must not pass.
pub fn promtool() -> PathBuf {
    let path = match std::env::var_os("SMSGW_PROMTOOL") {
        Some(p) => PathBuf::from(p),
        None => {
            let tools = std::env::var_os("SMSGW_CHART_TOOLS").map(PathBuf::from).unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".cache/smsgw-chart")
            });
            tools.join("promtool")
        }
    };
    assert!(
        path.is_file(),
        "no promtool at {} (scripts/install-deps unpacks it; or set SMSGW_PROMTOOL)",
        path.display()
    );
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_series_value() {
        let text = "# TYPE a gauge\na{connection=\"sim\"} 3\na{connection=\"sim2\"} 4\nb 0.5\n";
        assert_eq!(value(text, "a{connection=\"sim\"}"), Some(3.0));
        assert_eq!(value(text, "a{connection=\"sim2\"}"), Some(4.0));
        assert_eq!(value(text, "b"), Some(0.5));
        assert_eq!(value(text, "a"), None);
    }
}

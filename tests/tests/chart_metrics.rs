//! Issue 11: every metric the Helm chart's dashboard and alert rules use
//! (`charts/smsgw/tests/metric-names.txt`, kept current by
//! `scripts/check-chart`) is one the gateway exports on `/metrics`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_charts_metrics_are_exported() {
    let names = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../charts/smsgw/tests/metric-names.txt"))
        .expect("charts/smsgw/tests/metric-names.txt");
    let settings = runtime::Settings::from_toml(
        "[kafka]\nbrokers = \"127.0.0.1:9\"\n[telemetry]\nmetrics_listen = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let addr = smsgw::start_metrics(&settings, shutdown.clone()).await.unwrap().unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut exposition = String::new();
    stream.read_to_string(&mut exposition).await.unwrap();
    shutdown.cancel();
    // A histogram's series are used by their suffixed names (`_bucket`, `_sum`, `_count`).
    let exported = |n: &str| {
        exposition.contains(&format!("# TYPE {n} "))
            || ["_bucket", "_sum", "_count"].iter().any(|suffix| {
                n.strip_suffix(suffix).is_some_and(|base| exposition.contains(&format!("# TYPE {base} histogram\n")))
            })
    };
    let missing: Vec<&str> = names.lines().map(str::trim).filter(|n| !n.is_empty() && !exported(n)).collect();
    assert!(missing.is_empty(), "used by the chart, not exported: {missing:?}");
    assert!(exposition.contains("smsgw_build_info{version=\""), "{exposition}");
}

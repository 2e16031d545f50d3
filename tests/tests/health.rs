//! Issue 11: the probes Kubernetes asks. `/readyz` turns unready when the
//! SMSC goes away or the broker stalls, and ready again when they are back;
//! `/healthz` (the loops come round) stays live through both. Alone in its
//! test binary: the probes answer for everything in the process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use simulator::SimConfig;
use smsgw_tests::{free_port, settings, Broker, Gateway, Proxy, Sim};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return (0, String::new()) };
    let _ = stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await;
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text).await;
    let code = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, text)
}

/// Waits until `path` answers `code` with `saying` in the body; the answer.
async fn until(addr: std::net::SocketAddr, path: &str, code: u16, saying: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let (got, text) = get(addr, path).await;
        if got == code && text.contains(saying) {
            return text;
        }
        assert!(Instant::now() < deadline, "{path} did not answer {code} ({saying}) within {limit:?}: {text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_smsc_and_the_broker_and_liveness_holds() {
    let listen = free_port();
    let proxy = Proxy::start(format!("127.0.0.1:{listen}")).await;
    let broker = Broker::start_advertised(listen, proxy.port);
    let sim_port = free_port();
    let sim = Sim::start_on(sim_port, SimConfig::default()).await;
    let mut settings = settings(&broker, sim_port, "");
    settings.telemetry.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let endpoint = tokio_util::sync::CancellationToken::new();
    let addr = smsgw::start_metrics(&settings, endpoint.clone()).await.unwrap().unwrap();
    let gateway = Gateway::start(settings).await;

    let ready = until(addr, "/readyz", 200, "", Duration::from_secs(60)).await;
    for part in ["ok kafka: broker reachable", "ok sender: a link up", "state restored", "partitions assigned"] {
        assert!(ready.contains(part), "{part}: {ready}");
    }

    sim.stop();
    until(addr, "/readyz", 503, "FAIL sender: a link up", Duration::from_secs(30)).await;
    assert_eq!(get(addr, "/healthz").await.0, 200);
    let sim = Sim::start_on(sim_port, SimConfig::default()).await;
    until(addr, "/readyz", 200, "", Duration::from_secs(60)).await;

    proxy.stall();
    until(addr, "/readyz", 503, "FAIL kafka: broker reachable", Duration::from_secs(30)).await;
    assert_eq!(get(addr, "/healthz").await.0, 200, "a stalled broker is not a dead process");
    proxy.resume();
    until(addr, "/readyz", 200, "", Duration::from_secs(90)).await;

    gateway.stop().await;
    endpoint.cancel();
    drop(sim);
}

//! Issue 12: the HTTP callback listener under attack. It serves HTTPS
//! (`callback_tls_cert`/`callback_tls_key`) with a `callback_token` and
//! `callback_max_connections = 200`, while 2,000 connections hold on to it
//! (half silent, half trickling a byte a second; each opened again a second
//! after the listener closes it) and forged `/dlr` calls with a wrong token
//! come in a steady stream, some of them naming the very message ids the
//! provider is about to report; the provider opens a new connection for
//! every report, so none rides on a connection it won before the flood.
//! Every genuine receipt still matches: each request ends DELIVERED, exactly once, and no forged report
//! reached the tracker (they would have ended requests UNDELIVERABLE).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use runtime::Settings;
use simulator::http::HttpOptions;
use simulator::SimConfig;
use smsgw_tests::http_sim::HttpSim;
use smsgw_tests::tls::Certs;
use smsgw_tests::{collect, free_port, produce, status_events, watch, Broker, Gateway};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "cb-s3cret";
const SLOW: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_forged_callbacks_do_not_starve_genuine_receipts() {
    let certs = Certs::generate();
    let broker = Broker::start();
    let callback_port = free_port();
    let ca = std::fs::read(&certs.ca).unwrap();

    // The provider: the HTTP simulator, reporting over HTTPS with the token.
    let options = HttpOptions {
        callback: Some(format!("https://127.0.0.1:{callback_port}")),
        callback_token: Some(TOKEN.into()),
        callback_ca: Some(ca.clone()),
        // A new connection for every report: no kept-alive connection carries them past the flood.
        callback_keep_alive: false,
        ..HttpOptions::default()
    };
    let config = SimConfig { receipt_delay: Duration::from_millis(300), ..SimConfig::default() };
    let sim = HttpSim::start_with(config, options).await;
    let sim_port = sim.port;
    // Stops the flood.
    let stop = CancellationToken::new();
    let _stop_guard = stop.clone().drop_guard();

    let settings = Settings::from_toml(&format!(
        r#"
        [kafka]
        brokers = "{addr}"
        session_timeout = "3s"
        partitions = 2
        [router]
        default_connection = "api"
        [[connections]]
        id = "api"
        protocol = "http"
        url = "http://127.0.0.1:{sim_port}/send"
        body = '{{"to":"+{{to}}","from":"{{from}}","text":"{{text}}","dlr":{{receipt}}}}'
        message_id = "/id"
        response_timeout = "5s"
        callback_listen = "127.0.0.1:{callback_port}"
        callback_token = "{TOKEN}"
        callback_tls_cert = "{cert}"
        callback_tls_key = "{key}"
        callback_max_connections = 200
        "#,
        addr = broker.addr,
        cert = certs.server_cert.display(),
        key = certs.server_key.display(),
    ))
    .unwrap();
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", callback_port)).await.is_err() {
        assert!(Instant::now() < deadline, "the callback listener did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The flood: slow connections that never finish a request, each opened
    // again a second after the listener closes it, for the whole test.
    let opened = Arc::new(AtomicUsize::new(0));
    for i in 0..SLOW {
        let (stop, opened) = (stop.clone(), opened.clone());
        tokio::spawn(async move {
            while !stop.is_cancelled() {
                if let Ok(stream) = tokio::net::TcpStream::connect(("127.0.0.1", callback_port)).await {
                    opened.fetch_add(1, Ordering::Relaxed);
                    tokio::select! {
                        _ = hold(stream, i % 2 == 1) => {}
                        _ = stop.cancelled() => return,
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    // Forged reports with a wrong token, over TLS like the real ones, for
    // message ids the simulator hands out (decimal from 1000000), as "failed".
    let forger = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let (forged, taken) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    for worker in 0..8 {
        let (forger, forged, taken, stop) = (forger.clone(), forged.clone(), taken.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = worker;
            while !stop.is_cancelled() {
                let body = serde_json::json!({"id": (1_000_000 + n % 60).to_string(), "status": "failed"});
                let url = format!("https://127.0.0.1:{callback_port}/dlr");
                match forger.post(url).bearer_auth("forged").json(&body).send().await {
                    Ok(r) if r.status() == 401 => forged.fetch_add(1, Ordering::Relaxed),
                    Ok(_) => taken.fetch_add(1, Ordering::Relaxed),
                    Err(_) => 0, // closed for a newcomer: the forger calls again
                };
                n += 8;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }
    // The flood is on before the genuine traffic starts: half the slow
    // connections open (a loaded machine takes more than a second or two to
    // open a thousand: 736 in 2 s once in CI).
    let deadline = Instant::now() + Duration::from_secs(30);
    while opened.load(Ordering::Relaxed) < SLOW / 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(opened.load(Ordering::Relaxed) >= SLOW / 2, "the flood is on: {} opened", opened.load(Ordering::Relaxed));

    // The genuine traffic, in the middle of it.
    let n = 50;
    for i in 0..n {
        let json = serde_json::json!({"id": format!("g{i}"), "to": format!("+4915100{i:05}"), "from": "ACME",
            "text": format!("genuine {i}"), "delivery_report": true});
        produce(&kafka, &topics.send, &format!("g{i}"), json.to_string().as_bytes(), OwnedHeaders::new()).await;
    }
    let messages = collect(&status, Duration::from_secs(120), |m| m.len() >= 2 * n).await;
    let more = collect(&status, Duration::from_secs(2), |_| false).await;
    let mut by_id: HashMap<String, Vec<Status>> = HashMap::new();
    for e in status_events(&[messages, more].concat()) {
        by_id.entry(e.request_id.clone()).or_default().push(e.status);
    }
    for i in 0..n {
        assert_eq!(by_id.get(&format!("g{i}")), Some(&vec![Status::Submitted, Status::Delivered]), "g{i}: {by_id:?}");
    }
    assert_eq!(taken.load(Ordering::Relaxed), 0, "a forged callback was answered other than 401");
    let forged = forged.load(Ordering::Relaxed);
    assert!(forged >= 50, "forged calls were made and refused: {forged}");
    let refused = |reason| counters::callbacks_refused("api", reason).get();
    assert!(refused("unauthorised") >= forged as u64, "forged calls counted");
    assert!(refused("connections") > 0, "the flood went past callback_max_connections and was counted");
    eprintln!(
        "slow connections opened: {}, forged calls refused: {forged}, connections closed or refused for newcomers: {}",
        opened.load(Ordering::Relaxed),
        refused("connections")
    );
    stop.cancel();
    gateway.stop().await;
}

/// Holds a connection without ever completing a request until the listener
/// closes it: silent, or (`trickle`) sending the start of a TLS ClientHello a
/// byte a second.
async fn hold(mut stream: tokio::net::TcpStream, trickle: bool) {
    let (mut read, mut write) = stream.split();
    let closed = async {
        let mut buf = [0u8; 256];
        while matches!(read.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    let slow = async {
        if !trickle {
            return std::future::pending::<()>().await;
        }
        for byte in [0x16u8, 0x03, 0x01, 0x00, 0xff].iter().cycle() {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    tokio::select! {
        _ = closed => {}
        _ = slow => {}
    }
}

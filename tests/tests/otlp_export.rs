//! Trace context end to end with OTLP export on: the request's `traceparent`
//! becomes the parent of smsgw's spans, the spans are exported over OTLP/HTTP
//! to a collector, and the status event carries the same trace id. Logs also
//! go to the configured log file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka::rdkafka::message::{Header, OwnedHeaders};
use runtime::config::TelemetryConfig;
use simulator::SimConfig;
use smsgw_tests::{collect, header, produce, settings, watch, Broker, Gateway, Sim};

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

/// A minimal OTLP/HTTP collector: records every request body.
fn collector() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let store = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok() {
                store.lock().unwrap().push(body);
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n");
        }
    });
    (url, bodies)
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn spans_are_exported_and_events_continue_the_trace() {
    let (endpoint, bodies) = collector();
    let log_dir = std::env::temp_dir().join(format!("smsgw-log-{}", std::process::id()));
    std::fs::create_dir_all(&log_dir).unwrap();
    let log_file = log_dir.join("smsgw.log");
    // Telemetry is initialised before the async runtime, as in main.
    let guard = runtime::telemetry::init(&TelemetryConfig {
        otlp_endpoint: Some(endpoint),
        log: "info".into(),
        log_file: Some(log_file.clone()),
        ..TelemetryConfig::default()
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let traceparent = format!("00-{TRACE_ID}-b7ad6b7169203331-01");
    let event_traceparent = rt.block_on(async {
        let broker = Broker::start();
        let sim = Sim::start(SimConfig::default()).await;
        let settings = settings(&broker, sim.port, "");
        let topics = settings.kafka.topics.clone();
        let kafka = broker.kafka_config();
        let gateway = Gateway::start(settings).await;
        let status = watch(&kafka, &topics.status);
        let headers = OwnedHeaders::new().insert(Header { key: "traceparent", value: Some(traceparent.as_bytes()) });
        produce(&kafka, &topics.send, "o-1", br#"{"id":"o-1","to":"+4915112345678","text":"traced"}"#, headers).await;
        let messages = collect(&status, Duration::from_secs(60), |m| !m.is_empty()).await;
        assert_eq!(messages.len(), 1);
        gateway.stop().await;
        header(&messages[0], "traceparent").expect("traceparent on the event")
    });
    drop(rt);
    drop(guard); // flushes the batch exporter

    // Same trace, but a span of smsgw's own (a child), not the producer's.
    let parts: Vec<_> = event_traceparent.split('-').collect();
    assert_eq!(parts[1], TRACE_ID, "{event_traceparent}");
    assert_ne!(parts[2], "b7ad6b7169203331", "the event names smsgw's span as parent");

    // The log file got the same lines as the console (written by a background worker, flushed on drop).
    let logged = std::fs::read_to_string(&log_file).unwrap_or_default();
    assert!(logged.contains("router started"), "log file: {logged}");
    let _ = std::fs::remove_dir_all(&log_dir);

    let bodies = bodies.lock().unwrap();
    assert!(!bodies.is_empty(), "nothing was exported");
    let trace_id = hex_bytes(TRACE_ID);
    let exported = bodies.iter().any(|b| b.windows(16).any(|w| w == trace_id.as_slice()));
    assert!(exported, "no exported span carries the request's trace id");
}

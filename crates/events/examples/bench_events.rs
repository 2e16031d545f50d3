//! Throughput of status-event encoding (and decoding) on one core.
//!
//! `cargo run --release -p events --example bench_events [count]`
#![allow(clippy::unwrap_used)] // a benchmark, not a service

use std::collections::BTreeMap;
use std::time::Instant;

use events::{decode_status, encode_status, ErrorInfo, Framing, RouteInfo, Status, StatusEvent};

fn main() {
    let count: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(200_000);
    let event = StatusEvent {
        request_id: "0190f1c2-6a3b-7c41-9f0e-3b2d1a0c9e77".into(),
        status: Status::Delivered,
        connection: Some("smpp-operator-a".into()),
        message_ids: vec!["4f2a9c01".into(), "4f2a9c02".into()],
        segments: 2,
        error: Some(ErrorInfo {
            code: events::ErrorCode::Undeliverable,
            protocol_code: Some(0),
            text: "stat:DELIVRD".into(),
        }),
        timestamp: 1_700_000_000_123,
        submitted_at: Some(1_700_000_000_000),
        done_at: Some(1_700_000_060_000),
        tenant: Some("acme".into()),
        route: Some(RouteInfo { id: Some("de-mobile".into()), reason: None }),
        metadata: BTreeMap::from([("campaign".into(), "spring".into()), ("order".into(), "42".into())]),
    };
    let framing = Framing::Confluent { schema_id: 1 };
    let mut bytes = encode_status(&event, framing).unwrap();

    let start = Instant::now();
    let mut total = 0usize;
    for i in 0..count {
        let mut e = event.clone();
        e.timestamp += i as i64;
        bytes = encode_status(&e, framing).unwrap();
        total += bytes.len();
    }
    let elapsed = start.elapsed();
    println!(
        "encode_status: {count} events in {elapsed:.2?} = {:.0} events/s ({} bytes each, {total} total)",
        count as f64 / elapsed.as_secs_f64(),
        bytes.len()
    );

    let start = Instant::now();
    for _ in 0..count {
        std::hint::black_box(decode_status(&bytes, None).unwrap());
    }
    let elapsed = start.elapsed();
    println!("decode_status: {count} events in {elapsed:.2?} = {:.0} events/s", count as f64 / elapsed.as_secs_f64());
}

//! The direct Avro encoder against the apache-avro one it replaced
//! (`events::reference`), on the records the gateway writes per request: a
//! status event and a send request (the queue record).
//!
//! `cargo run --release -p events --example encode_bench [count] [rounds]`
//!
//! Each round times `count` encodes of each record with each path; the order
//! of the two paths alternates from round to round so that neither always runs
//! on a warmer cache. Prints the median and best ns/op over the rounds.
#![allow(clippy::unwrap_used)] // a benchmark, not a service

use std::hint::black_box;
use std::time::Instant;

use events::{
    decode_status, encode_request, encode_status, reference, EncodeError, Encoding, ErrorInfo, Framing, Metadata,
    Priority, RouteInfo, SendRequest, Status, StatusEvent,
};

type Encode<T> = fn(&T, Framing) -> Result<Vec<u8>, EncodeError>;

const FRAMING: Framing = Framing::Confluent { schema_id: 42 };

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().unwrap());
    let count = args.next().unwrap_or(100_000);
    let rounds = args.next().unwrap_or(11);

    let event = status_event();
    let request = send_request();
    let (old, new) = (reference::encode_status(&event, FRAMING).unwrap(), encode_status(&event, FRAMING).unwrap());
    assert_eq!(decode_status(&old, None).unwrap(), decode_status(&new, None).unwrap());
    println!(
        "status event: {} bytes, send request: {} bytes",
        new.len(),
        encode_request(&request, FRAMING).unwrap().len()
    );
    println!("{count} encodes per path per round, {rounds} rounds, ns/op");

    let status = compare(&event, reference::encode_status, encode_status, count, rounds);
    let request = compare(&request, reference::encode_request, encode_request, count, rounds);
    println!(
        "{:<14} {:>14} {:>14} {:>14} {:>14} {:>8}",
        "record", "apache median", "apache best", "direct median", "direct best", "speed-up"
    );
    for (name, (old, new)) in [("StatusEvent", status), ("SendRequest", request)] {
        println!(
            "{name:<14} {:>14.1} {:>14.1} {:>14.1} {:>14.1} {:>7.1}x",
            median(&old),
            best(&old),
            median(&new),
            best(&new),
            median(&old) / median(&new)
        );
    }
}

/// ns/op of each round, for the apache-avro path and the direct one.
fn compare<T>(value: &T, old: Encode<T>, new: Encode<T>, count: usize, rounds: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut old_times, mut new_times) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            old_times.push(time(value, old, count));
            new_times.push(time(value, new, count));
        } else {
            new_times.push(time(value, new, count));
            old_times.push(time(value, old, count));
        }
    }
    (old_times, new_times)
}

fn time<T>(value: &T, encode: Encode<T>, count: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..count {
        black_box(encode(black_box(value), FRAMING).unwrap());
    }
    start.elapsed().as_nanos() as f64 / count as f64
}

fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn best(times: &[f64]) -> f64 {
    times.iter().copied().fold(f64::INFINITY, f64::min)
}

fn metadata() -> Metadata {
    Metadata::from([
        ("campaign".into(), "spring-2024".into()),
        ("customer_ref".into(), "C-0042317".into()),
        ("order".into(), "42".into()),
    ])
}

/// A DELIVERED event for a two-part message, as the tracker writes it.
fn status_event() -> StatusEvent {
    StatusEvent {
        request_id: "0190f1c2-6a3b-7c41-9f0e-3b2d1a0c9e77".into(),
        status: Status::Delivered,
        connection: Some("smpp-operator-a".into()),
        message_ids: vec!["4f2a9c01".into(), "4f2a9c02".into()],
        segments: 2,
        error: Some(ErrorInfo {
            code: events::ErrorCode::Undeliverable,
            protocol_code: Some(0),
            text: "stat:DELIVRD err:000".into(),
        }),
        timestamp: 1_700_000_060_123,
        submitted_at: Some(1_700_000_000_000),
        done_at: Some(1_700_000_060_000),
        tenant: Some("acme".into()),
        route: Some(RouteInfo { id: Some("de-mobile".into()), reason: None }),
        metadata: metadata(),
    }
}

/// A routed request as the router queues it for a connection.
fn send_request() -> SendRequest {
    SendRequest {
        id: "0190f1c2-6a3b-7c41-9f0e-3b2d1a0c9e77".into(),
        to: "+4915112345678".into(),
        from: Some("ACME".into()),
        text: Some("Your verification code is 482913. It expires in 10 minutes. Do not share it.".into()),
        encoding: Encoding::Auto,
        priority: Priority::Urgent,
        expires_at: Some(1_700_000_600_000),
        delivery_report: true,
        connection: Some("smpp-operator-a".into()),
        tenant: Some("acme".into()),
        metadata: metadata(),
        ..SendRequest::default()
    }
}

//! Encode+decode throughput for a typical submit_sm.
//!
//! `cargo run --release -p smpp --example bench_codec [N]`
//!
//! Encodes N PDUs into one buffer in batches, then decodes them back, the way
//! a connection task does with its write and read buffers.

use std::hint::black_box;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use smpp::tlv::tag;
use smpp::{decode, encode, Body, Pdu, Sm, Tlv};

fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5_000_000);
    let template = Sm {
        source_addr_ton: 5,
        source_addr: "Acme".into(),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: "447700900123".into(),
        registered_delivery: 1,
        short_message: Bytes::from_static(b"Your verification code is 123456. It expires in 10 minutes."),
        tlvs: vec![Tlv::u16(tag::USER_MESSAGE_REFERENCE, 42)],
        ..Sm::default()
    };
    const BATCH: u32 = 1024;
    let mut buf = BytesMut::with_capacity(128 * BATCH as usize);
    let mut decoded = 0u64;
    let mut octets = 0u64;
    let start = Instant::now();
    let mut seq = 1;
    while seq <= n {
        let end = (seq + BATCH).min(n + 1);
        for s in seq..end {
            // A clone per PDU, as the sender builds each from a request.
            let pdu = Pdu::new(s, Body::SubmitSm(template.clone()));
            if let Err(e) = encode(&pdu, &mut buf) {
                eprintln!("encode failed: {e}");
                std::process::exit(1);
            }
        }
        octets += buf.len() as u64;
        loop {
            match decode(&mut buf) {
                Ok(Some(pdu)) => {
                    black_box(&pdu);
                    decoded += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    eprintln!("decode failed: {e}");
                    std::process::exit(1);
                }
            }
        }
        seq = end;
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(decoded, u64::from(n));
    println!(
        "{n} submit_sm encoded+decoded in {secs:.3} s: {:.2} M PDU/s ({} octets each, {:.0} MB/s)",
        f64::from(n) / secs / 1e6,
        octets / u64::from(n),
        octets as f64 / secs / 1e6
    );
}

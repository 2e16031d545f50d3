//! `cargo bench -p smpp --bench codec`: this codec against the `rusmpp`
//! crate (0.4, owned PDUs through its tokio `CommandCodec`) in one run, on
//! one core: `submit_sm` encode and `deliver_sm` decode (a delivery receipt
//! with the two TLVs SMSCs add, receipted_message_id and message_state),
//! whole frames through a `BytesMut` as the sender's link task does. GSM
//! 7-bit packing is `cargo bench -p text --bench gsm7`.
//!
//! Both sides encode the same submit_sm (checked byte for byte before
//! timing) and decode the same frame. Rounds alternate between the two and
//! the median round counts, so a noisy neighbour on a shared machine hits
//! both alike. Prints nanoseconds per PDU and the ratio.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rusmpp::tokio_codec::CommandCodec;
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::EsmClass;
use smpp::{Body, Pdu, Sm, Tlv};
use tokio_util::codec::{Decoder, Encoder};

const ROUNDS: usize = 7;
const ITERATIONS: u32 = 200_000;

const SOURCE: &str = "BENCH";
const DESTINATION: &str = "4915112345678";
const TEXT: &str = "Your code is 123456";
const RECEIPT: &str = "id:1000042 sub:001 dlvrd:001 submit date:2612041200 done date:2612041201 stat:DELIVRD err:000 text:Your code is 1234";

fn ours_submit() -> Pdu {
    let sm = Sm {
        source_addr: SOURCE.into(),
        destination_addr: DESTINATION.into(),
        short_message: Bytes::from_static(TEXT.as_bytes()),
        ..Sm::default()
    };
    Pdu::new(7, Body::SubmitSm(sm))
}

fn theirs_submit() -> rusmpp::Command {
    let sm = rusmpp::pdus::SubmitSm::builder()
        .source_addr(SOURCE.parse::<COctetString<1, 21>>().expect("source"))
        .destination_addr(DESTINATION.parse::<COctetString<1, 21>>().expect("destination"))
        .short_message(TEXT.parse::<OctetString<0, 255>>().expect("text"))
        // Its default esm_class is 0x08 (an ANSI-41 bit); ours, and SMSCs', 0.
        .esm_class(EsmClass::from(0))
        .build();
    rusmpp::Command::new(rusmpp::CommandStatus::EsmeRok, 7, sm)
}

/// A delivery receipt as SMSCs send it (SMPP 3.4 appendix B, §5.3.2.12, §5.3.2.35).
fn receipt_frame() -> BytesMut {
    let sm = Sm {
        source_addr: DESTINATION.into(),
        destination_addr: SOURCE.into(),
        esm_class: 0x04,
        short_message: Bytes::from_static(RECEIPT.as_bytes()),
        tlvs: vec![
            Tlv { tag: smpp::tlv::tag::RECEIPTED_MESSAGE_ID, value: Bytes::from_static(b"1000042\0") },
            Tlv { tag: smpp::tlv::tag::MESSAGE_STATE, value: Bytes::from_static(&[2]) },
        ],
        ..Sm::default()
    };
    let mut frame = BytesMut::new();
    smpp::encode(&Pdu::new(9, Body::DeliverSm(sm)), &mut frame).expect("receipt encodes");
    frame
}

/// Nanoseconds per call of `f`, over one round.
fn round(mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..ITERATIONS {
        f();
    }
    started.elapsed().as_nanos() as f64 / f64::from(ITERATIONS)
}

/// Median ns per call of `ours` and `theirs`, rounds alternating.
fn compare(mut ours: impl FnMut(), mut theirs: impl FnMut()) -> (f64, f64) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        a.push(round(&mut ours));
        b.push(round(&mut theirs));
    }
    (median(a), median(b))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(what: &str, (ours, theirs): (f64, f64)) {
    println!(
        "{what}: smsgw {ours:.0} ns, rusmpp {theirs:.0} ns per PDU (one core): smsgw is {:.2}× as fast",
        theirs / ours
    );
}

fn main() {
    // Same bytes on the wire, or the comparison means nothing.
    let (ours, theirs) = (ours_submit(), theirs_submit());
    let mut a = BytesMut::new();
    smpp::encode(&ours, &mut a).expect("ours encodes");
    let mut b = BytesMut::new();
    CommandCodec::new().encode(&theirs, &mut b).expect("theirs encodes");
    assert_eq!(a, b, "the two submit_sm frames differ");

    let (mut a, mut b) = (BytesMut::with_capacity(512), BytesMut::with_capacity(512));
    let mut codec = CommandCodec::new();
    let encode = compare(
        || {
            a.clear();
            smpp::encode(black_box(&ours), &mut a).expect("encodes");
            black_box(&a);
        },
        || {
            b.clear();
            codec.encode(black_box(&theirs), &mut b).expect("encodes");
            black_box(&b);
        },
    );
    report("submit_sm encode", encode);

    let frame = receipt_frame();
    let decoded = CommandCodec::new().decode(&mut frame.clone()).expect("rusmpp decodes the receipt");
    assert!(matches!(decoded.as_ref().map(|c| c.id()), Some(rusmpp::CommandId::DeliverSm)), "{decoded:?}");
    let mut codec = CommandCodec::new();
    let decode = compare(
        || {
            a.clear();
            a.extend_from_slice(&frame);
            black_box(smpp::decode(&mut a).expect("decodes"));
        },
        || {
            b.clear();
            b.extend_from_slice(&frame);
            black_box(codec.decode(&mut b).expect("decodes"));
        },
    );
    report("deliver_sm decode (receipt, 2 TLVs)", decode);
}

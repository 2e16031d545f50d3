//! Runs the fuzz target's body (`smpp::fuzzing::decode_stream`) over a few
//! thousand deterministic pseudo-random inputs: raw noise and mutated valid
//! streams, which reach much deeper into the body decoders than noise does.

use bytes::{Bytes, BytesMut};
use smpp::tlv::tag;
use smpp::{encode, Bind, Body, Pdu, Sm, SmResp, Tlv};

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seed_stream() -> Vec<u8> {
    let pdus = [
        Pdu::new(1, Body::BindTransceiver(Bind { system_id: "esme".into(), password: "pw".into(), ..Bind::default() })),
        Pdu::new(
            2,
            Body::SubmitSm(Sm {
                source_addr: "Acme".into(),
                destination_addr: "447700900123".into(),
                short_message: Bytes::from_static(b"hello world"),
                tlvs: vec![Tlv::u16(tag::SAR_MSG_REF_NUM, 7), Tlv::u8(tag::SAR_TOTAL_SEGMENTS, 2)],
                ..Sm::default()
            }),
        ),
        Pdu { sequence: 2, status: 0, body: Body::SubmitSmResp(SmResp { message_id: "id-1".into(), tlvs: vec![] }) },
        Pdu::new(3, Body::EnquireLink),
    ];
    let mut buf = BytesMut::new();
    for p in &pdus {
        assert_eq!(encode(p, &mut buf), Ok(()));
    }
    buf.to_vec()
}

#[test]
fn decode_stream_survives_random_and_mutated_input() {
    let seed = seed_stream();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..5000 {
        let data: Vec<u8> = if i % 2 == 0 {
            (0..rng.below(200)).map(|_| rng.next() as u8).collect()
        } else {
            let mut d = seed.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(d.len());
                match rng.below(3) {
                    0 => d[at] = rng.next() as u8,
                    1 => d.truncate(at),
                    _ => d.insert(at, rng.next() as u8),
                }
                if d.is_empty() {
                    break;
                }
            }
            d
        };
        smpp::fuzzing::decode_stream(&data);
    }
}

//! Runs the fuzz target's body (`ucp::fuzzing::decode_stream`) over a few
//! thousand deterministic pseudo-random inputs: raw noise and mutated valid
//! streams, which reach much deeper into the operation decoders than noise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use ucp::{encode, Alert, Alphabet, Body, ExtraService, Login, Message, Msg, Sm, Trn};

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
    let trn = |n| Trn::new(n).unwrap();
    let mut submit = Sm {
        adc: "31612345678".into(),
        nrq: "1".into(),
        nt: "3".into(),
        msg: Msg::alphanumeric("hello world", Alphabet::Ira).unwrap(),
        xser: vec![ExtraService::udh([5, 0, 3, 7, 2, 1])],
        ..Sm::default()
    };
    submit.set_alphanumeric_originator("Acme").unwrap();
    let request = Message::new(trn(1), Body::Submit(submit));
    let messages = [
        Message::new(trn(0), Body::Login(Login::open_session("acct", "secret"))),
        request.clone(),
        request.ack("31612345678:010125101010"),
        request.nack(2, ""),
        Message::new(trn(2), Body::Alert(Alert { adc: "1234".into(), pid: "0539".into() })),
        Message::new(trn(3), Body::Notification(Sm { dst: "0".into(), rsn: "000".into(), ..Sm::default() })),
    ];
    let mut buf = BytesMut::new();
    for m in &messages {
        encode(m, &mut buf).unwrap();
    }
    buf.to_vec()
}

/// Mutates the fields of one seed frame and fixes LEN and the checksum after,
/// so the mutation reaches the operation decoders instead of failing framing.
fn mutate_and_reframe(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let frames: Vec<&[u8]> = seed.split(|&b| b == 0x03).filter(|f| f.len() > 16).collect();
    let frame = &frames[rng.below(frames.len())][1..];
    let last = frame.iter().rposition(|&b| b == b'/').unwrap();
    let mut data = frame[14..=last].to_vec();
    for _ in 0..1 + rng.below(3) {
        if data.is_empty() {
            break;
        }
        let at = rng.below(data.len());
        match rng.below(4) {
            0 => data[at] = b"0123456789ABCDEFxyz/:"[rng.below(21)],
            1 => drop(data.remove(at)),
            2 => data.insert(at, b'/'),
            _ => data.truncate(at),
        }
    }
    let body = [&frame[..3], format!("{:05}", 16 + data.len()).as_bytes(), &frame[8..14], &data].concat();
    let sum = ucp::frame::checksum(&body);
    [&[0x02][..], &body, format!("{sum:02X}").as_bytes(), &[0x03]].concat()
}

#[test]
fn decode_stream_survives_reframed_mutations() {
    let seed = seed_stream();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut decoded = 0;
    for _ in 0..5000 {
        let data = mutate_and_reframe(&seed, &mut rng);
        if ucp::decode(&mut BytesMut::from(&data[..])).is_ok() {
            decoded += 1;
        }
        ucp::fuzzing::decode_stream(&data);
    }
    // Most mutations still frame correctly, so the field decoders are exercised.
    assert!(decoded > 1000, "{decoded}");
}

#[test]
fn decode_stream_survives_random_and_mutated_input() {
    let seed = seed_stream();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..5000 {
        let data: Vec<u8> = if i % 2 == 0 {
            (0..rng.below(300)).map(|_| rng.next() as u8).collect()
        } else {
            let mut d = seed.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(d.len());
                match rng.below(4) {
                    0 => d[at] = rng.next() as u8,
                    1 => d.truncate(at),
                    2 => d.insert(at, b'/'),
                    _ => d.insert(at, rng.next() as u8),
                }
                if d.is_empty() {
                    break;
                }
            }
            d
        };
        ucp::fuzzing::decode_stream(&data);
    }
}

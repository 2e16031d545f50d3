//! `cargo bench -p text --bench gsm7`: GSM 7-bit packing and unpacking of a
//! full single message, 160 septets into 140 octets (TS 23.038 §6.1.2.1.1),
//! on one core. The median of several rounds counts; prints nanoseconds per
//! message and septets per second.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

const ROUNDS: usize = 7;
const ITERATIONS: u32 = 200_000;

/// Median nanoseconds per call of `f`.
fn time(mut f: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..ITERATIONS {
                f();
            }
            started.elapsed().as_nanos() as f64 / f64::from(ITERATIONS)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[ROUNDS / 2]
}

fn main() {
    let septets: Vec<u8> = (0..160u8).map(|i| i % 0x80).collect();
    let packed = text::gsm7::pack(&septets, 0);
    assert_eq!(packed.len(), 140);
    assert_eq!(text::gsm7::unpack(&packed, 160, 0), septets);
    for (what, ns) in [
        ("pack", time(|| drop(black_box(text::gsm7::pack(black_box(&septets), 0))))),
        ("unpack", time(|| drop(black_box(text::gsm7::unpack(black_box(&packed), 160, 0))))),
    ] {
        println!("GSM 7-bit {what}, 160 septets: {ns:.0} ns ({:.0} M septets/s, one core)", 160.0 / ns * 1e3);
    }
}

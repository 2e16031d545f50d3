//! `cargo bench -p text --bench gsm7`: GSM 7-bit packing and unpacking of a
//! full single message, 160 septets into 140 octets (TS 23.038 §6.1.2.1.1),
//! on one core. The median of several rounds counts; prints nanoseconds per
//! message and septets per second. Then what the router's count of a
//! request's segments (`text::count`) costs against the sender's split of
//! it (`text::split`), for a one-part and a three-part text, and encoding
//! an ASCII text with the default table's ASCII codes against searching the
//! table (the same table at another address, which takes the search).

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
    let opts = text::SplitOptions::default();
    for (what, message) in [
        ("one part, 100 characters", "Your code is 123456. ".repeat(5)),
        ("three parts, 400 characters", "Your code is 123456. ".repeat(19)),
    ] {
        let count = time(|| drop(black_box(text::count(black_box(&message), text::Preference::Auto, &opts))));
        let split = time(|| drop(black_box(text::split(black_box(&message), text::Preference::Auto, &opts))));
        println!("{what}: count {count:.0} ns, split {split:.0} ns ({:.1}× as fast)", split / count);
    }
    static SEARCHED: [char; 128] = text::gsm7::DEFAULT_ALPHABET;
    let searched = text::gsm7::Tables { locking: &SEARCHED, single: &text::gsm7::DEFAULT_EXTENSION };
    let message = "Your code is 123456. ".repeat(5);
    assert_eq!(
        text::gsm7::encode_unpacked_with(&searched, &message),
        text::gsm7::encode_unpacked_with(&text::gsm7::Tables::DEFAULT, &message)
    );
    let codes =
        time(|| drop(black_box(text::gsm7::encode_unpacked_with(&text::gsm7::Tables::DEFAULT, black_box(&message)))));
    let search = time(|| drop(black_box(text::gsm7::encode_unpacked_with(&searched, black_box(&message)))));
    println!("encoding 100 ASCII characters: {codes:.0} ns with the ASCII codes, {search:.0} ns searching the table ({:.1}× as fast)", search / codes);
}

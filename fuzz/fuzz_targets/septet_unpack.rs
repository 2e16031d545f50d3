//! `cargo +nightly fuzz run septet_unpack`
//!
//! Feeds arbitrary bytes to septet unpacking (TS 23.038 §6.1.2.1.1) and decoding with
//! any pair of national tables. The body is `text::fuzzing::septet_unpack`, which a
//! property test in crates/text/src/fuzzing.rs also runs on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    text::fuzzing::septet_unpack(data);
});

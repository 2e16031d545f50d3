//! `cargo +nightly fuzz run smpp_decode`
//!
//! Feeds arbitrary bytes to the SMPP decoder as a stream of PDUs. The body is
//! `smpp::fuzzing::decode_stream`, which a normal unit test also runs
//! (crates/smpp/tests/fuzz_body.rs), so the target cannot rot unnoticed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    smpp::fuzzing::decode_stream(data);
});

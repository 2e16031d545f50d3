//! `cargo +nightly fuzz run cimd2_decode`
//!
//! Feeds arbitrary bytes to the CIMD2 decoder as a stream of packets. The
//! body is `cimd2::fuzzing::decode_stream`, which a normal test also runs
//! (crates/cimd2/tests/fuzz_body.rs), so the target cannot rot unnoticed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cimd2::fuzzing::decode_stream(data);
});

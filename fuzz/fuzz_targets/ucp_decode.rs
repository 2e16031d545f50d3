//! `cargo +nightly fuzz run ucp_decode`
//!
//! Feeds arbitrary bytes to the UCP/EMI decoder as a stream of STX/ETX frames.
//! The body is `ucp::fuzzing::decode_stream`, which the property tests and
//! crates/ucp/tests/fuzz_body.rs also run on stable, so the target cannot rot
//! unnoticed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ucp::fuzzing::decode_stream(data);
});

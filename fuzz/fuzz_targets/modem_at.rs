//! `cargo +nightly fuzz run modem_at`
//!
//! Feeds arbitrary bytes to the AT state machine as modem output, in chunks with
//! time passing and two submits queued, and checks that every submit ends exactly
//! once or stays queued. The body is `modem::fuzzing::at`, which property tests in
//! crates/modem also run on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    modem::fuzzing::at(data);
});

//! `cargo +nightly fuzz run receipt_parse`
//!
//! Feeds arbitrary bytes, read as lossy UTF-8, to the receipt text parser;
//! any panic is a bug (the parser promises never to panic). Property tests
//! in crates/receipt/tests/never_panics.rs run the same call on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = receipt::text::parse(&String::from_utf8_lossy(data));
});

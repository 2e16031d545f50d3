//! `cargo +nightly fuzz run udh_parse`
//!
//! Feeds arbitrary bytes to the UDH parser (TS 23.040 §9.2.3.24) and decodes the
//! body with the national tables its IEs name. The body is `text::fuzzing::udh_parse`,
//! which a property test in crates/text/src/fuzzing.rs also runs on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    text::fuzzing::udh_parse(data);
});

//! `cargo +nightly fuzz run modem_pdu`
//!
//! Feeds arbitrary bytes to the SMS PDU decoders (TS 23.040 SMS-DELIVER,
//! SMS-STATUS-REPORT, SMS-SUBMIT) as octets and as modem text, with and without an
//! SMSC address, and checks that a sane SMS-DELIVER encodes back to itself. The body
//! is `modem::fuzzing::pdu`, which property tests in crates/modem also run on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    modem::fuzzing::pdu(data);
});

//! The bodies of the fuzz targets in `fuzz/fuzz_targets/` (`udh_parse`,
//! `septet_unpack`). They live here so that the crate's property tests run the
//! very same calls on stable Rust and the targets cannot rot unnoticed.

use crate::decode::{decode_user_data, parse_udh};
use crate::gsm7::national::{Language, Shift};
use crate::gsm7::{self, decode_unpacked_with};

/// Parses `data` as a short message with UDHI set, reads every IE we understand,
/// and decodes the body under a few data coding values. Must never panic.
pub fn udh_parse(data: &[u8]) {
    if let Ok((udh, body)) = parse_udh(data) {
        let _ = udh.concat();
        let shift = udh.shift();
        let _ = decode_unpacked_with(&shift.tables(), body);
        let _ = udh.to_bytes();
    }
    for data_coding in [0x00, 0x08, 0xF0] {
        let _ = decode_user_data(data_coding, data, true);
    }
}

/// Reads `data` as: septet count, fill bits, locking and single shift language
/// identifiers, then packed user data; unpacks and decodes it. Must never panic.
pub fn septet_unpack(data: &[u8]) {
    let [count, fill, locking, single, packed @ ..] = data else {
        return;
    };
    let septets = gsm7::unpack(packed, usize::from(*count), *fill);
    let shift = Shift { locking: Language::from_id(*locking), single: Language::from_id(*single) };
    let text = decode_unpacked_with(&shift.tables(), &septets);
    // What decodes re-encodes, unless it holds U+FFFD or an escape stand-in.
    let _ = gsm7::encode_unpacked_with(&shift.tables(), &text);
}

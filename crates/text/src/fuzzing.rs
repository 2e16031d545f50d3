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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn udh_with_shift_ies_and_short_inputs() {
        udh_parse(&[]);
        udh_parse(&[0x06, 0x24, 0x01, 0x0D, 0x25, 0x01, 0x0D, 0x1B]);
        udh_parse(&[0xFF]);
        septet_unpack(&[]);
        septet_unpack(&[200, 9, 4, 13, 0xFF, 0xFF]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn udh_parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            udh_parse(&data);
        }

        /// Starts most inputs with a plausible UDH so the IE paths get exercised.
        #[test]
        fn udh_parse_never_panics_on_shift_ies(
            ies in proptest::collection::vec((prop_oneof![Just(0x24u8), Just(0x25), Just(0x00), Just(0x08), any::<u8>()], proptest::collection::vec(any::<u8>(), 0..5)), 0..6),
            body in proptest::collection::vec(any::<u8>(), 0..160),
        ) {
            let mut data = vec![0];
            for (id, ied) in &ies {
                data.push(*id);
                data.push(ied.len() as u8);
                data.extend_from_slice(ied);
            }
            data[0] = (data.len() - 1) as u8;
            data.extend_from_slice(&body);
            udh_parse(&data);
        }

        #[test]
        fn septet_unpack_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            septet_unpack(&data);
        }
    }
}

use super::*;
use proptest::prelude::*;

/// TS 23.038 §6.2.1 default alphabet typed from the spec's table, column by
/// column (code-point order). '\u{1B}' stands in for the escape at 0x1B.
const SPEC_DEFAULT: &str = "@£$¥èéùìòÇ\nØø\rÅå\
                            Δ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ\
                            \u{20}!\"#¤%&'()*+,-./\
                            0123456789:;<=>?\
                            ¡ABCDEFGHIJKLMNO\
                            PQRSTUVWXYZÄÖÑÜ§\
                            ¿abcdefghijklmno\
                            pqrstuvwxyzäöñüà";

/// TS 23.038 §6.2.1.1 extension table: (code after escape, character).
const SPEC_EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

#[test]
fn default_alphabet_matches_spec_table() {
    let spec: Vec<char> = SPEC_DEFAULT.chars().collect();
    assert_eq!(spec.len(), 128);
    for (code, &ch) in spec.iter().enumerate() {
        let code = code as u8;
        if code == ESCAPE {
            assert_eq!(septet_len(ch), None, "U+001B is not encodable");
            continue;
        }
        assert_eq!(encode_unpacked(&ch.to_string()), Ok(vec![code]), "{ch:?}");
        assert_eq!(decode_unpacked(&[code]), ch.to_string(), "{code:#04x}");
        assert_eq!(septet_len(ch), Some(1));
    }
}

#[test]
fn spot_checks_of_well_known_codes() {
    for (ch, code) in [('@', 0x00), ('Δ', 0x10), ('ß', 0x1E), ('É', 0x1F), ('¤', 0x24)].into_iter().chain([
        ('¡', 0x40),
        ('§', 0x5F),
        ('¿', 0x60),
        ('à', 0x7F),
        ('\n', 0x0A),
    ]) {
        assert_eq!(encode_unpacked(&ch.to_string()), Ok(vec![code]), "{ch:?}");
    }
}

#[test]
fn extension_table_matches_spec() {
    for (code, ch) in SPEC_EXTENSION {
        assert_eq!(encode_unpacked(&ch.to_string()), Ok(vec![ESCAPE, code]), "{ch:?}");
        assert_eq!(decode_unpacked(&[ESCAPE, code]), ch.to_string());
        assert_eq!(septet_len(ch), Some(2));
    }
}

#[test]
fn whole_table_round_trips() {
    let mut text: String = SPEC_DEFAULT.chars().filter(|&c| c != '\u{1B}').collect();
    text.extend(SPEC_EXTENSION.iter().map(|&(_, c)| c));
    let septets = encode_unpacked(&text).unwrap();
    assert_eq!(septets.len(), 127 + 2 * 10);
    assert_eq!(decode_unpacked(&septets), text);
}

#[test]
fn nothing_else_is_encodable() {
    let known: Vec<char> =
        SPEC_DEFAULT.chars().filter(|&c| c != '\u{1B}').chain(SPEC_EXTENSION.iter().map(|&(_, c)| c)).collect();
    for cp in 0..0x2200u32 {
        let Some(ch) = char::from_u32(cp) else {
            continue;
        };
        assert_eq!(septet_len(ch).is_some(), known.contains(&ch), "{ch:?}");
    }
}

#[test]
fn unencodable_names_char_and_index() {
    assert_eq!(encode_unpacked("a€b`c"), Err(Unencodable { ch: '`', index: 3 }));
    assert_eq!(septet_len('ç'), None);
    assert_eq!(septet_len('😀'), None);
}

#[test]
fn decode_is_lenient() {
    // Unknown escape: the default-table character (TS 23.038 §6.2.1.1 note).
    assert_eq!(decode_unpacked(&[ESCAPE, 0x41]), "A");
    // Escape escape and a trailing escape: space.
    assert_eq!(decode_unpacked(&[ESCAPE, ESCAPE, 0x41]), " A");
    assert_eq!(decode_unpacked(&[0x41, ESCAPE]), "A ");
    // Not a septet.
    assert_eq!(decode_unpacked(&[0x80, 0xFF]), "\u{FFFD}\u{FFFD}");
    assert_eq!(decode_unpacked(&[ESCAPE, 0x80]), "\u{FFFD}");
}

#[test]
fn hellohello_packing_vector() {
    // TS 23.038 §6.1.2.1.1 example.
    let septets = encode_unpacked("hellohello").unwrap();
    let packed = pack(&septets, 0);
    assert_eq!(packed, [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]);
    assert_eq!(unpack(&packed, 10, 0), septets);
}

#[test]
fn packing_after_a_udh_uses_fill_bits() {
    assert_eq!(fill_bits(0), 0);
    assert_eq!(fill_bits(6), 1); // 8-bit concat UDH: 48 bits, 1 fill bit
    assert_eq!(fill_bits(7), 0); // 16-bit concat UDH: 56 bits
    assert_eq!(fill_bits(5), 2);
    // "hi" after one fill bit: h = 0x68 << 1, then i on the next octet.
    assert_eq!(pack(&[0x68, 0x69], 1), [0xD0, 0x69]);
    assert_eq!(unpack(&[0xD0, 0x69], 2, 1), [0x68, 0x69]);
}

#[test]
fn packed_lengths() {
    assert_eq!(pack(&[], 0), Vec::<u8>::new());
    assert_eq!(pack(&[0x7F; 8], 0), vec![0xFF; 7]);
    assert_eq!(pack(&[0; 160], 0).len(), 140);
    assert_eq!(pack(&[0; 153], 1).len(), 134);
    assert_eq!(pack(&[0; 152], 0).len(), 133);
}

#[test]
fn unpack_stops_at_short_input() {
    assert_eq!(unpack(&[0xE8, 0x32], 10, 0), [0x68, 0x65]);
    assert_eq!(unpack(&[], 3, 6), Vec::<u8>::new());
    assert_eq!(unpack(&[0xFF], 1, 6), Vec::<u8>::new());
}

proptest! {
    #[test]
    fn pack_unpack_round_trip(
        septets in proptest::collection::vec(0u8..0x80, 0..200),
        fill in 0u8..7,
    ) {
        let packed = pack(&septets, fill);
        prop_assert_eq!(packed.len(), (usize::from(fill) + 7 * septets.len()).div_ceil(8));
        prop_assert_eq!(unpack(&packed, septets.len(), fill), septets);
    }

    #[test]
    fn unpack_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..50), n in 0usize..80, fill in any::<u8>()) {
        let _ = unpack(&bytes, n, fill);
    }

    #[test]
    fn decode_never_panics_and_encodable_text_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let text = decode_unpacked(&bytes);
        if let Ok(septets) = encode_unpacked(&text) {
            prop_assert_eq!(decode_unpacked(&septets), text);
        }
    }
}

/// The ASCII shortcut of the default table finds what a search of it finds,
/// for every ASCII character, and only for the default table.
#[test]
fn ascii_codes_are_the_default_tables() {
    for ch in (0u8..128).map(char::from) {
        let searched = match ch {
            ESCAPE_SLOT => None,
            _ => DEFAULT_ALPHABET.iter().position(|&c| c == ch).map(|code| code as u8),
        };
        assert_eq!(Tables::DEFAULT.locking_code(ch), searched, "{ch:?}");
    }
    // A copy of the table at another address is searched, and agrees.
    static COPY: [char; 128] = DEFAULT_ALPHABET;
    let copy = Tables { locking: &COPY, single: &DEFAULT_EXTENSION };
    for ch in (0u8..128).map(char::from) {
        assert_eq!(copy.locking_code(ch), Tables::DEFAULT.locking_code(ch), "{ch:?}");
    }
}

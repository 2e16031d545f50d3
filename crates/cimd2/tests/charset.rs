//! The CIMD character set: the spec's examples, the whole table, round trips.

use cimd2::charset::{decode, encode, is_representable, UnrepresentableChar, COMBINATIONS};
use proptest::prelude::*;

/// The spec's examples 21 and 22: the first characters of the GSM alphabet
/// over an 8-bit link (ISO-8859-1 octets) and over a 7-bit link (special
/// combinations).
#[test]
fn spec_examples_eight_bit_and_seven_bit_forms() {
    let text = "@£$¥èéùìòÇ";
    let eight_bit: Vec<u8> = text.chars().map(|c| c as u8).collect();
    assert_eq!(eight_bit, [64, 163, 36, 165, 232, 233, 249, 236, 242, 199]);
    assert_eq!(decode(&eight_bit), text);
    let seven_bit = "_Oa_L-$_Y-_e`_e'_u`_i`_o`_C,";
    assert_eq!(decode(seven_bit.as_bytes()), text);
    assert_eq!(encode(text).as_deref(), Ok(seven_bit.as_bytes()));
}

/// Every special combination, spelled out (the table under test, not the
/// table in the code).
#[test]
fn every_special_combination() {
    let table = [
        ("_Oa", '@'),
        ("_L-", '£'),
        ("_Y-", '¥'),
        ("_e`", 'è'),
        ("_e'", 'é'),
        ("_u`", 'ù'),
        ("_i`", 'ì'),
        ("_o`", 'ò'),
        ("_C,", 'Ç'),
        ("_O/", 'Ø'),
        ("_o/", 'ø'),
        ("_A*", 'Å'),
        ("_a*", 'å'),
        ("_gd", 'Δ'),
        ("_--", '_'),
        ("_gf", 'Φ'),
        ("_gg", 'Γ'),
        ("_gl", 'Λ'),
        ("_go", 'Ω'),
        ("_gp", 'Π'),
        ("_gi", 'Ψ'),
        ("_gs", 'Σ'),
        ("_gt", 'Θ'),
        ("_gx", 'Ξ'),
        ("_AE", 'Æ'),
        ("_ae", 'æ'),
        ("_ss", 'ß'),
        ("_E'", 'É'),
        ("_qq", '"'),
        ("_ox", '¤'),
        ("_!!", '¡'),
        ("_A\"", 'Ä'),
        ("_O\"", 'Ö'),
        ("_N~", 'Ñ'),
        ("_U\"", 'Ü'),
        ("_so", '§'),
        ("_??", '¿'),
        ("_a\"", 'ä'),
        ("_o\"", 'ö'),
        ("_n~", 'ñ'),
        ("_u\"", 'ü'),
        ("_a`", 'à'),
    ];
    for (cimd, ch) in table {
        assert_eq!(decode(cimd.as_bytes()), ch.to_string(), "{cimd}");
        assert_eq!(encode(&ch.to_string()).as_deref(), Ok(cimd.as_bytes()), "{ch}");
    }
    // 42 characters plus `_XX`, the escape.
    assert_eq!(COMBINATIONS.len(), table.len() + 1);
    let mut seen: Vec<&str> = COMBINATIONS.iter().map(|(s, _)| *s).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), COMBINATIONS.len(), "each combination once");
}

/// The extension table through `_XX`, as the spec's FAQ lists it.
#[test]
fn extension_characters() {
    let table = [
        ("_XX_!!", '|'),
        ("_XX_gl", '^'),
        ("_XXe", '€'),
        ("_XX(", '{'),
        ("_XX)", '}'),
        ("_XX\n", '\u{0C}'),
        ("_XX<", '['),
        ("_XX>", ']'),
        ("_XX=", '~'),
        ("_XX/", '\\'),
    ];
    for (cimd, ch) in table {
        assert_eq!(decode(cimd.as_bytes()), ch.to_string(), "{cimd:?}");
        assert_eq!(encode(&ch.to_string()).as_deref(), Ok(cimd.as_bytes()), "{ch:?}");
    }
}

#[test]
fn plain_ascii_passes_through() {
    let text = "Hello, World! 0123456789 #%&'()*+-./:;<=>?\r\n";
    assert_eq!(encode(text).as_deref(), Ok(text.as_bytes()));
    assert_eq!(decode(text.as_bytes()), text);
}

/// The single characters whose GSM code differs from their ASCII code, as
/// Kannel's smsc_cimd2.c reads them.
#[test]
fn single_character_mappings() {
    assert_eq!(decode(b"@$]}"), "@$Åå");
}

#[test]
fn lenient_decoding_never_loses_a_character() {
    assert_eq!(decode(b"a_b"), "a_b", "a lone underscore stays");
    assert_eq!(decode(b"_"), "_");
    assert_eq!(decode(b"__Oa"), "_@");
    assert_eq!(decode(b"_XX"), "", "a trailing escape shows nothing");
    assert_eq!(decode(b"_XX_XX"), " ", "escape escape is a space");
    assert_eq!(decode(b"_XXA"), "A", "an unknown extension shows its base character");
    assert_eq!(decode(&[0xA9]), "©", "8-bit octets are Latin-1");
}

#[test]
fn unrepresentable_characters_are_named() {
    assert_eq!(encode("ab\u{263A}"), Err(UnrepresentableChar { ch: '\u{263A}', index: 2 }));
    assert_eq!(encode("tab\there"), Err(UnrepresentableChar { ch: '\t', index: 3 }));
    assert!(!is_representable("ç"), "lower-case c cedilla is not in the GSM alphabet");
    assert!(is_representable("Ç€[]"));
}

fn gsm_char() -> impl Strategy<Value = char> {
    let all: Vec<char> = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\u{0C}^{}\\[~]|€"
        .chars()
        .collect();
    proptest::sample::select(all)
}

proptest! {
    #[test]
    fn every_gsm_text_round_trips(text in proptest::collection::vec(gsm_char(), 0..200)) {
        let text: String = text.into_iter().collect();
        prop_assert!(is_representable(&text));
        let cimd = encode(&text);
        prop_assert!(cimd.is_ok());
        let cimd = cimd.unwrap_or_default();
        prop_assert!(cimd.iter().all(|&b| (0x20..0x7F).contains(&b) || b == b'\n' || b == b'\r'), "7-bit printable");
        prop_assert_eq!(decode(&cimd), text);
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode(&bytes);
    }
}

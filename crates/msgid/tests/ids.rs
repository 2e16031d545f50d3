//! Id keys: hex and decimal sides, case, leading zeros, fallback.

use msgid::{normalise, DlrIdFormat, IdFormat};
use proptest::prelude::*;

const HEX_TO_DEC: DlrIdFormat = DlrIdFormat { submit: IdFormat::Hex, receipt: IdFormat::Decimal };
const DEC_TO_HEX: DlrIdFormat = DlrIdFormat { submit: IdFormat::Decimal, receipt: IdFormat::Hex };

#[test]
fn hex_submit_decimal_receipt() {
    assert_eq!(HEX_TO_DEC.submit_key("f4240"), "1000000");
    assert_eq!(HEX_TO_DEC.receipt_key("1000000"), "1000000");
    assert_eq!(HEX_TO_DEC.submit_key("F4240"), HEX_TO_DEC.receipt_key("0001000000"));
    assert_eq!(HEX_TO_DEC.submit_key("0x000F4240\0"), HEX_TO_DEC.receipt_key(" 1000000 "));
}

#[test]
fn decimal_submit_hex_receipt() {
    assert_eq!(DEC_TO_HEX.submit_key("1000000"), DEC_TO_HEX.receipt_key("F4240"));
    assert_ne!(DEC_TO_HEX.submit_key("1000001"), DEC_TO_HEX.receipt_key("F4240"));
}

#[test]
fn string_formats() {
    let as_is = DlrIdFormat::default();
    assert_eq!(as_is.submit_key(" AbC-1\0\0"), "AbC-1");
    assert_ne!(as_is.submit_key("AbC"), as_is.receipt_key("abc"));
    assert_ne!(as_is.submit_key("0123"), as_is.receipt_key("123"), "leading zeros matter as-is");
    let ci = DlrIdFormat::both(IdFormat::CaseInsensitive);
    assert_eq!(ci.submit_key("AbC-1"), ci.receipt_key("abc-1\n"));
}

#[test]
fn non_numeric_ids_fall_back_to_lowercase() {
    assert_eq!(HEX_TO_DEC.submit_key("MSG-ABC"), "msg-abc");
    assert_eq!(HEX_TO_DEC.submit_key("MSG-ABC"), HEX_TO_DEC.receipt_key("msg-abc"));
    // `+` is not a digit, although from_str_radix would take it.
    assert_eq!(HEX_TO_DEC.receipt_key("+100"), "+100");
    // More than 128 bits.
    let big = "1".repeat(40);
    assert_eq!(HEX_TO_DEC.receipt_key(&big), big);
    assert_eq!(HEX_TO_DEC.submit_key(""), "");
    assert_eq!(HEX_TO_DEC.submit_key("0x"), "0x");
}

#[test]
fn normalise_per_format() {
    assert_eq!(normalise(" 00AbC ", IdFormat::AsIs), "00AbC");
    assert_eq!(normalise(" 00AbC ", IdFormat::CaseInsensitive), "00abc");
    assert_eq!(normalise("000F4240", IdFormat::Hex), "f4240");
    assert_eq!(normalise("0x000F4240", IdFormat::Hex), "f4240");
    assert_eq!(normalise("0000", IdFormat::Hex), "0");
    assert_eq!(normalise("0001000000\0", IdFormat::Decimal), "1000000");
    assert_eq!(normalise("12ab", IdFormat::Decimal), "12ab");
    assert_eq!(normalise("XYZ-1", IdFormat::Hex), "xyz-1");
}

#[test]
fn serde_names() {
    let f: Result<DlrIdFormat, _> = serde_json::from_str(r#"{"submit":"hex","receipt":"decimal"}"#);
    assert_eq!(f.ok(), Some(HEX_TO_DEC));
    for (name, format) in [
        ("as_is", IdFormat::AsIs),
        ("hex", IdFormat::Hex),
        ("decimal", IdFormat::Decimal),
        ("case_insensitive", IdFormat::CaseInsensitive),
    ] {
        assert_eq!(serde_json::to_string(&format).ok(), Some(format!("\"{name}\"")));
    }
    let defaulted: Result<DlrIdFormat, _> = serde_json::from_str("{}");
    assert_eq!(defaulted.ok(), Some(DlrIdFormat::default()));
    let unknown: Result<DlrIdFormat, _> = serde_json::from_str(r#"{"submit":"hex","recipt":"hex"}"#);
    assert!(unknown.is_err(), "typos in config must be rejected");
}

proptest! {
    #[test]
    fn hex_and_decimal_sides_agree(n: u64, zeros in 0usize..12, upper: bool) {
        let hex = if upper { format!("{n:X}") } else { format!("{n:x}") };
        let padded_hex = format!("{}{hex}", "0".repeat(zeros));
        let padded_dec = format!("{}{n}", "0".repeat(zeros));
        prop_assert_eq!(HEX_TO_DEC.submit_key(&hex), HEX_TO_DEC.receipt_key(&n.to_string()));
        prop_assert_eq!(HEX_TO_DEC.submit_key(&padded_hex), HEX_TO_DEC.receipt_key(&padded_dec));
        prop_assert_eq!(DEC_TO_HEX.submit_key(&padded_dec), DEC_TO_HEX.receipt_key(&padded_hex));
        prop_assert_eq!(HEX_TO_DEC.submit_key(&hex), n.to_string());
        prop_assert_eq!(normalise(&padded_hex, IdFormat::Hex), format!("{n:x}"));
        prop_assert_eq!(normalise(&padded_dec, IdFormat::Decimal), n.to_string());
    }

    #[test]
    fn different_numbers_never_collide(a: u64, b: u64) {
        prop_assume!(a != b);
        prop_assert_ne!(HEX_TO_DEC.submit_key(&format!("{a:x}")), HEX_TO_DEC.receipt_key(&b.to_string()));
    }

    #[test]
    fn keys_are_idempotent_for_string_formats(id in "\\PC{0,30}") {
        for f in [IdFormat::AsIs, IdFormat::CaseInsensitive, IdFormat::Hex, IdFormat::Decimal] {
            let once = normalise(&id, f);
            prop_assert_eq!(normalise(&once, f), once.clone(), "{:?}", f);
        }
    }
}

//! IRA-hex and its alphabets, the OTOA 5039 originator, XSer and time stamps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use ucp::ira::{self, Alphabet, IRA_GSM_DIFFERENCES};
use ucp::{alphanumeric, xser, ExtraService, Msg, Sm, Timestamp};

#[test]
fn ira_is_ascii_code_for_code() {
    assert_eq!(ira::encode_hex("Message 51", Alphabet::Ira).unwrap(), "4D657373616765203531");
    for b in 0u8..0x80 {
        assert_eq!(ira::encode_text(&char::from(b).to_string(), Alphabet::Ira).unwrap(), vec![b]);
    }
    assert_eq!(ira::encode_text("é", Alphabet::Ira).unwrap_err().ch, 'é');
    assert_eq!(ira::decode_text(&[0x41, 0xE9], Alphabet::Ira), "A\u{FFFD}");
}

/// The table of IRA characters whose GSM code differs is exactly right, and
/// complete: every other printable IRA character has the same code in GSM.
#[test]
fn ira_gsm_differences_table() {
    for (ch, ira_code, gsm) in IRA_GSM_DIFFERENCES {
        assert_eq!(ira::encode_text(&ch.to_string(), Alphabet::Ira).unwrap(), vec![ira_code]);
        match ira::encode_text(&ch.to_string(), Alphabet::Gsm) {
            Ok(septets) => assert_eq!(septets, gsm, "{ch}"),
            Err(_) => assert!(gsm.is_empty(), "{ch}"),
        }
    }
    for b in 0x20u8..0x7F {
        let ch = char::from(b);
        if IRA_GSM_DIFFERENCES.iter().any(|&(c, _, _)| c == ch) {
            continue;
        }
        assert_eq!(ira::encode_text(&ch.to_string(), Alphabet::Gsm).unwrap(), vec![b], "{ch:?}");
    }
}

#[test]
fn gsm_alphabet_in_amsg() {
    // '@' is 0x40 in IRA and 0x00 in GSM; '€' only exists in GSM (escape 0x65).
    assert_eq!(ira::encode_hex("a@b", Alphabet::Ira).unwrap(), "614062");
    assert_eq!(ira::encode_hex("a@b€", Alphabet::Gsm).unwrap(), "6100621B65");
    assert_eq!(ira::decode_hex("6100621B65", Alphabet::Gsm).unwrap(), "a@b€");
    let msg = Msg::alphanumeric("£5", Alphabet::Gsm).unwrap();
    assert_eq!(msg, Msg::Alphanumeric(vec![0x01, 0x35]));
    assert_eq!(msg.text(Alphabet::Gsm).unwrap(), "£5");
}

#[test]
fn alphanumeric_originator_lengths() {
    // Useful semi-octets: ceil(7 * septets / 4).
    for (name, semi) in [("A", 2), ("AB", 4), ("ABCD", 7), ("Acme", 7), ("ABCDEFG", 13), ("ABCDEFGH", 14)] {
        let oadc = alphanumeric::encode(name).unwrap();
        assert_eq!(u8::from_str_radix(&oadc[..2], 16).unwrap(), semi, "{name}");
        assert_eq!(alphanumeric::decode(&oadc).unwrap(), name);
    }
    assert!(matches!(alphanumeric::encode("ABCDEFGHIJKL"), Err(alphanumeric::OriginatorError::TooLong { .. })));
    assert!(alphanumeric::encode("Ωmega").is_ok(), "Greek capitals are GSM");
    assert!(alphanumeric::encode("日本").is_err());
    assert_eq!(alphanumeric::decode("zz"), None);
    let sm = Sm { oadc: "10412614190438AB4D".into(), ..Sm::default() };
    assert_eq!(sm.alphanumeric_originator(), None, "only with OTOA 5039");
}

proptest! {
    #[test]
    fn alphanumeric_originator_round_trip(name in "[A-Za-z0-9 @$_!?.-]{1,11}") {
        let oadc = alphanumeric::encode(&name).unwrap();
        prop_assert!(oadc.len() <= 22);
        prop_assert_eq!(alphanumeric::decode(&oadc).unwrap(), name);
    }

    #[test]
    fn alphanumeric_decode_never_panics(oadc in "[0-9A-Fa-f]{0,40}") {
        let _ = alphanumeric::decode(&oadc);
    }
}

/// A concatenation UDH (TS 23.040 §9.2.3.24.1: reference 0x42, 3 parts, part 1)
/// and a DCS in XSer, as `TT LL DD..`.
#[test]
fn xser_carries_udh_and_dcs() {
    let udh = [0x05, 0x00, 0x03, 0x42, 0x03, 0x01];
    let sm = Sm {
        adc: "31612345678".into(),
        oadc: "1234".into(),
        msg: Msg::transparent(b"part one".to_vec()),
        xser: vec![ExtraService::udh(udh), ExtraService::dcs(0xF5)],
        ..Sm::default()
    };
    let bytes = ucp::to_bytes(&ucp::Message::new(ucp::Trn::default(), ucp::Body::Submit(sm.clone()))).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("/01060500034203010201F5/"), "{text}");
    assert!(text.contains("/4/64/70617274206F6E65/"), "{text}");
    let back = ucp::decode(&mut bytes.clone()).unwrap().unwrap();
    let ucp::Body::Submit(back) = back.body else { panic!() };
    assert_eq!(back.udh(), Some(&udh[..]));
    assert_eq!(xser::find(&back.xser, xser::GSM_DCS), Some(&[0xF5][..]));
}

#[test]
fn xser_truncated_service_is_an_error() {
    let frame = |xser: &str| {
        // AdC, 29 empty fields, XSer (field 31), RES4, RES5.
        let fields = format!("1/{}{xser}///", "/".repeat(29));
        let body = format!("00/{:05}/O/51/{fields}", 16 + fields.len());
        format!("\u{2}{body}{:02X}\u{3}", ucp::frame::checksum(body.as_bytes()))
    };
    let ok = ucp::decode(&mut frame("0201F5").as_bytes().into()).unwrap().unwrap();
    let ucp::Body::Submit(sm) = ok.body else { panic!() };
    assert_eq!(sm.xser, vec![ExtraService::dcs(0xF5)]);
    let e = ucp::decode(&mut frame("0202F5").as_bytes().into()).unwrap_err();
    assert!(matches!(e, ucp::DecodeError::Fields { source: ucp::FieldError::XSer { kind: 2 }, .. }), "{e:?}");
}

#[test]
fn timestamps() {
    let t = Timestamp::parse("090196161057").unwrap();
    assert_eq!((t.day, t.month, t.year, t.hour, t.minute, t.second), (9, 1, 96, 16, 10, Some(57)));
    assert_eq!(t.to_string(), "090196161057");
    let t = Timestamp::parse("0808971800").unwrap();
    assert_eq!((t.second, t.to_string().as_str()), (None, "0808971800"));
    for bad in ["", "32019612", "3201961212", "0013961212", "0101962400", "010196120060", "01019612a0", "01019612000"] {
        assert_eq!(Timestamp::parse(bad), None, "{bad}");
    }
}

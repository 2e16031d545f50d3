//! from_deliver_sm: which PDUs are receipts, and which source wins.

use bytes::Bytes;
use receipt::{from_deliver_sm, FinalState, NetworkError};
use smpp::tlv::tag;
use smpp::{Sm, Tlv};

const TEXT: &str =
    "id:12345 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 text:hi";

fn sm(esm_class: u8, short_message: &str, tlvs: Vec<Tlv>) -> Sm {
    Sm { esm_class, short_message: Bytes::from(short_message.to_owned()), tlvs, ..Sm::default() }
}

#[test]
fn esm_class_message_type_decides() {
    // (esm_class, is a receipt, intermediate)
    let cases = [
        (0x00, false, false), // normal MO
        (0x04, true, false),  // SMSC delivery receipt
        (0x20, true, true),   // intermediate delivery notification
        (0x08, false, false), // SME delivery acknowledgement
        (0x10, false, false), // SME manual/user acknowledgement
        (0x18, false, false), // conversation abort
        (0x40, false, false), // UDHI only
        (0x44, true, false),  // receipt with UDHI: other bits do not matter
        (0x84, true, false),  // receipt with reply path
        (0x24, false, false), // two type bits set: neither type
    ];
    for (esm, is_receipt, intermediate) in cases {
        let r = from_deliver_sm(&sm(esm, TEXT, vec![]));
        assert_eq!(r.is_some(), is_receipt, "esm_class {esm:#04x}");
        if let Some(r) = r {
            assert_eq!(r.intermediate, intermediate, "esm_class {esm:#04x}");
            assert_eq!(r.message_id, "12345");
            assert_eq!(r.state, FinalState::Delivered);
        }
    }
}

#[test]
fn receipted_message_id_alone_makes_a_receipt() {
    let r = from_deliver_sm(&sm(
        0x00,
        "",
        vec![Tlv::cstring(tag::RECEIPTED_MESSAGE_ID, "abc"), Tlv::u8(tag::MESSAGE_STATE, 5)],
    ));
    let r = r.as_ref().map(|r| (r.message_id.as_str(), r.state, r.text.is_none(), r.intermediate));
    assert_eq!(r, Some(("abc", FinalState::Undeliverable, true, false)));
}

#[test]
fn tlvs_win_over_text() {
    let tlvs = vec![
        Tlv::cstring(tag::RECEIPTED_MESSAGE_ID, "3039"),
        Tlv::u8(tag::MESSAGE_STATE, 8), // REJECTED, while the text says DELIVRD
    ];
    let r = from_deliver_sm(&sm(0x04, TEXT, tlvs));
    let r = r.as_ref().map(|r| (r.message_id.as_str(), r.state, r.text.as_ref().and_then(|t| t.id.as_deref())));
    assert_eq!(r, Some(("3039", FinalState::Rejected, Some("12345"))));
}

#[test]
fn unusable_tlvs_fall_back_to_text() {
    let tlvs = vec![
        Tlv::cstring(tag::RECEIPTED_MESSAGE_ID, " "),
        Tlv::u8(tag::MESSAGE_STATE, 0),            // SCHEDULED (5.0), not a 3.4 state
        Tlv::u16(tag::NETWORK_ERROR_CODE, 0x0101), // two octets, not three
    ];
    let r = from_deliver_sm(&sm(0x04, TEXT, tlvs));
    let r = r.as_ref().map(|r| (r.message_id.as_str(), r.state, r.network_error));
    assert_eq!(r, Some(("12345", FinalState::Delivered, None)));

    let wide = vec![Tlv::u16(tag::MESSAGE_STATE, 2)]; // message_state is one octet
    let r = from_deliver_sm(&sm(0x04, "id:1 stat:EXPIRED", wide)).map(|r| r.state);
    assert_eq!(r, Some(FinalState::Expired));
}

#[test]
fn network_error_code_is_type_then_big_endian_code() {
    let tlvs = vec![Tlv::new(tag::NETWORK_ERROR_CODE, vec![3u8, 0x01, 0x02])];
    let r = from_deliver_sm(&sm(0x04, "id:1 stat:UNDELIV err:258", tlvs));
    assert_eq!(r.and_then(|r| r.network_error), Some(NetworkError { network_type: 3, code: 0x0102 }));
}

#[test]
fn message_payload_when_short_message_is_empty() {
    let tlvs = vec![Tlv::new(tag::MESSAGE_PAYLOAD, Bytes::from_static(b"id:777 stat:ENROUTE text:long"))];
    let r = from_deliver_sm(&sm(0x20, "", tlvs));
    let r = r.as_ref().map(|r| (r.message_id.as_str(), r.state, r.intermediate, r.state.is_final()));
    assert_eq!(r, Some(("777", FinalState::Enroute, true, false)));
}

#[test]
fn short_message_is_read_as_latin1() {
    // 0xE9 is 'é' in Latin-1 and not valid UTF-8 on its own.
    let mut bytes = b"id:9 stat:DELIVRD text:caf".to_vec();
    bytes.push(0xE9);
    let pdu = Sm { esm_class: 0x04, short_message: Bytes::from(bytes), ..Sm::default() };
    let text = from_deliver_sm(&pdu).and_then(|r| r.text).and_then(|t| t.text);
    assert_eq!(text.as_deref(), Some("café"));
}

#[test]
fn a_receipt_without_any_id_is_still_a_receipt() {
    // Not an MO: the sender must not deliver "garbage" to a user.
    let r = from_deliver_sm(&sm(0x04, "garbage", vec![]));
    let r = r.as_ref().map(|r| (r.message_id.as_str(), r.state, r.text.is_none()));
    assert_eq!(r, Some(("", FinalState::Unknown, true)));
}

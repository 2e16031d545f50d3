//! Framing and error-contract behaviour of decode/encode.

use bytes::{Bytes, BytesMut};
use smpp::{
    decode, decode_with_max, encode, status, Bind, Body, DecodeError, EncodeError, Pdu, Sm, SmResp, MAX_PDU_LEN,
};

fn submit(msg: &'static [u8]) -> Pdu {
    Pdu::new(
        1,
        Body::SubmitSm(Sm {
            source_addr: "Acme".into(),
            destination_addr: "4477".into(),
            short_message: Bytes::from_static(msg),
            ..Sm::default()
        }),
    )
}

fn bytes_of(pdu: &Pdu) -> BytesMut {
    let mut b = BytesMut::new();
    assert_eq!(encode(pdu, &mut b), Ok(()));
    b
}

#[test]
fn waits_for_a_whole_frame_without_consuming() {
    let full = bytes_of(&submit(b"hi"));
    for cut in 0..full.len() {
        let mut buf = BytesMut::from(&full[..cut]);
        assert_eq!(decode(&mut buf), Ok(None), "cut at {cut}");
        assert_eq!(buf.len(), cut);
    }
    let mut buf = full.clone();
    assert_eq!(decode(&mut buf), Ok(Some(submit(b"hi"))));
}

#[test]
fn decodes_back_to_back_frames() {
    let mut buf = bytes_of(&submit(b"one"));
    buf.extend_from_slice(&bytes_of(&Pdu::new(2, Body::EnquireLink)));
    assert_eq!(decode(&mut buf), Ok(Some(submit(b"one"))));
    assert_eq!(decode(&mut buf), Ok(Some(Pdu::new(2, Body::EnquireLink))));
    assert_eq!(decode(&mut buf), Ok(None));
}

#[test]
fn bad_lengths_are_unrecoverable_and_fail_fast() {
    let mut buf = BytesMut::from(&[0u8, 0, 0, 15][..]);
    let e = decode(&mut buf).err();
    assert_eq!(e, Some(DecodeError::LengthTooSmall { length: 15 }));
    assert!(e.is_some_and(|e| !e.is_recoverable() && e.generic_nack().is_none()));

    // Only the 4-octet prefix is there: the length is judged before buffering.
    let mut buf = BytesMut::from(&[0u8, 0x01, 0x00, 0x01][..]);
    assert_eq!(decode(&mut buf), Err(DecodeError::LengthTooLarge { length: 0x10001, max: MAX_PDU_LEN }));
    let mut buf = bytes_of(&submit(b"hello"));
    assert!(matches!(decode_with_max(&mut buf, 20), Err(DecodeError::LengthTooLarge { max: 20, .. })));
}

#[test]
fn malformed_body_is_consumed_and_nackable() {
    // submit_sm whose sm_length (0x20) overruns the frame, then an enquire_link.
    let mut frame = bytes_of(&submit(b"hello")).to_vec();
    let sm_len_at = frame.len() - 6;
    assert_eq!(frame[sm_len_at], 5);
    frame[sm_len_at] = 0x20;
    let mut buf = BytesMut::from(&frame[..]);
    buf.extend_from_slice(&bytes_of(&Pdu::new(2, Body::EnquireLink)));

    let err = decode(&mut buf).err();
    assert!(matches!(&err, Some(DecodeError::Body { sequence: 1, .. })), "{err:?}");
    let err = err.unwrap_or(DecodeError::LengthTooSmall { length: 0 });
    assert!(err.is_recoverable());
    assert_eq!(err.generic_nack(), Some(Pdu::generic_nack(1, status::ESME_RINVCMDLEN)));
    assert_eq!(decode(&mut buf), Ok(Some(Pdu::new(2, Body::EnquireLink))));
}

#[test]
fn malformed_response_is_not_nacked() {
    // submit_sm_resp whose message_id has no NUL.
    let mut buf = BytesMut::from(&[0, 0, 0, 0x13, 0x80, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, b'a', b'b', b'c'][..]);
    let err = decode(&mut buf).err();
    assert!(err.as_ref().is_some_and(|e| e.is_recoverable() && e.generic_nack().is_none()), "{err:?}");
    assert!(buf.is_empty());
}

#[test]
fn unterminated_string_is_rejected() {
    let mut buf = BytesMut::from(&[0, 0, 0, 0x13, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, b'a', b'b', b'c'][..]);
    assert!(matches!(decode(&mut buf), Err(DecodeError::Body { .. })));
}

#[test]
fn short_message_shares_the_read_buffer() {
    let buf = bytes_of(&submit(b"zero-copy"));
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
    let mut buf = buf;
    let Ok(Some(Pdu { body: Body::SubmitSm(sm), .. })) = decode(&mut buf) else {
        panic!("not a submit_sm");
    };
    assert_eq!(sm.short_message.as_ref(), b"zero-copy");
    assert!(range.contains(&(sm.short_message.as_ptr() as usize)), "short_message was copied");
}

#[test]
fn latin1_strings_survive_a_round_trip() {
    let mut buf = BytesMut::from(&[0, 0, 0, 0x14, 0x80, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, b'a', 0xE9, 0xFF, 0][..]);
    let pdu = decode(&mut buf);
    let want = Pdu {
        sequence: 1,
        status: 0,
        body: Body::SubmitSmResp(SmResp { message_id: "a\u{e9}\u{ff}".into(), tlvs: vec![] }),
    };
    assert_eq!(pdu, Ok(Some(want.clone())));
    assert_eq!(bytes_of(&want).as_ref(), &[0, 0, 0, 0x14, 0x80, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, b'a', 0xE9, 0xFF, 0]);
}

/// submit_sm's fields before short_message are assembled on the stack:
/// every string at its maximum fits, one octet more is an error, and NUL,
/// Latin-1 and non-Latin-1 text take the same paths as elsewhere.
#[test]
fn submit_sm_strings_at_their_limits() {
    let sm = |service_type: &str, source: &str, destination: &str, time: &str| Sm {
        service_type: service_type.into(),
        source_addr: source.into(),
        destination_addr: destination.into(),
        schedule_delivery_time: time.into(),
        validity_period: time.into(),
        short_message: Bytes::from_static(b"x"),
        ..Sm::default()
    };
    let pdu = |sm: Sm| Pdu::new(3, Body::SubmitSm(sm));
    let full = pdu(sm("CMTxy", &"1".repeat(20), &"2".repeat(20), "261204120000000+"));
    let mut frame = bytes_of(&full);
    assert_eq!(frame.len(), 16 + 6 + 2 + 21 + 2 + 21 + 3 + 17 + 17 + 5 + 1);
    assert_eq!(decode(&mut frame), Ok(Some(full)));
    let mut buf = BytesMut::from(&b"prefix"[..]);
    let err = |field, len, max| Err(EncodeError::FieldTooLong { field, len, max });
    assert_eq!(encode(&pdu(sm("CMTxyz", "1", "2", "")), &mut buf), err("service_type", 6, 5));
    assert_eq!(encode(&pdu(sm("", &"1".repeat(21), "2", "")), &mut buf), err("source_addr", 21, 20));
    assert_eq!(encode(&pdu(sm("", "1", &"2".repeat(21), "")), &mut buf), err("destination_addr", 21, 20));
    assert_eq!(encode(&pdu(sm("", "1", "2", "261204120000000+1")), &mut buf), err("schedule_delivery_time", 17, 16));
    let nul = Err(EncodeError::NulInString { field: "destination_addr" });
    assert_eq!(encode(&pdu(sm("", "1", "4917\0", "")), &mut buf), nul);
    let latin1 = Err(EncodeError::NotLatin1 { field: "source_addr" });
    assert_eq!(encode(&pdu(sm("", "\u{20ac}", "2", "")), &mut buf), latin1);
    assert_eq!(buf.as_ref(), b"prefix", "a refused PDU leaves the buffer as it was");
    // Latin-1 beyond ASCII is one octet each, and reads back the same.
    let accented = pdu(sm("", "Café", "2", ""));
    let mut frame = bytes_of(&accented);
    assert!(frame.windows(5).any(|w| w == b"Caf\xe9\0"));
    assert_eq!(decode(&mut frame), Ok(Some(accented)));
}

#[test]
fn encode_enforces_spec_limits_and_leaves_buffer_untouched() {
    let bind =
        |system_id: &str| Pdu::new(1, Body::BindTransmitter(Bind { system_id: system_id.into(), ..Bind::default() }));
    let mut buf = BytesMut::from(&b"prefix"[..]);
    assert_eq!(encode(&bind("0123456789abcde"), &mut BytesMut::new()), Ok(()));
    assert_eq!(
        encode(&bind("0123456789abcdef"), &mut buf),
        Err(EncodeError::FieldTooLong { field: "system_id", len: 16, max: 15 })
    );
    assert_eq!(encode(&bind("a\0b"), &mut buf), Err(EncodeError::NulInString { field: "system_id" }));
    assert_eq!(encode(&bind("\u{20ac}"), &mut buf), Err(EncodeError::NotLatin1 { field: "system_id" }));
    let long = Pdu::new(1, Body::SubmitSm(Sm { short_message: Bytes::from(vec![b'x'; 255]), ..Sm::default() }));
    assert_eq!(encode(&long, &mut buf), Err(EncodeError::ShortMessageTooLong { len: 255 }));
    let ok = Pdu::new(1, Body::SubmitSm(Sm { short_message: Bytes::from(vec![b'x'; 254]), ..Sm::default() }));
    assert_eq!(encode(&ok, &mut BytesMut::new()), Ok(()));
    assert_eq!(buf.as_ref(), b"prefix");
}

#[test]
fn unknown_request_decodes_as_unknown() {
    let mut buf = BytesMut::from(&[0, 0, 0, 0x10, 0, 0, 0x99, 0x99, 0, 0, 0, 0, 0, 0, 0, 5][..]);
    assert_eq!(decode(&mut buf), Ok(Some(Pdu::new(5, Body::Unknown { command_id: 0x9999, body: Bytes::new() }))));
}

//! The framing and error contract: partial reads, garbage, LEN and checksum
//! errors (which one failed), the frame bound, and the NACK for each error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use ucp::{decode, decode_with_max, encode, error_code, Body, DecodeError, FieldError, Kind, Message, Ot, Trn};

const LOGIN: &[u8] = b"\x0202/00059/O/60/07656765/2/1/1/50617373776F7264//0100//////61\x03";
const ALERT: &[u8] = b"\x0202/00035/O/31/0234765439845/0139/A0\x03";

fn buf(b: &[u8]) -> BytesMut {
    BytesMut::from(b)
}

#[test]
fn waits_for_the_whole_frame_byte_by_byte() {
    let mut b = BytesMut::new();
    for (i, &byte) in LOGIN.iter().enumerate() {
        b.extend_from_slice(&[byte]);
        let r = decode(&mut b);
        if i + 1 < LOGIN.len() {
            assert_eq!(r, Ok(None), "at byte {i}");
            assert_eq!(b.len(), i + 1, "Ok(None) consumes nothing");
        } else {
            assert!(matches!(r, Ok(Some(Message { body: Body::Login(_), .. }))));
            assert!(b.is_empty());
        }
    }
}

#[test]
fn two_frames_in_one_read() {
    let mut b = buf(&[LOGIN, ALERT].concat());
    assert!(matches!(decode(&mut b), Ok(Some(Message { body: Body::Login(_), .. }))));
    assert!(matches!(decode(&mut b), Ok(Some(Message { body: Body::Alert(_), .. }))));
    assert_eq!(decode(&mut b), Ok(None));
}

#[test]
fn garbage_before_stx_is_skipped_with_a_recoverable_error() {
    let mut b = buf(&[b"\r\nnoise".as_slice(), ALERT].concat());
    let e = decode(&mut b).unwrap_err();
    assert_eq!(e, DecodeError::Garbage { skipped: 7 });
    assert!(e.is_recoverable());
    assert_eq!(e.nack(), None);
    assert!(matches!(decode(&mut b), Ok(Some(Message { body: Body::Alert(_), .. }))));

    // Garbage with no STX at all is consumed, so it cannot pile up.
    let mut b = buf(b"hello");
    assert_eq!(decode(&mut b), Err(DecodeError::Garbage { skipped: 5 }));
    assert!(b.is_empty());
    assert_eq!(decode(&mut b), Ok(None));
}

#[test]
fn a_frame_cut_short_by_a_new_stx_is_dropped() {
    let cut = &LOGIN[..20];
    let mut b = buf(&[cut, ALERT].concat());
    assert_eq!(decode(&mut b), Err(DecodeError::Garbage { skipped: 20 }));
    assert!(matches!(decode(&mut b), Ok(Some(Message { body: Body::Alert(_), .. }))));
}

#[test]
fn checksum_error_says_so_and_nacks_with_01() {
    let bad = String::from_utf8_lossy(ALERT).replace("/A0", "/A1");
    let mut b = buf(bad.as_bytes());
    let e = decode(&mut b).unwrap_err();
    let DecodeError::Checksum { header, declared, computed } = &e else { panic!("{e:?}") };
    assert_eq!((header.trn.get(), header.kind, header.ot), (2, Kind::Operation, Ot::ALERT));
    assert_eq!((declared.as_str(), *computed), ("A1", 0xA0));
    assert!(b.is_empty() && e.is_recoverable());
    let nack = e.nack().unwrap();
    let Body::Nack(n) = &nack.body else { panic!() };
    assert_eq!((nack.trn.get(), n.ot, n.ec), (2, Ot::ALERT, error_code::CHECKSUM_ERROR));
    let mut out = BytesMut::new();
    encode(&nack, &mut out).unwrap();
    assert_eq!(&out[..], b"\x0202/00022/R/31/N/01//04\x03");
}

#[test]
fn lowercase_checksum_digits_are_accepted() {
    let frame = b"\x0200/00019/R/60/A//6d\x03";
    assert!(matches!(decode(&mut buf(frame)), Ok(Some(_))));
}

#[test]
fn length_error_says_so_and_nacks_with_02() {
    let bad = String::from_utf8_lossy(ALERT).replace("00035", "00036");
    let e = decode(&mut buf(bad.as_bytes())).unwrap_err();
    assert!(matches!(e, DecodeError::Length { declared: 36, actual: 35, .. }), "{e:?}");
    let Body::Nack(n) = e.nack().unwrap().body else { panic!() };
    assert_eq!(n.ec, error_code::SYNTAX_ERROR);
}

#[test]
fn missing_checksum_is_a_checksum_error() {
    let e = decode(&mut buf(b"\x0200/00017/O/31/0/\x03")).unwrap_err();
    assert!(matches!(e, DecodeError::Length { .. } | DecodeError::Checksum { .. }), "{e:?}");
    let e = decode(&mut buf(b"\x0200/00016/O/31/0/\x03")).unwrap_err();
    assert!(matches!(&e, DecodeError::Checksum { declared, .. } if declared.is_empty()), "{e:?}");
}

#[test]
fn bad_header_cannot_be_answered() {
    for frame in [&b"\x02xx/00019/R/60/A//6D\x03"[..], b"\x0200/00019/X/60/A//6D\x03", b"\x02short\x03"] {
        let e = decode(&mut buf(frame)).unwrap_err();
        assert!(matches!(e, DecodeError::Header { .. }), "{e:?}");
        assert!(e.is_recoverable());
        assert_eq!(e.nack(), None);
    }
}

#[test]
fn bad_fields_nack_with_syntax_error() {
    // AMsg with an odd number of hex digits.
    let mut m = ucp::to_bytes(&Message::new(
        Trn::new(7).unwrap(),
        Body::Submit(ucp::Sm { adc: "1".into(), msg: ucp::Msg::Alphanumeric(b"AB".to_vec()), ..Default::default() }),
    ))
    .unwrap();
    let text = String::from_utf8_lossy(&m).replace("/4142/", "/414/").replace("00055", "00054");
    let body_end = text.rfind('/').unwrap() + 1;
    let sum = ucp::frame::checksum(&text.as_bytes()[1..body_end]);
    let fixed = format!("{}{:02X}\u{3}", &text[..body_end], sum);
    m = buf(fixed.as_bytes());
    let e = decode(&mut m).unwrap_err();
    assert!(matches!(e, DecodeError::Fields { source: FieldError::Hex { field: "msg" }, .. }), "{e:?}");
    let nack = e.nack().unwrap();
    assert_eq!(nack.trn.get(), 7);
    assert!(matches!(nack.body, Body::Nack(ucp::Nack { ot: Ot::SUBMIT, ec: error_code::SYNTAX_ERROR, .. })));
}

#[test]
fn too_many_fields_is_an_error_too_few_read_as_empty() {
    let alert = |fields: &str| {
        let body = format!("00/{:05}/O/31/{fields}", 16 + fields.len());
        let sum = ucp::frame::checksum(body.as_bytes());
        format!("\u{2}{body}{sum:02X}\u{3}")
    };
    let e = decode(&mut buf(alert("1/2/3/").as_bytes())).unwrap_err();
    assert!(matches!(e, DecodeError::Fields { source: FieldError::TooMany { got: 3, max: 2 }, .. }), "{e:?}");
    let m = decode(&mut buf(alert("1/").as_bytes())).unwrap().unwrap();
    assert_eq!(m.body, Body::Alert(ucp::Alert { adc: "1".into(), pid: String::new() }));
}

#[test]
fn frame_longer_than_the_maximum_is_fatal() {
    let mut b = buf(&[b"\x02".as_slice(), &[b'0'; 100]].concat());
    let e = decode_with_max(&mut b, 64).unwrap_err();
    assert_eq!(e, DecodeError::FrameTooLong { max: 64 });
    assert!(!e.is_recoverable());
    // Within the maximum it just waits.
    let mut b = buf(&[b"\x02".as_slice(), &[b'0'; 50]].concat());
    assert_eq!(decode_with_max(&mut b, 64), Ok(None));
}

#[test]
fn encode_refuses_separators_and_leaves_the_buffer_alone() {
    let m = Message::new(Trn::default(), Body::Alert(ucp::Alert { adc: "12/34".into(), pid: "0539".into() }));
    let mut out = BytesMut::from(&b"keep"[..]);
    assert_eq!(encode(&m, &mut out), Err(ucp::EncodeError::InvalidCharacter { field: "adc" }));
    assert_eq!(&out[..], b"keep");
    let m = Message::new(Trn::default(), Body::Unknown { ot: Ot(100), kind: Kind::Operation, fields: vec![] });
    assert!(matches!(encode(&m, &mut out), Err(ucp::EncodeError::Ot { .. })));
}

#[test]
fn unknown_operation_nacks_with_03() {
    let body = "05/00020/O/99/xyz/";
    let frame = format!("\u{2}{body}{:02X}\u{3}", ucp::frame::checksum(body.as_bytes()));
    let m = decode(&mut buf(frame.as_bytes())).unwrap().unwrap();
    assert_eq!(m.body, Body::Unknown { ot: Ot(99), kind: Kind::Operation, fields: vec!["xyz".into()] });
    let nack = m.nack(error_code::OPERATION_NOT_SUPPORTED, "");
    assert_eq!(&ucp::to_bytes(&nack).unwrap()[..], b"\x0205/00022/R/99/N/03//17\x03");
}

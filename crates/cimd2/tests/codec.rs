//! The framing and error contract: partial input, garbage, limits, broken
//! packets, and what each error means for the stream.

use bytes::BytesMut;
use cimd2::{decode, decode_with_max, Body, DecodeError, Packet, ParamError, Response, ERROR_SYNTAX};

fn wire(s: &str) -> Vec<u8> {
    s.replace("<STX>", "\u{2}").replace("<TAB>", "\t").replace("<ETX>", "\u{3}").chars().map(|c| c as u8).collect()
}

const ALIVE: &str = "<STX>40:005<TAB>3E<ETX>";

#[test]
fn partial_packet_waits_for_more_without_consuming() {
    let bytes = wire(ALIVE);
    for cut in 0..bytes.len() {
        let mut buf = BytesMut::from(&bytes[..cut]);
        assert_eq!(decode(&mut buf), Ok(None), "cut at {cut}");
        assert_eq!(buf.len(), cut);
    }
}

#[test]
fn garbage_before_stx_is_skipped_as_a_recoverable_error() {
    let mut buf = BytesMut::from(&wire(&format!("\r\nhello{ALIVE}"))[..]);
    let err = decode(&mut buf);
    assert_eq!(err, Err(DecodeError::Garbage { skipped: 7 }));
    assert!(err.as_ref().is_err_and(DecodeError::is_recoverable));
    assert_eq!(err.err().and_then(|e| e.reply()), None);
    assert_eq!(decode(&mut buf), Ok(Some(Packet::new(5, Body::Alive))));
    assert!(buf.is_empty());
}

#[test]
fn garbage_without_stx_is_dropped_whole() {
    let mut buf = BytesMut::from(&b"noise"[..]);
    assert_eq!(decode(&mut buf), Err(DecodeError::Garbage { skipped: 5 }));
    assert!(buf.is_empty());
    assert_eq!(decode(&mut buf), Ok(None));
}

#[test]
fn two_packets_in_one_read() {
    let mut buf = BytesMut::from(&wire(&format!("{ALIVE}<STX>90:005<TAB><ETX>"))[..]);
    assert_eq!(decode(&mut buf), Ok(Some(Packet::new(5, Body::Alive))));
    assert_eq!(decode(&mut buf), Ok(Some(Packet::new(5, Body::AliveResp(Response::default())))));
    assert_eq!(decode(&mut buf), Ok(None));
}

#[test]
fn a_new_stx_before_etx_drops_the_cut_packet() {
    let mut buf = BytesMut::from(&wire(&format!("<STX>03:007<TAB>021:1{ALIVE}"))[..]);
    assert_eq!(decode(&mut buf), Err(DecodeError::Unterminated { len: 13 }));
    assert_eq!(decode(&mut buf), Ok(Some(Packet::new(5, Body::Alive))));
}

#[test]
fn an_open_packet_past_the_maximum_is_fatal() {
    let mut open = wire("<STX>03:007<TAB>033:");
    open.extend(std::iter::repeat_n(b'a', 100));
    let mut buf = BytesMut::from(&open[..]);
    let err = decode_with_max(&mut buf, 64);
    assert_eq!(err, Err(DecodeError::TooLong { max: 64 }));
    assert!(!err.as_ref().is_err_and(DecodeError::is_recoverable));
    assert_eq!(buf.len(), open.len(), "a fatal error consumes nothing");
    // The same when the whole over-long packet arrives at once.
    open.push(3);
    let mut buf = BytesMut::from(&open[..]);
    assert_eq!(decode_with_max(&mut buf, 64), Err(DecodeError::TooLong { max: 64 }));
    // At the limit it is fine.
    let exact = wire("<STX>40:005<TAB><ETX>");
    assert!(decode_with_max(&mut BytesMut::from(&exact[..]), exact.len()).is_ok_and(|p| p.is_some()));
}

#[test]
fn malformed_headers_are_consumed() {
    for bad in ["<STX>4:005<TAB><ETX>", "<STX>40-005<TAB><ETX>", "<STX>40:05<TAB><ETX>", "<STX>40:256<TAB><ETX>"] {
        let mut buf = BytesMut::from(&wire(bad)[..]);
        let err = decode(&mut buf);
        assert!(matches!(err, Err(DecodeError::Header { .. })), "{bad}: {err:?}");
        assert!(buf.is_empty(), "{bad}");
        assert_eq!(err.err().and_then(|e| e.reply()), None, "no number to answer");
    }
}

#[test]
fn malformed_parameters_in_a_request_get_a_syntax_error_reply() {
    for bad in [
        "<STX>03:007<TAB>21:1<TAB><ETX>",          // two-digit code
        "<STX>03:007<TAB>021=1<TAB><ETX>",         // no colon
        "<STX>03:007<TAB>021:1<TAB>trailing<ETX>", // not a parameter nor a checksum
        "<STX>03:007<TAB>021:1<TAB>ZZ<ETX>",       // checksum not hex
    ] {
        let err = decode(&mut BytesMut::from(&wire(bad)[..]));
        assert!(matches!(err, Err(DecodeError::Syntax { op: 3, number: 7, .. })), "{bad}: {err:?}");
        let reply = err.err().and_then(|e| e.reply());
        assert_eq!(reply, Some(Packet::new(7, Body::GeneralError(Response::error(ERROR_SYNTAX)))), "{bad}");
    }
}

#[test]
fn bad_typed_values_are_reported_with_their_code() {
    let cases = [
        ("<STX>03:007<TAB>030:x<TAB><ETX>", ParamError::NotANumber { code: 30 }),
        ("<STX>03:007<TAB>030:<TAB><ETX>", ParamError::NotANumber { code: 30 }),
        ("<STX>03:007<TAB>030:256<TAB><ETX>", ParamError::OutOfRange { code: 30, value: 256 }),
        ("<STX>03:007<TAB>034:abc<TAB><ETX>", ParamError::BadHex { code: 34 }),
        ("<STX>03:007<TAB>032:zz<TAB><ETX>", ParamError::BadHex { code: 32 }),
    ];
    for (bad, source) in cases {
        let err = decode(&mut BytesMut::from(&wire(bad)[..]));
        assert_eq!(err, Err(DecodeError::Param { op: 3, number: 7, source }), "{bad}");
    }
}

#[test]
fn broken_responses_get_no_reply() {
    let err = decode(&mut BytesMut::from(&wire("<STX>53:007<TAB>900:x<TAB><ETX>")[..]));
    assert!(err.as_ref().is_err_and(DecodeError::is_recoverable));
    assert_eq!(err.err().and_then(|e| e.reply()), None);
    let err = decode(&mut BytesMut::from(&wire("<STX>53:007<TAB>00<ETX>")[..]));
    assert!(matches!(err, Err(DecodeError::Checksum { .. })));
    assert_eq!(err.err().and_then(|e| e.reply()), None);
}

#[test]
fn extra_parameters_on_alive_and_logout_are_ignored() {
    let mut buf = BytesMut::from(&wire("<STX>40:005<TAB>999:x<TAB><ETX>")[..]);
    assert_eq!(decode(&mut buf), Ok(Some(Packet::new(5, Body::Alive))));
}

#[test]
fn eight_bit_values_survive() {
    // test_cimd2 sends random octets (anything but STX, ETX, TAB) as text.
    let mut bytes = wire("<STX>20:002<TAB>033:");
    bytes.extend([0x80, 0xFF, 0x00, b'_', 0x01]);
    bytes.extend(wire("<TAB><ETX>"));
    let Ok(Some(Packet { body: Body::DeliverMessage(d), .. })) = decode(&mut BytesMut::from(&bytes[..])) else {
        panic!("did not decode")
    };
    assert_eq!(d.user_data.as_deref(), Some(&[0x80, 0xFF, 0x00, b'_', 0x01][..]));
}

#[test]
fn error_messages_are_lowercase_without_trailing_period() {
    let errors = [
        DecodeError::Garbage { skipped: 1 }.to_string(),
        DecodeError::TooLong { max: 1 }.to_string(),
        DecodeError::Checksum { op: 1, number: 1, found: 0, computed: 1 }.to_string(),
    ];
    for e in errors {
        assert!(!e.ends_with('.'), "{e}");
        assert_eq!(e.chars().next().map(|c| c.is_lowercase()), Some(true), "{e}");
    }
}

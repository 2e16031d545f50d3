//! Golden vectors, written out literally in the spec's own notation
//! (`<STX>`, `<TAB>`, `<ETX>`) so that a wrong delimiter, order or checksum in
//! the codec fails here, independently of the codec's own encode.
//!
//! Sources:
//! - the spec's header example (4.1.1): the bytes `2 48 49 58 48 48 49 9`,
//!   "01:001" — used as the header of the login vectors, whose values are the
//!   spec's String example (`010:MyUserId`, `011:my()`);
//! - the spec's example exchange of a submit and its response
//!   (`03:007 021:12345678 033:hello` / `53:007 021:12345678
//!   060:971107131212`);
//! - the spec's hex example `034:0500032a0301` ("sending six bytes of
//!   binary data");
//! - the packets Kannel's fake SMSC `test_cimd2` writes (login response,
//!   `900:100 901:invalid login`, `98 ... 900:1 901:unexpected operation`,
//!   deliver message numbered 000), from `test/test_cimd2.c`;
//! - the checksums were computed outside this crate (a two-line Python sum of
//!   the octets from STX to the last TAB, modulo 256), not by the codec.

use bytes::{Bytes, BytesMut};
use cimd2::{
    decode, encode, encode_with, Body, Checksum, DecodeError, DeliverMessage, DeliverStatusReport, Login, Packet,
    Param, Response, Submit,
};

/// The spec's notation to octets.
fn wire(s: &str) -> Vec<u8> {
    s.replace("<STX>", "\u{2}").replace("<TAB>", "\t").replace("<ETX>", "\u{3}").chars().map(|c| c as u8).collect()
}

fn decodes_to(golden: &str, expected: &Packet) {
    let mut buf = BytesMut::from(&wire(golden)[..]);
    assert_eq!(decode(&mut buf), Ok(Some(expected.clone())), "{golden}");
    assert!(buf.is_empty(), "decode must consume exactly one packet");
}

/// Both directions. `golden` decides whether the checksum is written.
fn golden(golden: &str, expected: Packet) {
    decodes_to(golden, &expected);
    let checksum = if golden.ends_with("<TAB><ETX>") { Checksum::Omit } else { Checksum::Include };
    let mut out = BytesMut::new();
    assert_eq!(encode_with(&expected, checksum, &mut out), Ok(()));
    assert_eq!(out.as_ref(), wire(golden).as_slice(), "encode differs from {golden}");
}

fn login() -> Packet {
    Packet::new(1, Body::Login(Login { user_identity: "MyUserId".into(), password: "my()".into(), extra: vec![] }))
}

#[test]
fn header_example_is_stx_01_001_tab() {
    let mut out = BytesMut::new();
    assert_eq!(encode_with(&Packet::new(1, Body::Login(Login::default())), Checksum::Omit, &mut out), Ok(()));
    assert_eq!(&out[..8], &[2, 48, 49, 58, 48, 48, 49, 9]);
}

#[test]
fn login_with_and_without_checksum() {
    golden("<STX>01:001<TAB>010:MyUserId<TAB>011:my()<TAB><ETX>", login());
    golden("<STX>01:001<TAB>010:MyUserId<TAB>011:my()<TAB>29<ETX>", login());
}

#[test]
fn login_with_a_wrong_checksum_is_refused_with_nack() {
    let mut buf = BytesMut::from(&wire("<STX>01:001<TAB>010:MyUserId<TAB>011:my()<TAB>28<ETX>")[..]);
    let err = decode(&mut buf);
    assert_eq!(err, Err(DecodeError::Checksum { op: 1, number: 1, found: 0x28, computed: 0x29 }));
    assert!(buf.is_empty(), "the damaged packet is consumed");
    let err = err.err().unwrap_or(DecodeError::Garbage { skipped: 0 });
    assert!(err.is_recoverable());
    assert_eq!(err.reply(), Some(Packet::new(1, Body::Nack(Response::default()))));
}

#[test]
fn lower_case_checksum_is_accepted() {
    decodes_to("<STX>53:007<TAB>021:12345678<TAB>060:971107131212<TAB>fa<ETX>", &submit_resp());
}

fn submit() -> Packet {
    Packet::new(
        7,
        Body::Submit(Submit {
            destinations: vec!["12345678".into()],
            user_data: Some(Bytes::from_static(b"hello")),
            ..Submit::default()
        }),
    )
}

fn submit_resp() -> Packet {
    Packet::new(
        7,
        Body::SubmitResp(Response {
            destination: Some("12345678".into()),
            mc_timestamp: Some("971107131212".into()),
            ..Response::default()
        }),
    )
}

#[test]
fn spec_example_submit_and_response() {
    golden("<STX>03:007<TAB>021:12345678<TAB>033:hello<TAB><ETX>", submit());
    golden("<STX>03:007<TAB>021:12345678<TAB>033:hello<TAB>A6<ETX>", submit());
    golden("<STX>53:007<TAB>021:12345678<TAB>060:971107131212<TAB><ETX>", submit_resp());
    golden("<STX>53:007<TAB>021:12345678<TAB>060:971107131212<TAB>FA<ETX>", submit_resp());
}

#[test]
fn spec_example_binary_user_data_accepts_lower_case_and_writes_upper_case() {
    let packet = Packet::new(
        9,
        Body::Submit(Submit {
            destinations: vec!["12345678".into()],
            data_coding_scheme: Some(4),
            user_data_binary: Some(Bytes::from_static(&[0x05, 0x00, 0x03, 0x2a, 0x03, 0x01])),
            ..Submit::default()
        }),
    );
    decodes_to("<STX>03:009<TAB>021:12345678<TAB>030:4<TAB>034:0500032a0301<TAB><ETX>", &packet);
    golden("<STX>03:009<TAB>021:12345678<TAB>030:4<TAB>034:0500032A0301<TAB><ETX>", packet);
}

#[test]
fn kannel_test_cimd2_login_responses() {
    golden("<STX>51:001<TAB>3C<ETX>", Packet::new(1, Body::LoginResp(Response::default())));
    let refused = Response { error_code: Some(100), error_text: Some("invalid login".into()), ..Response::default() };
    assert!(!refused.is_ok());
    golden("<STX>51:001<TAB>900:100<TAB>901:invalid login<TAB>A6<ETX>", Packet::new(1, Body::LoginResp(refused)));
}

#[test]
fn kannel_test_cimd2_general_error_response() {
    let r = Response { error_code: Some(1), error_text: Some("unexpected operation".into()), ..Response::default() };
    golden("<STX>98:003<TAB>900:1<TAB>901:unexpected operation<TAB>59<ETX>", Packet::new(3, Body::GeneralError(r)));
}

#[test]
fn kannel_test_cimd2_deliver_numbered_000_with_empty_destination() {
    let deliver = DeliverMessage {
        destination: Some(String::new()),
        originating_address: Some("4477".into()),
        mc_timestamp: Some("251126185501".into()),
        user_data_header: Some(Bytes::from_static(&[0x05, 0x00, 0x03, 0x2a, 0x03, 0x01])),
        user_data: Some(Bytes::from_static(b"hi_Oa")),
        ..DeliverMessage::default()
    };
    let packet = Packet::new(0, Body::DeliverMessage(deliver));
    decodes_to(
        "<STX>20:000<TAB>021:<TAB>023:4477<TAB>060:251126185501<TAB>032:0500032a0301<TAB>033:hi_Oa<TAB>09<ETX>",
        &packet,
    );
    let Body::DeliverMessage(d) = &packet.body else { unreachable!() };
    assert_eq!(d.user_data.as_deref().map(cimd2::charset::decode).as_deref(), Some("hi@"));
    golden("<STX>70:000<TAB>3C<ETX>", Packet::response_to(&packet).unwrap_or(packet.clone()));
}

#[test]
fn deliver_status_report_and_response() {
    let report = DeliverStatusReport {
        destination: Some("12345678".into()),
        mc_timestamp: Some("971107131212".into()),
        status_code: Some(4),
        discharge_time: Some("971107131215".into()),
        ..DeliverStatusReport::default()
    };
    let packet = Packet::new(2, Body::DeliverStatusReport(report));
    golden(
        "<STX>23:002<TAB>021:12345678<TAB>060:971107131212<TAB>061:4<TAB>063:971107131215<TAB>42<ETX>",
        packet.clone(),
    );
    assert_eq!(cimd2::status_code_name(4), "delivery successful");
    golden("<STX>73:002<TAB>41<ETX>", Packet::response_to(&packet).unwrap_or(packet));
}

#[test]
fn fieldless_operations() {
    golden("<STX>40:005<TAB>3E<ETX>", Packet::new(5, Body::Alive));
    golden("<STX>90:005<TAB>43<ETX>", Packet::new(5, Body::AliveResp(Response::default())));
    golden("<STX>02:009<TAB>40<ETX>", Packet::new(9, Body::Logout));
    golden("<STX>52:009<TAB>45<ETX>", Packet::new(9, Body::LogoutResp(Response::default())));
    golden("<STX>99:011<TAB>49<ETX>", Packet::new(11, Body::Nack(Response::default())));
}

#[test]
fn unmodelled_operation_is_kept_raw() {
    // Enquire message status (04) is not modelled.
    golden(
        "<STX>04:013<TAB>021:12345678<TAB>060:971107131212<TAB><ETX>",
        Packet::new(
            13,
            Body::Unknown {
                op: 4,
                params: vec![Param::new(21, &b"12345678"[..]), Param::new(60, &b"971107131212"[..])],
            },
        ),
    );
}

#[test]
fn unknown_parameters_are_kept_in_extra() {
    let packet = Packet::new(
        1,
        Body::Login(Login { user_identity: "u".into(), password: "p".into(), extra: vec![Param::new(12, &b"99"[..])] }),
    );
    golden("<STX>01:001<TAB>010:u<TAB>011:p<TAB>012:99<TAB><ETX>", packet);
}

#[test]
fn encode_refuses_delimiters_and_leaves_the_buffer_alone() {
    let mut out = BytesMut::from(&b"keep"[..]);
    let bad = Packet::new(1, Body::Login(Login { user_identity: "a\tb".into(), ..Login::default() }));
    assert_eq!(encode(&bad, &mut out), Err(cimd2::EncodeError::Delimiter { code: 10 }));
    assert_eq!(&out[..], b"keep");
    let euro = Packet::new(1, Body::Login(Login { password: "€".into(), ..Login::default() }));
    assert_eq!(encode(&euro, &mut out), Err(cimd2::EncodeError::NotLatin1 { code: 11 }));
    assert_eq!(&out[..], b"keep");
}

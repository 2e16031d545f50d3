//! Golden frames: the worked examples of the EMI-UCP Interface specification
//! 4.0 (CMG, 2001), section by section, written out literally (STX/ETX added).
//! Their LEN and checksum were verified independently of this codec; one
//! example as commonly transcribed has a wrong LEN and is tested as such.
//!
//! Every example is checked both ways: decode gives the expected message and
//! consumes the whole frame; encoding that message gives the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use ucp::{
    alphanumeric, decode, encode, error_code, Ack, Alert, Body, DecodeError, DeliveryStatus, Kind, Login, Message, Msg,
    Nack, Ot, Sm, Timestamp, Trn,
};

fn framed(s: &str) -> Vec<u8> {
    let mut v = vec![0x02];
    v.extend_from_slice(s.as_bytes());
    v.push(0x03);
    v
}

fn trn(n: u8) -> Trn {
    Trn::new(n).unwrap()
}

fn decodes_to(frame: &str, expected: &Message) {
    let mut buf = BytesMut::from(&framed(frame)[..]);
    assert_eq!(decode(&mut buf), Ok(Some(expected.clone())), "{frame}");
    assert!(buf.is_empty(), "decode must consume the whole frame");
}

fn golden(frame: &str, expected: Message) {
    decodes_to(frame, &expected);
    let mut out = BytesMut::new();
    assert_eq!(encode(&expected, &mut out), Ok(()));
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&framed(frame)), "encode differs");
}

fn ack(n: u8, ot: u8, mvp: &str, sm: &str) -> Message {
    Message::new(trn(n), Body::Ack(Ack { ot: Ot(ot), mvp: mvp.into(), sm: sm.into() }))
}

fn nack(n: u8, ot: u8, ec: u8) -> Message {
    Message::new(trn(n), Body::Nack(Nack { ot: Ot(ot), ec, sm: String::new() }))
}

/// §4.6 MT alert operation, and its results (§4.6.1, §4.6.2).
#[test]
fn alert_31() {
    golden(
        "02/00035/O/31/0234765439845/0139/A0",
        Message::new(trn(2), Body::Alert(Alert { adc: "0234765439845".into(), pid: "0139".into() })),
    );
    golden("04/00023/R/31/A/0003/2D", ack(4, 31, "", "0003"));
    golden("00/00022/R/31/N/06//07", nack(0, 31, error_code::ADC_INVALID));
}

/// The §4.6.1 example as some copies print it, `04/00024/R/31/A/0003/2E`: LEN
/// says 24 but there are 23 characters. A LEN error, said so, and recoverable.
#[test]
fn alert_result_with_wrong_len_is_a_length_error() {
    let mut buf = BytesMut::from(&framed("04/00024/R/31/A/0003/2E")[..]);
    match decode(&mut buf) {
        Err(e @ DecodeError::Length { declared: 24, actual: 23, .. }) => {
            assert!(e.is_recoverable());
            assert_eq!(e.nack(), None, "results are never answered");
        }
        other => panic!("{other:?}"),
    }
    assert!(buf.is_empty());
}

/// §5.3 submit short message: notification to a TCP/IP address, alphanumeric text.
#[test]
fn submit_51_alphanumeric() {
    let sm = Sm {
        adc: "012345".into(),
        oadc: "09876".into(),
        nrq: "1".into(),
        nadc: "1920870340125000".into(),
        nt: "4".into(),
        npid: "0539".into(),
        vp: "3012961212".into(),
        msg: Msg::Alphanumeric(b"Message 51".to_vec()),
        ..Sm::default()
    };
    golden(
        "18/00113/O/51/012345/09876//1/1920870340125000/4/0539//////3012961212//////3//4D657373616765203531/////////////CD",
        Message::new(trn(18), Body::Submit(sm.clone())),
    );
    assert_eq!(
        Timestamp::parse(&sm.vp).map(|t| (t.day, t.month, t.year, t.hour, t.minute)),
        Some((30, 12, 96, 12, 12))
    );
}

/// §5.3 submit short message: transparent data (MT=4, NB=32), deferred delivery,
/// last resort address.
#[test]
fn submit_51_transparent() {
    let sm = Sm {
        adc: "0657467".into(),
        oadc: "078769".into(),
        nrq: "1".into(),
        nt: "7".into(),
        lrq: "1".into(),
        lrad: "0545765".into(),
        lpid: "0122".into(),
        dd: "1".into(),
        ddt: "0808971800".into(),
        msg: Msg::Transparent { bits: 32, data: vec![0xF5, 0xAA, 0x34, 0xDE] },
        mcls: "1".into(),
        ..Sm::default()
    };
    golden(
        "39/00099/O/51/0657467/078769//1//7//1/0545765/0122/1/0808971800///////4/32/F5AA34DE////1/////////65",
        Message::new(trn(39), Body::Submit(sm)),
    );
}

/// §5.3.1 / §5.3.2: the SM of a submit's ACK is `AdC:SCTS`, which a later
/// OT 53 carries back as AdC and SCTS.
#[test]
fn submit_results() {
    let m = ack(0, 51, "", "012234:090996101010");
    golden("00/00039/R/51/A//012234:090996101010/68", m.clone());
    let Body::Ack(a) = &m.body else { unreachable!() };
    assert_eq!(a.adc_scts(), Some(("012234", "090996101010")));
    golden("00/00022/R/51/N/31//07", nack(0, 51, error_code::FAX_GROUP_NOT_SUPPORTED));
}

/// §5.4 delivery short message (mobile originated), and its results.
#[test]
fn deliver_52() {
    let sm = Sm {
        adc: "076523578".into(),
        oadc: "07686745".into(),
        scts: "120396111055".into(),
        msg: Msg::Alphanumeric(b"Call you back later.".to_vec()),
        dcs: "0".into(),
        ..Sm::default()
    };
    golden(
        "00/00120/O/52/076523578/07686745/////////////120396111055////3//43616C6C20796F75206261636B206C617465722E///0//////////A3",
        Message::new(trn(0), Body::Deliver(sm)),
    );
    golden("00/00039/R/52/A//076567:010196010101/6C", ack(0, 52, "", "076567:010196010101"));
    golden("00/00022/R/52/N/01//05", nack(0, 52, error_code::CHECKSUM_ERROR));
}

/// §5.5 delivery notification: Dst 1 (buffered), Rsn 108, SCTS of the original
/// message, DSCTS, and the notification text.
#[test]
fn notification_53() {
    let text = "Message for 3155555, with identification 960109161057 has been buffered";
    let sm = Sm {
        adc: "1299998".into(),
        oadc: "3155555".into(),
        scts: "090196161057".into(),
        dst: "1".into(),
        rsn: "108".into(),
        dscts: "090196161105".into(),
        msg: Msg::Alphanumeric(text.as_bytes().to_vec()),
        ..Sm::default()
    };
    assert_eq!(sm.delivery_status(), Some(DeliveryStatus::Buffered));
    assert_eq!(sm.msg.text(ucp::Alphabet::Ira).as_deref(), Some(text));
    golden(
        "00/00234/O/53/1299998/3155555/////////////090196161057/1/108/090196161105/3//4D65737361676520666F7220333135353535352C2077697468206964656E74696669636174696F6E2039363031303931363130353720686173206265656E206275666665726564/////////////1F",
        Message::new(trn(0), Body::Notification(sm)),
    );
    golden("00/00032/R/53/A//020296020202/F2", ack(0, 53, "", "020296020202"));
    golden("00/00022/R/53/N/02//07", nack(0, 53, error_code::SYNTAX_ERROR));
}

/// §6.3 session management: login with PWD "Password" as IRA-hex, VERS 0100.
#[test]
fn login_60() {
    let login = Login {
        oadc: "07656765".into(),
        oton: "2".into(),
        onpi: "1".into(),
        styp: "1".into(),
        pwd: "Password".into(),
        vers: "0100".into(),
        ..Login::default()
    };
    golden("02/00059/O/60/07656765/2/1/1/50617373776F7264//0100//////61", Message::new(trn(2), Body::Login(login)));
    golden("00/00019/R/60/A//6D", ack(0, 60, "", ""));
    golden("00/00022/R/60/N/01//04", nack(0, 60, error_code::CHECKSUM_ERROR));
}

/// Operations this crate does not model decode to `Unknown` and re-encode
/// byte for byte: §4.2 call input (OT 01), and the OT 30 exchange quoted in
/// most descriptions of the protocol. Results to them are ordinary results.
#[test]
fn unknown_operations_pass_through() {
    let fields = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    golden(
        "00/00070/O/01/01234567890/09876543210//3/53686F7274204D657373616765/D9",
        Message::new(
            trn(0),
            Body::Unknown {
                ot: Ot(1),
                kind: Kind::Operation,
                fields: fields(&["01234567890", "09876543210", "", "3", "53686F7274204D657373616765"]),
            },
        ),
    );
    golden("06/00043/R/01/A/01234567890:090196103258/4E", ack(6, 1, "", "01234567890:090196103258"));
    golden("12/00022/R/01/N/02//03", nack(12, 1, error_code::SYNTAX_ERROR));
    golden(
        "01/00045/O/30/66677789///1//////68656C6C6F/CE",
        Message::new(
            trn(1),
            Body::Unknown {
                ot: Ot(30),
                kind: Kind::Operation,
                fields: fields(&["66677789", "", "", "1", "", "", "", "", "", "68656C6C6F"]),
            },
        ),
    );
    golden("01/00041/R/30/A//66677789:180594141236/F3", ack(1, 30, "", "66677789:180594141236"));
}

/// The OTOA = 5039 example of the spec's OAdC description: `ALPHA@NUM`.
#[test]
fn alphanumeric_originator_example() {
    assert_eq!(alphanumeric::encode("ALPHA@NUM").as_deref(), Ok("10412614190438AB4D"));
    assert_eq!(alphanumeric::decode("10412614190438AB4D").as_deref(), Some("ALPHA@NUM"));
    let mut sm = Sm::default();
    sm.set_alphanumeric_originator("ALPHA@NUM").unwrap();
    assert_eq!((sm.oadc.as_str(), sm.otoa.as_str()), ("10412614190438AB4D", "5039"));
    assert_eq!(sm.alphanumeric_originator().as_deref(), Some("ALPHA@NUM"));
}

/// §2: the checksum of the §6.3 login, by hand: the sum of every octet from the
/// TRN to the last '/', modulo 256.
#[test]
fn checksum_by_hand() {
    let body = b"02/00059/O/60/07656765/2/1/1/50617373776F7264//0100//////";
    let sum: u32 = body.iter().map(|&b| u32::from(b)).sum();
    assert_eq!(sum % 256, 0x61);
    assert_eq!(ucp::frame::checksum(body), 0x61);
}

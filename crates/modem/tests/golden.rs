//! Golden vectors: the SMS-SUBMIT and SMS-DELIVER examples published with the
//! TS 23.040 walk-throughs ("hellohello"), PDUs from the cross-check libraries, and
//! the shapes TS 27.005 gives `+CDS` with and without an SMSC address.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use modem::status_report::Finality;
use modem::tpdu::{self, Tpdu};
use modem::{decode_deliver, decode_status_report, decode_submit, encode_submit, Address, SubmitOptions, Validity};
use text::gsm7;

fn hello() -> Vec<u8> {
    gsm7::encode_unpacked("hellohello").unwrap()
}

#[test]
fn published_submit_hellohello() {
    // SMS-SUBMIT to +46708251358, TP-VPF relative, TP-VP 0xAA (4 days), 7-bit.
    let opts = SubmitOptions { validity: Some(Duration::from_secs(4 * 86_400)), ..SubmitOptions::default() };
    let pdu = encode_submit(&Address::international("46708251358"), 0x00, None, &hello(), &opts).unwrap();
    assert_eq!(pdu.hex, "0011000B916407281553F80000AA0AE8329BFD4697D9EC37");
    assert_eq!(pdu.tpdu_len, 23);
    let back = decode_submit(&pdu.hex).unwrap();
    assert_eq!(back.validity, Validity::Relative(0xAA));
    assert_eq!(back.user_data, hello());
}

#[test]
fn submit_flags_smsc_and_flash() {
    let opts = SubmitOptions {
        smsc: Some(Address::international("4917000000")),
        status_report: true,
        reject_duplicates: true,
        ..SubmitOptions::default()
    };
    // UCS-2 class 0 (flash): data_coding 0x18 is TP-DCS 0x18.
    let pdu = encode_submit(&Address::international("4915112345678"), 0x18, None, &[0x04, 0x1F], &opts).unwrap();
    // SMSC 06 91 9471000000 | first octet MTI 01 + RD 0x04 + SRR 0x20 = 25 | MR 00 |
    // DA 0D 91 945111325476F8 | PID 00 | DCS 18 | no TP-VP | UDL 02 | UD 041F.
    assert_eq!(pdu.hex, "069194710000002500".to_owned() + "0D91945111325476F8" + "0018" + "02041F");
    assert_eq!(pdu.tpdu_len, pdu.hex.len() / 2 - 7);
    let back = decode_submit(&pdu.hex).unwrap();
    assert!(back.status_report && back.reject_duplicates && !back.udhi);
    assert_eq!((back.dcs, back.user_data.as_slice()), (0x18, &[0x04, 0x1F][..]));
    // Latin-1 has no TP-DCS.
    assert!(encode_submit(&Address::unknown("1"), 0x03, None, b"x", &SubmitOptions::default()).is_err());
}

#[test]
fn published_deliver_hellohello() {
    // From 27838890001 (TON subscriber, NPI national), SMSC +27381000015,
    // SCTS 99-03-29 15:16:59 +02:00 (8 quarters).
    let d = decode_deliver("07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37").unwrap();
    assert_eq!(d.smsc, Some(Address::international("27381000015")));
    assert_eq!((d.from.value.as_str(), d.from.toa), ("27838890001", 0xC8));
    assert_eq!((d.dcs, d.data_coding, d.udhi), (0x00, 0x00, false));
    assert_eq!((d.scts.year, d.scts.month, d.scts.day, d.scts.offset_quarters), (1999, 3, 29, 8));
    assert_eq!(d.scts.epoch_ms(), Some(922_713_419_000));
    assert_eq!(d.user_data, hello());
    assert_eq!(d.decode_text().unwrap().1.text.as_deref(), Some("hellohello"));
}

#[test]
fn deliver_with_concatenation_udh_and_fill_bits() {
    // Part 2/3 of reference 0x33, GSM 7-bit: UDH of 6 octets, then 1 fill bit
    // (from the cross-check, built with python-messaging's TP-UD).
    let pdu = concat!(
        "06919471000000440D91947116325476F8000042309081000080A0050003330302A86879B90C8287E5F4390B347EBBC7617AD9",
        "1DA697C9A07B9A8E0685DD205C4B9CA683E46573595E768FCB2E10152D2F9741F0B09C3E6781C66FF7384C2FBBC3F43219744F",
        "D3D1A0B01B846B89D37490BC6C2ECBCBEE71D905A2A2E5E532081E96D3E72CD0F8ED1E87E96577985E2683EE693A1A14768370",
        "2D719A0E9297CD6579D93D2EBB40",
    );
    let Ok(Tpdu::Deliver(d)) = tpdu::decode(pdu, None) else { panic!() };
    assert!(d.udhi);
    let (udh, text) = d.decode_text().unwrap();
    assert_eq!(udh.unwrap().concat(), Some((0x33, 3, 2)));
    // 153 septets: the part starts where the first part's 153 characters end.
    let part = text.text.unwrap();
    assert_eq!(part.len(), 153);
    assert_eq!(part, "Three parts, concatenated with an 8-bit reference. ".repeat(8)[153..306]);
}

#[test]
fn status_reports_with_and_without_smsc() {
    // TP-MR 42 to +4915112345678, SCTS 2024-03-09 18:00:00 +02:00, ST 0.
    let r = decode_status_report("06919471000000062A0D91945111325476F8423090810000804230901100240A00").unwrap();
    assert_eq!((r.mr, r.recipient.to_string().as_str(), r.status), (42, "+4915112345678", 0));
    assert_eq!(r.scts.epoch_ms(), Some(1_710_000_000_000));
    assert_eq!((r.finality(), r.stat()), (Finality::Final, "DELIVRD"));
    // +CDS: 26 with the TPDU alone, as some modems send it: the length tells.
    let Ok(Tpdu::StatusReport(r)) = tpdu::decode("06070D91945111325476F84230901100240A4230908100008046", Some(26))
    else {
        panic!()
    };
    assert_eq!((r.smsc.is_none(), r.mr, r.stat()), (true, 7, "EXPIRED"));
    // The same with an empty SMSC address in front.
    let Ok(Tpdu::StatusReport(again)) =
        tpdu::decode("0006070D91945111325476F84230901100240A4230908100008046", Some(26))
    else {
        panic!()
    };
    assert_eq!(again, r);
}

#[test]
fn malformed_pdus_are_errors() {
    use modem::DecodeError;
    assert_eq!(tpdu::decode("0", None), Err(DecodeError::Hex { offset: 1 }));
    assert_eq!(tpdu::decode("", None), Err(DecodeError::Truncated { field: "smsc length" }));
    assert_eq!(tpdu::decode("00", None), Err(DecodeError::Truncated { field: "first octet" }));
    assert!(matches!(tpdu::decode("0003", None), Err(DecodeError::WrongType { mti: 3, .. })));
    assert!(matches!(decode_deliver("0002"), Err(DecodeError::WrongType { mti: 2, .. })));
    // UDL says 10 septets, 3 octets follow.
    assert_eq!(
        decode_deliver("00040B916407281553F800009930925161958000A0AE8329B"),
        Err(DecodeError::Hex { offset: 49 })
    );
    assert_eq!(
        decode_deliver("00040B916407281553F80000993092516195800AE8329B"),
        Err(DecodeError::Truncated { field: "user data" })
    );
}

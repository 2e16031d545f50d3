use super::*;

fn submission(data_coding: u8, payload: &[u8], udh: Option<&[u8]>) -> Submission {
    Submission::test(data_coding, payload, udh)
}

#[test]
fn gsm_text_goes_as_amsg_with_the_udh_in_xser() {
    // '@' is GSM 0x00 and IRA 0x40; '€' is GSM 0x1B 0x65 and has no IRA code.
    let sub = submission(0, &[0x00, b'h', b'i'], Some(&[5, 0, 3, 1, 2, 1]));
    let sm = submit_sm(&sub, Alphabet::Ira, 0).unwrap();
    assert_eq!(sm.msg, Msg::Alphanumeric(b"@hi".to_vec()));
    assert_eq!(submit_sm(&sub, Alphabet::Gsm, 0).unwrap().msg, Msg::Alphanumeric(vec![0x00, b'h', b'i']));
    let euro = submission(0, &[0x1B, 0x65], None);
    assert_eq!(submit_sm(&euro, Alphabet::Gsm, 0).unwrap().msg, Msg::Alphanumeric(vec![0x1B, 0x65]));
    assert!(submit_sm(&euro, Alphabet::Ira, 0).unwrap_err().contains('€'));
    assert_eq!(sm.udh(), Some(&[5, 0, 3, 1, 2, 1][..]));
    assert_eq!((sm.adc.as_str(), sm.nrq.as_str(), sm.nt.as_str()), ("4915112345678", "1", "3"));
    assert_eq!(sm.alphanumeric_originator().as_deref(), Some("ACME"));
}

#[test]
fn ucs2_goes_as_tmsg_with_the_dcs_in_xser() {
    let sm = submit_sm(&submission(8, &[0x04, 0x16], None), Alphabet::Gsm, 0).unwrap();
    assert_eq!(sm.msg, Msg::transparent(vec![0x04, 0x16]));
    assert_eq!(ucp::xser::find(&sm.xser, ucp::xser::GSM_DCS), Some(&[8][..]));
}

#[test]
fn sar_and_whole_messages_are_refused() {
    let mut s = submission(0, b"x", None);
    s.sar = Some((1, 2, 1));
    assert!(submit_sm(&s, Alphabet::Gsm, 0).is_err());
}

#[test]
fn validity_is_ddmmyyhhmm() {
    // 2026-11-26 12:54:00.300 UTC
    assert_eq!(validity(1_795_697_640_300), "2611261254");
}

#[test]
fn notifications_become_reports_keyed_like_the_ack() {
    // §5.5: AdC is the party notified, OAdC the recipient of the message reported on.
    let sm = Sm {
        adc: "1299998".into(),
        oadc: "4915112345678".into(),
        scts: "261126125400".into(),
        dst: "0".into(),
        dscts: "261126125500".into(),
        ..Sm::default()
    };
    let r = report(&sm);
    assert_eq!((r.message_id.as_str(), r.state.stat(), r.is_final), ("4915112345678:261126125400", "DELIVRD", true));
    assert_eq!(r.done_at, Some(1_795_697_700_000));
    let expired = Sm { dst: "2".into(), rsn: "108".into(), ..sm.clone() };
    assert_eq!(report(&expired).state.stat(), "EXPIRED");
    let buffered = Sm { dst: "1".into(), ..sm };
    assert!(!report(&buffered).is_final);
}

#[test]
fn deliveries_become_mo_units() {
    let mut sm =
        Sm { adc: "1234".into(), oadc: "4911".into(), msg: Msg::Alphanumeric(b"@ home".to_vec()), ..Sm::default() };
    let u = mo(&sm, Alphabet::Ira);
    assert_eq!((u.from.as_str(), u.to.as_str(), u.text.as_deref()), ("4911", "1234", Some("@ home")));
    sm.msg = Msg::transparent(vec![0, 0x41]);
    sm.xser = vec![ucp::ExtraService::udh(vec![5, 0, 3, 7, 2, 1]), ucp::ExtraService::dcs(8)];
    let u = mo(&sm, Alphabet::Gsm);
    assert!(u.udhi && u.text.is_none());
    assert_eq!((u.data_coding, &u.user_data[..]), (8, &[5, 0, 3, 7, 2, 1, 0, 0x41][..]));
}

#[test]
fn nacks_are_classified() {
    let n = |ec| nack_answer(&Nack { ec, ..Nack::default() }, &[]);
    assert_eq!(n(1).verdict, Verdict::Temporary);
    assert_eq!((n(6).verdict, n(6).code()), (Verdict::Permanent, "invalid_destination"));
    assert_eq!(n(4).verdict, Verdict::Temporary);
    assert_eq!(
        nack_answer(&Nack { ec: 4, sm: "Throttling".into(), ..Nack::default() }, &[]).verdict,
        Verdict::Throttled
    );
    assert_eq!(nack_answer(&Nack { ec: 7, ..Nack::default() }, &[7]).verdict, Verdict::Temporary);
    assert_eq!(n(7).verdict, Verdict::Permanent);
}

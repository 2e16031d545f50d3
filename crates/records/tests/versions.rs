//! Every version of the per-message records still in the wild reads back:
//! version 0 (JSON) as releases before the compact form wrote it, with and
//! without the fields added along the way, and version 1 (compact) from
//! fixed bytes, so a change that would break reading records already on a
//! broker fails here. And what is written reads back the same in both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use events::{ErrorCode, ErrorInfo, RouteInfo, Status, StatusEvent};
use receipt::FinalState;
use records::{
    decode, encode_as, DecodeError, Format, MoPart, Outcome, ReceiptRecord, ReceiptState, SegmentOutcome, SubmitRecord,
    Terminal,
};

fn submit() -> SubmitRecord {
    SubmitRecord {
        request_id: "r-1".into(),
        segment: 2,
        segments: 3,
        connection: "smsc-a".into(),
        message_ids: vec!["a1".into(), "a2".into(), "".into()],
        submitted_at: 1_795_697_640_300,
        tenant: Some("acme".into()),
        metadata: [("k".to_owned(), "v".to_owned())].into(),
        trace: vec![("traceparent".into(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into())],
        route: Some(RouteInfo { id: Some("de".into()), reason: Some("failover".into()) }),
    }
}

fn receipt() -> ReceiptRecord {
    ReceiptRecord {
        connection: "smsc-a".into(),
        message_id: "a2".into(),
        state: ReceiptState::Reported(FinalState::Undeliverable),
        is_final: true,
        err: Some("034".into()),
        network_error: Some((3, 1025)),
        done_at: Some(1_795_697_700_000),
        received_at: 1_795_697_700_123,
    }
}

fn terminal() -> Outcome {
    let mut event = StatusEvent::new("r-2".to_owned(), Status::Failed, 1_795_697_640_000);
    event.connection = Some("smsc-a".into());
    event.error = Some(ErrorInfo { code: ErrorCode::ResponseTimeout, protocol_code: None, text: "no answer".into() });
    Outcome::Terminal(Terminal { event, trace: vec![("traceparent".into(), "x".into())] })
}

fn part() -> MoPart {
    MoPart {
        connection: "smsc-a".into(),
        from: "4915112345678".into(),
        to: "12345".into(),
        reference: 0xBEEF,
        total: 3,
        seq: 2,
        data_coding: 8,
        locking_shift: None,
        single_shift: Some(1),
        body: vec![0, 0x48, 0, 0x69],
        smsc_timestamp: Some(1_795_697_640_000),
        received_at: 1_795_697_640_500,
    }
}

fn round_trips<T: records::Record + PartialEq + std::fmt::Debug>(record: &T) {
    for format in [Format::Json, Format::Compact] {
        let bytes = encode_as(record, format).unwrap();
        assert_eq!(bytes[0] == b'{', format == Format::Json, "{format:?}");
        assert_eq!(&decode::<T>(&bytes).unwrap(), record, "{format:?}");
    }
}

#[test]
fn what_is_written_reads_back_in_both_versions() {
    round_trips(&submit());
    round_trips(&SubmitRecord { tenant: None, route: None, trace: vec![], metadata: Default::default(), ..submit() });
    round_trips(&receipt());
    round_trips(&ReceiptRecord { state: ReceiptState::Missing, network_error: None, err: None, ..receipt() });
    round_trips(&ReceiptRecord { state: ReceiptState::Collided, ..receipt() });
    round_trips(&Outcome::Segment(SegmentOutcome { submit: submit(), receipt: receipt() }));
    round_trips(&terminal());
    round_trips(&part());
}

#[test]
fn compact_is_smaller() {
    let outcome = Outcome::Segment(SegmentOutcome { submit: submit(), receipt: receipt() });
    let json = encode_as(&outcome, Format::Json).unwrap().len();
    let compact = encode_as(&outcome, Format::Compact).unwrap().len();
    assert!(compact * 2 < json, "compact {compact} bytes, JSON {json}");
}

/// Version 0 as the releases before the compact form wrote it (the oldest
/// without `trace`, `route` and the optional fields, later ones with them).
#[test]
fn version_0_records_of_older_releases_read() {
    let oldest =
        r#"{"request_id":"r-1","segment":1,"segments":1,"connection":"sim","message_ids":["x"],"submitted_at":0}"#;
    let s: SubmitRecord = decode(oldest.as_bytes()).unwrap();
    assert_eq!((s.request_id.as_str(), s.route, s.trace.len()), ("r-1", None, 0));
    let later = r#"{"request_id":"r-1","segment":1,"segments":1,"connection":"sim","message_ids":["x"],"submitted_at":0,"tenant":"t","metadata":{"k":"v"},"trace":[["traceparent","y"]],"route":{"id":"de","reason":null}}"#;
    let s: SubmitRecord = decode(later.as_bytes()).unwrap();
    assert_eq!(s.route.and_then(|r| r.id).as_deref(), Some("de"));

    let r: ReceiptRecord = decode(
        br#"{"connection":"c","message_id":"1","stat":"DELIVRD","is_final":true,"err":null,"network_error":[3,1],"done_at":5,"received_at":1}"#,
    )
    .unwrap();
    assert_eq!((r.state, r.network_error), (ReceiptState::Reported(FinalState::Delivered), Some((3, 1))));
    let stand_in: ReceiptRecord =
        decode(br#"{"connection":"c","message_id":"1","stat":"KEYREUSE","is_final":true,"received_at":1}"#).unwrap();
    assert_eq!(stand_in.state, ReceiptState::Collided);

    let segment = format!(
        r#"{{"submit":{oldest},"receipt":{{"connection":"sim","message_id":"x","stat":"EXPIRED","is_final":true,"received_at":1}}}}"#
    );
    match decode::<Outcome>(segment.as_bytes()).unwrap() {
        Outcome::Segment(s) => assert_eq!(s.receipt.state.status(), Status::Expired),
        other => panic!("{other:?}"),
    }
    let event = serde_json::to_string(&StatusEvent::new("r-9".to_owned(), Status::Rejected, 7)).unwrap();
    match decode::<Outcome>(format!(r#"{{"event":{event}}}"#).as_bytes()).unwrap() {
        Outcome::Terminal(t) => assert_eq!((t.event.request_id.as_str(), t.trace.len()), ("r-9", 0)),
        other => panic!("{other:?}"),
    }

    let p: MoPart = decode(
        br#"{"connection":"c","from":"1","to":"2","reference":7,"total":2,"seq":1,"data_coding":0,"body":[65],"received_at":1}"#,
    )
    .unwrap();
    assert_eq!((p.reference, p.locking_shift, p.body), (7, None, vec![65]));
}

/// Version 1 bytes as this release writes them: reading them must never break.
#[test]
fn version_1_records_read_from_fixed_bytes() {
    let bytes = hex(RECEIPT_V1);
    assert_eq!(decode::<ReceiptRecord>(&bytes).unwrap(), receipt());
    assert_eq!(encode_as(&receipt(), Format::Compact).unwrap(), bytes, "the encoding is stable");
    let bytes = hex(SUBMIT_V1);
    assert_eq!(decode::<SubmitRecord>(&bytes).unwrap(), submit());
}

#[test]
fn bad_records_are_errors_not_panics() {
    assert!(matches!(decode::<ReceiptRecord>(b""), Err(DecodeError::Empty)));
    assert!(matches!(decode::<ReceiptRecord>(&[0x02, 1, 2]), Err(DecodeError::Version(2))));
    assert!(matches!(decode::<ReceiptRecord>(b"{not json"), Err(DecodeError::Json(_))));
    assert!(matches!(decode::<Outcome>(&[0x01]), Err(DecodeError::Compact(_))), "an outcome that is neither");
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for len in 0..400 {
        let mut bytes = vec![0x01];
        for _ in 0..len % 60 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push(state as u8);
        }
        let _ = decode::<SubmitRecord>(&bytes);
        let _ = decode::<ReceiptRecord>(&bytes);
        let _ = decode::<Outcome>(&bytes);
        let _ = decode::<MoPart>(&bytes);
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

const RECEIPT_V1: &str =
    "010a06736d73632d61120261321a07554e44454c495620012a03303334300338810840a0d9b1bfa134489bdab1bfa134";
const SUBMIT_V1: &str = "010a03722d31100218032206736d73632d612a0261312a0261322a0030ec86aebfa1343a0461636d6542060a016b1201764a460a0b7472616365706172656e74123730302d30616637363531393136636434336464383434386562323131633830333139632d623761643662373136393230333333312d3031520e0a02646512086661696c6f766572";

//! The state records (done markers, link reports, opt-outs, quota counts,
//! finals markers, route and reroute headers) have one version, JSON, and go
//! through the same versioned [`records::decode`] as the per-message
//! records: each reads back as earlier releases wrote it (the literal bytes
//! below, with and without the fields added since), and a record of a
//! version this release does not know is an error naming it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use events::{Priority, RouteInfo};
use records::{decode, DecodeError, DoneMarker, LinkReport, Marker, OptOut, QuotaCount, Record, Reroute};

fn reads<T: Record + PartialEq + std::fmt::Debug>(bytes: &str, expected: T) {
    assert_eq!(decode::<T>(bytes.as_bytes()).unwrap(), expected, "{bytes}");
}

#[test]
fn state_records_of_earlier_releases_read() {
    let done = |priority, to: Option<&str>| DoneMarker {
        connection: "a".into(),
        status: if to.is_some() { "REROUTED" } else { "DELIVERED" }.into(),
        priority,
        to: to.map(str::to_owned),
    };
    // Before lanes (no priority), with a lane, and handed over.
    reads(r#"{"connection":"a","status":"DELIVERED"}"#, done(Priority::Normal, None));
    reads(r#"{"connection":"a","priority":"urgent","status":"DELIVERED"}"#, done(Priority::Urgent, None));
    reads(r#"{"connection":"a","priority":"high","status":"REROUTED","to":"b"}"#, done(Priority::High, Some("b")));

    let link = |stopped| LinkReport { queue_lag: 7, window_in_use: 2, stopped, ..LinkReport::new("a", "h/1/0", 2, 5) };
    // Before `stopped` was added, and with it.
    reads(r#"{"connection":"a","replica":"h/1/0","binds":2,"queue_lag":7,"window_in_use":2,"at":5}"#, link(false));
    reads(
        r#"{"connection":"a","replica":"h/1/0","binds":2,"queue_lag":7,"window_in_use":2,"at":5,"stopped":true}"#,
        link(true),
    );

    reads(
        r#"{"number":"4912345","subscriber":"4915112345678","opted_out":true,"inbound_id":"in-1","at":9}"#,
        OptOut {
            number: "4912345".into(),
            subscriber: "4915112345678".into(),
            opted_out: true,
            inbound_id: "in-1".into(),
            at: 9,
        },
    );
    reads(
        r#"{"tenant":"acme","day":20000,"replica":"r1","count":42}"#,
        QuotaCount { tenant: "acme".into(), day: 20_000, replica: "r1".into(), count: 42 },
    );
    // Finals markers before `floor`, and with it.
    reads(r#"{"status":"DELIVERED"}"#, Marker { status: "DELIVERED".into(), floor: None });
    reads(r#"{"status":"FAILED","floor":12}"#, Marker { status: "FAILED".into(), floor: Some(12) });
    reads(r#"{"after_ms":3000,"to":["b","c"]}"#, Reroute { after_ms: 3000, to: vec!["b".into(), "c".into()] });
    reads(
        r#"{"id":"de","reason":"failover: a has had no link for 61s"}"#,
        RouteInfo { id: Some("de".into()), reason: Some("failover: a has had no link for 61s".into()) },
    );
    reads(r#"{"id":null,"reason":null}"#, RouteInfo { id: None, reason: None });
}

#[test]
fn what_is_written_reads_back() {
    let marker = DoneMarker { connection: "a".into(), status: "FAILED".into(), priority: Priority::Normal, to: None };
    let written = records::encode(&marker).unwrap();
    // The normal lane's marker is the one every release has read.
    assert_eq!(written, br#"{"connection":"a","status":"FAILED"}"#);
    assert_eq!(decode::<DoneMarker>(&written).unwrap(), marker);
    let report = LinkReport::new("a", "r", 1, 3);
    assert_eq!(decode::<LinkReport>(&records::encode(&report).unwrap()).unwrap(), report);
}

#[test]
fn an_unknown_version_is_an_error_naming_it() {
    // A state record has no compact form: version 1 bytes are refused, and
    // a version after it is named.
    assert!(matches!(decode::<LinkReport>(&[0x01, 0x0a, 0x01, b'a']), Err(DecodeError::Compact(_))));
    let e = decode::<DoneMarker>(&[0x02, 0x00]).unwrap_err();
    assert!(matches!(e, DecodeError::Version(2)), "{e}");
    assert!(e.to_string().contains("0x02"), "{e}");
    assert!(matches!(decode::<OptOut>(b""), Err(DecodeError::Empty)));
    assert!(matches!(decode::<QuotaCount>(br#"{"tenant":"acme"}"#), Err(DecodeError::Json(_))));
}

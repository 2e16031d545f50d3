//! Every event type survives encode → decode through each framing, and the
//! bytes under the header are a valid datum of the embedded schema.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::collections::BTreeMap;

use events::apache_avro::{self, Schema};
use events::{
    decode_inbound, decode_request, decode_status, encode_inbound, encode_request, encode_status, schema, Encoding,
    ErrorInfo, Framing, InboundMessage, Priority, RouteInfo, SchemaKind, SchemaLookup, SendRequest, Status,
    StatusEvent,
};
use proptest::prelude::*;

const FRAMINGS: [Framing; 2] = [Framing::SingleObject, Framing::Confluent { schema_id: 7 }];

/// A registry that knows our current schemas under fixed ids.
struct Registry;

impl SchemaLookup for Registry {
    fn schema_by_id(&self, id: u32) -> Option<Schema> {
        match id {
            7 => Some(schema(SchemaKind::StatusEvent).clone()),
            8 => Some(schema(SchemaKind::InboundMessage).clone()),
            9 => Some(schema(SchemaKind::SendRequest).clone()),
            _ => None,
        }
    }
}

/// Decodes the datum after the header with the plain schema and checks it validates.
fn assert_valid_datum(bytes: &[u8], framing: Framing, kind: SchemaKind) {
    let body = match framing {
        Framing::SingleObject => {
            assert_eq!(&bytes[..2], &[0xC3, 0x01]);
            &bytes[10..]
        }
        Framing::Confluent { schema_id } => {
            assert_eq!(bytes[0], 0);
            assert_eq!(&bytes[1..5], &schema_id.to_be_bytes());
            &bytes[5..]
        }
    };
    let mut cursor = body;
    let value = apache_avro::from_avro_datum(schema(kind), &mut cursor, None).unwrap();
    assert!(cursor.is_empty(), "trailing bytes");
    assert!(value.validate(schema(kind)), "{value:?} does not validate");
}

fn full_status() -> StatusEvent {
    StatusEvent {
        request_id: "r-1".into(),
        status: Status::Undeliverable,
        connection: Some("smpp-a".into()),
        message_ids: vec!["0a1b".into(), "0a1c".into()],
        segments: 2,
        error: Some(ErrorInfo {
            code: events::ErrorCode::InvalidDestination,
            protocol_code: Some(11),
            text: "dlr err:011".into(),
        }),
        timestamp: 1_700_000_000_123,
        submitted_at: Some(1_700_000_000_000),
        done_at: Some(1_700_000_060_000),
        tenant: Some("acme".into()),
        metadata: BTreeMap::from([("order".into(), "42".into())]),
        route: Some(RouteInfo { id: Some("de-mobile".into()), reason: Some("failover: smpp-b down for 31s".into()) }),
    }
}

fn full_inbound() -> InboundMessage {
    InboundMessage {
        id: "mo-1".into(),
        connection: "smpp-a".into(),
        from: "+4915112345678".into(),
        to: "12345".into(),
        text: Some("STOP ünïcode ✓".into()),
        payload: Some(vec![0, 1, 2, 255]),
        data_coding: 8,
        segments: 3,
        smsc_timestamp: Some(1_700_000_000_000),
        received_at: 1_700_000_000_500,
        metadata: BTreeMap::from([("sar_msg_ref_num".into(), "17".into())]),
    }
}

fn full_request() -> SendRequest {
    SendRequest {
        id: "r-1".into(),
        to: "+4915112345678".into(),
        from: Some("ACME".into()),
        text: Some("Your code is 123456".into()),
        payload: None,
        data_coding: None,
        encoding: Encoding::Ucs2,
        priority: Priority::Urgent,
        send_at: Some(1_700_000_000_000),
        expires_at: Some(1_700_000_300_000),
        delivery_report: true,
        connection: Some("smpp-a".into()),
        flash: true,
        tenant: Some("acme".into()),
        metadata: BTreeMap::from([("a".into(), "b".into())]),
    }
}

#[test]
fn status_event_round_trips_in_every_framing() {
    for event in [full_status(), StatusEvent::new("r-2", Status::Accepted, 0)] {
        for framing in FRAMINGS {
            let bytes = encode_status(&event, framing).unwrap();
            assert_valid_datum(&bytes, framing, SchemaKind::StatusEvent);
            assert_eq!(decode_status(&bytes, None).unwrap(), event);
            assert_eq!(decode_status(&bytes, Some(&Registry)).unwrap(), event);
        }
    }
}

#[test]
fn every_status_symbol_round_trips() {
    for status in Status::ALL {
        let event = StatusEvent::new("r", status, 1);
        let bytes = encode_status(&event, Framing::SingleObject).unwrap();
        assert_eq!(decode_status(&bytes, None).unwrap().status, status);
    }
}

#[test]
fn inbound_message_round_trips_in_every_framing() {
    let minimal =
        InboundMessage { text: None, payload: None, smsc_timestamp: None, metadata: BTreeMap::new(), ..full_inbound() };
    for message in [full_inbound(), minimal] {
        for framing in [Framing::SingleObject, Framing::Confluent { schema_id: 8 }] {
            let bytes = encode_inbound(&message, framing).unwrap();
            assert_valid_datum(&bytes, framing, SchemaKind::InboundMessage);
            assert_eq!(decode_inbound(&bytes, None).unwrap(), message);
            assert_eq!(decode_inbound(&bytes, Some(&Registry)).unwrap(), message);
        }
    }
}

#[test]
fn send_request_round_trips_in_every_framing() {
    let binary = SendRequest {
        text: None,
        payload: Some(vec![0x06, 0x05, 0x04, 0x0b, 0x84]),
        data_coding: Some(0xf5),
        encoding: Encoding::Binary,
        ..full_request()
    };
    let minimal = SendRequest { id: "r-3".into(), to: "+1".into(), text: Some(String::new()), ..Default::default() };
    for request in [full_request(), binary, minimal] {
        for framing in [Framing::SingleObject, Framing::Confluent { schema_id: 9 }] {
            let bytes = encode_request(&request, framing).unwrap();
            assert_valid_datum(&bytes, framing, SchemaKind::SendRequest);
            assert_eq!(decode_request(&bytes, None).unwrap(), request);
            assert_eq!(decode_request(&bytes, Some(&Registry)).unwrap(), request);
        }
    }
}

#[test]
fn events_are_not_decoded_as_the_wrong_kind() {
    let bytes = encode_status(&full_status(), Framing::SingleObject).unwrap();
    let err = decode_inbound(&bytes, None).unwrap_err();
    assert!(err.is_undecodable());
    assert!(err.to_string().contains("unknown schema fingerprint"), "{err}");
}

#[test]
fn unknown_confluent_schema_id_is_undecodable() {
    let bytes = encode_status(&full_status(), Framing::Confluent { schema_id: 99 }).unwrap();
    let err = decode_status(&bytes, Some(&Registry)).unwrap_err();
    assert!(err.is_undecodable());
    assert_eq!(err.to_string(), "undecodable message: unknown schema id 99");
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(".{0,20}")
}

fn metadata() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(".{0,8}", ".{0,16}", 0..4)
}

prop_compose! {
    fn status_event()(
        request_id in ".{0,40}",
        status in proptest::sample::select(Status::ALL.to_vec()),
        connection in opt_text(),
        message_ids in proptest::collection::vec("[0-9a-f]{1,16}", 0..5),
        segments: u16,
        error in proptest::option::of((".{0,10}", any::<Option<i32>>(), ".{0,30}")),
        timestamp: i64,
        submitted_at: Option<i64>,
        done_at: Option<i64>,
        tenant in opt_text(),
        metadata in metadata(),
        route in proptest::option::of((opt_text(), opt_text())),
    ) -> StatusEvent {
        StatusEvent {
            request_id, status, connection, message_ids, segments,
            error: error.map(|(code, protocol_code, text)| ErrorInfo { code: events::ErrorCode::parse(&code), protocol_code, text }),
            timestamp, submitted_at, done_at, tenant, metadata,
            route: route.map(|(id, reason)| RouteInfo { id, reason }),
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_status_events_round_trip(event in status_event(), id: u32) {
        for framing in [Framing::SingleObject, Framing::Confluent { schema_id: id }] {
            let bytes = encode_status(&event, framing).unwrap();
            prop_assert_eq!(decode_status(&bytes, None).unwrap(), event.clone());
        }
    }

    #[test]
    fn arbitrary_inbound_messages_round_trip(
        text in opt_text(), payload in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
        data_coding: u8, segments: u16, smsc_timestamp: Option<i64>, received_at: i64, metadata in metadata(),
    ) {
        let message = InboundMessage { text, payload, data_coding, segments, smsc_timestamp, received_at, metadata, ..full_inbound() };
        let bytes = encode_inbound(&message, Framing::SingleObject).unwrap();
        prop_assert_eq!(decode_inbound(&bytes, None).unwrap(), message);
    }
}

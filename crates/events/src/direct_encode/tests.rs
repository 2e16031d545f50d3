//! The direct encoder against apache-avro: same bytes, same values back, and
//! the field lists in step with the embedded schemas.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use apache_avro::Schema;
use proptest::prelude::*;

use super::*;
use crate::model::{Encoding, Metadata, Priority, Status};
use crate::schemas::{schema, SchemaKind};
use crate::wire::{self, Framing};
use crate::{decode_inbound, decode_status, encode_inbound, encode_request, encode_status, reference};

const FRAMINGS: [Framing; 2] = [Framing::SingleObject, Framing::Confluent { schema_id: 0x0102_0304 }];

fn field_names(schema: &Schema) -> Vec<&str> {
    match schema {
        Schema::Record(record) => record.fields.iter().map(|f| f.name.as_str()).collect(),
        other => panic!("expected a record schema, got {other:?}"),
    }
}

/// The record inside the `["null", Error]` union of `StatusEvent.error`.
fn error_schema() -> &'static Schema {
    union_record("error")
}

/// The record inside the `["null", record]` union of the StatusEvent field `name`.
fn union_record(name: &str) -> &'static Schema {
    let Schema::Record(status) = schema(SchemaKind::StatusEvent) else { panic!("StatusEvent is a record") };
    let field = status.fields.iter().find(|f| f.name == name).expect("the field");
    let Schema::Union(union) = &field.schema else { panic!("error is a union") };
    union.variants().iter().find(|s| matches!(s, Schema::Record(_))).expect("a record branch")
}

#[test]
fn field_lists_match_the_schemas_in_order() {
    assert_eq!(field_names(schema(SchemaKind::StatusEvent)), STATUS_FIELDS);
    assert_eq!(field_names(error_schema()), ERROR_FIELDS);
    assert_eq!(field_names(union_record("route")), ROUTE_FIELDS);
    assert_eq!(field_names(schema(SchemaKind::SendRequest)), REQUEST_FIELDS);
    assert_eq!(field_names(schema(SchemaKind::InboundMessage)), INBOUND_FIELDS);
}

#[test]
fn enum_symbols_match_the_model_indexes() {
    let symbols = |kind, field: &str| {
        let Schema::Record(record) = schema(kind) else { panic!("a record") };
        let f = record.fields.iter().find(|f| f.name == field).expect("the enum field");
        let Schema::Enum(e) = &f.schema else { panic!("{field} is an enum") };
        e.symbols.clone()
    };
    let status: Vec<_> = Status::ALL.iter().map(|s| (s.index() as usize, s.symbol().to_owned())).collect();
    let expected: Vec<_> = symbols(SchemaKind::StatusEvent, "status").into_iter().enumerate().collect();
    assert_eq!(status, expected);
    let encodings = [Encoding::Auto, Encoding::Gsm7, Encoding::Ucs2, Encoding::Latin1, Encoding::Binary];
    let encoding: Vec<_> = encodings.iter().map(|e| (e.index() as usize, e.symbol().to_owned())).collect();
    let expected: Vec<_> = symbols(SchemaKind::SendRequest, "encoding").into_iter().enumerate().collect();
    assert_eq!(encoding, expected);
}

// ---- comparing with apache-avro ----

/// Reads a zig-zag varint `long` at the start of `bytes`; returns it and the rest.
fn read_long(bytes: &[u8]) -> (i64, &[u8]) {
    let (mut z, mut shift, mut i) = (0u64, 0, 0);
    loop {
        let b = bytes[i];
        z |= u64::from(b & 0x7F) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    (((z >> 1) as i64) ^ -((z & 1) as i64), &bytes[i..])
}

/// Splits a length-prefixed string off the front of `bytes`: (its content,
/// the whole encoding, the rest).
fn split_string(bytes: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let (len, rest) = read_long(bytes);
    let end = bytes.len() - rest.len() + usize::try_from(len).unwrap();
    (&bytes[bytes.len() - rest.len()..end], &bytes[..end], &bytes[end..])
}

/// apache-avro writes `metadata` from a `HashMap`, in arbitrary order; the
/// direct encoder in key order. `metadata` starts at `map_start` and is
/// followed by `tail` bytes of later fields: this rewrites apache-avro's map
/// block with its entries sorted by key (the order of `BTreeMap<String, _>`,
/// byte-wise), so that everything else is compared byte for byte.
fn sort_trailing_map(bytes: &[u8], map_start: usize, tail: usize) -> Vec<u8> {
    let (head, map) = bytes.split_at(map_start);
    let (count, mut rest) = read_long(map);
    let count_bytes = &map[..map.len() - rest.len()];
    let mut entries = Vec::new();
    for _ in 0..count {
        let (key, whole_key, after_key) = split_string(rest);
        let (_, whole_value, after_value) = split_string(after_key);
        entries.push((key, whole_key, whole_value));
        rest = after_value;
    }
    if count > 0 {
        // apache-avro writes one block, so the next is the end block.
        assert_eq!(rest.first(), Some(&0), "end of map");
        rest = &rest[1..];
    }
    assert_eq!(rest.len(), tail, "bytes after the map");
    entries.sort_by_key(|(key, _, _)| *key);
    let mut out = [head, count_bytes].concat();
    for (_, key, value) in entries {
        out.extend_from_slice(key);
        out.extend_from_slice(value);
    }
    if count > 0 {
        out.push(0);
    }
    out.extend_from_slice(rest);
    out
}

/// Checks the direct encoding of one value against apache-avro's.
/// `bare` is the reference encoding of the same value with empty metadata;
/// `tail` the length of the fields after metadata.
fn assert_same_bytes(
    direct: &[u8],
    reference: &[u8],
    bare: &[u8],
    entries: usize,
    tail: usize,
) -> Result<(), TestCaseError> {
    // An empty map is the single end block: metadata starts `tail` bytes before the last byte.
    let map_start = bare.len() - 1 - tail;
    prop_assert_eq!(&direct[..map_start], &reference[..map_start], "fields before metadata");
    prop_assert_eq!(direct, &sort_trailing_map(reference, map_start, tail)[..], "metadata");
    if entries <= 1 {
        prop_assert_eq!(direct, reference, "no order to differ in");
    }
    Ok(())
}

// ---- generated values ----

/// Unicode of any kind (control characters and NUL included), sometimes long
/// enough for a multi-byte length.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![4 => any::<String>(), 1 => "(?s).{64,200}", 1 => Just(String::new())]
}

fn metadata() -> impl Strategy<Value = Metadata> {
    // Up to 80 entries: counts above 63 take two bytes.
    prop_oneof![
        Just(Metadata::new()),
        prop::collection::btree_map(text(), text(), 1..4),
        prop::collection::btree_map(text(), text(), 0..80)
    ]
}

fn timestamp() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), 1_600_000_000_000i64..1_900_000_000_000]
}

/// Any int, with the extremes and zero more often than chance gives them.
fn int() -> impl Strategy<Value = i32> {
    prop_oneof![4 => any::<i32>(), 1 => Just(i32::MIN), 1 => Just(i32::MAX), 1 => Just(0), 1 => -64..64]
}

fn segments() -> impl Strategy<Value = u16> {
    prop_oneof![any::<u16>(), Just(0), Just(u16::MAX), 1..10u16]
}

fn payload() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::of(prop::collection::vec(any::<u8>(), 0..300))
}

fn error_info() -> impl Strategy<Value = ErrorInfo> {
    (text(), prop::option::of(int()), text()).prop_map(|(code, protocol_code, text)| ErrorInfo {
        code: crate::ErrorCode::parse(&code),
        protocol_code,
        text,
    })
}

fn status_event() -> impl Strategy<Value = StatusEvent> {
    (
        (text(), prop::sample::select(Status::ALL.to_vec()), prop::option::of(text())),
        (prop::collection::vec(text(), 0..8), segments(), prop::option::of(error_info())),
        (timestamp(), prop::option::of(timestamp()), prop::option::of(timestamp())),
        (prop::option::of(text()), metadata(), prop::option::of((prop::option::of(text()), prop::option::of(text())))),
    )
        .prop_map(
            |(
                (request_id, status, connection),
                (message_ids, segments, error),
                (timestamp, submitted_at, done_at),
                (tenant, metadata, route),
            )| StatusEvent {
                request_id,
                status,
                connection,
                message_ids,
                segments,
                error,
                timestamp,
                submitted_at,
                done_at,
                tenant,
                metadata,
                route: route.map(|(id, reason)| RouteInfo { id, reason }),
            },
        )
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop::sample::select(vec![Encoding::Auto, Encoding::Gsm7, Encoding::Ucs2, Encoding::Latin1, Encoding::Binary])
}

fn priority() -> impl Strategy<Value = Priority> {
    prop::sample::select(vec![Priority::Normal, Priority::High, Priority::Urgent])
}

/// Any request, valid or not: `encode_request` does not validate.
fn send_request() -> impl Strategy<Value = SendRequest> {
    (
        (text(), text(), prop::option::of(text()), prop::option::of(text()), payload()),
        (prop::option::of(any::<u8>()), encoding(), priority(), prop::option::of(timestamp())),
        (prop::option::of(timestamp()), any::<bool>(), prop::option::of(text()), any::<bool>()),
        (prop::option::of(text()), metadata()),
    )
        .prop_map(
            |(
                (id, to, from, text, payload),
                (data_coding, encoding, priority, send_at),
                (expires_at, delivery_report, connection, flash),
                (tenant, metadata),
            )| SendRequest {
                id,
                to,
                from,
                text,
                payload,
                data_coding,
                encoding,
                priority,
                send_at,
                expires_at,
                delivery_report,
                connection,
                flash,
                tenant,
                metadata,
            },
        )
}

fn inbound_message() -> impl Strategy<Value = InboundMessage> {
    (
        (text(), text(), text(), text()),
        (prop::option::of(text()), payload(), any::<u8>(), segments()),
        (prop::option::of(timestamp()), timestamp(), metadata()),
    )
        .prop_map(
            |(
                (id, connection, from, to),
                (text, payload, data_coding, segments),
                (smsc_timestamp, received_at, metadata),
            )| InboundMessage {
                id,
                connection,
                from,
                to,
                text,
                payload,
                data_coding,
                segments,
                smsc_timestamp,
                received_at,
                metadata,
            },
        )
}

// ---- the properties ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn status_events_encode_as_apache_avro_does(event in status_event()) {
        let bare = StatusEvent { metadata: Metadata::new(), ..event.clone() };
        for framing in FRAMINGS {
            let direct = encode_status(&event, framing).unwrap();
            let reference = reference::encode_status(&event, framing).unwrap();
            let bare = reference::encode_status(&bare, framing).unwrap();
            let mut tail = Vec::new();
            binary::optional(&mut tail, event.route.as_ref(), route);
            assert_same_bytes(&direct, &reference, &bare, event.metadata.len(), tail.len())?;
            prop_assert!(direct.len() <= wire::SINGLE_OBJECT_HEADER_LEN + status_size(&event));
            prop_assert_eq!(decode_status(&direct, None).unwrap(), event.clone());
        }
    }

    #[test]
    fn send_requests_encode_as_apache_avro_does(request in send_request()) {
        let bare = SendRequest { metadata: Metadata::new(), ..request.clone() };
        // Decoding reads a payload with encoding AUTO as BINARY.
        let mut expected = request.clone();
        expected.normalise_encoding();
        for framing in FRAMINGS {
            let direct = encode_request(&request, framing).unwrap();
            let reference = reference::encode_request(&request, framing).unwrap();
            let bare = reference::encode_request(&bare, framing).unwrap();
            assert_same_bytes(&direct, &reference, &bare, request.metadata.len(), 0)?;
            prop_assert!(direct.len() <= wire::SINGLE_OBJECT_HEADER_LEN + request_size(&request));
            // `decode_request` minus validation, which arbitrary requests fail.
            let value = wire::decode_avro(SchemaKind::SendRequest, wire::detect(&direct).unwrap(), None).unwrap();
            prop_assert_eq!(crate::request::from_value(value).unwrap(), expected.clone());
        }
    }

    #[test]
    fn inbound_messages_encode_as_apache_avro_does(message in inbound_message()) {
        let bare = InboundMessage { metadata: Metadata::new(), ..message.clone() };
        for framing in FRAMINGS {
            let direct = encode_inbound(&message, framing).unwrap();
            let reference = reference::encode_inbound(&message, framing).unwrap();
            let bare = reference::encode_inbound(&bare, framing).unwrap();
            assert_same_bytes(&direct, &reference, &bare, message.metadata.len(), 0)?;
            prop_assert!(direct.len() <= wire::SINGLE_OBJECT_HEADER_LEN + inbound_size(&message));
            prop_assert_eq!(decode_inbound(&direct, None).unwrap(), message.clone());
        }
    }
}

#[test]
fn valid_requests_round_trip_through_decode_request() {
    let request = SendRequest {
        id: "r-1".into(),
        to: "+4915112345678".into(),
        payload: Some(vec![0, 1, 0xff]),
        data_coding: Some(0xf5),
        encoding: Encoding::Auto,
        metadata: Metadata::from([("b".into(), "2".into()), ("a".into(), "1".into()), ("ü".into(), "€".into())]),
        ..SendRequest::default()
    };
    for framing in FRAMINGS {
        let decoded = crate::decode_request(&encode_request(&request, framing).unwrap(), None).unwrap();
        assert_eq!(decoded, SendRequest { encoding: Encoding::Binary, ..request.clone() });
    }
}

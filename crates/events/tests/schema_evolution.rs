//! Schemas evolve compatibly: every published version in `schemas/history/`
//! stays readable by the current schema and, where Avro allows, the current
//! schema's data stays readable by old readers.
//!
//! To change a schema: edit `schemas/x.avsc`, give every new field a default,
//! copy the result to `schemas/history/x.vN.avsc` and list it in
//! `src/schemas.rs`. These tests then check the new version against all old ones.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::collections::BTreeMap;

use events::apache_avro::{self, schema_compatibility::SchemaCompatibility, types::Value, Schema};
use events::{
    decode_inbound, decode_request, decode_status, encode_inbound, encode_request, encode_status, schema,
    schema_history, schema_json, Encoding, ErrorInfo, Framing, InboundMessage, Priority, SchemaKind, SchemaLookup,
    SendRequest, Status, StatusEvent,
};
use serde_json::Value as Json;

/// Fields present in `current` but not in `old` that lack a default, as
/// `Record.field` names, recursing into nested records.
fn new_fields_without_default(current: &Json, old: &Json) -> Vec<String> {
    let mut old_records = BTreeMap::new();
    collect_records(old, &mut old_records);
    let mut current_records = BTreeMap::new();
    collect_records(current, &mut current_records);
    let mut missing = Vec::new();
    for (name, fields) in current_records {
        let old_fields = old_records.get(&name);
        for field in fields {
            let field_name = field["name"].as_str().expect("field name");
            let known = old_fields.is_some_and(|f| f.iter().any(|o| o["name"] == field["name"]));
            if !known && field.get("default").is_none() {
                missing.push(format!("{name}.{field_name}"));
            }
        }
    }
    missing
}

fn collect_records<'a>(json: &'a Json, out: &mut BTreeMap<String, Vec<&'a Json>>) {
    match json {
        Json::Object(map) => {
            if map.get("type") == Some(&Json::from("record")) {
                let name = map["name"].as_str().expect("record name").to_owned();
                let fields = map["fields"].as_array().expect("fields");
                out.insert(name, fields.iter().collect());
            }
            map.values().for_each(|v| collect_records(v, out));
        }
        Json::Array(items) => items.iter().for_each(|v| collect_records(v, out)),
        _ => {}
    }
}

fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap()
}

#[test]
fn every_field_added_since_a_published_version_has_a_default() {
    for kind in SchemaKind::ALL {
        let current = json(schema_json(kind));
        for old in schema_history(kind) {
            let missing = new_fields_without_default(&current, &json(old));
            assert!(missing.is_empty(), "{kind:?}: new fields without default: {missing:?}");
        }
    }
}

#[test]
fn the_default_check_catches_a_field_without_default() {
    let old = json(schema_json(SchemaKind::StatusEvent));
    let mut new = old.clone();
    new["fields"].as_array_mut().unwrap().push(serde_json::json!({"name": "cost", "type": "long"}));
    let error_fields = new["fields"][5]["type"][1]["fields"].as_array_mut().unwrap();
    error_fields.push(serde_json::json!({"name": "retryable", "type": "boolean"}));
    error_fields.push(serde_json::json!({"name": "hint", "type": ["null", "string"], "default": null}));
    assert_eq!(
        new_fields_without_default(&new, &old),
        vec!["Error.retryable".to_owned(), "StatusEvent.cost".to_owned()]
    );
}

#[test]
fn avro_compatibility_holds_both_ways_with_every_published_version() {
    for kind in SchemaKind::ALL {
        for old in schema_history(kind) {
            let old = Schema::parse_str(old).unwrap();
            // New readers read old data (backward compatibility).
            SchemaCompatibility::can_read(&old, schema(kind)).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            // Old readers read new data (forward compatibility).
            SchemaCompatibility::can_read(schema(kind), &old).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        }
    }
}

/// Serves one writer schema under id 1.
struct Registry(Schema);

impl SchemaLookup for Registry {
    fn schema_by_id(&self, id: u32) -> Option<Schema> {
        (id == 1).then(|| self.0.clone())
    }
}

/// Re-encodes a current-schema datum as `old` would have written it: decode it
/// with `old` as reader (an old consumer reading new data), then write that
/// value with `old` under a Confluent header whose id maps to `old`.
fn as_written_by(old: &Schema, kind: SchemaKind, current_confluent: &[u8]) -> Vec<u8> {
    let value: Value = apache_avro::from_avro_datum(schema(kind), &mut &current_confluent[5..], Some(old))
        .unwrap_or_else(|e| panic!("old reader cannot read new {kind:?} data: {e}"));
    assert!(value.validate(old));
    let mut bytes = vec![0, 0, 0, 0, 1];
    bytes.extend(apache_avro::to_avro_datum(old, value).unwrap());
    bytes
}

#[test]
fn data_written_with_published_versions_decodes_with_the_current_schema() {
    let request = SendRequest {
        id: "r-1".into(),
        to: "+4915112345678".into(),
        text: Some("hi".into()),
        priority: Priority::High,
        expires_at: Some(1_700_000_000_000),
        metadata: BTreeMap::from([("k".into(), "v".into())]),
        ..SendRequest::default()
    };
    let status = StatusEvent {
        message_ids: vec!["a".into()],
        segments: 1,
        error: Some(ErrorInfo {
            code: events::ErrorCode::Throttled,
            protocol_code: Some(0x58),
            text: "ESME_RTHROTTLED".into(),
        }),
        ..StatusEvent::new("r-1", Status::Failed, 1_700_000_000_000)
    };
    let inbound = InboundMessage {
        id: "mo-1".into(),
        connection: "c".into(),
        from: "1".into(),
        to: "2".into(),
        text: Some("STOP".into()),
        payload: None,
        data_coding: 0,
        segments: 1,
        smsc_timestamp: None,
        received_at: 1,
        metadata: BTreeMap::new(),
    };
    let confluent = Framing::Confluent { schema_id: 1 };
    for old in schema_history(SchemaKind::SendRequest) {
        let old = Schema::parse_str(old).unwrap();
        let bytes = as_written_by(&old, SchemaKind::SendRequest, &encode_request(&request, confluent).unwrap());
        assert_eq!(decode_request(&bytes, Some(&Registry(old))).unwrap(), request);
    }
    for old in schema_history(SchemaKind::StatusEvent) {
        let old = Schema::parse_str(old).unwrap();
        let bytes = as_written_by(&old, SchemaKind::StatusEvent, &encode_status(&status, confluent).unwrap());
        assert_eq!(decode_status(&bytes, Some(&Registry(old))).unwrap(), status);
    }
    for old in schema_history(SchemaKind::InboundMessage) {
        let old = Schema::parse_str(old).unwrap();
        let bytes = as_written_by(&old, SchemaKind::InboundMessage, &encode_inbound(&inbound, confluent).unwrap());
        assert_eq!(decode_inbound(&bytes, Some(&Registry(old))).unwrap(), inbound);
    }
}

/// Writes `value` with a producer-side schema under a Confluent header.
fn written_with(writer: &str, value: Value) -> (Registry, Vec<u8>) {
    let writer = Schema::parse_str(writer).unwrap();
    let mut bytes = vec![0, 0, 0, 0, 1];
    bytes.extend(apache_avro::to_avro_datum(&writer, value).unwrap());
    (Registry(writer), bytes)
}

#[test]
fn a_minimal_older_producer_gets_every_default() {
    let writer = r#"{"type":"record","name":"SendRequest","namespace":"io.smsgw","fields":[
        {"name":"id","type":"string"},{"name":"to","type":"string"},{"name":"text","type":["null","string"]}]}"#;
    let value = Value::Record(vec![
        ("id".into(), Value::String("r-1".into())),
        ("to".into(), Value::String("+1".into())),
        ("text".into(), Value::Union(1, Box::new(Value::String("hi".into())))),
    ]);
    let (registry, bytes) = written_with(writer, value);
    let request = decode_request(&bytes, Some(&registry)).unwrap();
    assert_eq!(
        request,
        SendRequest { id: "r-1".into(), to: "+1".into(), text: Some("hi".into()), ..SendRequest::default() }
    );
}

#[test]
fn a_newer_producer_with_extra_fields_and_symbols_is_read() {
    let mut newer = json(schema_json(SchemaKind::SendRequest));
    let fields = newer["fields"].as_array_mut().unwrap();
    fields.push(serde_json::json!({"name": "campaign", "type": ["null", "string"], "default": null}));
    fields[6]["type"]["symbols"].as_array_mut().unwrap().push("UTF8".into());
    let request = SendRequest { id: "r-1".into(), to: "+1".into(), text: Some("hi".into()), ..SendRequest::default() };
    let mut value: Value = apache_avro::from_avro_datum(
        schema(SchemaKind::SendRequest),
        &mut &encode_request(&request, Framing::Confluent { schema_id: 1 }).unwrap()[5..],
        None,
    )
    .unwrap();
    if let Value::Record(fields) = &mut value {
        fields[6].1 = Value::Enum(5, "UTF8".into());
        fields.push(("campaign".into(), Value::Union(1, Box::new(Value::String("spring".into())))));
    }
    let (registry, bytes) = written_with(&newer.to_string(), value);
    let decoded = decode_request(&bytes, Some(&registry)).unwrap();
    // Unknown symbol falls back to the enum default; the unknown field is dropped.
    assert_eq!(decoded.encoding, Encoding::Auto);
    assert_eq!(decoded, request);
}

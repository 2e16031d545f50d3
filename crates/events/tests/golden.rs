//! Single-object header bytes, checked against a CRC-64-AVRO written here from
//! the Avro specification ("Schema Fingerprints"), not against apache-avro's.
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use events::apache_avro;
use events::{
    canonical_form, decode_status, encode_status, fingerprint, schema, schema_fingerprint, Framing, SchemaKind, Status,
    StatusEvent,
};

/// Written by hand from `schemas/inbound_message.avsc` following the spec's
/// transformation rules: full names, only name/type/fields/symbols/items/values,
/// primitive types in simple form (timestamp-millis fields become `"long"`).
const INBOUND_CANONICAL: &str = concat!(
    r#"{"name":"io.smsgw.InboundMessage","type":"record","fields":["#,
    r#"{"name":"id","type":"string"},{"name":"connection","type":"string"},"#,
    r#"{"name":"from","type":"string"},{"name":"to","type":"string"},"#,
    r#"{"name":"text","type":["null","string"]},{"name":"payload","type":["null","bytes"]},"#,
    r#"{"name":"data_coding","type":"int"},{"name":"segments","type":"int"},"#,
    r#"{"name":"smsc_timestamp","type":["null","long"]},{"name":"received_at","type":"long"},"#,
    r#"{"name":"metadata","type":{"type":"map","values":"string"}}]}"#,
);

const EMPTY: u64 = 0xc15d_213a_a4d7_a795;

/// The spec's `fingerprint64`, table built as in the spec's `static {}` block.
fn crc64_avro(data: &[u8]) -> u64 {
    let mut table = [0u64; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut fp = i as u64;
        for _ in 0..8 {
            fp = (fp >> 1) ^ (EMPTY & (fp & 1).wrapping_neg());
        }
        *slot = fp;
    }
    let mut fp = EMPTY;
    for &b in data {
        fp = (fp >> 8) ^ table[((fp ^ u64::from(b)) & 0xff) as usize];
    }
    fp
}

#[test]
fn reference_crc_matches_known_vectors() {
    // The empty input leaves the initial value.
    assert_eq!(crc64_avro(b""), EMPTY);
    // apache/avro share/test/data/schema-tests.txt, cases 000 and 004.
    assert_eq!(crc64_avro(b"\"null\"") as i64, 7_195_948_357_588_979_594);
    assert_eq!(crc64_avro(b"\"int\"") as i64, 8_247_732_601_305_521_295);
}

#[test]
fn canonical_form_follows_the_spec() {
    assert_eq!(canonical_form(schema(SchemaKind::InboundMessage)), INBOUND_CANONICAL);
    for kind in SchemaKind::ALL {
        let form = canonical_form(schema(kind));
        assert!(!form.contains(r#"{"type":"long"}"#), "{form}");
    }
}

#[test]
fn single_object_header_carries_the_crc64_avro_fingerprint_of_the_canonical_form() {
    for kind in SchemaKind::ALL {
        let canonical = canonical_form(schema(kind));
        assert!(canonical.starts_with(&format!("{{\"name\":\"{}\",\"type\":\"record\"", kind.full_name())));
        let expected = crc64_avro(canonical.as_bytes()).to_le_bytes();
        assert_eq!(schema_fingerprint(kind), expected, "{kind:?}");
        assert_eq!(fingerprint(schema(kind)), expected, "{kind:?}");
    }
    let bytes = encode_status(&StatusEvent::new("r", Status::Accepted, 0), Framing::SingleObject).unwrap();
    assert_eq!(&bytes[..2], &[0xC3, 0x01]);
    assert_eq!(bytes[2..10], crc64_avro(canonical_form(schema(SchemaKind::StatusEvent)).as_bytes()).to_le_bytes());
    assert_eq!(schema_fingerprint(SchemaKind::InboundMessage), crc64_avro(INBOUND_CANONICAL.as_bytes()).to_le_bytes());
}

#[test]
fn apache_avro_single_object_writers_are_understood() {
    // apache-avro 0.21 fingerprints its own (non-spec) canonical form; messages
    // from its GenericSingleObjectWriter must still decode.
    let schema = schema(SchemaKind::StatusEvent);
    let event = StatusEvent::new("r-9", Status::Delivered, 5);
    let datum = encode_status(&event, Framing::Confluent { schema_id: 0 }).unwrap();
    let mut writer = apache_avro::GenericSingleObjectWriter::new_with_capacity(schema, 64).unwrap();
    let value = apache_avro::from_avro_datum(schema, &mut &datum[5..], None).unwrap();
    let mut bytes = Vec::new();
    writer.write_value(value, &mut bytes).unwrap();
    assert_ne!(bytes[2..10], schema_fingerprint(SchemaKind::StatusEvent), "apache-avro fixed its canonical form");
    assert_eq!(decode_status(&bytes, None).unwrap(), event);
}

#[test]
fn canonical_form_drops_docs_defaults_and_logical_types() {
    let canonical = schema(SchemaKind::StatusEvent).canonical_form();
    for attribute in ["\"doc\"", "\"default\"", "logicalType"] {
        assert!(!canonical.contains(attribute), "{attribute} in {canonical}");
    }
}

#[test]
fn confluent_header_is_magic_zero_and_big_endian_id() {
    let bytes =
        encode_status(&StatusEvent::new("r", Status::Accepted, 0), Framing::Confluent { schema_id: 0x0102_0304 })
            .unwrap();
    assert_eq!(&bytes[..5], &[0x00, 0x01, 0x02, 0x03, 0x04]);
    // request_id "r": zig-zag length 1 = 0x02, then 'r'; status ACCEPTED = index 0.
    assert_eq!(&bytes[5..9], &[0x02, b'r', 0x00, 0x00]);
}

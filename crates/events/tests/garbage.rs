//! Arbitrary bytes never panic and never decode into something by accident;
//! malformed bodies are "undecodable" (dead letter), not content errors.
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use events::{
    decode_cancel, decode_inbound, decode_request, decode_status, encode_request, schema_fingerprint, DecodeError,
    Framing, SchemaKind, SendRequest,
};
use proptest::prelude::*;

fn single_object(kind: SchemaKind, body: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0xC3, 0x01];
    bytes.extend_from_slice(&schema_fingerprint(kind));
    bytes.extend_from_slice(body);
    bytes
}

#[test]
fn empty_and_short_inputs() {
    assert!(matches!(decode_request(b"", None), Err(DecodeError::Empty)));
    assert!(matches!(decode_request(b"  \n", None), Err(DecodeError::Empty)));
    assert!(matches!(decode_request(&[0xC3], None), Err(DecodeError::TruncatedHeader { .. })));
    assert!(matches!(decode_request(&[0xC3, 0x01, 1, 2], None), Err(DecodeError::TruncatedHeader { .. })));
    assert!(matches!(decode_request(&[0x00, 0, 0], None), Err(DecodeError::TruncatedHeader { .. })));
    assert!(matches!(decode_request(&[0xC3, 0x02], None), Err(DecodeError::UnknownFormat { first_byte: 0xC3 })));
    assert!(matches!(decode_request(b"hello", None), Err(DecodeError::UnknownFormat { first_byte: b'h' })));
}

#[test]
fn unknown_fingerprint_is_named() {
    let err = decode_request(&[0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0], None).unwrap_err();
    assert!(err.is_undecodable());
    assert_eq!(err.to_string(), "undecodable message: unknown schema fingerprint 0102030405060708");
}

#[test]
fn huge_counts_are_refused_before_allocating() {
    // A valid request prefix, then a metadata map claiming 2^40 entries.
    let request = SendRequest { id: "r".into(), to: "1".into(), text: Some("x".into()), ..Default::default() };
    let mut bytes = encode_request(&request, Framing::SingleObject).unwrap();
    assert_eq!(bytes.pop(), Some(0), "empty map terminator");
    bytes.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
    let err = decode_request(&bytes, None).unwrap_err();
    assert!(matches!(err, DecodeError::MalformedAvro { .. }), "{err}");
    // A map claiming 10^8 entries: below apache-avro's own cap, so only our guard stops it.
    let mut bytes = encode_request(&request, Framing::SingleObject).unwrap();
    bytes.pop();
    bytes.extend_from_slice(&[0x80, 0x84, 0xaf, 0x5f]);
    let err = decode_request(&bytes, None).unwrap_err();
    assert!(matches!(err, DecodeError::MalformedAvro { .. }), "{err}");
    // A string claiming 400 MB.
    let err =
        decode_request(&single_object(SchemaKind::SendRequest, &[0x80, 0x80, 0x80, 0x80, 0x03]), None).unwrap_err();
    assert!(matches!(err, DecodeError::MalformedAvro { .. }), "{err}");
}

#[test]
fn trailing_bytes_are_refused() {
    let request = SendRequest { id: "r".into(), to: "1".into(), text: Some("x".into()), ..Default::default() };
    let mut bytes = encode_request(&request, Framing::Confluent { schema_id: 1 }).unwrap();
    bytes.push(0);
    assert!(matches!(decode_request(&bytes, None), Err(DecodeError::TrailingBytes { count: 1 })));
}

fn assert_no_accident<T: std::fmt::Debug>(result: Result<T, DecodeError>) -> Result<(), TestCaseError> {
    if let Err(err) = result {
        // Either undecodable, or a content error with a field name.
        prop_assert!(err.is_undecodable() || err.field().is_some(), "{}", err);
        prop_assert!(!err.to_string().is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        assert_no_accident(decode_request(&bytes, None))?;
        assert_no_accident(decode_status(&bytes, None))?;
        assert_no_accident(decode_inbound(&bytes, None))?;
        assert_no_accident(decode_cancel(&bytes, None))?;
    }

    /// Random bodies behind a valid header reach the Avro decoder.
    #[test]
    fn arbitrary_avro_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut confluent = vec![0, 0, 0, 0, 1];
        confluent.extend_from_slice(&body);
        assert_no_accident(decode_request(&confluent, None))?;
        assert_no_accident(decode_status(&confluent, None))?;
        assert_no_accident(decode_inbound(&confluent, None))?;
        assert_no_accident(decode_cancel(&confluent, None))?;
        assert_no_accident(decode_request(&single_object(SchemaKind::SendRequest, &body), None))?;
        assert_no_accident(decode_status(&single_object(SchemaKind::StatusEvent, &body), None))?;
        assert_no_accident(decode_inbound(&single_object(SchemaKind::InboundMessage, &body), None))?;
        assert_no_accident(decode_cancel(&single_object(SchemaKind::CancelRequest, &body), None))?;
    }

    /// Mutations of a valid message: every byte flip must be handled.
    #[test]
    fn mutated_requests_never_panic(index in 0usize..200, byte: u8) {
        let request = SendRequest {
            id: "r-1".into(), to: "+4915112345678".into(), text: Some("hello".into()),
            metadata: [("k".to_owned(), "v".to_owned())].into(), ..Default::default()
        };
        let mut bytes = encode_request(&request, Framing::SingleObject).unwrap();
        let i = index % bytes.len();
        bytes[i] = byte;
        assert_no_accident(decode_request(&bytes, None))?;
    }

    #[test]
    fn arbitrary_json_objects_never_panic(text in r#"\{("[a-z_]{1,12}":("[^"]{0,10}"|[0-9]{1,20}|true|null|\{\}|\[\]),?){0,6}\}"#) {
        assert_no_accident(decode_request(text.as_bytes(), None))?;
    }
}

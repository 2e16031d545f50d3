//! Cancel requests (`schemas/cancel_request.avsc`): decoding from JSON,
//! Avro single-object or Confluent wire format, like send requests, and
//! Avro encoding for producers and tests.
//!
//! JSON fields are the schema's; `send_at` is epoch milliseconds or an
//! RFC 3339 string (as a send request's, so a client can pass back what it
//! scheduled with). Unknown fields are rejected, and every error names its
//! field and carries the cancel's id when it could be read, so that the
//! cancel can be answered REJECTED under it.

use apache_avro::types::Value;
use serde_json::Map;

use crate::avro_value as av;
use crate::error::{DecodeError, EncodeError};
use crate::model::EpochMillis;
use crate::request_json::{invalid_type, string, timestamp};
use crate::schemas::SchemaKind;
use crate::wire::{self, Framing, SchemaLookup, Wire};

/// A request to cancel a scheduled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRequest {
    /// The cancel's own id: its answer is the status event with this request id.
    pub id: String,
    /// The id of the scheduled message to cancel.
    pub request_id: String,
    /// The message's `send_at`, as it was scheduled.
    pub send_at: EpochMillis,
}

/// Decodes a cancel request, detecting its format as
/// [`crate::decode_request`] does; `id` and `request_id` are not empty.
pub fn decode_cancel(bytes: &[u8], registry: Option<&dyn SchemaLookup>) -> Result<CancelRequest, DecodeError> {
    let cancel = match wire::detect(bytes)? {
        Wire::Json(json) => parse_json(json)?,
        avro => from_value(wire::decode_avro(SchemaKind::CancelRequest, avro, registry)?)?,
    };
    for (field, value) in [("id", &cancel.id), ("request_id", &cancel.request_id)] {
        if value.is_empty() {
            let id = Some(cancel.id.as_str()).filter(|id| !id.is_empty());
            return Err(DecodeError::invalid(field, "must not be empty").with_request_id(id));
        }
    }
    Ok(cancel)
}

/// Encodes a cancel request as Avro under `framing`.
pub fn encode_cancel(cancel: &CancelRequest, framing: Framing) -> Result<Vec<u8>, EncodeError> {
    let value = Value::Record(vec![
        av::field("id", Value::String(cancel.id.clone())),
        av::field("request_id", Value::String(cancel.request_id.clone())),
        av::field("send_at", Value::TimestampMillis(cancel.send_at)),
    ]);
    wire::encode_avro(SchemaKind::CancelRequest, value, framing)
}

fn parse_json(bytes: &[u8]) -> Result<CancelRequest, DecodeError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|source| DecodeError::Json { source })?;
    let serde_json::Value::Object(object) = value else {
        return Err(DecodeError::invalid("(root)", "expected a json object"));
    };
    let id = object.get("id").and_then(serde_json::Value::as_str).map(str::to_owned);
    read_object(object).map_err(|e| e.with_request_id(id.as_deref().filter(|id| !id.is_empty())))
}

fn read_object(object: Map<String, serde_json::Value>) -> Result<CancelRequest, DecodeError> {
    let (mut id, mut request_id, mut send_at) = (None, None, None);
    for (name, value) in object {
        let f = name.as_str();
        match f {
            "id" => id = Some(string(value, f)?),
            "request_id" => request_id = Some(string(value, f)?),
            "send_at" => {
                send_at = match value {
                    serde_json::Value::Null => return Err(invalid_type(f, "epoch milliseconds", &value)),
                    other => timestamp(other, f)?,
                }
            }
            _ => return Err(DecodeError::invalid(f, "unknown field; expected one of id, request_id, send_at")),
        }
    }
    Ok(CancelRequest {
        id: id.ok_or_else(|| DecodeError::invalid("id", "is required"))?,
        request_id: request_id.ok_or_else(|| DecodeError::invalid("request_id", "is required"))?,
        send_at: send_at.ok_or_else(|| DecodeError::invalid("send_at", "is required"))?,
    })
}

fn from_value(value: Value) -> Result<CancelRequest, DecodeError> {
    let (mut id, mut request_id, mut send_at) = (None, None, None);
    for (name, value) in av::record(value, "CancelRequest")? {
        match name.as_str() {
            "id" => id = Some(av::string(value, "id")?),
            "request_id" => request_id = Some(av::string(value, "request_id")?),
            "send_at" => send_at = Some(av::timestamp(value, "send_at")?),
            _ => {}
        }
    }
    let id = id.ok_or_else(|| av::missing("id"))?;
    let missing = |field| av::missing(field).with_request_id(Some(&id));
    Ok(CancelRequest {
        request_id: request_id.ok_or_else(|| missing("request_id"))?,
        send_at: send_at.ok_or_else(|| missing("send_at"))?,
        id,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn cancel() -> CancelRequest {
        CancelRequest { id: "c-1".into(), request_id: "r-1".into(), send_at: 1_900_000_000_000 }
    }

    #[test]
    fn json_with_epoch_ms_or_rfc3339() {
        let ms = br#"{"id":"c-1","request_id":"r-1","send_at":1900000000000}"#;
        assert_eq!(decode_cancel(ms, None).unwrap(), cancel());
        let text = br#"{"id":"c-1","request_id":"r-1","send_at":"2030-03-17T17:46:40Z"}"#;
        assert_eq!(decode_cancel(text, None).unwrap(), cancel());
    }

    #[test]
    fn avro_single_object_and_confluent() {
        let single = encode_cancel(&cancel(), Framing::SingleObject).unwrap();
        assert_eq!(&single[..2], &[0xC3, 0x01]);
        assert_eq!(decode_cancel(&single, None).unwrap(), cancel());
        let confluent = encode_cancel(&cancel(), Framing::Confluent { schema_id: 9 }).unwrap();
        assert_eq!(decode_cancel(&confluent, None).unwrap(), cancel());
        struct Registry;
        impl SchemaLookup for Registry {
            fn schema_by_id(&self, id: u32) -> Option<apache_avro::Schema> {
                (id == 9).then(|| crate::schema(SchemaKind::CancelRequest).clone())
            }
        }
        assert_eq!(decode_cancel(&confluent, Some(&Registry)).unwrap(), cancel());
        let unknown = encode_cancel(&cancel(), Framing::Confluent { schema_id: 10 }).unwrap();
        assert!(decode_cancel(&unknown, Some(&Registry)).unwrap_err().is_undecodable());
    }

    /// A send request is not a cancel: its fingerprint is another schema's.
    #[test]
    fn a_send_request_is_not_a_cancel() {
        let request =
            crate::SendRequest { id: "r-1".into(), to: "+49".into(), text: Some("x".into()), ..Default::default() };
        let bytes = crate::encode_request(&request, Framing::SingleObject).unwrap();
        let err = decode_cancel(&bytes, None).unwrap_err();
        assert!(err.to_string().contains("unknown schema fingerprint"), "{err}");
    }

    /// Each error names its field, and carries the cancel's id when it has one.
    #[test]
    fn errors_name_the_field_and_keep_the_id() {
        let cases: [(&[u8], Option<&str>, &str); 6] = [
            (br#"{"id":"c-1","request_id":"r-1"}"#, Some("c-1"), "send_at"),
            (br#"{"id":"c-1","request_id":"r-1","send_at":"soon"}"#, Some("c-1"), "send_at"),
            (br#"{"id":"c-1","request_id":"r-1","send_at":1,"extra":1}"#, Some("c-1"), "extra"),
            (br#"{"id":"c-1","request_id":"","send_at":1}"#, Some("c-1"), "request_id"),
            (br#"{"id":"","request_id":"r-1","send_at":1}"#, None, "id"),
            (br#"{"request_id":"r-1","send_at":1}"#, None, "id"),
        ];
        for (bytes, id, field) in cases {
            let err = decode_cancel(bytes, None).unwrap_err();
            assert_eq!((err.request_id(), err.field()), (id, Some(field)), "{}: {err}", String::from_utf8_lossy(bytes));
        }
        assert!(decode_cancel(b"{not json", None).unwrap_err().is_undecodable());
    }
}

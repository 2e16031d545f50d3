//! The JSON form of a send request, for `kcat` users and quick tests.
//!
//! ```json
//! {"id":"r-1","to":"+4915112345678","from":"ACME","text":"Your code is 123456",
//!  "priority":2,"expires_at":"2030-01-01T12:00:00Z","metadata":{"order":"42"}}
//! ```
//! Field names are those of the Avro schema, except that a binary payload is
//! given as `payload_hex`. `encoding` is lowercase (`auto`, `gsm7`, `ucs2`,
//! `latin1`, `binary`); `priority` is 0, 1, 2 or `normal`, `high`, `urgent`;
//! timestamps are RFC 3339 strings or epoch milliseconds. `null` means absent.
//! Unknown fields are rejected so that typos (`delivery_reprot`) do not pass
//! silently. Parsed field by field so that every error names its field.

use serde_json::{Map, Value};

use crate::error::DecodeError;
use crate::model::{EpochMillis, Metadata, Priority, SendRequest};
use crate::{rfc3339, Encoding};

const FIELDS: &str = "id, to, from, text, payload_hex, data_coding, encoding, priority, send_at, \
                      expires_at, delivery_report, connection, flash, tenant, metadata";

pub(crate) fn parse(bytes: &[u8]) -> Result<SendRequest, DecodeError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|source| DecodeError::Json { source })?;
    let Value::Object(object) = value else {
        return Err(DecodeError::invalid("(root)", "expected a json object"));
    };
    let id = object.get("id").and_then(Value::as_str).map(str::to_owned);
    read_object(object).map_err(|e| e.with_request_id(id.as_deref()))
}

fn read_object(object: Map<String, Value>) -> Result<SendRequest, DecodeError> {
    let mut r = SendRequest::default();
    let mut id = None;
    let mut to = None;
    for (name, value) in object {
        let f = name.as_str();
        match f {
            "id" => id = Some(string(value, f)?),
            "to" => to = Some(string(value, f)?),
            "from" => r.from = opt_string(value, f)?,
            "text" => r.text = opt_string(value, f)?,
            "payload_hex" => r.payload = opt_string(value, f)?.map(|h| hex(&h, f)).transpose()?,
            "data_coding" => {
                r.data_coding = match value {
                    Value::Null => None,
                    other => Some(
                        other
                            .as_u64()
                            .and_then(|d| u8::try_from(d).ok())
                            .ok_or_else(|| invalid_type(f, "an integer 0..=255", &other))?,
                    ),
                }
            }
            "encoding" => r.encoding = encoding(value, f)?,
            "priority" => r.priority = priority(value, f)?,
            "send_at" => r.send_at = timestamp(value, f)?,
            "expires_at" => r.expires_at = timestamp(value, f)?,
            "delivery_report" => r.delivery_report = boolean(value, f)?,
            "connection" => r.connection = opt_string(value, f)?,
            "flash" => r.flash = boolean(value, f)?,
            "tenant" => r.tenant = opt_string(value, f)?,
            "metadata" => r.metadata = metadata(value, f)?,
            _ => return Err(DecodeError::invalid(f, format!("unknown field; expected one of {FIELDS}"))),
        }
    }
    r.id = id.ok_or_else(|| DecodeError::invalid("id", "is required"))?;
    r.to = to.ok_or_else(|| DecodeError::invalid("to", "is required"))?;
    r.normalise_encoding();
    Ok(r)
}

pub(crate) fn invalid_type(field: &str, expected: &str, got: &Value) -> DecodeError {
    let got = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    DecodeError::invalid(field, format!("expected {expected}, got {got}"))
}

pub(crate) fn string(value: Value, field: &str) -> Result<String, DecodeError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(invalid_type(field, "a string", &other)),
    }
}

fn opt_string(value: Value, field: &str) -> Result<Option<String>, DecodeError> {
    match value {
        Value::Null => Ok(None),
        other => string(other, field).map(Some),
    }
}

fn boolean(value: Value, field: &str) -> Result<bool, DecodeError> {
    match value {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(b),
        other => Err(invalid_type(field, "true or false", &other)),
    }
}

fn encoding(value: Value, field: &str) -> Result<Encoding, DecodeError> {
    match value {
        Value::Null => Ok(Encoding::Auto),
        Value::String(s) => match s.as_str() {
            "auto" => Ok(Encoding::Auto),
            "gsm7" => Ok(Encoding::Gsm7),
            "ucs2" => Ok(Encoding::Ucs2),
            "latin1" => Ok(Encoding::Latin1),
            "binary" => Ok(Encoding::Binary),
            _ => Err(DecodeError::invalid(
                field,
                format!("unknown encoding {s:?}; expected auto, gsm7, ucs2, latin1 or binary"),
            )),
        },
        other => Err(invalid_type(field, "a string", &other)),
    }
}

fn priority(value: Value, field: &str) -> Result<Priority, DecodeError> {
    let p = match &value {
        Value::Null => Some(Priority::Normal),
        Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()).and_then(Priority::from_i32),
        Value::String(s) => match s.as_str() {
            "normal" => Some(Priority::Normal),
            "high" => Some(Priority::High),
            "urgent" => Some(Priority::Urgent),
            _ => None,
        },
        _ => return Err(invalid_type(field, "0, 1 or 2", &value)),
    };
    p.ok_or_else(|| DecodeError::invalid(field, format!("{value} is not 0, 1, 2, normal, high or urgent")))
}

pub(crate) fn timestamp(value: Value, field: &str) -> Result<Option<EpochMillis>, DecodeError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| DecodeError::invalid(field, format!("{n} is not an integer number of milliseconds"))),
        Value::String(s) => rfc3339::parse(&s)
            .map(Some)
            .map_err(|reason| DecodeError::invalid(field, format!("{s:?} is not an rfc 3339 timestamp: {reason}"))),
        other => Err(invalid_type(field, "an rfc 3339 string or epoch milliseconds", &other)),
    }
}

fn metadata(value: Value, field: &str) -> Result<Metadata, DecodeError> {
    match value {
        Value::Null => Ok(Metadata::new()),
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                other => Err(invalid_type(&format!("{field}.{k}"), "a string", &other)),
            })
            .collect(),
        other => Err(invalid_type(field, "an object of strings", &other)),
    }
}

fn hex(text: &str, field: &str) -> Result<Vec<u8>, DecodeError> {
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return Err(DecodeError::invalid(field, "odd number of hex digits"));
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let nibble = |c: u8| (c as char).to_digit(16);
            match (nibble(pair[0]), nibble(pair[1])) {
                (Some(hi), Some(lo)) => Ok((hi * 16 + lo) as u8),
                _ => Err(DecodeError::invalid(field, "not a hex string")),
            }
        })
        .collect()
}

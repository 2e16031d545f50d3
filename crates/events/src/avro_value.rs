//! Helpers to move between domain fields and `apache_avro::types::Value`.
//!
//! Decoding goes through `Value`. Encoding does not (see `direct_encode`);
//! the writing helpers only serve the reference encoder in `reference`.
//! Reading helpers name the field in every error.

use std::collections::HashMap;

use apache_avro::types::Value;

use crate::error::DecodeError;
use crate::model::Metadata;

// ---- writing ----

pub(crate) fn nullable(value: Option<Value>) -> Value {
    match value {
        None => Value::Union(0, Box::new(Value::Null)),
        Some(v) => Value::Union(1, Box::new(v)),
    }
}

pub(crate) fn nullable_string(value: &Option<String>) -> Value {
    nullable(value.clone().map(Value::String))
}

pub(crate) fn nullable_timestamp(value: Option<i64>) -> Value {
    nullable(value.map(Value::TimestampMillis))
}

pub(crate) fn string_map(map: &Metadata) -> Value {
    Value::Map(map.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<HashMap<_, _>>())
}

pub(crate) fn field(name: &str, value: Value) -> (String, Value) {
    (name.to_owned(), value)
}

// ---- reading ----

pub(crate) fn record(value: Value, what: &str) -> Result<Vec<(String, Value)>, DecodeError> {
    match value {
        Value::Record(fields) => Ok(fields),
        other => Err(DecodeError::invalid(what, format!("expected a record, got {}", kind(&other)))),
    }
}

/// Strips a union wrapper; `None` for null.
pub(crate) fn optional(value: Value) -> Option<Value> {
    match value {
        Value::Union(_, inner) => optional(*inner),
        Value::Null => None,
        other => Some(other),
    }
}

pub(crate) fn string(value: Value, field: &str) -> Result<String, DecodeError> {
    match optional(value) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(wrong_type(field, "a string", &other)),
        None => Err(DecodeError::invalid(field, "is required")),
    }
}

pub(crate) fn opt_string(value: Value, field: &str) -> Result<Option<String>, DecodeError> {
    match optional(value) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(wrong_type(field, "a string", &other)),
    }
}

pub(crate) fn opt_bytes(value: Value, field: &str) -> Result<Option<Vec<u8>>, DecodeError> {
    match optional(value) {
        None => Ok(None),
        Some(Value::Bytes(b)) => Ok(Some(b)),
        Some(other) => Err(wrong_type(field, "bytes", &other)),
    }
}

pub(crate) fn opt_int(value: Value, field: &str) -> Result<Option<i32>, DecodeError> {
    match optional(value) {
        None => Ok(None),
        Some(Value::Int(i)) => Ok(Some(i)),
        Some(other) => Err(wrong_type(field, "an int", &other)),
    }
}

pub(crate) fn int(value: Value, field: &str) -> Result<i32, DecodeError> {
    opt_int(value, field)?.ok_or_else(|| DecodeError::invalid(field, "is required"))
}

pub(crate) fn boolean(value: Value, field: &str) -> Result<bool, DecodeError> {
    match optional(value) {
        Some(Value::Boolean(b)) => Ok(b),
        Some(other) => Err(wrong_type(field, "a boolean", &other)),
        None => Err(DecodeError::invalid(field, "is required")),
    }
}

pub(crate) fn opt_timestamp(value: Value, field: &str) -> Result<Option<i64>, DecodeError> {
    match optional(value) {
        None => Ok(None),
        Some(Value::TimestampMillis(t) | Value::Long(t)) => Ok(Some(t)),
        Some(other) => Err(wrong_type(field, "a timestamp-millis", &other)),
    }
}

pub(crate) fn timestamp(value: Value, field: &str) -> Result<i64, DecodeError> {
    opt_timestamp(value, field)?.ok_or_else(|| DecodeError::invalid(field, "is required"))
}

pub(crate) fn enum_symbol(value: Value, field: &str) -> Result<String, DecodeError> {
    match optional(value) {
        Some(Value::Enum(_, symbol)) => Ok(symbol),
        Some(other) => Err(wrong_type(field, "an enum", &other)),
        None => Err(DecodeError::invalid(field, "is required")),
    }
}

pub(crate) fn string_map_of(value: Value, field: &str) -> Result<Metadata, DecodeError> {
    match optional(value) {
        None => Ok(Metadata::new()),
        Some(Value::Map(map)) => map
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                other => Err(wrong_type(field, "a map of strings", &other)),
            })
            .collect(),
        Some(other) => Err(wrong_type(field, "a map", &other)),
    }
}

pub(crate) fn string_array(value: Value, field: &str) -> Result<Vec<String>, DecodeError> {
    match optional(value) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(wrong_type(field, "an array of strings", &other)),
            })
            .collect(),
        Some(other) => Err(wrong_type(field, "an array", &other)),
    }
}

pub(crate) fn u16_from(value: i32, field: &str) -> Result<u16, DecodeError> {
    u16::try_from(value).map_err(|_| DecodeError::invalid(field, format!("{value} is out of range 0..=65535")))
}

pub(crate) fn u8_from(value: i32, field: &str) -> Result<u8, DecodeError> {
    u8::try_from(value).map_err(|_| DecodeError::invalid(field, format!("{value} is out of range 0..=255")))
}

pub(crate) fn missing(field: &str) -> DecodeError {
    DecodeError::invalid(field, "is required")
}

fn wrong_type(field: &str, expected: &str, got: &Value) -> DecodeError {
    DecodeError::invalid(field, format!("expected {expected}, got {}", kind(got)))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Boolean(_) => "a boolean",
        Value::Int(_) => "an int",
        Value::Long(_) => "a long",
        Value::Float(_) | Value::Double(_) => "a floating-point number",
        Value::Bytes(_) | Value::Fixed(..) => "bytes",
        Value::String(_) => "a string",
        Value::Enum(..) => "an enum",
        Value::Union(..) => "a union",
        Value::Array(_) => "an array",
        Value::Map(_) => "a map",
        Value::Record(_) => "a record",
        _ => "a logical-type value",
    }
}

//! Status events: Avro encoding for the tracker/router/sender, decoding for
//! consumers and tests.

use apache_avro::types::Value;

use crate::avro_value as av;
use crate::direct_encode;
use crate::error::{DecodeError, EncodeError};
use crate::model::{ErrorInfo, RouteInfo, Status, StatusEvent};
use crate::schemas::SchemaKind;
use crate::wire::{self, Framing, SchemaLookup};

/// Encodes a status event with the current schema under `framing`.
/// Always `Ok` since the datum is written directly (`direct_encode`); the
/// `Result` stays so that callers need not change if that ever differs.
pub fn encode_status(event: &StatusEvent, framing: Framing) -> Result<Vec<u8>, EncodeError> {
    Ok(wire::encode_with(SchemaKind::StatusEvent, framing, direct_encode::status_size(event), |out| {
        direct_encode::status(event, out)
    }))
}

/// Decodes a status event written with any known version of the schema.
pub fn decode_status(bytes: &[u8], registry: Option<&dyn SchemaLookup>) -> Result<StatusEvent, DecodeError> {
    let wire = wire::detect(bytes)?;
    from_value(wire::decode_avro(SchemaKind::StatusEvent, wire, registry)?)
}

pub(crate) fn to_value(e: &StatusEvent) -> Value {
    let error = e.error.as_ref().map(|err| {
        Value::Record(vec![
            av::field("code", Value::String(err.code.as_str().to_owned())),
            av::field("protocol_code", av::nullable(err.protocol_code.map(Value::Int))),
            av::field("text", Value::String(err.text.clone())),
        ])
    });
    Value::Record(vec![
        av::field("request_id", Value::String(e.request_id.clone())),
        av::field("status", Value::Enum(e.status.index(), e.status.symbol().to_owned())),
        av::field("connection", av::nullable_string(&e.connection)),
        av::field("message_ids", Value::Array(e.message_ids.iter().cloned().map(Value::String).collect())),
        av::field("segments", Value::Int(i32::from(e.segments))),
        av::field("error", av::nullable(error)),
        av::field("timestamp", Value::TimestampMillis(e.timestamp)),
        av::field("submitted_at", av::nullable_timestamp(e.submitted_at)),
        av::field("done_at", av::nullable_timestamp(e.done_at)),
        av::field("tenant", av::nullable_string(&e.tenant)),
        av::field("metadata", av::string_map(&e.metadata)),
        av::field(
            "route",
            av::nullable(e.route.as_ref().map(|r| {
                Value::Record(vec![
                    av::field("id", av::nullable_string(&r.id)),
                    av::field("reason", av::nullable_string(&r.reason)),
                ])
            })),
        ),
    ])
}

pub(crate) fn from_value(value: Value) -> Result<StatusEvent, DecodeError> {
    let mut e = StatusEvent::new(String::new(), Status::Accepted, 0);
    let (mut has_id, mut has_status, mut has_timestamp) = (false, false, false);
    for (name, value) in av::record(value, "StatusEvent")? {
        match name.as_str() {
            "request_id" => {
                e.request_id = av::string(value, "request_id")?;
                has_id = true;
            }
            "status" => {
                let symbol = av::enum_symbol(value, "status")?;
                e.status = Status::from_symbol(&symbol)
                    .ok_or_else(|| DecodeError::invalid("status", format!("unknown symbol {symbol}")))?;
                has_status = true;
            }
            "connection" => e.connection = av::opt_string(value, "connection")?,
            "message_ids" => e.message_ids = av::string_array(value, "message_ids")?,
            "segments" => e.segments = av::u16_from(av::int(value, "segments")?, "segments")?,
            "error" => e.error = av::optional(value).map(error_from_value).transpose()?,
            "timestamp" => {
                e.timestamp = av::timestamp(value, "timestamp")?;
                has_timestamp = true;
            }
            "submitted_at" => e.submitted_at = av::opt_timestamp(value, "submitted_at")?,
            "done_at" => e.done_at = av::opt_timestamp(value, "done_at")?,
            "tenant" => e.tenant = av::opt_string(value, "tenant")?,
            "metadata" => e.metadata = av::string_map_of(value, "metadata")?,
            "route" => e.route = av::optional(value).map(route_from_value).transpose()?,
            _ => {}
        }
    }
    for (present, field) in [(has_id, "request_id"), (has_status, "status"), (has_timestamp, "timestamp")] {
        if !present {
            return Err(av::missing(field));
        }
    }
    Ok(e)
}

fn route_from_value(value: Value) -> Result<RouteInfo, DecodeError> {
    let mut route = RouteInfo::default();
    for (name, value) in av::record(value, "route")? {
        match name.as_str() {
            "id" => route.id = av::opt_string(value, "route.id")?,
            "reason" => route.reason = av::opt_string(value, "route.reason")?,
            _ => {}
        }
    }
    Ok(route)
}

fn error_from_value(value: Value) -> Result<ErrorInfo, DecodeError> {
    let mut code = None;
    let mut protocol_code = None;
    let mut text = None;
    for (name, value) in av::record(value, "error")? {
        match name.as_str() {
            "code" => code = Some(av::string(value, "error.code")?),
            "protocol_code" => protocol_code = av::opt_int(value, "error.protocol_code")?,
            "text" => text = Some(av::string(value, "error.text")?),
            _ => {}
        }
    }
    Ok(ErrorInfo {
        code: crate::ErrorCode::parse(&code.ok_or_else(|| av::missing("error.code"))?),
        protocol_code,
        text: text.ok_or_else(|| av::missing("error.text"))?,
    })
}

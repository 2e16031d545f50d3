//! Avro binary datums written straight from the model structs.
//!
//! The apache-avro path (`to_value` + `to_avro_datum`) builds a `Value` tree
//! with an owned name per field and resolves the schema on every call; this
//! one writes each field in schema order into a single buffer sized up front.
//! It knows the *current* schemas only: a schema change means a change here,
//! which the tests enforce by comparing each `*_FIELDS` list with the parsed
//! schema. `reference` keeps the apache-avro path as the oracle the tests and
//! `examples/encode_bench.rs` compare against.
//!
//! Avro 1.11 specification, "Binary Encoding", records: "A record is encoded
//! by encoding the values of its fields in the order that they are declared."
//! Enums are written as the `int` position of the symbol.

mod binary;
#[cfg(test)]
mod tests;

use crate::model::{ErrorInfo, InboundMessage, RouteInfo, SendRequest, StatusEvent};

/// `io.smsgw.StatusEvent` fields in the order [`status`] writes them.
pub(crate) const STATUS_FIELDS: [&str; 12] = [
    "request_id",
    "status",
    "connection",
    "message_ids",
    "segments",
    "error",
    "timestamp",
    "submitted_at",
    "done_at",
    "tenant",
    "metadata",
    "route",
];

/// `io.smsgw.Route` fields in the order [`route`] writes them.
pub(crate) const ROUTE_FIELDS: [&str; 2] = ["id", "reason"];

/// `io.smsgw.Error` fields in the order [`error`] writes them.
pub(crate) const ERROR_FIELDS: [&str; 3] = ["code", "protocol_code", "text"];

/// `io.smsgw.SendRequest` fields in the order [`request`] writes them.
pub(crate) const REQUEST_FIELDS: [&str; 15] = [
    "id",
    "to",
    "from",
    "text",
    "payload",
    "data_coding",
    "encoding",
    "priority",
    "send_at",
    "expires_at",
    "delivery_report",
    "connection",
    "flash",
    "tenant",
    "metadata",
];

/// `io.smsgw.InboundMessage` fields in the order [`inbound`] writes them.
pub(crate) const INBOUND_FIELDS: [&str; 11] = [
    "id",
    "connection",
    "from",
    "to",
    "text",
    "payload",
    "data_coding",
    "segments",
    "smsc_timestamp",
    "received_at",
    "metadata",
];

/// The most bytes a field takes besides the content of its strings, bytes,
/// arrays and maps: a union branch and a length (or a number), each a varint.
const FIELD_MAX: usize = 2 * binary::MAX_VARINT;

/// Appends the datum of `e` (current `StatusEvent` schema) to `out`.
pub(crate) fn status(e: &StatusEvent, out: &mut Vec<u8>) {
    binary::string(out, &e.request_id);
    binary::long(out, i64::from(e.status.index()));
    binary::optional_string(out, e.connection.as_deref());
    binary::string_array(out, &e.message_ids);
    binary::int(out, i32::from(e.segments));
    binary::optional(out, e.error.as_ref(), error);
    binary::long(out, e.timestamp);
    binary::optional_long(out, e.submitted_at);
    binary::optional_long(out, e.done_at);
    binary::optional_string(out, e.tenant.as_deref());
    binary::string_map(out, &e.metadata);
    binary::optional(out, e.route.as_ref(), route);
}

fn route(out: &mut Vec<u8>, r: &RouteInfo) {
    binary::optional_string(out, r.id.as_deref());
    binary::optional_string(out, r.reason.as_deref());
}

fn error(out: &mut Vec<u8>, err: &ErrorInfo) {
    binary::string(out, err.code.as_str());
    binary::optional(out, err.protocol_code, binary::int);
    binary::string(out, &err.text);
}

/// Upper bound of the bytes [`status`] writes, so that the buffer is allocated once.
pub(crate) fn status_size(e: &StatusEvent) -> usize {
    let error =
        e.error.as_ref().map_or(0, |err| err.code.as_str().len() + err.text.len() + ERROR_FIELDS.len() * FIELD_MAX);
    STATUS_FIELDS.len() * FIELD_MAX
        + e.request_id.len()
        + opt_len(&e.connection)
        + opt_len(&e.tenant)
        + error
        + binary::string_array_size(&e.message_ids)
        + binary::string_map_size(&e.metadata)
        + e.route.as_ref().map_or(0, |r| opt_len(&r.id) + opt_len(&r.reason) + ROUTE_FIELDS.len() * FIELD_MAX)
}

/// Appends the datum of `r` (current `SendRequest` schema) to `out`.
pub(crate) fn request(r: &SendRequest, out: &mut Vec<u8>) {
    binary::string(out, &r.id);
    binary::string(out, &r.to);
    binary::optional_string(out, r.from.as_deref());
    binary::optional_string(out, r.text.as_deref());
    binary::optional(out, r.payload.as_deref(), binary::bytes);
    binary::optional(out, r.data_coding.map(i32::from), binary::int);
    binary::long(out, i64::from(r.encoding.index()));
    binary::int(out, r.priority.as_i32());
    binary::optional_long(out, r.send_at);
    binary::optional_long(out, r.expires_at);
    binary::boolean(out, r.delivery_report);
    binary::optional_string(out, r.connection.as_deref());
    binary::boolean(out, r.flash);
    binary::optional_string(out, r.tenant.as_deref());
    binary::string_map(out, &r.metadata);
}

/// Upper bound of the bytes [`request`] writes.
pub(crate) fn request_size(r: &SendRequest) -> usize {
    REQUEST_FIELDS.len() * FIELD_MAX
        + r.id.len()
        + r.to.len()
        + opt_len(&r.from)
        + opt_len(&r.text)
        + r.payload.as_ref().map_or(0, Vec::len)
        + opt_len(&r.connection)
        + opt_len(&r.tenant)
        + binary::string_map_size(&r.metadata)
}

/// Appends the datum of `m` (current `InboundMessage` schema) to `out`.
pub(crate) fn inbound(m: &InboundMessage, out: &mut Vec<u8>) {
    binary::string(out, &m.id);
    binary::string(out, &m.connection);
    binary::string(out, &m.from);
    binary::string(out, &m.to);
    binary::optional_string(out, m.text.as_deref());
    binary::optional(out, m.payload.as_deref(), binary::bytes);
    binary::int(out, i32::from(m.data_coding));
    binary::int(out, i32::from(m.segments));
    binary::optional_long(out, m.smsc_timestamp);
    binary::long(out, m.received_at);
    binary::string_map(out, &m.metadata);
}

/// Upper bound of the bytes [`inbound`] writes.
pub(crate) fn inbound_size(m: &InboundMessage) -> usize {
    INBOUND_FIELDS.len() * FIELD_MAX
        + m.id.len()
        + m.connection.len()
        + m.from.len()
        + m.to.len()
        + opt_len(&m.text)
        + m.payload.as_ref().map_or(0, Vec::len)
        + binary::string_map_size(&m.metadata)
}

fn opt_len(value: &Option<String>) -> usize {
    value.as_ref().map_or(0, String::len)
}

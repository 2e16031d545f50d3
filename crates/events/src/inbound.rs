//! Inbound (mobile-originated) messages: Avro encoding for the tracker,
//! decoding for consumers and tests.

use apache_avro::types::Value;

use crate::avro_value as av;
use crate::direct_encode;
use crate::error::{DecodeError, EncodeError};
use crate::model::{InboundMessage, Metadata};
use crate::schemas::SchemaKind;
use crate::wire::{self, Framing, SchemaLookup};

/// Encodes an inbound message with the current schema under `framing`.
/// Always `Ok` since the datum is written directly (`direct_encode`); the
/// `Result` stays so that callers need not change if that ever differs.
pub fn encode_inbound(message: &InboundMessage, framing: Framing) -> Result<Vec<u8>, EncodeError> {
    Ok(wire::encode_with(SchemaKind::InboundMessage, framing, direct_encode::inbound_size(message), |out| {
        direct_encode::inbound(message, out)
    }))
}

/// Decodes an inbound message written with any known version of the schema.
pub fn decode_inbound(bytes: &[u8], registry: Option<&dyn SchemaLookup>) -> Result<InboundMessage, DecodeError> {
    let wire = wire::detect(bytes)?;
    from_value(wire::decode_avro(SchemaKind::InboundMessage, wire, registry)?)
}

pub(crate) fn to_value(m: &InboundMessage) -> Value {
    Value::Record(vec![
        av::field("id", Value::String(m.id.clone())),
        av::field("connection", Value::String(m.connection.clone())),
        av::field("from", Value::String(m.from.clone())),
        av::field("to", Value::String(m.to.clone())),
        av::field("text", av::nullable_string(&m.text)),
        av::field("payload", av::nullable(m.payload.clone().map(Value::Bytes))),
        av::field("data_coding", Value::Int(i32::from(m.data_coding))),
        av::field("segments", Value::Int(i32::from(m.segments))),
        av::field("smsc_timestamp", av::nullable_timestamp(m.smsc_timestamp)),
        av::field("received_at", Value::TimestampMillis(m.received_at)),
        av::field("metadata", av::string_map(&m.metadata)),
    ])
}

pub(crate) fn from_value(value: Value) -> Result<InboundMessage, DecodeError> {
    let mut id = None;
    let mut connection = None;
    let mut from = None;
    let mut to = None;
    let mut text = None;
    let mut payload = None;
    let mut data_coding = None;
    let mut segments = 1;
    let mut smsc_timestamp = None;
    let mut received_at = None;
    let mut metadata = Metadata::new();
    for (name, value) in av::record(value, "InboundMessage")? {
        match name.as_str() {
            "id" => id = Some(av::string(value, "id")?),
            "connection" => connection = Some(av::string(value, "connection")?),
            "from" => from = Some(av::string(value, "from")?),
            "to" => to = Some(av::string(value, "to")?),
            "text" => text = av::opt_string(value, "text")?,
            "payload" => payload = av::opt_bytes(value, "payload")?,
            "data_coding" => data_coding = Some(av::u8_from(av::int(value, "data_coding")?, "data_coding")?),
            "segments" => segments = av::u16_from(av::int(value, "segments")?, "segments")?,
            "smsc_timestamp" => smsc_timestamp = av::opt_timestamp(value, "smsc_timestamp")?,
            "received_at" => received_at = Some(av::timestamp(value, "received_at")?),
            "metadata" => metadata = av::string_map_of(value, "metadata")?,
            _ => {}
        }
    }
    Ok(InboundMessage {
        id: id.ok_or_else(|| av::missing("id"))?,
        connection: connection.ok_or_else(|| av::missing("connection"))?,
        from: from.ok_or_else(|| av::missing("from"))?,
        to: to.ok_or_else(|| av::missing("to"))?,
        text,
        payload,
        data_coding: data_coding.ok_or_else(|| av::missing("data_coding"))?,
        segments,
        smsc_timestamp,
        received_at: received_at.ok_or_else(|| av::missing("received_at"))?,
        metadata,
    })
}

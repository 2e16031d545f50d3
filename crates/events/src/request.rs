//! Send requests: decoding from any accepted format, validation, Avro encoding.

use apache_avro::types::Value;

use crate::avro_value as av;
use crate::direct_encode;
use crate::error::{DecodeError, EncodeError};
use crate::model::{Encoding, Priority, SendRequest};
use crate::schemas::SchemaKind;
use crate::wire::{self, Framing, SchemaLookup, Wire};

/// Decodes a send request from a Kafka record value, detecting its format:
/// JSON (first non-whitespace byte `{`), Avro single-object (`c3 01`) or
/// Confluent wire format (`00`). Older and newer Avro writers are resolved to
/// the current schema. The result has passed [`SendRequest::validate`].
///
/// `registry` supplies writer schemas for Confluent ids; without one, the
/// writer is assumed to use our current schema.
pub fn decode_request(bytes: &[u8], registry: Option<&dyn SchemaLookup>) -> Result<SendRequest, DecodeError> {
    let request = match wire::detect(bytes)? {
        Wire::Json(json) => crate::request_json::parse(json)?,
        avro => from_value(wire::decode_avro(SchemaKind::SendRequest, avro, registry)?)?,
    };
    request.validate().map_err(|e| e.with_request_id(Some(&request.id)))?;
    Ok(request)
}

/// Encodes a send request as Avro (for producers, tests and load generators).
/// Does not validate: tests need to produce invalid requests too.
/// Always `Ok` since the datum is written directly (`direct_encode`); the
/// `Result` stays so that callers need not change if that ever differs.
pub fn encode_request(request: &SendRequest, framing: Framing) -> Result<Vec<u8>, EncodeError> {
    Ok(wire::encode_with(SchemaKind::SendRequest, framing, direct_encode::request_size(request), |out| {
        direct_encode::request(request, out)
    }))
}

impl SendRequest {
    /// Checks the rules the schema cannot express. Errors name the field.
    ///
    /// - `id` and `to` are not empty;
    /// - exactly one of `text` and `payload` is set;
    /// - `payload` goes with encoding `binary` (`auto` is accepted and
    ///   normalised to `binary` on decode), `text` with any other encoding;
    /// - `data_coding` only accompanies a payload;
    /// - `expires_at` is not before `send_at`.
    pub fn validate(&self) -> Result<(), DecodeError> {
        if self.id.is_empty() {
            return Err(DecodeError::invalid("id", "must not be empty"));
        }
        if self.to.trim().is_empty() {
            return Err(DecodeError::invalid("to", "must not be empty"));
        }
        match (&self.text, &self.payload) {
            (Some(_), Some(_)) => {
                return Err(DecodeError::invalid("payload", "text and payload are mutually exclusive"))
            }
            (None, None) => return Err(DecodeError::invalid("text", "one of text and payload is required")),
            (Some(_), None) if self.encoding == Encoding::Binary => {
                return Err(DecodeError::invalid("encoding", "binary requires a payload instead of text"))
            }
            (None, Some(_)) if self.encoding != Encoding::Binary => {
                return Err(DecodeError::invalid("encoding", "a payload requires encoding binary"))
            }
            _ => {}
        }
        if self.data_coding.is_some() && self.payload.is_none() {
            return Err(DecodeError::invalid("data_coding", "only allowed with a payload"));
        }
        if let (Some(send_at), Some(expires_at)) = (self.send_at, self.expires_at) {
            if expires_at < send_at {
                return Err(DecodeError::invalid("expires_at", "is before send_at"));
            }
        }
        Ok(())
    }

    /// A payload with encoding `auto` means binary.
    pub(crate) fn normalise_encoding(&mut self) {
        if self.payload.is_some() && self.encoding == Encoding::Auto {
            self.encoding = Encoding::Binary;
        }
    }
}

pub(crate) fn to_value(r: &SendRequest) -> Value {
    Value::Record(vec![
        av::field("id", Value::String(r.id.clone())),
        av::field("to", Value::String(r.to.clone())),
        av::field("from", av::nullable_string(&r.from)),
        av::field("text", av::nullable_string(&r.text)),
        av::field("payload", av::nullable(r.payload.clone().map(Value::Bytes))),
        av::field("data_coding", av::nullable(r.data_coding.map(|d| Value::Int(i32::from(d))))),
        av::field("encoding", Value::Enum(r.encoding.index(), r.encoding.symbol().to_owned())),
        av::field("priority", Value::Int(r.priority.as_i32())),
        av::field("send_at", av::nullable_timestamp(r.send_at)),
        av::field("expires_at", av::nullable_timestamp(r.expires_at)),
        av::field("delivery_report", Value::Boolean(r.delivery_report)),
        av::field("connection", av::nullable_string(&r.connection)),
        av::field("flash", Value::Boolean(r.flash)),
        av::field("tenant", av::nullable_string(&r.tenant)),
        av::field("metadata", av::string_map(&r.metadata)),
    ])
}

pub(crate) fn from_value(value: Value) -> Result<SendRequest, DecodeError> {
    let fields = av::record(value, "SendRequest")?;
    // The id first, so that every later content error can carry it.
    let id = fields.iter().find(|(name, _)| name == "id").and_then(|(_, v)| match av::optional(v.clone()) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    });
    read_fields(fields).map_err(|e| e.with_request_id(id.as_deref()))
}

fn read_fields(fields: Vec<(String, Value)>) -> Result<SendRequest, DecodeError> {
    let mut r = SendRequest::default();
    let (mut has_id, mut has_to) = (false, false);
    for (name, value) in fields {
        match name.as_str() {
            "id" => {
                r.id = av::string(value, "id")?;
                has_id = true;
            }
            "to" => {
                r.to = av::string(value, "to")?;
                has_to = true;
            }
            "from" => r.from = av::opt_string(value, "from")?,
            "text" => r.text = av::opt_string(value, "text")?,
            "payload" => r.payload = av::opt_bytes(value, "payload")?,
            "data_coding" => {
                r.data_coding =
                    av::opt_int(value, "data_coding")?.map(|d| av::u8_from(d, "data_coding")).transpose()?;
            }
            "encoding" => {
                let symbol = av::enum_symbol(value, "encoding")?;
                r.encoding = Encoding::from_symbol(&symbol)
                    .ok_or_else(|| DecodeError::invalid("encoding", format!("unknown symbol {symbol}")))?;
            }
            "priority" => {
                let p = av::int(value, "priority")?;
                r.priority = Priority::from_i32(p)
                    .ok_or_else(|| DecodeError::invalid("priority", format!("{p} is not 0, 1 or 2")))?;
            }
            "send_at" => r.send_at = av::opt_timestamp(value, "send_at")?,
            "expires_at" => r.expires_at = av::opt_timestamp(value, "expires_at")?,
            "delivery_report" => r.delivery_report = av::boolean(value, "delivery_report")?,
            "connection" => r.connection = av::opt_string(value, "connection")?,
            "flash" => r.flash = av::boolean(value, "flash")?,
            "tenant" => r.tenant = av::opt_string(value, "tenant")?,
            "metadata" => r.metadata = av::string_map_of(value, "metadata")?,
            // Resolution to our reader schema drops fields we do not know.
            _ => {}
        }
    }
    if !has_id {
        return Err(av::missing("id"));
    }
    if !has_to {
        return Err(av::missing("to"));
    }
    r.normalise_encoding();
    Ok(r)
}

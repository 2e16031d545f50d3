//! Wire formats: detection of JSON / Avro single-object / Confluent framing,
//! and the Avro datum under the header.
//!
//! - single-object: `c3 01`, 8-byte little-endian CRC-64-AVRO fingerprint of the
//!   writer schema's Parsing Canonical Form, Avro binary datum;
//! - Confluent: `00`, 4-byte big-endian schema id, Avro binary datum;
//! - JSON (send requests only): first non-whitespace byte `{`.

use apache_avro::{types::Value, Schema};

use crate::error::{DecodeError, EncodeError};
use crate::schemas::{self, SchemaKind};

/// Header for encoded events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Avro single-object encoding; readers identify the schema by fingerprint.
    SingleObject,
    /// Confluent Schema Registry wire format with the id the registry gave our schema.
    Confluent {
        /// The id under which the registry knows the schema we write with.
        schema_id: u32,
    },
}

/// Looks up writer schemas by Confluent schema id. Implemented by the Kafka
/// plumbing's registry client, which should cache: it is called once per message.
pub trait SchemaLookup {
    /// The schema registered under `id`, or `None` if the registry has none.
    fn schema_by_id(&self, id: u32) -> Option<Schema>;
}

const SINGLE_OBJECT_MAGIC: [u8; 2] = [0xC3, 0x01];
pub(crate) const SINGLE_OBJECT_HEADER_LEN: usize = 10;
const CONFLUENT_MAGIC: u8 = 0x00;
const CONFLUENT_HEADER_LEN: usize = 5;

/// What the first bytes of a record say it is.
pub(crate) enum Wire<'a> {
    Json(&'a [u8]),
    SingleObject { fingerprint: [u8; 8], body: &'a [u8] },
    Confluent { schema_id: u32, body: &'a [u8] },
}

pub(crate) fn detect(bytes: &[u8]) -> Result<Wire<'_>, DecodeError> {
    match bytes {
        [] => Err(DecodeError::Empty),
        [0xC3, rest @ ..] => {
            if rest.first().is_some_and(|b| *b != SINGLE_OBJECT_MAGIC[1]) {
                return Err(DecodeError::UnknownFormat { first_byte: 0xC3 });
            }
            let Some((header, body)) = bytes.split_at_checked(SINGLE_OBJECT_HEADER_LEN) else {
                return Err(DecodeError::TruncatedHeader { framing: "single-object" });
            };
            let mut fingerprint = [0u8; 8];
            fingerprint.copy_from_slice(&header[2..]);
            Ok(Wire::SingleObject { fingerprint, body })
        }
        [CONFLUENT_MAGIC, ..] => {
            let Some((header, body)) = bytes.split_at_checked(CONFLUENT_HEADER_LEN) else {
                return Err(DecodeError::TruncatedHeader { framing: "confluent" });
            };
            let schema_id = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
            Ok(Wire::Confluent { schema_id, body })
        }
        _ => match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            None => Err(DecodeError::Empty),
            Some(b'{') => Ok(Wire::Json(bytes)),
            Some(other) => Err(DecodeError::UnknownFormat { first_byte: *other }),
        },
    }
}

/// Decodes the Avro datum of a single-object or Confluent record into a value
/// shaped by our current (reader) schema.
pub(crate) fn decode_avro(
    kind: SchemaKind,
    wire: Wire<'_>,
    registry: Option<&dyn SchemaLookup>,
) -> Result<Value, DecodeError> {
    let reader_schema = schemas::schema(kind);
    match wire {
        Wire::Json(_) => Err(DecodeError::JsonNotAccepted),
        Wire::SingleObject { fingerprint, body } => {
            let (writer, is_current) = schemas::writer_by_fingerprint(kind, &fingerprint)
                .ok_or(DecodeError::UnknownFingerprint { fingerprint })?;
            match is_current {
                true => decode_current(kind, body),
                false => decode_datum(writer, body, Some(reader_schema)),
            }
        }
        Wire::Confluent { schema_id, body } => match registry {
            // Without a registry the producer is assumed to write with our schema.
            None => decode_current(kind, body),
            Some(registry) => {
                let writer = registry.schema_by_id(schema_id).ok_or(DecodeError::UnknownSchemaId { id: schema_id })?;
                decode_datum(&writer, body, Some(reader_schema))
            }
        },
    }
}

/// A datum written with another schema than ours, resolved against ours.
fn decode_datum(writer: &Schema, body: &[u8], reader: Option<&Schema>) -> Result<Value, DecodeError> {
    crate::avro_guard::check_lengths(writer, body)?;
    let mut cursor = body;
    let value = apache_avro::from_avro_datum(writer, &mut cursor, reader).map_err(DecodeError::avro)?;
    whole(value, cursor)
}

/// A datum written with our current schema of `kind` (the common case).
fn decode_current(kind: SchemaKind, body: &[u8]) -> Result<Value, DecodeError> {
    crate::avro_guard::check_lengths(schemas::schema(kind), body)?;
    let mut cursor = body;
    let value = schemas::current_reader(kind).read_value(&mut cursor).map_err(DecodeError::avro)?;
    whole(value, cursor)
}

/// The value, if the datum took every byte of the body.
fn whole(value: Value, rest: &[u8]) -> Result<Value, DecodeError> {
    match rest.is_empty() {
        true => Ok(value),
        false => Err(DecodeError::TrailingBytes { count: rest.len() }),
    }
}

/// Writes header + datum, the datum by `write_datum`, into a buffer allocated
/// once: `datum_size` must be an upper bound of what `write_datum` appends.
pub(crate) fn encode_with(
    kind: SchemaKind,
    framing: Framing,
    datum_size: usize,
    write_datum: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    let mut out = Vec::with_capacity(SINGLE_OBJECT_HEADER_LEN + datum_size);
    write_header(kind, framing, &mut out);
    write_datum(&mut out);
    out
}

/// Writes header + datum through apache-avro. `value` must match the current
/// schema of `kind`. The reference that the direct encoder is tested against.
pub(crate) fn encode_avro(kind: SchemaKind, value: Value, framing: Framing) -> Result<Vec<u8>, EncodeError> {
    let schema = schemas::schema(kind);
    let mut out = Vec::with_capacity(128);
    write_header(kind, framing, &mut out);
    out.extend_from_slice(&apache_avro::to_avro_datum(schema, value)?);
    Ok(out)
}

fn write_header(kind: SchemaKind, framing: Framing, out: &mut Vec<u8>) {
    match framing {
        Framing::SingleObject => {
            out.extend_from_slice(&SINGLE_OBJECT_MAGIC);
            out.extend_from_slice(&schemas::schema_fingerprint(kind));
        }
        Framing::Confluent { schema_id } => {
            out.push(CONFLUENT_MAGIC);
            out.extend_from_slice(&schema_id.to_be_bytes());
        }
    }
}

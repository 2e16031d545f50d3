//! Decode and encode errors.
//!
//! [`DecodeError`] separates two cases the router treats differently:
//! - the bytes are not a message at all ([`DecodeError::is_undecodable`]): the
//!   record goes to the dead-letter topic, because there is no request id to
//!   key a status event by;
//! - the message decoded but its content is wrong ([`DecodeError::Invalid`]
//!   with a `request_id`): the router publishes a REJECTED status event naming
//!   the field. An `Invalid` without a request id (the id itself is missing or
//!   malformed) is dead-lettered too.

use std::fmt;

/// Why bytes could not be turned into a domain value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Zero-length record (or only whitespace).
    #[error("undecodable message: empty")]
    Empty,
    /// The first byte announces no format this crate knows.
    #[error(
        "undecodable message: unknown format (first byte 0x{first_byte:02x}); expected json, \
         avro single-object (c3 01) or confluent wire format (00)"
    )]
    UnknownFormat {
        /// The offending byte.
        first_byte: u8,
    },
    /// A framing header shorter than its fixed length.
    #[error("undecodable message: truncated {framing} header")]
    TruncatedHeader {
        /// `single-object` or `confluent`.
        framing: &'static str,
    },
    /// Single-object header with a fingerprint of no known schema version.
    #[error("undecodable message: unknown schema fingerprint {}", Hex(fingerprint))]
    UnknownFingerprint {
        /// The 8 fingerprint bytes as found in the header.
        fingerprint: [u8; 8],
    },
    /// Confluent schema id the registry does not know.
    #[error("undecodable message: unknown schema id {id}")]
    UnknownSchemaId {
        /// The id from the header.
        id: u32,
    },
    /// The Avro body does not decode with the writer schema, or the writer
    /// schema cannot be resolved to ours.
    #[error("undecodable message: bad avro body: {source}")]
    Avro {
        /// What apache-avro reported.
        #[source]
        source: Box<apache_avro::Error>,
    },
    /// A length or count in the Avro body is impossible for the bytes present.
    #[error("undecodable message: malformed avro body: {reason}")]
    MalformedAvro {
        /// Which check failed.
        reason: &'static str,
    },
    /// Bytes left over after the Avro datum.
    #[error("undecodable message: {count} trailing bytes after the avro body")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// Not syntactically valid JSON.
    #[error("undecodable message: invalid json: {source}")]
    Json {
        /// What serde_json reported.
        #[source]
        source: serde_json::Error,
    },
    /// JSON is only accepted for send requests.
    #[error("undecodable message: json is only accepted for send requests")]
    JsonNotAccepted,
    /// Decoded, but a field's content is not acceptable.
    #[error("invalid field `{field}`: {reason}")]
    Invalid {
        /// The request id, when it could be read; key the REJECTED event by it.
        request_id: Option<String>,
        /// The field's name as on the wire.
        field: String,
        /// What is wrong, lowercase.
        reason: String,
    },
}

impl DecodeError {
    /// True when nothing usable could be read: dead-letter the record.
    pub fn is_undecodable(&self) -> bool {
        !matches!(self, DecodeError::Invalid { .. })
    }

    /// The id of the offending request, when the content was readable enough
    /// to know it. `Some` means a REJECTED status event can be published.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            DecodeError::Invalid { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The field a content error is about.
    pub fn field(&self) -> Option<&str> {
        match self {
            DecodeError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> DecodeError {
        DecodeError::Invalid { request_id: None, field: field.into(), reason: reason.into() }
    }

    pub(crate) fn avro(source: apache_avro::Error) -> DecodeError {
        DecodeError::Avro { source: Box::new(source) }
    }

    /// Attaches the request id to a content error that lacks one.
    pub(crate) fn with_request_id(self, id: Option<&str>) -> DecodeError {
        match self {
            DecodeError::Invalid { request_id: None, field, reason } => {
                DecodeError::Invalid { request_id: id.map(str::to_owned), field, reason }
            }
            other => other,
        }
    }
}

/// Why a domain value could not be encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// apache-avro refused the value (it does not match the schema).
    #[error("avro encoding failed: {source}")]
    Avro {
        /// What apache-avro reported.
        #[source]
        source: Box<apache_avro::Error>,
    },
}

impl From<apache_avro::Error> for EncodeError {
    fn from(source: apache_avro::Error) -> EncodeError {
        EncodeError::Avro { source: Box::new(source) }
    }
}

struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

//! Typed codec errors.

use crate::command_id::CommandId;

/// Why a frame could not be decoded.
///
/// [`DecodeError::is_recoverable`] tells the caller what to do next: a bad
/// `command_length` leaves the stream unframed (close the connection); a bad
/// body has already been consumed as one frame, so the caller can answer with
/// [`DecodeError::generic_nack`] and keep reading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("command_length {length} is shorter than the 16-octet header")]
    LengthTooSmall { length: u32 },
    #[error("command_length {length} exceeds the maximum of {max}")]
    LengthTooLarge { length: u32, max: usize },
    /// Logged by command, sequence number and length, never the body (which
    /// may carry a phone number and the text).
    #[error("malformed {command_id} body (sequence {sequence}, {length} octets)")]
    Body {
        command_id: CommandId,
        sequence: u32,
        length: u32,
        #[source]
        source: BodyError,
    },
}

impl DecodeError {
    /// True when the bad frame was consumed and the next frame can be read.
    pub fn is_recoverable(&self) -> bool {
        matches!(self, DecodeError::Body { .. })
    }
}

/// What is wrong inside a frame whose length was fine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    #[error("field {field} runs past the end of the pdu")]
    Truncated { field: &'static str },
    #[error("c-octet string {field} has no nul terminator within the pdu")]
    Unterminated { field: &'static str },
    #[error("tlv 0x{tag:04x} runs past the end of the pdu")]
    TlvTruncated { tag: u16 },
}

/// Why a PDU could not be encoded. The output buffer is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    #[error("field {field} is {len} octets, the maximum is {max}")]
    FieldTooLong { field: &'static str, len: usize, max: usize },
    #[error("field {field} contains a nul character")]
    NulInString { field: &'static str },
    #[error("field {field} contains a character outside latin-1")]
    NotLatin1 { field: &'static str },
    #[error("short_message is {len} octets, the maximum is 254 (use message_payload)")]
    ShortMessageTooLong { len: usize },
    #[error("tlv 0x{tag:04x} value is {len} octets, the maximum is 65535")]
    TlvTooLong { tag: u16, len: usize },
    #[error("pdu of {len} octets does not fit command_length")]
    PduTooLarge { len: usize },
}

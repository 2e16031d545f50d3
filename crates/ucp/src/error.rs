//! Typed codec errors.

use crate::header::{Header, Ot};

/// Why bytes could not be decoded into a [`Message`](crate::Message).
///
/// [`DecodeError::is_recoverable`] tells the caller what to do next. STX/ETX
/// framing resynchronises on the next STX, so nearly everything is recoverable:
/// the bad bytes have been consumed and the next call reads on. Only
/// [`DecodeError::FrameTooLong`] is fatal (the peer is broken or hostile and we
/// will not buffer without bound): close the connection.
/// [`DecodeError::nack`] gives the negative result to send for a bad operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Octets before an STX (or before a second STX that cut a frame short) were
    /// discarded.
    #[error("skipped {skipped} octets outside a frame")]
    Garbage { skipped: usize },
    /// No ETX within `max` octets of an STX.
    #[error("no etx within {max} octets of stx")]
    FrameTooLong { max: usize },
    /// TRN/LEN/O-R/OT could not be read, so there is nobody to answer.
    #[error("malformed header: {reason}")]
    Header { reason: &'static str },
    /// LEN is not the number of characters between STX and ETX.
    #[error("len {declared} does not match the {actual} characters of the frame")]
    Length { header: Header, declared: usize, actual: usize },
    /// The checksum is missing, not two hex digits, or wrong.
    #[error("checksum {declared:?} does not match the computed {computed:02X}")]
    Checksum { header: Header, declared: String, computed: u8 },
    /// The frame was sound but a field of the operation was not.
    /// Logged by operation, kind and TRN, never the fields (which may carry a
    /// phone number and the text).
    #[error("malformed {} {:?} (TRN {})", header.ot, header.kind, header.trn.get())]
    Fields {
        header: Header,
        #[source]
        source: FieldError,
    },
}

impl DecodeError {
    /// True when the bad octets were consumed and the next frame can be read.
    pub fn is_recoverable(&self) -> bool {
        !matches!(self, DecodeError::FrameTooLong { .. })
    }

    /// The header of the bad frame, when it could be read.
    pub fn header(&self) -> Option<Header> {
        match self {
            DecodeError::Length { header, .. }
            | DecodeError::Checksum { header, .. }
            | DecodeError::Fields { header, .. } => Some(*header),
            _ => None,
        }
    }
}

/// What is wrong inside a frame whose header, LEN and checksum were fine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    #[error("{got} fields, the operation has at most {max}")]
    TooMany { got: usize, max: usize },
    #[error("{got} fields, the operation needs at least {min}")]
    TooFew { got: usize, min: usize },
    #[error("field {field} is not valid hex")]
    Hex { field: &'static str },
    #[error("field {field} is not a number")]
    Number { field: &'static str },
    #[error("result is neither A nor N")]
    AckNack,
    #[error("extra service {kind:02X} runs past the end of xser")]
    XSer { kind: u8 },
}

/// Why a message could not be encoded. The output buffer is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    #[error("{ot} is not two digits")]
    Ot { ot: Ot },
    #[error("field {field} contains '/', stx, etx or a character outside latin-1")]
    InvalidCharacter { field: &'static str },
    #[error("field {field} is {len} octets, the maximum is {max}")]
    FieldTooLong { field: &'static str, len: usize, max: usize },
    #[error("frame of {len} characters does not fit the five-digit len")]
    FrameTooLong { len: usize },
}

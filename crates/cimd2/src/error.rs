//! Typed codec errors.

/// Error code 2, "syntax error", sent back for a request whose parameters
/// could not be read.
pub const ERROR_SYNTAX: u16 = crate::error_code::SYNTAX_ERROR;

/// Why bytes could not be decoded into a packet.
///
/// [`DecodeError::is_recoverable`] tells the caller what to do next. CIMD2 is
/// framed by STX/ETX, so nearly every error leaves the stream in step: the bad
/// bytes have been consumed and the next packet can be read. Only a packet
/// that grows past the maximum length without an ETX is fatal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Octets before an STX, dropped (spec 4.1: data between packets is
    /// ignored).
    #[error("skipped {skipped} octets outside a packet")]
    Garbage { skipped: usize },
    /// A packet that is still open after `max` octets. Nothing was consumed.
    #[error("packet exceeds {max} octets without an etx")]
    TooLong { max: usize },
    /// A second STX before the ETX: the first packet was cut short and has
    /// been dropped.
    #[error("packet of {len} octets cut short by a new stx")]
    Unterminated { len: usize },
    /// Not `ZZ:NNN<TAB>` after the STX.
    #[error("malformed packet header: {reason}")]
    Header { reason: &'static str },
    /// The two checksum digits do not match the octets before them.
    #[error("checksum {found:02X} does not match the computed {computed:02X} (packet {op:02}:{number:03})")]
    Checksum { op: u8, number: u8, found: u8, computed: u8 },
    /// Something between the header and the ETX is not `PPP:value<TAB>`.
    #[error("malformed parameter list in packet {op:02}:{number:03}: {reason}")]
    Syntax { op: u8, number: u8, reason: &'static str },
    /// A parameter whose value does not fit its type.
    #[error("bad parameter in packet {op:02}:{number:03}")]
    Param {
        op: u8,
        number: u8,
        #[source]
        source: ParamError,
    },
}

impl DecodeError {
    /// True when the bad octets were consumed and the next packet can be read.
    pub fn is_recoverable(&self) -> bool {
        !matches!(self, DecodeError::TooLong { .. })
    }
}

/// What is wrong with one parameter value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    #[error("parameter {code:03} is not a decimal number")]
    NotANumber { code: u16 },
    #[error("parameter {code:03} value {value} is out of range")]
    OutOfRange { code: u16, value: u32 },
    #[error("parameter {code:03} is not an even number of hex digits")]
    BadHex { code: u16 },
}

/// Why a packet could not be encoded. The output buffer is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    #[error("parameter {code:03} contains stx, etx or tab")]
    Delimiter { code: u16 },
    #[error("parameter {code:03} contains a character outside latin-1")]
    NotLatin1 { code: u16 },
    #[error("parameter code {code} has more than three digits")]
    ParamCode { code: u16 },
    #[error("operation code {op} has more than two digits")]
    OpCode { op: u8 },
}

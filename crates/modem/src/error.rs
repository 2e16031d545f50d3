//! Why a PDU could not be read or built.

/// A PDU (hex text or octets) that cannot be read. Decoding never panics; every
/// malformed input ends here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not hex: an odd length or a character that is not a hex digit.
    #[error("invalid hex at offset {offset}")]
    Hex {
        /// Offset of the bad character (the length, for an odd length).
        offset: usize,
    },
    /// The PDU ends inside a field.
    #[error("pdu ends inside {field}")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// The TP-MTI is not the message type asked for.
    #[error("expected {expected}, the first octet says message type {mti}")]
    WrongType {
        /// What the caller asked for.
        expected: &'static str,
        /// TP-MTI, bits 1..0 of the first octet.
        mti: u8,
    },
    /// An address length beyond the 20 semi-octets TS 23.040 §9.1.2.5 allows.
    #[error("address length {len} exceeds the maximum")]
    AddressTooLong {
        /// The length octet.
        len: u8,
    },
    /// TP-UDHI is set but the UDH length does not fit the user data.
    #[error("user data header of {udh_octets} octets does not fit {udl} units of user data")]
    BadUdh {
        /// UDHL + 1.
        udh_octets: usize,
        /// TP-UDL.
        udl: usize,
    },
}

/// A message that cannot be put into an SMS-SUBMIT (or SMS-DELIVER) PDU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An empty address, a digit outside 0-9 * # a b c, more than 20 digits, or an
    /// alphanumeric address longer than 11 GSM septets.
    #[error("invalid address: {reason}")]
    Address {
        /// What is wrong (never the address itself: it is a phone number).
        reason: &'static str,
    },
    /// The SMPP-style `data_coding` has no TP-DCS equivalent (Latin-1, IA5, JIS, ...).
    #[error("data_coding 0x{0:02x} has no TS 23.038 equivalent")]
    DataCoding(u8),
    /// The UDH's first octet (UDHL) does not match its length.
    #[error("user data header is malformed")]
    Udh,
    /// UDH and body exceed the 140 octets of TP-UD (TS 23.040 §9.2.3.24).
    #[error("user data is {octets} octets, at most 140 fit")]
    TooLong {
        /// Octets TP-UD would need.
        octets: usize,
    },
}

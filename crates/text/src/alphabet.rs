//! The names the alphabets, the error type and the choice of encoding share:
//! which alphabet ([`Encoding`]), the message class ([`MessageClass`]) and a
//! character an alphabet has no code for ([`Unencodable`]).

use serde::{Deserialize, Serialize};

/// The alphabet of an outbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// GSM 7-bit default alphabet + extension table (TS 23.038 §6.2.1).
    Gsm7,
    /// ISO-8859-1; SMPP-only, no TS 23.038 equivalent.
    Latin1,
    /// UCS-2 / UTF-16BE (TS 23.038 §6.2.3).
    Ucs2,
    /// 8-bit data (TS 23.038 §4, alphabet bits 01).
    Binary,
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Gsm7 => "GSM 7-bit",
            Encoding::Latin1 => "Latin-1",
            Encoding::Ucs2 => "UCS-2",
            Encoding::Binary => "8-bit data",
        })
    }
}

/// Message class (TS 23.038 §4, bits 1..0). Class 0 is the "flash" SMS shown
/// immediately and not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageClass {
    /// Flash: displayed immediately, not stored.
    Class0,
    /// ME-specific.
    Class1,
    /// (U)SIM-specific.
    Class2,
    /// TE-specific.
    Class3,
}

impl MessageClass {
    /// The two class bits of the data coding scheme.
    pub fn bits(self) -> u8 {
        match self {
            MessageClass::Class0 => 0,
            MessageClass::Class1 => 1,
            MessageClass::Class2 => 2,
            MessageClass::Class3 => 3,
        }
    }

    pub(crate) fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => MessageClass::Class0,
            1 => MessageClass::Class1,
            2 => MessageClass::Class2,
            _ => MessageClass::Class3,
        }
    }
}

/// A character that has no code in the requested alphabet.
///
/// `index` counts Unicode scalar values (`str::chars`), starting at 0, so it is
/// the position a person sees, not a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("character {ch:?} (U+{code:04X}) at index {index} cannot be encoded", code = u32::from(*ch))]
pub struct Unencodable {
    /// The offending character.
    pub ch: char,
    /// Its position in the text, in characters.
    pub index: usize,
}

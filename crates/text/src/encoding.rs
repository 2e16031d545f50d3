//! Which alphabet a message is sent in, and the `data_coding` byte that says so
//! (TS 23.038 §4 "SMS Data Coding Scheme"; SMPP 3.4 §5.2.19 for Latin-1).

use serde::{Deserialize, Serialize};

pub use crate::alphabet::{Encoding, MessageClass};
use crate::error::TextError;
use crate::{gsm7, latin1, ucs2};

impl Encoding {
    /// The SMPP `data_coding` value without a message class: 0x00 (SMSC default
    /// alphabet, GSM 7-bit), 0x03 (Latin-1), 0x08 (UCS-2), 0x04 (8-bit binary).
    pub fn data_coding(self) -> u8 {
        match self {
            Encoding::Gsm7 => 0x00,
            Encoding::Latin1 => 0x03,
            Encoding::Ucs2 => 0x08,
            Encoding::Binary => 0x04,
        }
    }

    /// The data coding value with a message class, from the general data coding
    /// group 00x1xxxx (TS 23.038 §4): GSM 7-bit class 0 = 0x10, 8-bit class 0 =
    /// 0x14, UCS-2 class 0 = 0x18. `None` class gives [`Encoding::data_coding`].
    /// Latin-1 has no class-carrying value, so it fails with a class.
    pub fn data_coding_with_class(self, class: Option<MessageClass>) -> Result<u8, TextError> {
        let Some(class) = class else {
            return Ok(self.data_coding());
        };
        let alphabet = match self {
            Encoding::Gsm7 => 0b00,
            Encoding::Binary => 0b01,
            Encoding::Ucs2 => 0b10,
            Encoding::Latin1 => return Err(TextError::ClassNotSupported { encoding: self, class }),
        };
        Ok(0x10 | (alphabet << 2) | class.bits())
    }

    /// Encodes `text`: unpacked septets for GSM 7-bit, octets otherwise.
    pub fn encode(self, text: &str) -> Result<Vec<u8>, TextError> {
        match self {
            Encoding::Gsm7 => gsm7::encode_unpacked(text).map_err(|e| TextError::unencodable(self, e)),
            Encoding::Latin1 => latin1::encode(text).map_err(|e| TextError::unencodable(self, e)),
            Encoding::Ucs2 => Ok(ucs2::encode(text)),
            Encoding::Binary => Err(TextError::BinaryText),
        }
    }

    /// Decodes what [`Encoding::encode`] produced (lenient); `None` for binary.
    pub fn decode(self, payload: &[u8]) -> Option<String> {
        match self {
            Encoding::Gsm7 => Some(gsm7::decode_unpacked(payload)),
            Encoding::Latin1 => Some(latin1::decode(payload)),
            Encoding::Ucs2 => Some(ucs2::decode(payload)),
            Encoding::Binary => None,
        }
    }

    /// The size of `ch` in this encoding's units (septets, octets, or UTF-16
    /// units), `None` when it cannot be encoded.
    pub fn unit_len(self, ch: char) -> Option<usize> {
        match self {
            Encoding::Gsm7 => gsm7::septet_len(ch),
            Encoding::Latin1 => (u32::from(ch) <= 0xFF).then_some(1),
            Encoding::Ucs2 => Some(ucs2::unit_len(ch)),
            Encoding::Binary => None,
        }
    }
}

/// What the sender asked for (the `encoding` field of a send request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preference {
    /// GSM 7-bit if every character is in the default alphabet or its extension
    /// table, UCS-2 otherwise.
    #[default]
    Auto,
    /// GSM 7-bit or an error naming the first character it cannot encode.
    Gsm7,
    /// UCS-2; encodes everything.
    Ucs2,
    /// Latin-1 or an error naming the first character above U+00FF.
    Latin1,
    /// 8-bit data; only for binary payloads ([`crate::split_binary`]).
    Binary,
}

/// Picks the encoding for `text`. A forced encoding that cannot represent a
/// character fails with that character and its index — never a silent `?`.
pub fn choose(text: &str, pref: Preference) -> Result<Encoding, TextError> {
    let forced = match pref {
        Preference::Auto => return Ok(if gsm7::is_encodable(text) { Encoding::Gsm7 } else { Encoding::Ucs2 }),
        Preference::Binary => return Err(TextError::BinaryText),
        Preference::Gsm7 => Encoding::Gsm7,
        Preference::Ucs2 => Encoding::Ucs2,
        Preference::Latin1 => Encoding::Latin1,
    };
    match text.chars().enumerate().find(|&(_, ch)| forced.unit_len(ch).is_none()) {
        Some((index, ch)) => Err(TextError::Unencodable { encoding: forced, ch, index }),
        None => Ok(forced),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_coding_values() {
        assert_eq!(Encoding::Gsm7.data_coding(), 0x00);
        assert_eq!(Encoding::Latin1.data_coding(), 0x03);
        assert_eq!(Encoding::Ucs2.data_coding(), 0x08);
        assert_eq!(Encoding::Binary.data_coding(), 0x04);
    }

    #[test]
    fn flash_data_coding_values() {
        let flash = Some(MessageClass::Class0);
        assert_eq!(Encoding::Gsm7.data_coding_with_class(flash), Ok(0x10));
        assert_eq!(Encoding::Ucs2.data_coding_with_class(flash), Ok(0x18));
        assert_eq!(Encoding::Binary.data_coding_with_class(flash), Ok(0x14));
        assert_eq!(Encoding::Gsm7.data_coding_with_class(Some(MessageClass::Class2)), Ok(0x12));
        assert_eq!(Encoding::Ucs2.data_coding_with_class(None), Ok(0x08));
        assert!(matches!(Encoding::Latin1.data_coding_with_class(flash), Err(TextError::ClassNotSupported { .. })));
    }

    #[test]
    fn auto_prefers_gsm7_including_extension() {
        assert_eq!(choose("Price: 5€ {ok}", Preference::Auto), Ok(Encoding::Gsm7));
        assert_eq!(choose("", Preference::Auto), Ok(Encoding::Gsm7));
        assert_eq!(choose("Привет", Preference::Auto), Ok(Encoding::Ucs2));
        // ç (lower case) is not in the default alphabet, only Ç is.
        assert_eq!(choose("ça", Preference::Auto), Ok(Encoding::Ucs2));
    }

    #[test]
    fn forced_encoding_names_the_char_and_index() {
        assert_eq!(
            choose("ab😀", Preference::Gsm7),
            Err(TextError::Unencodable { encoding: Encoding::Gsm7, ch: '😀', index: 2 })
        );
        assert_eq!(
            choose("é€", Preference::Latin1),
            Err(TextError::Unencodable { encoding: Encoding::Latin1, ch: '€', index: 1 })
        );
        assert_eq!(choose("x", Preference::Binary), Err(TextError::BinaryText));
        assert_eq!(choose("😀", Preference::Ucs2), Ok(Encoding::Ucs2));
    }

    #[test]
    fn preference_serde_is_lowercase() {
        for (p, s) in [
            (Preference::Auto, "\"auto\""),
            (Preference::Gsm7, "\"gsm7\""),
            (Preference::Ucs2, "\"ucs2\""),
            (Preference::Latin1, "\"latin1\""),
            (Preference::Binary, "\"binary\""),
        ] {
            assert_eq!(serde_json::to_string(&p).ok().as_deref(), Some(s));
            assert_eq!(serde_json::from_str::<Preference>(s).ok(), Some(p));
        }
        assert!(serde_json::from_str::<Preference>("\"GSM7\"").is_err());
    }
}

//! The inbound seam: what a `data_coding` value means, and the text it carries.
//!
//! Two readings of the same byte exist. SMPP 3.4 §5.2.19 gives 0x00–0x0F its
//! own meanings (0x01 IA5, 0x03 Latin-1, 0x05 JIS, ...) and defers the rest to
//! TS 23.038. A modem's TP-DCS is pure TS 23.038 §4. [`decode`] is the SMPP
//! reading, [`decode_tp_dcs`] the TS 23.038 one. Both take GSM 7-bit text as
//! unpacked septets; the PDU path unpacks first with [`crate::gsm7::unpack`].
//! GSM 7-bit text is decoded with the national tables its UDH names
//! ([`Udh::shift`]): use [`decode_with`], or [`decode_user_data`] for a body that
//! still has its UDH.

pub use crate::udh::{parse_udh, InformationElement, Udh, UdhError};

use crate::encoding::{Encoding, MessageClass};
use crate::gsm7::national::Shift;
use crate::{gsm7, latin1, ucs2};

/// What a data coding value says about the user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Alphabet {
    /// GSM 7-bit default alphabet.
    Gsm7,
    /// IA5 / ASCII (SMPP 0x01).
    Ia5,
    /// ISO-8859-1 (SMPP 0x03).
    Latin1,
    /// UCS-2 / UTF-16BE.
    Ucs2,
    /// 8-bit data.
    Data8,
    /// Compressed (TS 23.038 §4 bit 5; TS 23.042), not decoded here.
    Compressed,
    /// Reserved, or an SMPP alphabet this crate does not decode (JIS, Cyrillic,
    /// Hebrew, KS C 5601, ...).
    Unsupported,
}

/// A data coding value taken apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scheme {
    /// How the user data is coded.
    pub alphabet: Alphabet,
    /// Message class, when the value carries one.
    pub class: Option<MessageClass>,
}

/// An inbound message body, decoded as far as possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, or `None` for binary, compressed or unsupported alphabets
    /// (keep the raw bytes then).
    pub text: Option<String>,
    /// The closest [`Encoding`]: IA5 reports `Latin1` (ASCII is its subset);
    /// anything without text reports `Binary`.
    pub encoding: Encoding,
    /// Message class, when the data coding value carries one.
    pub class: Option<MessageClass>,
}

/// Interprets a TS 23.038 §4 SMS Data Coding Scheme octet (TP-DCS).
pub fn tp_dcs_scheme(dcs: u8) -> Scheme {
    let class_bits = MessageClass::from_bits(dcs);
    match dcs >> 4 {
        // 00xx xxxx general data coding, 01xx xxxx automatic deletion: bit 5
        // compressed, bit 4 "bits 1..0 carry a class", bits 3..2 the alphabet.
        0x0..=0x7 => {
            let alphabet = if dcs & 0x20 != 0 {
                Alphabet::Compressed
            } else {
                match (dcs >> 2) & 0b11 {
                    0b00 => Alphabet::Gsm7,
                    0b01 => Alphabet::Data8,
                    0b10 => Alphabet::Ucs2,
                    _ => Alphabet::Unsupported,
                }
            };
            let class = (dcs & 0x10 != 0).then_some(class_bits);
            Scheme { alphabet, class }
        }
        // 1000..1011 reserved coding groups.
        0x8..=0xB => Scheme { alphabet: Alphabet::Unsupported, class: None },
        // Message waiting indication: discard (1100) and store (1101) in GSM 7-bit,
        // store (1110) in UCS-2. The indication itself is not exposed yet.
        0xC | 0xD => Scheme { alphabet: Alphabet::Gsm7, class: None },
        0xE => Scheme { alphabet: Alphabet::Ucs2, class: None },
        // 1111: data coding / message class; bit 2 picks 8-bit over GSM 7-bit.
        _ => {
            Scheme { alphabet: if dcs & 0x04 != 0 { Alphabet::Data8 } else { Alphabet::Gsm7 }, class: Some(class_bits) }
        }
    }
}

/// Interprets an SMPP `data_coding` value (SMPP 3.4 §5.2.19): its own table for
/// 0x00–0x0F, TS 23.038 above. 0x00 is "SMSC default alphabet", taken as GSM 7-bit.
pub fn smpp_scheme(data_coding: u8) -> Scheme {
    let alphabet = match data_coding {
        0x00 => Alphabet::Gsm7,
        0x01 => Alphabet::Ia5,
        0x02 | 0x04 => Alphabet::Data8,
        0x03 => Alphabet::Latin1,
        0x08 => Alphabet::Ucs2,
        0x05..=0x07 | 0x09..=0x0F => Alphabet::Unsupported,
        _ => return tp_dcs_scheme(data_coding),
    };
    Scheme { alphabet, class: None }
}

/// Decodes an SMPP `short_message` / `message_payload` body (UDH already removed).
/// Never fails: undecodable text becomes U+FFFD, unknown alphabets give no text.
pub fn decode(data_coding: u8, bytes: &[u8]) -> Decoded {
    decode_scheme(smpp_scheme(data_coding), Shift::NONE, bytes)
}

/// [`decode`] with the national tables of the message's UDH ([`Udh::shift`]); they
/// matter only for GSM 7-bit.
pub fn decode_with(data_coding: u8, shift: Shift, bytes: &[u8]) -> Decoded {
    decode_scheme(smpp_scheme(data_coding), shift, bytes)
}

/// Decodes an SMPP body that may start with a UDH (`udhi`: `esm_class` bit 0x40):
/// parses the UDH, then decodes the rest with the national tables it names.
/// A UDH that does not parse is an error; the body is then best kept raw.
pub fn decode_user_data(data_coding: u8, user_data: &[u8], udhi: bool) -> Result<(Option<Udh>, Decoded), UdhError> {
    if !udhi {
        return Ok((None, decode(data_coding, user_data)));
    }
    let (udh, body) = parse_udh(user_data)?;
    let decoded = decode_with(data_coding, udh.shift(), body);
    Ok((Some(udh), decoded))
}

/// Decodes a TP-UD body whose TP-DCS is `dcs` (UDH removed, septets unpacked).
pub fn decode_tp_dcs(dcs: u8, bytes: &[u8]) -> Decoded {
    decode_scheme(tp_dcs_scheme(dcs), Shift::NONE, bytes)
}

/// [`decode_tp_dcs`] with the national tables of the message's UDH.
pub fn decode_tp_dcs_with(dcs: u8, shift: Shift, bytes: &[u8]) -> Decoded {
    decode_scheme(tp_dcs_scheme(dcs), shift, bytes)
}

fn decode_scheme(scheme: Scheme, shift: Shift, bytes: &[u8]) -> Decoded {
    let (text, encoding) = match scheme.alphabet {
        Alphabet::Gsm7 => (Some(gsm7::decode_unpacked_with(&shift.tables(), bytes)), Encoding::Gsm7),
        Alphabet::Ia5 => {
            let text =
                bytes.iter().map(|&b| if b.is_ascii() { char::from(b) } else { char::REPLACEMENT_CHARACTER }).collect();
            (Some(text), Encoding::Latin1)
        }
        Alphabet::Latin1 => (Some(latin1::decode(bytes)), Encoding::Latin1),
        Alphabet::Ucs2 => (Some(ucs2::decode(bytes)), Encoding::Ucs2),
        Alphabet::Data8 | Alphabet::Compressed | Alphabet::Unsupported => (None, Encoding::Binary),
    };
    Decoded { text, encoding, class: scheme.class }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(alphabet: Alphabet, class: Option<MessageClass>) -> Scheme {
        Scheme { alphabet, class }
    }

    #[test]
    fn smpp_low_values() {
        assert_eq!(decode(0x00, &[0x48, 0x69]).text.as_deref(), Some("Hi"));
        assert_eq!(decode(0x01, b"Hi\xFF").text.as_deref(), Some("Hi\u{FFFD}"));
        assert_eq!(decode(0x03, b"caf\xE9").text.as_deref(), Some("café"));
        assert_eq!(decode(0x08, &[0x04, 0x36]).text.as_deref(), Some("ж"));
        for dc in [0x02, 0x04, 0x05, 0x06, 0x07, 0x09, 0x0E, 0x0F] {
            let d = decode(dc, b"\x01\x02");
            assert_eq!((d.text, d.encoding), (None, Encoding::Binary), "{dc:#04x}");
        }
    }

    #[test]
    fn tp_dcs_general_group() {
        use Alphabet::*;
        assert_eq!(tp_dcs_scheme(0x00), scheme(Gsm7, None));
        assert_eq!(tp_dcs_scheme(0x04), scheme(Data8, None));
        assert_eq!(tp_dcs_scheme(0x08), scheme(Ucs2, None));
        assert_eq!(tp_dcs_scheme(0x0C), scheme(Unsupported, None));
        // Class bits without bit 4 mean nothing.
        assert_eq!(tp_dcs_scheme(0x01), scheme(Gsm7, None));
        assert_eq!(tp_dcs_scheme(0x10), scheme(Gsm7, Some(MessageClass::Class0)));
        assert_eq!(tp_dcs_scheme(0x16), scheme(Data8, Some(MessageClass::Class2)));
        assert_eq!(tp_dcs_scheme(0x18), scheme(Ucs2, Some(MessageClass::Class0)));
        assert_eq!(tp_dcs_scheme(0x20), scheme(Compressed, None));
        // Automatic deletion group mirrors the general group.
        assert_eq!(tp_dcs_scheme(0x48), scheme(Ucs2, None));
        assert_eq!(tp_dcs_scheme(0x51), scheme(Gsm7, Some(MessageClass::Class1)));
        assert_eq!(tp_dcs_scheme(0x80), scheme(Unsupported, None));
        assert_eq!(tp_dcs_scheme(0xBF), scheme(Unsupported, None));
    }

    #[test]
    fn tp_dcs_message_waiting_and_class_groups() {
        use Alphabet::*;
        assert_eq!(tp_dcs_scheme(0xC0), scheme(Gsm7, None));
        assert_eq!(tp_dcs_scheme(0xD8), scheme(Gsm7, None));
        assert_eq!(tp_dcs_scheme(0xE0), scheme(Ucs2, None));
        assert_eq!(tp_dcs_scheme(0xF0), scheme(Gsm7, Some(MessageClass::Class0)));
        assert_eq!(tp_dcs_scheme(0xF5), scheme(Data8, Some(MessageClass::Class1)));
        assert_eq!(tp_dcs_scheme(0xF3), scheme(Gsm7, Some(MessageClass::Class3)));
    }

    #[test]
    fn smpp_defers_to_tp_dcs_above_0x0f() {
        for dc in 0x10..=0xFF {
            assert_eq!(smpp_scheme(dc), tp_dcs_scheme(dc), "{dc:#04x}");
        }
        let d = decode(0x18, &[0xD8, 0x3D, 0xDE, 0x00]);
        assert_eq!(d.text.as_deref(), Some("😀"));
        assert_eq!(d.class, Some(MessageClass::Class0));
        let d = decode_tp_dcs(0x01, &[0x48]);
        assert_eq!((d.text.as_deref(), d.encoding), (Some("H"), Encoding::Gsm7));
    }

    #[test]
    fn decode_never_panics_on_any_dcs() {
        let junk: Vec<u8> = (0..=255).collect();
        for dc in 0..=255 {
            let _ = decode(dc, &junk);
            let _ = decode_tp_dcs(dc, &junk[..7]);
        }
    }
}

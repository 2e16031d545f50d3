//! The simulator's one shape for a message, SMPP's: submits of every
//! protocol are recorded as it ([`crate::SubmitRecord`]) and mobile-originated
//! messages are given in it ([`crate::SimState::send_mo`]). This file holds
//! what the UCP and CIMD2 front-ends share to convert to and from it.
//!
//! The shape: `data_coding` 0 with one unpacked GSM 03.38 septet per octet
//! for text, 8 for UCS-2 (UTF-16BE), another TS 23.038 value for binary;
//! a UDH at the front of `short_message` with `esm_class` bit 6 (0x40,
//! SMPP 3.4 §5.2.12).

use bytes::Bytes;
use smpp::Sm;
use text::gsm7;

/// The message part of a [`crate::SubmitRecord`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Body {
    pub esm_class: u8,
    pub data_coding: u8,
    pub short_message: Bytes,
}

impl Body {
    /// GSM text as unpacked septets (`data_coding` 0); characters outside the
    /// GSM alphabet become `?`.
    pub(crate) fn gsm(udh: Option<&[u8]>, text: &str) -> Self {
        Self::with_udh(udh, 0, &gsm_septets(text))
    }

    /// Octets as they came, under `data_coding`.
    pub(crate) fn with_udh(udh: Option<&[u8]>, data_coding: u8, payload: &[u8]) -> Self {
        let mut short_message = Vec::with_capacity(udh.map_or(0, <[u8]>::len) + payload.len());
        short_message.extend_from_slice(udh.unwrap_or_default());
        short_message.extend_from_slice(payload);
        Self { esm_class: if udh.is_some() { 0x40 } else { 0 }, data_coding, short_message: short_message.into() }
    }
}

/// Unpacked GSM septets of `text`, `?` for what the alphabet lacks.
fn gsm_septets(text: &str) -> Vec<u8> {
    gsm7::encode_unpacked(text).unwrap_or_else(|_| {
        let kept: String = text.chars().map(|c| if gsm7::is_encodable(&c.to_string()) { c } else { '?' }).collect();
        gsm7::encode_unpacked(&kept).unwrap_or_default()
    })
}

/// A mobile-originated message taken apart for UCP and CIMD2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mo {
    /// The UDH, UDHL included.
    pub udh: Option<Vec<u8>>,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    /// GSM default alphabet text: UCP AMsg, CIMD2 033.
    Gsm(String),
    /// Octets and the TS 23.038 data coding scheme: UCP TMsg with XSer 02,
    /// CIMD2 034 with 030.
    Binary { dcs: u8, data: Vec<u8> },
}

/// Takes a canonical deliver_sm apart. IA5 and Latin-1 (SMPP-only data
/// codings 1 and 3) become GSM text when they fit, UCS-2 otherwise.
pub(crate) fn mo(sm: &Sm) -> Mo {
    let body = if sm.short_message.is_empty() {
        smpp::tlv::find(&sm.tlvs, smpp::tlv::tag::MESSAGE_PAYLOAD).map_or_else(Bytes::new, |t| t.value.clone())
    } else {
        sm.short_message.clone()
    };
    let (udh, payload) = if sm.esm_class & 0x40 != 0 && !body.is_empty() {
        let end = (usize::from(body[0]) + 1).min(body.len());
        (Some(body[..end].to_vec()), &body[end..])
    } else {
        (None, &body[..])
    };
    let content = match sm.data_coding {
        0x00 => Content::Gsm(gsm7::decode_unpacked(payload)),
        0x01 | 0x03 => {
            let text = text::decode(sm.data_coding, payload).text.unwrap_or_default();
            if gsm7::is_encodable(&text) {
                Content::Gsm(text)
            } else {
                Content::Binary { dcs: 0x08, data: text::ucs2::encode(&text) }
            }
        }
        dcs => Content::Binary { dcs, data: payload.to_vec() },
    };
    Mo { udh, content }
}

/// True for an address of digits only (a leading `+` allowed), false for an
/// alphanumeric name.
pub(crate) fn is_numeric(address: &str) -> bool {
    let digits = address.strip_prefix('+').unwrap_or(address);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_an_mo_apart() {
        let sm = Sm { data_coding: 0, short_message: gsm7::encode_unpacked("@€").unwrap().into(), ..Sm::default() };
        assert_eq!(mo(&sm), Mo { udh: None, content: Content::Gsm("@€".into()) });

        let mut short_message = vec![5, 0, 3, 7, 2, 1];
        short_message.extend(text::ucs2::encode("Ж"));
        let sm = Sm { esm_class: 0x40, data_coding: 8, short_message: short_message.into(), ..Sm::default() };
        let expected = Content::Binary { dcs: 8, data: vec![0x04, 0x16] };
        assert_eq!(mo(&sm), Mo { udh: Some(vec![5, 0, 3, 7, 2, 1]), content: expected });

        let sm = Sm { data_coding: 3, short_message: vec![0xE9, 0xFF].into(), ..Sm::default() };
        assert_eq!(mo(&sm).content, Content::Binary { dcs: 8, data: text::ucs2::encode("éÿ") });
    }

    #[test]
    fn records_text_as_septets() {
        let body = Body::gsm(Some(&[3, 0x25, 1, 1]), "a€`");
        assert_eq!(body.esm_class, 0x40);
        assert_eq!(&body.short_message[..], &[3, 0x25, 1, 1, 0x61, 0x1B, 0x65, 0x3F]);
    }
}

//! The User Data Header (TS 23.040 §9.2.3.24): parsing what arrives, so the
//! tracker can reassemble concatenated inbound messages and the decoder knows the
//! national language tables (IEs 0x24/0x25).

use crate::gsm7::national::{Language, Shift, IEI_LOCKING_SHIFT, IEI_SINGLE_SHIFT};

/// Concatenated SM, 8-bit reference (TS 23.040 §9.2.3.24.1).
pub const IEI_CONCAT_8: u8 = 0x00;
/// Concatenated SM, 16-bit reference (TS 23.040 §9.2.3.24.8).
pub const IEI_CONCAT_16: u8 = 0x08;

/// One information element, kept raw unless something here understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationElement {
    /// IEI.
    pub id: u8,
    /// IED, without the IEI and IEDL octets.
    pub data: Vec<u8>,
}

/// A parsed UDH, in the order the elements arrived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Udh {
    /// The information elements.
    pub elements: Vec<InformationElement>,
}

/// Why a UDH could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UdhError {
    /// No octets at all, so no UDHL.
    #[error("short message is empty, no udh length octet")]
    Empty,
    /// UDHL says more octets than the message has.
    #[error("udh length {udhl} exceeds the {available} octets that follow it")]
    HeaderOverrun {
        /// The UDHL octet.
        udhl: usize,
        /// Octets after the UDHL.
        available: usize,
    },
    /// An element's IEDL runs past the end of the UDH, or its IEDL octet is missing.
    #[error("information element 0x{id:02x} at udh offset {offset} overruns the header")]
    ElementOverrun {
        /// The IEI.
        id: u8,
        /// Offset of the IEI within the UDH, counting from the UDHL octet.
        offset: usize,
    },
}

/// Splits `short_message` (sent with UDHI set) into its UDH and the rest.
/// Never panics; a length that points past the end is an error.
pub fn parse_udh(short_message: &[u8]) -> Result<(Udh, &[u8]), UdhError> {
    let (&udhl, rest) = short_message.split_first().ok_or(UdhError::Empty)?;
    let udhl = usize::from(udhl);
    if udhl > rest.len() {
        return Err(UdhError::HeaderOverrun { udhl, available: rest.len() });
    }
    let (mut header, body) = rest.split_at(udhl);
    let mut elements = Vec::new();
    let mut offset = 1;
    while let Some((&id, after_id)) = header.split_first() {
        let overrun = UdhError::ElementOverrun { id, offset };
        let (&len, after_len) = after_id.split_first().ok_or(overrun.clone())?;
        let len = usize::from(len);
        if len > after_len.len() {
            return Err(overrun);
        }
        let (data, next) = after_len.split_at(len);
        elements.push(InformationElement { id, data: data.to_vec() });
        offset += 2 + len;
        header = next;
    }
    Ok((Udh { elements }, body))
}

impl Udh {
    /// `(reference, total, seq)` from the last well-formed concatenation IE
    /// (8- or 16-bit reference). TS 23.040 §9.2.3.24 says the last occurrence of
    /// a repeated IE wins; §9.2.3.24.1 says an IE with seq 0 or seq > total is
    /// ignored — so is one with the wrong length.
    pub fn concat(&self) -> Option<(u16, u8, u8)> {
        self.elements.iter().rev().find_map(|ie| {
            let (reference, total, seq) = match (ie.id, ie.data.as_slice()) {
                (IEI_CONCAT_8, &[r, t, s]) => (u16::from(r), t, s),
                (IEI_CONCAT_16, &[hi, lo, t, s]) => (u16::from_be_bytes([hi, lo]), t, s),
                _ => return None,
            };
            (seq != 0 && seq <= total).then_some((reference, total, seq))
        })
    }

    /// The national language tables named by the last well-formed National Language
    /// Single Shift (0x24) and Locking Shift (0x25) IEs (TS 23.040 §9.2.3.24.15/16).
    /// An IE of the wrong length, an identifier the spec does not define, or a locking
    /// shift to Spanish (which has no locking table) means the default table, as
    /// TS 23.038 §6.2.1.2.4 has a receiver treat an identifier it does not know.
    pub fn shift(&self) -> Shift {
        let last = |iei: u8| {
            self.elements.iter().rev().find(|ie| ie.id == iei).and_then(|ie| match ie.data.as_slice() {
                &[id] => Language::from_id(id),
                _ => None,
            })
        };
        Shift {
            locking: last(IEI_LOCKING_SHIFT).filter(|l| l.locking_table().is_some()),
            single: last(IEI_SINGLE_SHIFT),
        }
    }

    /// The elements as a complete UDH, UDHL first. Elements longer than 255 octets,
    /// or a header longer than 255, do not fit; the caller builds sane headers.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![0];
        for ie in &self.elements {
            out.push(ie.id);
            out.push(ie.data.len() as u8);
            out.extend_from_slice(&ie.data);
        }
        out[0] = (out.len() - 1) as u8;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_8_bit_concat() {
        let sm = [0x05, 0x00, 0x03, 0xAB, 0x03, 0x02, b'h', b'i'];
        let (udh, body) = parse_udh(&sm).map_err(|e| e.to_string()).unwrap_or_default();
        assert_eq!(body, b"hi");
        assert_eq!(udh.concat(), Some((0xAB, 3, 2)));
        assert_eq!(udh.to_bytes(), sm[..6].to_vec());
    }

    #[test]
    fn parses_16_bit_concat_and_keeps_other_ies() {
        // 0x24 national single shift (Turkish) then 16-bit concat.
        let sm = [0x09, 0x24, 0x01, 0x01, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 0x41];
        let (udh, body) = parse_udh(&sm).unwrap();
        assert_eq!(body, &[0x41]);
        assert_eq!(udh.concat(), Some((0x1234, 2, 1)));
        assert_eq!(udh.elements[0], InformationElement { id: 0x24, data: vec![0x01] });
        assert_eq!(udh.to_bytes(), sm[..10].to_vec());
    }

    #[test]
    fn invalid_concat_values_are_ignored() {
        for sm in [
            &[0x05, 0x00, 0x03, 0x01, 0x02, 0x00][..], // seq 0
            &[0x05, 0x00, 0x03, 0x01, 0x02, 0x03][..], // seq > total
            &[0x04, 0x00, 0x02, 0x01, 0x02][..],       // wrong IEDL
        ] {
            assert_eq!(parse_udh(sm).map(|(u, _)| u.concat()), Ok(None), "{sm:02x?}");
        }
    }

    #[test]
    fn last_concat_wins() {
        let sm = [0x0B, 0x00, 0x03, 0x01, 0x02, 0x01, 0x08, 0x04, 0x00, 0x07, 0x03, 0x03];
        assert_eq!(parse_udh(&sm).map(|(u, _)| u.concat()), Ok(Some((7, 3, 3))));
    }

    #[test]
    fn overruns_are_errors() {
        assert_eq!(parse_udh(&[]), Err(UdhError::Empty));
        assert_eq!(parse_udh(&[0x05, 0x00, 0x03]), Err(UdhError::HeaderOverrun { udhl: 5, available: 2 }));
        assert_eq!(parse_udh(&[0x03, 0x00, 0x03, 0x01, 0x41]), Err(UdhError::ElementOverrun { id: 0, offset: 1 }));
        assert_eq!(parse_udh(&[0x04, 0x00, 0x01, 0x01, 0x08]), Err(UdhError::ElementOverrun { id: 8, offset: 4 }));
        assert_eq!(parse_udh(&[0x00, 0x41]), Ok((Udh::default(), &[0x41][..])));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok((udh, body)) = parse_udh(&bytes) {
                // What parsed re-serialises to the header it came from.
                let header_len = bytes.len() - body.len();
                prop_assert_eq!(udh.to_bytes(), bytes[..header_len].to_vec());
                let _ = udh.concat();
            }
        }
    }
}

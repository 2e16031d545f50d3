//! TP-UDL and TP-UD (TS 23.040 §9.2.3.16, §9.2.3.24).
//!
//! In GSM 7-bit, TP-UDL counts septets, the UDH's included: a UDH of n octets
//! takes ceil(8n / 7) septets, the fill bits that pad it to a septet boundary
//! among them. In 8-bit and UCS-2, TP-UDL counts octets.
//!
//! The crate hands user data around unpacked: the UDH octets (UDHL first) followed
//! by one octet per septet, or by the octets — the shape SMPP `short_message` has,
//! so the `text` crate decodes it either way.

use text::gsm7;

use crate::error::{DecodeError, EncodeError};
use crate::reader::Reader;

/// Octets of TP-UD (TS 23.040 §9.2.3.24).
pub const MAX_USER_DATA_OCTETS: usize = 140;

/// Appends TP-UDL and TP-UD. `udh` is a complete header, UDHL first.
pub(crate) fn encode(septets: bool, udh: Option<&[u8]>, body: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let udh = udh.unwrap_or_default();
    if let Some(&udhl) = udh.first() {
        if usize::from(udhl) + 1 != udh.len() {
            return Err(EncodeError::Udh);
        }
    }
    let (udl, ud) = if septets {
        let fill = gsm7::fill_bits(udh.len());
        let udh_septets = (udh.len() * 8 + usize::from(fill)) / 7;
        let mut ud = udh.to_vec();
        ud.extend(gsm7::pack(body, fill));
        (udh_septets + body.len(), ud)
    } else {
        (udh.len() + body.len(), [udh, body].concat())
    };
    if ud.len() > MAX_USER_DATA_OCTETS {
        return Err(EncodeError::TooLong { octets: ud.len() });
    }
    out.push(udl as u8);
    out.extend_from_slice(&ud);
    Ok(())
}

/// Reads TP-UDL and TP-UD into the unpacked form. Octets after the user data are
/// ignored; fewer than TP-UDL announces is an error.
pub(crate) fn decode(r: &mut Reader<'_>, septets: bool, udhi: bool) -> Result<Vec<u8>, DecodeError> {
    let udl = usize::from(r.u8("user data length")?);
    let octets = if septets { (udl * 7).div_ceil(8) } else { udl };
    let ud = r.take(octets, "user data")?;
    let udh_octets = match (udhi, ud.first()) {
        (false, _) => 0,
        (true, Some(&udhl)) => usize::from(udhl) + 1,
        (true, None) => return Err(DecodeError::BadUdh { udh_octets: 1, udl }),
    };
    if !septets {
        if udh_octets > udl {
            return Err(DecodeError::BadUdh { udh_octets, udl });
        }
        return Ok(ud.to_vec());
    }
    let fill = gsm7::fill_bits(udh_octets);
    let udh_septets = (udh_octets * 8 + usize::from(fill)) / 7;
    if udh_septets > udl || udh_octets > ud.len() {
        return Err(DecodeError::BadUdh { udh_octets, udl });
    }
    let (udh, packed) = ud.split_at(udh_octets);
    let mut out = udh.to_vec();
    out.extend(gsm7::unpack(packed, udl - udh_septets, fill));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn septets_after_a_six_octet_udh_take_one_fill_bit() {
        let udh = [0x05, 0x00, 0x03, 0x2A, 0x02, 0x01];
        let body = gsm7::encode_unpacked("Hi").unwrap();
        let mut out = Vec::new();
        encode(true, Some(&udh), &body, &mut out).unwrap();
        // 6 octets = 48 bits + 1 fill bit = 7 septets, + 2 septets of text.
        assert_eq!(out[0], 9);
        assert_eq!(&out[1..7], &udh);
        assert_eq!(out[7], 0x48 << 1); // 'H' after one fill bit
        let back = decode(&mut Reader::new(&out), true, true).unwrap();
        assert_eq!(back, [&udh[..], &body[..]].concat());
    }

    #[test]
    fn limits_and_bad_headers() {
        let mut out = Vec::new();
        assert_eq!(encode(false, None, &[0; 141], &mut out), Err(EncodeError::TooLong { octets: 141 }));
        assert_eq!(encode(true, None, &[0; 161], &mut out), Err(EncodeError::TooLong { octets: 141 }));
        assert!(encode(true, None, &[0; 160], &mut out).is_ok());
        assert_eq!(encode(false, Some(&[0x05, 0x00]), &[], &mut out), Err(EncodeError::Udh));
        // UDHL 5 but only 3 septets of user data.
        assert!(matches!(decode(&mut Reader::new(&[3, 5, 0, 3]), true, true), Err(DecodeError::BadUdh { .. })));
        assert!(matches!(decode(&mut Reader::new(&[2, 5, 0]), false, true), Err(DecodeError::BadUdh { .. })));
        assert!(matches!(decode(&mut Reader::new(&[0]), false, true), Err(DecodeError::BadUdh { .. })));
        assert_eq!(decode(&mut Reader::new(&[9, 1]), false, false), Err(DecodeError::Truncated { field: "user data" }));
    }
}

//! TP-DCS (TS 23.038 §4) and the SMPP-style `data_coding` the rest of smsgw speaks.
//!
//! SMPP 3.4 §5.2.19 gives 0x00-0x0F its own meanings and defers everything above to
//! TS 23.038, so for 0x10 and up the two bytes are the same. Below 0x10 only GSM
//! 7-bit (0x00), 8-bit data (0x02, 0x04) and UCS-2 (0x08) have a TP-DCS; Latin-1,
//! IA5 and the other SMPP alphabets cannot be sent through a modem.

use text::decode::{tp_dcs_scheme, Alphabet};

use crate::error::EncodeError;

/// The TP-DCS for an SMPP-style `data_coding` (as `text::split` sets it).
pub fn to_tp_dcs(data_coding: u8) -> Result<u8, EncodeError> {
    match data_coding {
        0x00 => Ok(0x00),
        0x02 | 0x04 => Ok(0x04),
        0x08 => Ok(0x08),
        0x10..=0xFF => Ok(data_coding),
        other => Err(EncodeError::DataCoding(other)),
    }
}

/// Whether TP-UD holds packed septets: the GSM 7-bit alphabet, and every reserved
/// coding, which TS 23.038 §4 has a receiver treat as the GSM 7-bit default
/// alphabet. Compressed user data (bit 5) is octets.
pub fn is_septets(tp_dcs: u8) -> bool {
    matches!(tp_dcs_scheme(tp_dcs).alphabet, Alphabet::Gsm7 | Alphabet::Unsupported)
}

/// The SMPP-style `data_coding` for a received TP-DCS: the same byte from 0x10 up
/// (reserved groups excepted), and for the general group without a class 0x00
/// (GSM 7-bit), 0x04 (8-bit) or 0x08 (UCS-2). Reserved codings read as GSM 7-bit
/// ([`is_septets`]) report 0x00 so that the `text` crate decodes them the same way.
pub fn to_data_coding(tp_dcs: u8) -> u8 {
    match (tp_dcs_scheme(tp_dcs).alphabet, tp_dcs) {
        (Alphabet::Unsupported, _) => 0x00,
        (_, 0x10..=0xFF) => tp_dcs,
        (Alphabet::Data8, _) => 0x04,
        (Alphabet::Ucs2, _) => 0x08,
        _ => 0x00,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound() {
        assert_eq!(to_tp_dcs(0x00), Ok(0x00));
        assert_eq!(to_tp_dcs(0x08), Ok(0x08));
        assert_eq!(to_tp_dcs(0x04), Ok(0x04));
        assert_eq!(to_tp_dcs(0x10), Ok(0x10)); // GSM 7-bit class 0, flash
        assert_eq!(to_tp_dcs(0x18), Ok(0x18)); // UCS-2 class 0
        assert_eq!(to_tp_dcs(0x03), Err(EncodeError::DataCoding(0x03)));
        assert_eq!(to_tp_dcs(0x01), Err(EncodeError::DataCoding(0x01)));
    }

    #[test]
    fn inbound() {
        assert_eq!(to_data_coding(0x00), 0x00);
        assert_eq!(to_data_coding(0x01), 0x00);
        assert_eq!(to_data_coding(0x05), 0x04);
        assert_eq!(to_data_coding(0x0A), 0x08);
        assert_eq!(to_data_coding(0x0C), 0x00);
        assert_eq!(to_data_coding(0x10), 0x10);
        assert_eq!(to_data_coding(0xF5), 0xF5);
        assert_eq!(to_data_coding(0x85), 0x00);
        assert!(is_septets(0x00) && is_septets(0xF0) && is_septets(0x0C) && is_septets(0xC8));
        assert!(!is_septets(0x08) && !is_septets(0x04) && !is_septets(0x20) && !is_septets(0xF4));
    }
}

//! Addresses: TP-DA, TP-OA, TP-RA (TS 23.040 §9.1.2.5) and the SMSC address that
//! precedes the TPDU in PDU mode (TS 24.011 §8.2.5.2, TS 27.005 §3.1 `<pdu>`).
//!
//! The type-of-address octet is `1 TON(3) NPI(4)`: 0x91 international/ISDN, 0x81
//! unknown/ISDN, 0xD0 alphanumeric. Digits are semi-octets, low nibble first, 0xF
//! padding; an alphanumeric address is packed GSM 7-bit (TS 23.038 §6.1.2.1.1) and
//! its length octet counts the semi-octets that hold useful bits.

use std::fmt;

use text::gsm7;

use crate::error::{DecodeError, EncodeError};
use crate::reader::Reader;

/// International number, ISDN/telephone numbering plan (TON 001, NPI 0001).
pub const TOA_INTERNATIONAL: u8 = 0x91;
/// Unknown type of number, ISDN/telephone numbering plan (TON 000, NPI 0001).
pub const TOA_UNKNOWN: u8 = 0x81;
/// Alphanumeric, GSM 7-bit (TON 101, NPI 0000).
pub const TOA_ALPHANUMERIC: u8 = 0xD0;

/// Most semi-octets an address value may hold (10 octets, TS 23.040 §9.1.2.5).
const MAX_SEMI_OCTETS: usize = 20;
/// Most GSM septets of an alphanumeric address: 11 × 7 bits fit 20 semi-octets.
const MAX_ALPHANUMERIC_SEPTETS: usize = 11;

/// An address: the number (without `+`) or alphanumeric text, and its type of
/// address octet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Digits (`0-9`, `*`, `#`, `a`, `b`, `c`) or, for TON alphanumeric, the text.
    pub value: String,
    /// Type of address: [`TOA_INTERNATIONAL`], [`TOA_UNKNOWN`], [`TOA_ALPHANUMERIC`], ...
    pub toa: u8,
}

impl Address {
    /// An international number; a leading `+` is dropped.
    pub fn international(digits: &str) -> Self {
        Address { value: digits.trim_start_matches('+').to_owned(), toa: TOA_INTERNATIONAL }
    }

    /// A number of unknown type (national or short code, as dialled).
    pub fn unknown(digits: &str) -> Self {
        Address { value: digits.to_owned(), toa: TOA_UNKNOWN }
    }

    /// An alphanumeric sender or recipient (at most 11 GSM 7-bit septets).
    pub fn alphanumeric(text: &str) -> Self {
        Address { value: text.to_owned(), toa: TOA_ALPHANUMERIC }
    }

    /// `+digits` is international, digits alone unknown, anything else alphanumeric.
    pub fn parse(s: &str) -> Self {
        match s.strip_prefix('+') {
            Some(digits) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => {
                Self::international(digits)
            }
            _ if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => Self::unknown(s),
            _ => Self::alphanumeric(s),
        }
    }

    /// Type of number, bits 6..4 of the type of address.
    pub fn ton(&self) -> u8 {
        (self.toa >> 4) & 0x07
    }

    pub fn is_international(&self) -> bool {
        self.ton() == 0b001
    }

    pub fn is_alphanumeric(&self) -> bool {
        self.ton() == 0b101
    }
}

/// `+` and the digits for an international number, the value as is otherwise.
impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_international() {
            f.write_str("+")?;
        }
        f.write_str(&self.value)
    }
}

fn nibble(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '*' => Some(0x0A),
        '#' => Some(0x0B),
        'a' | 'A' => Some(0x0C),
        'b' | 'B' => Some(0x0D),
        'c' | 'C' => Some(0x0E),
        _ => None,
    }
}

fn digit(n: u8) -> char {
    match n {
        0..=9 => char::from(b'0' + n),
        0x0A => '*',
        0x0B => '#',
        0x0C => 'a',
        0x0D => 'b',
        _ => 'c',
    }
}

/// The address value octets and how many semi-octets of them are useful.
fn value_octets(address: &Address) -> Result<(Vec<u8>, usize), EncodeError> {
    if address.value.is_empty() {
        return Err(EncodeError::Address { reason: "empty" });
    }
    if address.is_alphanumeric() {
        let septets =
            gsm7::encode_unpacked(&address.value).map_err(|_| EncodeError::Address { reason: "not GSM 7-bit" })?;
        if septets.len() > MAX_ALPHANUMERIC_SEPTETS {
            return Err(EncodeError::Address { reason: "alphanumeric longer than 11 septets" });
        }
        return Ok((gsm7::pack(&septets, 0), (septets.len() * 7).div_ceil(4)));
    }
    let nibbles = address
        .value
        .chars()
        .map(nibble)
        .collect::<Option<Vec<u8>>>()
        .ok_or(EncodeError::Address { reason: "not a digit" })?;
    if nibbles.len() > MAX_SEMI_OCTETS {
        return Err(EncodeError::Address { reason: "more than 20 digits" });
    }
    let octets = nibbles.chunks(2).map(|pair| pair[0] | pair.get(1).map_or(0xF0, |&hi| hi << 4)).collect();
    Ok((octets, nibbles.len()))
}

/// TP-DA / TP-OA / TP-RA: semi-octet count, type of address, value.
pub(crate) fn encode_tp(address: &Address, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let (octets, semi_octets) = value_octets(address)?;
    out.push(semi_octets as u8);
    out.push(address.toa);
    out.extend_from_slice(&octets);
    Ok(())
}

/// The SMSC address before the TPDU: octet count (type of address included), or a
/// single 0 for "the SMSC stored on the SIM" (AT+CSCA).
pub(crate) fn encode_smsc(address: Option<&Address>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let Some(address) = address else {
        out.push(0);
        return Ok(());
    };
    let (octets, _) = value_octets(address)?;
    out.push(octets.len() as u8 + 1);
    out.push(address.toa);
    out.extend_from_slice(&octets);
    Ok(())
}

fn decode_value(toa: u8, octets: &[u8], semi_octets: usize) -> String {
    if (toa >> 4) & 0x07 == 0b101 {
        let septets = gsm7::unpack(octets, semi_octets * 4 / 7, 0);
        return gsm7::decode_unpacked(&septets);
    }
    octets.iter().flat_map(|&b| [b & 0x0F, b >> 4]).take(semi_octets).take_while(|&n| n != 0x0F).map(digit).collect()
}

/// Reads a TP-DA / TP-OA / TP-RA.
pub(crate) fn decode_tp(r: &mut Reader<'_>) -> Result<Address, DecodeError> {
    let len = r.u8("address length")?;
    if usize::from(len) > MAX_SEMI_OCTETS {
        return Err(DecodeError::AddressTooLong { len });
    }
    let toa = r.u8("type of address")?;
    let octets = r.take(usize::from(len).div_ceil(2), "address")?;
    Ok(Address { value: decode_value(toa, octets, usize::from(len)), toa })
}

/// Reads the SMSC address that precedes the TPDU; `None` when its length is 0.
pub(crate) fn decode_smsc(r: &mut Reader<'_>) -> Result<Option<Address>, DecodeError> {
    let len = r.u8("smsc length")?;
    if len == 0 {
        return Ok(None);
    }
    if usize::from(len) > 1 + MAX_SEMI_OCTETS / 2 {
        return Err(DecodeError::AddressTooLong { len });
    }
    let toa = r.u8("smsc type of address")?;
    let octets = r.take(usize::from(len) - 1, "smsc address")?;
    Ok(Some(Address { value: decode_value(toa, octets, octets.len() * 2), toa }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(a: &Address) -> Vec<u8> {
        let mut out = Vec::new();
        encode_tp(a, &mut out).unwrap();
        out
    }

    #[test]
    fn semi_octets_with_padding() {
        // TS 23.040 §9.1.2.5 example shape: 11 digits, F pad in the last high nibble.
        assert_eq!(tp(&Address::international("15551234567")), [0x0B, 0x91, 0x51, 0x55, 0x21, 0x43, 0x65, 0xF7]);
        assert_eq!(tp(&Address::unknown("1234")), [0x04, 0x81, 0x21, 0x43]);
        let back = decode_tp(&mut Reader::new(&[0x0B, 0x91, 0x51, 0x55, 0x21, 0x43, 0x65, 0xF7])).unwrap();
        assert_eq!(back.to_string(), "+15551234567");
    }

    #[test]
    fn alphanumeric_published_vectors() {
        // Published examples (also in PyPI smspdudecoder's doc tests).
        let a = decode_tp(&mut Reader::new(&[0x0B, 0xD0, 0xCD, 0xE6, 0xDB, 0x5D, 0xCE, 0x03])).unwrap();
        assert_eq!(a, Address::alphanumeric("MMoney"));
        let bytes = [0x14, 0xD0, 0xC4, 0xF2, 0x3C, 0x7D, 0x76, 0x03, 0x90, 0xEF, 0x76, 0x19];
        let a = decode_tp(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(a, Address::alphanumeric("Design@Home"));
        assert_eq!(tp(&a), bytes);
        assert_eq!(tp(&Address::alphanumeric("MMoney")), [0x0B, 0xD0, 0xCD, 0xE6, 0xDB, 0x5D, 0xCE, 0x03]);
    }

    #[test]
    fn smsc_forms() {
        let mut out = Vec::new();
        encode_smsc(None, &mut out).unwrap();
        encode_smsc(Some(&Address::international("22997976852")), &mut out).unwrap();
        assert_eq!(out, [0x00, 0x07, 0x91, 0x22, 0x99, 0x97, 0x67, 0x58, 0xF2]);
        let mut r = Reader::new(&out);
        assert_eq!(decode_smsc(&mut r), Ok(None));
        assert_eq!(decode_smsc(&mut r), Ok(Some(Address::international("22997976852"))));
    }

    #[test]
    fn parse_and_errors() {
        assert_eq!(Address::parse("+4912345"), Address::international("4912345"));
        assert_eq!(Address::parse("12345"), Address::unknown("12345"));
        assert_eq!(Address::parse("Shop"), Address::alphanumeric("Shop"));
        let mut out = Vec::new();
        assert!(encode_tp(&Address::unknown(""), &mut out).is_err());
        assert!(encode_tp(&Address::unknown("12x"), &mut out).is_err());
        assert!(encode_tp(&Address::unknown(&"1".repeat(21)), &mut out).is_err());
        assert!(encode_tp(&Address::alphanumeric("TwelveChars!"), &mut out).is_err());
        assert!(encode_tp(&Address::alphanumeric("Ж"), &mut out).is_err());
        assert_eq!(decode_tp(&mut Reader::new(&[0x15, 0x91])), Err(DecodeError::AddressTooLong { len: 0x15 }));
    }
}

//! Hex text, as PDU mode carries TPDUs over the AT interface (TS 27.005 §3.1:
//! "`<pdu>` ... in hexadecimal format: two IRA characters per octet").

use crate::error::DecodeError;

/// Upper-case hex, as modems print and expect it.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}

/// Decodes hex of either case. Surrounding whitespace is ignored; anything else
/// that is not a hex digit, or an odd number of digits, is an error.
pub fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    let text = text.trim().as_bytes();
    if text.len() % 2 != 0 {
        return Err(DecodeError::Hex { offset: text.len() });
    }
    let digit = |offset: usize| -> Result<u8, DecodeError> {
        match text[offset] {
            c @ b'0'..=b'9' => Ok(c - b'0'),
            c @ b'a'..=b'f' => Ok(c - b'a' + 10),
            c @ b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(DecodeError::Hex { offset }),
        }
    };
    (0..text.len() / 2).map(|i| Ok(digit(2 * i)? << 4 | digit(2 * i + 1)?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        assert_eq!(encode(&[0x00, 0xAB, 0x1F]), "00AB1F");
        assert_eq!(decode(" 00ab1F\r\n"), Ok(vec![0x00, 0xAB, 0x1F]));
        assert_eq!(decode("0"), Err(DecodeError::Hex { offset: 1 }));
        assert_eq!(decode("0G"), Err(DecodeError::Hex { offset: 1 }));
    }
}

//! Hex digits as the spec writes them: two uppercase digits per octet.

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

pub(crate) fn encode(octets: &[u8]) -> String {
    let mut out = String::with_capacity(octets.len() * 2);
    for &b in octets {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}

/// Decodes hex digits of either case; `None` for an odd count or a non-hex character.
pub(crate) fn decode(digits: &str) -> Option<Vec<u8>> {
    let bytes = digits.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes.chunks_exact(2).map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

pub(crate) fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

//! ISO-8859-1, SMPP `data_coding` 3 (SMPP 3.4 §5.2.19; not a TS 23.038 alphabet).

use crate::alphabet::Unencodable;

/// Encodes `text` one octet per character; fails on the first character above U+00FF.
pub fn encode(text: &str) -> Result<Vec<u8>, Unencodable> {
    text.chars().enumerate().map(|(index, ch)| u8::try_from(ch).map_err(|_| Unencodable { ch, index })).collect()
}

/// Decodes ISO-8859-1; every octet is a character, so this cannot fail.
pub fn decode(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_octet() {
        let all: Vec<u8> = (0..=255).collect();
        let text = decode(&all);
        assert_eq!(text.chars().count(), 256);
        assert_eq!(encode(&text), Ok(all));
    }

    #[test]
    fn names_first_char_above_u00ff() {
        assert_eq!(encode("café"), Ok(vec![b'c', b'a', b'f', 0xE9]));
        assert_eq!(encode("ab€d€"), Err(Unencodable { ch: '€', index: 2 }));
    }
}

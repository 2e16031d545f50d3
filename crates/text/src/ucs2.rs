//! UCS-2 as SMS uses it today: UTF-16 big-endian (TS 23.038 §6.2.3 names UCS-2;
//! handsets and SMSCs carry characters outside the BMP as UTF-16 surrogate pairs).

/// Encodes `text` as UTF-16BE. Every `char` is encodable; one outside the BMP
/// (an emoji, say) takes two 16-bit units.
pub fn encode(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// How many 16-bit units `ch` takes: 1, or 2 for a surrogate pair.
pub fn unit_len(ch: char) -> usize {
    ch.len_utf16()
}

/// Decodes UTF-16BE. Lenient, never fails: an unpaired surrogate, or a trailing
/// odd octet, becomes U+FFFD.
pub fn decode(bytes: &[u8]) -> String {
    let units = bytes.chunks_exact(2).map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    let mut out: String = char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
    if bytes.len() % 2 == 1 {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmp_text_is_two_octets_per_char() {
        assert_eq!(encode("Aж"), vec![0x00, 0x41, 0x04, 0x36]);
        assert_eq!(decode(&[0x00, 0x41, 0x04, 0x36]), "Aж");
    }

    #[test]
    fn emoji_is_a_surrogate_pair() {
        // U+1F600 = D83D DE00
        assert_eq!(encode("😀"), vec![0xD8, 0x3D, 0xDE, 0x00]);
        assert_eq!(decode(&[0xD8, 0x3D, 0xDE, 0x00]), "😀");
        assert_eq!(unit_len('😀'), 2);
        assert_eq!(unit_len('ж'), 1);
    }

    #[test]
    fn unpaired_surrogates_and_odd_length_are_replaced() {
        assert_eq!(decode(&[0xD8, 0x3D, 0x00, 0x41]), "\u{FFFD}A");
        assert_eq!(decode(&[0xDE, 0x00]), "\u{FFFD}");
        assert_eq!(decode(&[0x00, 0x41, 0x00]), "A\u{FFFD}");
        assert_eq!(decode(&[]), "");
    }
}

//! IRA-hex: how AMsg (MT=3), PWD and other text fields travel (EMI 4.x spec,
//! the AMsg field of §4.2 and §5.3, PWD of §6.3): each character as the two
//! hex digits of its octet.
//!
//! **Which alphabet.** The spec says the octets are IRA, the International
//! Reference Alphabet of ITU-T T.50. Since T.50 (1992) its international
//! reference version is US-ASCII code for code, so for [`Alphabet::Ira`] an
//! octet 0x00–0x7F *is* the Unicode scalar of the same value. (The 1988 IRV
//! differed in two places, [`IRA_1988_DIFFERENCES`]; nobody sends those today.)
//!
//! Many SMSCs and client libraries (the PyPI `ucp` package among them) put the
//! GSM 03.38 default alphabet code of each character there instead, one septet
//! per octet, with 0x1B escapes for the extension table — [`Alphabet::Gsm`].
//! The two agree on letters, digits, space and most punctuation and differ on
//! the rest; [`IRA_GSM_DIFFERENCES`] lists the printable IRA characters whose
//! codes differ. Which one an SMSC expects is per-connection configuration,
//! so the codec keeps AMsg as octets ([`crate::Msg::Alphanumeric`]) and the
//! caller converts with [`encode_text`] / [`decode_text`].

use text::gsm7;
pub use text::Unencodable;

use crate::hex;

/// The alphabet of the octets inside AMsg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Alphabet {
    /// ITU-T T.50 IRA as the spec says: 7-bit, code = Unicode scalar.
    #[default]
    Ira,
    /// GSM 03.38 default alphabet and extension table, one septet per octet.
    Gsm,
}

/// ITU-T T.50 (1988) IRV positions that differ from today's IRA/ASCII:
/// (code, 1988 character, 1992 character).
pub const IRA_1988_DIFFERENCES: [(u8, char, char); 2] = [(0x24, '¤', '$'), (0x7E, '‾', '~')];

/// Printable IRA characters whose GSM 03.38 code is not their IRA code:
/// (character, IRA code, GSM septets). Two septets mean escape + extension code.
pub const IRA_GSM_DIFFERENCES: [(char, u8, &[u8]); 12] = [
    ('$', 0x24, &[0x02]),
    ('@', 0x40, &[0x00]),
    ('[', 0x5B, &[0x1B, 0x3C]),
    ('\\', 0x5C, &[0x1B, 0x2F]),
    (']', 0x5D, &[0x1B, 0x3E]),
    ('^', 0x5E, &[0x1B, 0x14]),
    ('_', 0x5F, &[0x11]),
    ('`', 0x60, &[]), // not in GSM 03.38
    ('{', 0x7B, &[0x1B, 0x28]),
    ('|', 0x7C, &[0x1B, 0x40]),
    ('}', 0x7D, &[0x1B, 0x29]),
    ('~', 0x7E, &[0x1B, 0x3D]),
];

/// The octets of `text` in `alphabet`.
pub fn encode_text(text: &str, alphabet: Alphabet) -> Result<Vec<u8>, Unencodable> {
    match alphabet {
        Alphabet::Gsm => gsm7::encode_unpacked(text),
        Alphabet::Ira => text
            .chars()
            .enumerate()
            .map(|(index, ch)| if ch.is_ascii() { Ok(ch as u8) } else { Err(Unencodable { ch, index }) })
            .collect(),
    }
}

/// The text of `octets` in `alphabet`. Never fails: an octet with no character
/// (above 0x7F) gives U+FFFD.
pub fn decode_text(octets: &[u8], alphabet: Alphabet) -> String {
    match alphabet {
        Alphabet::Gsm => gsm7::decode_unpacked(octets),
        Alphabet::Ira => {
            octets.iter().map(|&b| if b.is_ascii() { char::from(b) } else { char::REPLACEMENT_CHARACTER }).collect()
        }
    }
}

/// IRA-hex of `text` in `alphabet`, e.g. `"Message 51"` → `"4D657373616765203531"`.
pub fn encode_hex(text: &str, alphabet: Alphabet) -> Result<String, Unencodable> {
    encode_text(text, alphabet).map(|o| hex::encode(&o))
}

/// Text of IRA-hex `digits` in `alphabet`; `None` when they are not hex.
pub fn decode_hex(digits: &str, alphabet: Alphabet) -> Option<String> {
    hex::decode(digits).map(|o| decode_text(&o, alphabet))
}

/// Hex of each char's Latin-1 octet; `None` for a char above U+00FF. For fields
/// such as PWD that must round-trip whatever octets the peer sent.
pub(crate) fn encode_latin1_hex(text: &str) -> Option<String> {
    let octets: Option<Vec<u8>> = text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
    octets.map(|o| hex::encode(&o))
}

pub(crate) fn decode_latin1_hex(digits: &str) -> Option<String> {
    hex::decode(digits).map(|o| o.into_iter().map(char::from).collect())
}

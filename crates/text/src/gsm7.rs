//! The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1),
//! unpacked (one septet per octet, as SMPP carries `data_coding` 0) and packed
//! (TS 23.038 §6.1.2.1.1, as TP-UD carries it on the modem/PDU path).
//!
//! The national language shift tables (TS 23.038 §6.2.1.2 and Annex A) are in
//! [`national`]. Every alphabet function has a `_with(&Tables, ..)` form; a pair of
//! national tables is just another [`Tables`] value ([`national::Shift::tables`]).

use crate::alphabet::Unencodable;

pub mod national;

use national::UNDEFINED;

/// The escape to the extension table (TS 23.038 §6.2.1, code 0x1B).
pub const ESCAPE: u8 = 0x1B;

/// Placeholder at 0x1B in [`DEFAULT_ALPHABET`]: that code is the escape, not a character.
pub(crate) const ESCAPE_SLOT: char = '\u{1B}';

/// The default alphabet in code-point order (TS 23.038 §6.2.1, figure "GSM 7 bit
/// default alphabet"). Index 0x1B is the escape and never encodes a character.
pub const DEFAULT_ALPHABET: [char; 128] = [
    '@',
    '£',
    '$',
    '¥',
    'è',
    'é',
    'ù',
    'ì',
    'ò',
    'Ç',
    '\n',
    'Ø',
    'ø',
    '\r',
    'Å',
    'å', //
    'Δ',
    '_',
    'Φ',
    'Γ',
    'Λ',
    'Ω',
    'Π',
    'Ψ',
    'Σ',
    'Θ',
    'Ξ',
    ESCAPE_SLOT,
    'Æ',
    'æ',
    'ß',
    'É', //
    ' ',
    '!',
    '"',
    '#',
    '¤',
    '%',
    '&',
    '\'',
    '(',
    ')',
    '*',
    '+',
    ',',
    '-',
    '.',
    '/', //
    '0',
    '1',
    '2',
    '3',
    '4',
    '5',
    '6',
    '7',
    '8',
    '9',
    ':',
    ';',
    '<',
    '=',
    '>',
    '?', //
    '¡',
    'A',
    'B',
    'C',
    'D',
    'E',
    'F',
    'G',
    'H',
    'I',
    'J',
    'K',
    'L',
    'M',
    'N',
    'O', //
    'P',
    'Q',
    'R',
    'S',
    'T',
    'U',
    'V',
    'W',
    'X',
    'Y',
    'Z',
    'Ä',
    'Ö',
    'Ñ',
    'Ü',
    '§', //
    '¿',
    'a',
    'b',
    'c',
    'd',
    'e',
    'f',
    'g',
    'h',
    'i',
    'j',
    'k',
    'l',
    'm',
    'n',
    'o', //
    'p',
    'q',
    'r',
    's',
    't',
    'u',
    'v',
    'w',
    'x',
    'y',
    'z',
    'ä',
    'ö',
    'ñ',
    'ü',
    'à', //
];

/// The default extension table (TS 23.038 §6.2.1.1): code after [`ESCAPE`] → character.
/// 0x0A is the page break, sent here as form feed U+000C.
pub const DEFAULT_EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// [`DEFAULT_ALPHABET`] at one address, which [`Tables::DEFAULT`] and the
/// national tables' fallback point to, so a lookup can tell it is the
/// default table and use [`DEFAULT_ASCII_CODES`].
pub(crate) static DEFAULT_LOCKING: [char; 128] = DEFAULT_ALPHABET;

const NO_CODE: u8 = 0xFF;

/// The code of each ASCII character in [`DEFAULT_ALPHABET`] (the first, as
/// a search would find it; [`NO_CODE`] for none), built from the table at
/// compile time: most texts are ASCII, and searching the 128 characters
/// for each one took most of a message's split.
const DEFAULT_ASCII_CODES: [u8; 128] = {
    let mut codes = [NO_CODE; 128];
    let mut code = 0;
    while code < 128 {
        let ch = DEFAULT_ALPHABET[code] as u32;
        if ch < 128 && codes[ch as usize] == NO_CODE {
            codes[ch as usize] = code as u8;
        }
        code += 1;
    }
    codes
};

/// A locking shift table and a single shift (extension) table: [`Tables::DEFAULT`],
/// or a national pair from [`national::Shift::tables`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tables {
    /// The 128 characters reached without escape, in code-point order; the escape
    /// slot 0x1B and undefined codes ([`national::UNDEFINED`]) never encode.
    pub locking: &'static [char; 128],
    /// The characters reached through [`ESCAPE`]: (code, character).
    pub single: &'static [(u8, char)],
}

impl Tables {
    /// The default alphabet and default extension table.
    pub const DEFAULT: Tables = Tables { locking: &DEFAULT_LOCKING, single: &DEFAULT_EXTENSION };

    /// The septets for `ch`: `[code]`, `[ESCAPE, code]`, or `None`.
    fn lookup(&self, ch: char) -> Option<Septets> {
        self.locking_code(ch).map(Septets::One).or_else(|| self.single_code(ch).map(Septets::Two))
    }

    /// The code of `ch` in the locking shift table.
    pub(crate) fn locking_code(&self, ch: char) -> Option<u8> {
        if ch == ESCAPE_SLOT || ch == UNDEFINED {
            return None;
        }
        if ch.is_ascii() && std::ptr::eq(self.locking, &DEFAULT_LOCKING) {
            let code = DEFAULT_ASCII_CODES[ch as usize];
            return (code != NO_CODE).then_some(code);
        }
        self.locking.iter().position(|&c| c == ch).map(|code| code as u8)
    }

    /// The code after the escape for `ch` in the single shift table (the lowest, where
    /// a table lists a character twice).
    pub(crate) fn single_code(&self, ch: char) -> Option<u8> {
        self.single.iter().find(|&&(_, c)| c == ch).map(|&(code, _)| code)
    }
}

#[derive(Clone, Copy)]
enum Septets {
    One(u8),
    Two(u8),
}

/// How many septets `ch` takes in the default alphabet: 1, 2 (escape + code), or
/// `None` when it has no GSM 7-bit code.
pub fn septet_len(ch: char) -> Option<usize> {
    septet_len_with(&Tables::DEFAULT, ch)
}

/// [`septet_len`] for the given tables.
pub fn septet_len_with(tables: &Tables, ch: char) -> Option<usize> {
    tables.lookup(ch).map(|s| match s {
        Septets::One(_) => 1,
        Septets::Two(_) => 2,
    })
}

/// Whether every character of `text` is in the default alphabet or its extension.
pub fn is_encodable(text: &str) -> bool {
    text.chars().all(|c| septet_len(c).is_some())
}

/// Encodes `text` as unpacked septets, one per octet (SMPP `data_coding` 0).
pub fn encode_unpacked(text: &str) -> Result<Vec<u8>, Unencodable> {
    encode_unpacked_with(&Tables::DEFAULT, text)
}

/// [`encode_unpacked`] for the given tables.
pub fn encode_unpacked_with(tables: &Tables, text: &str) -> Result<Vec<u8>, Unencodable> {
    let mut out = Vec::with_capacity(text.len());
    for (index, ch) in text.chars().enumerate() {
        match tables.lookup(ch) {
            Some(Septets::One(code)) => out.push(code),
            Some(Septets::Two(code)) => out.extend_from_slice(&[ESCAPE, code]),
            None => return Err(Unencodable { ch, index }),
        }
    }
    Ok(out)
}

/// Decodes unpacked septets. Lenient, never fails:
/// - an escape followed by a code missing from the extension table gives the
///   default-table character for that code (TS 23.038 §6.2.1.1, note);
/// - escape + escape, or a trailing escape, gives a space (TS 23.038 §6.2.1 and
///   §6.2.1.1 notes on 0x1B);
/// - an octet above 0x7F is not a septet and gives U+FFFD, and so does a code the
///   locking shift table leaves undefined.
pub fn decode_unpacked(septets: &[u8]) -> String {
    decode_unpacked_with(&Tables::DEFAULT, septets)
}

/// [`decode_unpacked`] for the given tables.
pub fn decode_unpacked_with(tables: &Tables, septets: &[u8]) -> String {
    let base = |code: u8| -> char {
        match tables.locking.get(usize::from(code)) {
            Some(&ch) if ch != UNDEFINED => ch,
            _ => char::REPLACEMENT_CHARACTER,
        }
    };
    let mut out = String::with_capacity(septets.len());
    let mut it = septets.iter().copied();
    while let Some(code) = it.next() {
        if code != ESCAPE {
            out.push(base(code));
            continue;
        }
        match it.next() {
            None | Some(ESCAPE) => out.push(' '),
            Some(next) => match tables.single.iter().find(|&&(c, _)| c == next) {
                Some(&(_, ch)) => out.push(ch),
                None => out.push(base(next)),
            },
        }
    }
    out
}

/// Fill bits needed after a UDH of `udh_octets` octets (UDHL included) so that the
/// first septet starts on a septet boundary (TS 23.040 §9.2.3.24).
pub fn fill_bits(udh_octets: usize) -> u8 {
    ((7 - (udh_octets * 8) % 7) % 7) as u8
}

/// Packs septets into octets, least significant bit first (TS 23.038 §6.1.2.1.1),
/// after `fill_bits` zero bits (0–6, see [`fill_bits`]; higher values are taken mod 8).
///
/// Spare bits of the last octet are zero: in TP-UD the receiver knows the septet
/// count from TP-UDL, so the CR padding of §6.1.2.3.1 (USSD/CBS) does not apply.
pub fn pack(septets: &[u8], fill_bits: u8) -> Vec<u8> {
    let fill = usize::from(fill_bits & 7);
    let total_bits = fill + septets.len() * 7;
    let mut out = vec![0u8; total_bits.div_ceil(8)];
    for (i, &s) in septets.iter().enumerate() {
        let s = s & 0x7F;
        let bit = fill + i * 7;
        let (byte, shift) = (bit / 8, bit % 8);
        out[byte] |= s << shift;
        if shift > 1 {
            out[byte + 1] |= s >> (8 - shift);
        }
    }
    out
}

/// Unpacks `septet_count` septets that follow `fill_bits` bits in `packed`.
/// Lenient: if `packed` is too short, returns only the septets it holds.
pub fn unpack(packed: &[u8], septet_count: usize, fill_bits: u8) -> Vec<u8> {
    let fill = usize::from(fill_bits & 7);
    let available = (packed.len() * 8).saturating_sub(fill) / 7;
    let count = septet_count.min(available);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let bit = fill + i * 7;
        let (byte, shift) = (bit / 8, bit % 8);
        let low = u16::from(packed[byte]) >> shift;
        let high = packed.get(byte + 1).map_or(0, |&b| u16::from(b) << (8 - shift));
        out.push(((low | high) & 0x7F) as u8);
    }
    out
}

#[cfg(test)]
mod tests;

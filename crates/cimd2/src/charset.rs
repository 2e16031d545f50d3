//! The CIMD character set for user data (parameter 033): the GSM 03.38
//! default alphabet written as text (spec chapter "Parameter types", user
//! data, and "Default character conversion").
//!
//! Every GSM character has a 7-bit form: itself when GSM and ASCII agree
//! (letters, digits, space, most punctuation, LF, CR), `$`, or an underscore
//! followed by two characters, the spec's "special combinations" (`_Oa` for
//! `@`, `_L-` for `£`, `_A"` for `Ä`, ...). The extension table (`€`, `[`,
//! `{`, ...) is `_XX` (the escape) followed by the form of the base
//! character. Over an 8-bit link the SMSC may also send ISO-8859-1
//! characters as themselves (spec example: `033:@£$¥èéùìòÇ`).
//!
//! [`encode`] always writes the 7-bit form, which every SMSC accepts.
//! [`decode`] accepts both forms and never fails: octets that fit no rule
//! are read as Latin-1, so nothing an SMSC sends is lost.
//!
//! The conversion is a user profile setting on the SMSC; this is the default
//! table. The combinations are the spec's table as Kannel's `smsc_cimd2.c`
//! also implements it; the extension forms are the spec's FAQ list
//! (`_XXe` for `€`, `_XX<` for `[`, `_XX_!!` for `|`, ...).

/// GSM 03.38 default alphabet, indexed by code. 0x1B is the escape to the
/// extension table and never appears as a character.
const GSM: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

const ESCAPE: u8 = 0x1B;

/// GSM 03.38 extension table: (code after the escape, character).
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'), // form feed ("page break")
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

/// The special combinations: the two characters after `_`, and the GSM code
/// they stand for.
pub const COMBINATIONS: [(&str, u8); 43] = [
    ("Oa", 0x00),  // @
    ("L-", 0x01),  // £
    ("Y-", 0x03),  // ¥
    ("e`", 0x04),  // è
    ("e'", 0x05),  // é
    ("u`", 0x06),  // ù
    ("i`", 0x07),  // ì
    ("o`", 0x08),  // ò
    ("C,", 0x09),  // Ç
    ("O/", 0x0B),  // Ø
    ("o/", 0x0C),  // ø
    ("A*", 0x0E),  // Å
    ("a*", 0x0F),  // å
    ("gd", 0x10),  // Δ
    ("--", 0x11),  // _
    ("gf", 0x12),  // Φ
    ("gg", 0x13),  // Γ
    ("gl", 0x14),  // Λ
    ("go", 0x15),  // Ω
    ("gp", 0x16),  // Π
    ("gi", 0x17),  // Ψ
    ("gs", 0x18),  // Σ
    ("gt", 0x19),  // Θ
    ("gx", 0x1A),  // Ξ
    ("XX", 0x1B),  // escape to the extension table
    ("AE", 0x1C),  // Æ
    ("ae", 0x1D),  // æ
    ("ss", 0x1E),  // ß
    ("E'", 0x1F),  // É
    ("qq", 0x22),  // "
    ("ox", 0x24),  // ¤
    ("!!", 0x40),  // ¡
    ("A\"", 0x5B), // Ä
    ("O\"", 0x5C), // Ö
    ("N~", 0x5D),  // Ñ
    ("U\"", 0x5E), // Ü
    ("so", 0x5F),  // §
    ("??", 0x60),  // ¿
    ("a\"", 0x7B), // ä
    ("o\"", 0x7C), // ö
    ("n~", 0x7D),  // ñ
    ("u\"", 0x7E), // ü
    ("a`", 0x7F),  // à
];

/// A character with no form in the CIMD character set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("character {ch:?} at position {index} is not in the gsm alphabet")]
pub struct UnrepresentableChar {
    pub ch: char,
    /// Index in characters (not bytes) of the input.
    pub index: usize,
}

fn combination(a: u8, b: u8) -> Option<u8> {
    COMBINATIONS.iter().find(|(s, _)| s.as_bytes() == [a, b]).map(|&(_, code)| code)
}

fn combination_for(code: u8) -> Option<&'static str> {
    COMBINATIONS.iter().find(|&&(_, c)| c == code).map(|&(s, _)| s)
}

/// One decoded unit of CIMD text.
enum Unit {
    Gsm(u8),
    Latin1(char),
}

/// Reads the unit at the front of `text`, returning it and its length.
fn next_unit(text: &[u8]) -> (Unit, usize) {
    if let [b'_', a, b, ..] = *text {
        if let Some(code) = combination(a, b) {
            return (Unit::Gsm(code), 3);
        }
    }
    match *text {
        // A lone underscore: read it as itself rather than drop it.
        [b'_', ..] => (Unit::Latin1('_'), 1),
        // The single characters whose GSM code is not their ASCII code.
        [b'@', ..] => (Unit::Gsm(0x00), 1),
        [b'$', ..] => (Unit::Gsm(0x02), 1),
        [b']', ..] => (Unit::Gsm(0x0E), 1),
        [b'}', ..] => (Unit::Gsm(0x0F), 1),
        [b, ..] if b < 0x80 => (Unit::Gsm(b), 1),
        [b, ..] => (Unit::Latin1(char::from(b)), 1),
        [] => (Unit::Latin1(' '), 1),
    }
}

/// CIMD text (the value of 033) to Unicode. Never fails; see the module doc.
pub fn decode(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut escaped = false;
    while pos < text.len() {
        let (unit, len) = next_unit(&text[pos..]);
        pos += len;
        match unit {
            Unit::Gsm(ESCAPE) if !escaped => escaped = true,
            Unit::Gsm(code) if escaped => {
                escaped = false;
                // An unknown extension shows the base character (GSM 03.38
                // 6.2.1.1); a second escape, a space.
                let ext = EXTENSION.iter().find(|&&(c, _)| c == code).map(|&(_, ch)| ch);
                out.push(ext.unwrap_or(if code == ESCAPE { ' ' } else { GSM[usize::from(code & 0x7F)] }));
            }
            Unit::Gsm(code) => out.push(GSM[usize::from(code & 0x7F)]),
            Unit::Latin1(ch) => {
                escaped = false;
                out.push(ch);
            }
        }
    }
    out
}

/// Appends the 7-bit form of GSM code `code`.
fn push_code(out: &mut Vec<u8>, code: u8) {
    match combination_for(code) {
        Some(s) => {
            out.push(b'_');
            out.extend_from_slice(s.as_bytes());
        }
        None if code == 0x02 => out.push(b'$'),
        None => out.push(code),
    }
}

/// The GSM code of `ch` in the default alphabet, if it has one.
fn gsm_code(ch: char) -> Option<u8> {
    GSM.iter().position(|&g| g == ch).filter(|&i| i != usize::from(ESCAPE)).map(|i| i as u8)
}

/// Unicode to CIMD text in its 7-bit form, ready for 033.
pub fn encode(text: &str) -> Result<Vec<u8>, UnrepresentableChar> {
    let mut out = Vec::with_capacity(text.len());
    for (index, ch) in text.chars().enumerate() {
        if let Some(code) = gsm_code(ch) {
            push_code(&mut out, code);
        } else if let Some(&(code, _)) = EXTENSION.iter().find(|&&(_, e)| e == ch) {
            push_code(&mut out, ESCAPE);
            push_code(&mut out, code);
        } else {
            return Err(UnrepresentableChar { ch, index });
        }
    }
    Ok(out)
}

/// True when every character of `text` has a CIMD form.
pub fn is_representable(text: &str) -> bool {
    text.chars().all(|ch| gsm_code(ch).is_some() || EXTENSION.iter().any(|&(_, e)| e == ch))
}

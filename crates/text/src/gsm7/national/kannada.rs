//! Kannada, national language identifier 7 (TS 23.040 §9.2.3.24.15/16):
//! locking shift table TS 23.038 §A.3.7, single shift table §A.2.7.
//!
//! Provenance and checks: see the `national` module doc.

use super::{ESCAPE_SLOT, UNDEFINED as NO};

/// TS 23.038 §A.3.7, in code order; `NO` marks a code the table leaves undefined.
#[rustfmt::skip]
pub(crate) const LOCKING: [char; 128] = [
    NO, '\u{0C82}', '\u{0C83}', '\u{0C85}', '\u{0C86}', '\u{0C87}', '\u{0C88}', '\u{0C89}', // 0x00
    '\u{0C8A}', '\u{0C8B}', '\n', '\u{0C8C}', NO, '\r', '\u{0C8E}', '\u{0C8F}', // 0x08
    '\u{0C90}', NO, '\u{0C92}', '\u{0C93}', '\u{0C94}', '\u{0C95}', '\u{0C96}', '\u{0C97}', // 0x10
    '\u{0C98}', '\u{0C99}', '\u{0C9A}', ESCAPE_SLOT, '\u{0C9B}', '\u{0C9C}', '\u{0C9D}', '\u{0C9E}', // 0x18
    ' ', '!', '\u{0C9F}', '\u{0CA0}', '\u{0CA1}', '\u{0CA2}', '\u{0CA3}', '\u{0CA4}', // 0x20
    ')', '(', '\u{0CA5}', '\u{0CA6}', ',', '\u{0CA7}', '.', '\u{0CA8}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', NO, '\u{0CAA}', '\u{0CAB}', '?', // 0x38
    '\u{0CAC}', '\u{0CAD}', '\u{0CAE}', '\u{0CAF}', '\u{0CB0}', '\u{0CB1}', '\u{0CB2}', '\u{0CB3}', // 0x40
    NO, '\u{0CB5}', '\u{0CB6}', '\u{0CB7}', '\u{0CB8}', '\u{0CB9}', '\u{0CBC}', '\u{0CBD}', // 0x48
    '\u{0CBE}', '\u{0CBF}', '\u{0CC0}', '\u{0CC1}', '\u{0CC2}', '\u{0CC3}', '\u{0CC4}', NO, // 0x50
    '\u{0CC6}', '\u{0CC7}', '\u{0CC8}', NO, '\u{0CCA}', '\u{0CCB}', '\u{0CCC}', '\u{0CCD}', // 0x58
    '\u{0CD5}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{0CD6}', '\u{0CE0}', '\u{0CE1}', '\u{0CE2}', '\u{0CE3}', // 0x78
];

/// TS 23.038 §A.2.7: code after the escape → character.
#[rustfmt::skip]
pub(crate) const SINGLE: [(u8, char); 73] = [
    (0x00, '@'), (0x01, '£'), (0x02, '$'), (0x03, '¥'), (0x04, '¿'),
    (0x05, '"'), (0x06, '¤'), (0x07, '%'), (0x08, '&'), (0x09, '\''),
    (0x0A, '\u{0C}'), (0x0B, '*'), (0x0C, '+'), (0x0E, '-'), (0x0F, '/'),
    (0x10, '<'), (0x11, '='), (0x12, '>'), (0x13, '¡'), (0x14, '^'),
    (0x15, '¡'), (0x16, '_'), (0x17, '#'), (0x18, '*'), (0x19, '\u{0964}'),
    (0x1A, '\u{0965}'), (0x1C, '\u{0CE6}'), (0x1D, '\u{0CE7}'), (0x1E, '\u{0CE8}'), (0x1F, '\u{0CE9}'),
    (0x20, '\u{0CEA}'), (0x21, '\u{0CEB}'), (0x22, '\u{0CEC}'), (0x23, '\u{0CED}'), (0x24, '\u{0CEE}'),
    (0x25, '\u{0CEF}'), (0x26, '\u{0CDE}'), (0x27, '\u{0CF1}'), (0x28, '{'), (0x29, '}'),
    (0x2A, '\u{0CF2}'), (0x2F, '\\'), (0x3C, '['), (0x3D, '~'), (0x3E, ']'),
    (0x40, '|'), (0x41, 'A'), (0x42, 'B'), (0x43, 'C'), (0x44, 'D'),
    (0x45, 'E'), (0x46, 'F'), (0x47, 'G'), (0x48, 'H'), (0x49, 'I'),
    (0x4A, 'J'), (0x4B, 'K'), (0x4C, 'L'), (0x4D, 'M'), (0x4E, 'N'),
    (0x4F, 'O'), (0x50, 'P'), (0x51, 'Q'), (0x52, 'R'), (0x53, 'S'),
    (0x54, 'T'), (0x55, 'U'), (0x56, 'V'), (0x57, 'W'), (0x58, 'X'),
    (0x59, 'Y'), (0x5A, 'Z'), (0x65, '€'),
];

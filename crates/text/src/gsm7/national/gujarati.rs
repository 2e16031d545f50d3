//! Gujarati, national language identifier 5 (TS 23.040 §9.2.3.24.15/16):
//! locking shift table TS 23.038 §A.3.5, single shift table §A.2.5.
//!
//! Provenance and checks: see the `national` module doc.

use super::{ESCAPE_SLOT, UNDEFINED as NO};

/// TS 23.038 §A.3.5, in code order; `NO` marks a code the table leaves undefined.
#[rustfmt::skip]
pub(crate) const LOCKING: [char; 128] = [
    '\u{0A81}', '\u{0A82}', '\u{0A83}', '\u{0A85}', '\u{0A86}', '\u{0A87}', '\u{0A88}', '\u{0A89}', // 0x00
    '\u{0A8A}', '\u{0A8B}', '\n', '\u{0A8C}', '\u{0A8D}', '\r', NO, '\u{0A8F}', // 0x08
    '\u{0A90}', '\u{0A91}', NO, '\u{0A93}', '\u{0A94}', '\u{0A95}', '\u{0A96}', '\u{0A97}', // 0x10
    '\u{0A98}', '\u{0A99}', '\u{0A9A}', ESCAPE_SLOT, '\u{0A9B}', '\u{0A9C}', '\u{0A9D}', '\u{0A9E}', // 0x18
    ' ', '!', '\u{0A9F}', '\u{0AA0}', '\u{0AA1}', '\u{0AA2}', '\u{0AA3}', '\u{0AA4}', // 0x20
    ')', '(', '\u{0AA5}', '\u{0AA6}', ',', '\u{0AA7}', '.', '\u{0AA8}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', NO, '\u{0AAA}', '\u{0AAB}', '?', // 0x38
    '\u{0AAC}', '\u{0AAD}', '\u{0AAE}', '\u{0AAF}', '\u{0AB0}', NO, '\u{0AB2}', '\u{0AB3}', // 0x40
    NO, '\u{0AB5}', '\u{0AB6}', '\u{0AB7}', '\u{0AB8}', '\u{0AB9}', '\u{0ABC}', '\u{0ABD}', // 0x48
    '\u{0ABE}', '\u{0ABF}', '\u{0AC0}', '\u{0AC1}', '\u{0AC2}', '\u{0AC3}', '\u{0AC4}', '\u{0AC5}', // 0x50
    NO, '\u{0AC7}', '\u{0AC8}', '\u{0AC9}', NO, '\u{0ACB}', '\u{0ACC}', '\u{0ACD}', // 0x58
    '\u{0AD0}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{0AE0}', '\u{0AE1}', '\u{0AE2}', '\u{0AE3}', '\u{0AF1}', // 0x78
];

/// TS 23.038 §A.2.5: code after the escape → character.
#[rustfmt::skip]
pub(crate) const SINGLE: [(u8, char); 70] = [
    (0x00, '@'), (0x01, '£'), (0x02, '$'), (0x03, '¥'), (0x04, '¿'),
    (0x05, '"'), (0x06, '¤'), (0x07, '%'), (0x08, '&'), (0x09, '\''),
    (0x0A, '\u{0C}'), (0x0B, '*'), (0x0C, '+'), (0x0E, '-'), (0x0F, '/'),
    (0x10, '<'), (0x11, '='), (0x12, '>'), (0x13, '¡'), (0x14, '^'),
    (0x15, '¡'), (0x16, '_'), (0x17, '#'), (0x18, '*'), (0x19, '\u{0964}'),
    (0x1A, '\u{0965}'), (0x1C, '\u{0AE6}'), (0x1D, '\u{0AE7}'), (0x1E, '\u{0AE8}'), (0x1F, '\u{0AE9}'),
    (0x20, '\u{0AEA}'), (0x21, '\u{0AEB}'), (0x22, '\u{0AEC}'), (0x23, '\u{0AED}'), (0x24, '\u{0AEE}'),
    (0x25, '\u{0AEF}'), (0x28, '{'), (0x29, '}'), (0x2F, '\\'), (0x3C, '['),
    (0x3D, '~'), (0x3E, ']'), (0x40, '|'), (0x41, 'A'), (0x42, 'B'),
    (0x43, 'C'), (0x44, 'D'), (0x45, 'E'), (0x46, 'F'), (0x47, 'G'),
    (0x48, 'H'), (0x49, 'I'), (0x4A, 'J'), (0x4B, 'K'), (0x4C, 'L'),
    (0x4D, 'M'), (0x4E, 'N'), (0x4F, 'O'), (0x50, 'P'), (0x51, 'Q'),
    (0x52, 'R'), (0x53, 'S'), (0x54, 'T'), (0x55, 'U'), (0x56, 'V'),
    (0x57, 'W'), (0x58, 'X'), (0x59, 'Y'), (0x5A, 'Z'), (0x65, '€'),
];

//! Tamil, national language identifier 11 (TS 23.040 §9.2.3.24.15/16):
//! locking shift table TS 23.038 §A.3.11, single shift table §A.2.11.
//!
//! Provenance and checks: see the `national` module doc.

use super::{ESCAPE_SLOT, UNDEFINED as NO};

/// TS 23.038 §A.3.11, in code order; `NO` marks a code the table leaves undefined.
#[rustfmt::skip]
pub(crate) const LOCKING: [char; 128] = [
    NO, '\u{0B82}', '\u{0B83}', '\u{0B85}', '\u{0B86}', '\u{0B87}', '\u{0B88}', '\u{0B89}', // 0x00
    '\u{0B8A}', NO, '\n', NO, NO, '\r', '\u{0B8E}', '\u{0B8F}', // 0x08
    '\u{0B90}', NO, '\u{0B92}', '\u{0B93}', '\u{0B94}', '\u{0B95}', NO, NO, // 0x10
    NO, '\u{0B99}', '\u{0B9A}', ESCAPE_SLOT, NO, '\u{0B9C}', NO, '\u{0B9E}', // 0x18
    ' ', '!', '\u{0B9F}', NO, NO, NO, '\u{0BA3}', '\u{0BA4}', // 0x20
    ')', '(', NO, NO, ',', NO, '.', '\u{0BA8}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', '\u{0BA9}', '\u{0BAA}', NO, '?', // 0x38
    NO, NO, '\u{0BAE}', '\u{0BAF}', '\u{0BB0}', '\u{0BB1}', '\u{0BB2}', '\u{0BB3}', // 0x40
    '\u{0BB4}', '\u{0BB5}', '\u{0BB6}', '\u{0BB7}', '\u{0BB8}', '\u{0BB9}', NO, NO, // 0x48
    '\u{0BBE}', '\u{0BBF}', '\u{0BC0}', '\u{0BC1}', '\u{0BC2}', NO, NO, NO, // 0x50
    '\u{0BC6}', '\u{0BC7}', '\u{0BC8}', NO, '\u{0BCA}', '\u{0BCB}', '\u{0BCC}', '\u{0BCD}', // 0x58
    '\u{0BD0}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{0BD7}', '\u{0BF0}', '\u{0BF1}', '\u{0BF2}', '\u{0BF9}', // 0x78
];

/// TS 23.038 §A.2.11: code after the escape → character.
#[rustfmt::skip]
pub(crate) const SINGLE: [(u8, char); 77] = [
    (0x00, '@'), (0x01, '£'), (0x02, '$'), (0x03, '¥'), (0x04, '¿'),
    (0x05, '"'), (0x06, '¤'), (0x07, '%'), (0x08, '&'), (0x09, '\''),
    (0x0A, '\u{0C}'), (0x0B, '*'), (0x0C, '+'), (0x0E, '-'), (0x0F, '/'),
    (0x10, '<'), (0x11, '='), (0x12, '>'), (0x13, '¡'), (0x14, '^'),
    (0x15, '¡'), (0x16, '_'), (0x17, '#'), (0x18, '*'), (0x19, '\u{0964}'),
    (0x1A, '\u{0965}'), (0x1C, '\u{0BE6}'), (0x1D, '\u{0BE7}'), (0x1E, '\u{0BE8}'), (0x1F, '\u{0BE9}'),
    (0x20, '\u{0BEA}'), (0x21, '\u{0BEB}'), (0x22, '\u{0BEC}'), (0x23, '\u{0BED}'), (0x24, '\u{0BEE}'),
    (0x25, '\u{0BEF}'), (0x26, '\u{0BF3}'), (0x27, '\u{0BF4}'), (0x28, '{'), (0x29, '}'),
    (0x2A, '\u{0BF5}'), (0x2B, '\u{0BF6}'), (0x2C, '\u{0BF7}'), (0x2D, '\u{0BF8}'), (0x2E, '\u{0BFA}'),
    (0x2F, '\\'), (0x3C, '['), (0x3D, '~'), (0x3E, ']'), (0x40, '|'),
    (0x41, 'A'), (0x42, 'B'), (0x43, 'C'), (0x44, 'D'), (0x45, 'E'),
    (0x46, 'F'), (0x47, 'G'), (0x48, 'H'), (0x49, 'I'), (0x4A, 'J'),
    (0x4B, 'K'), (0x4C, 'L'), (0x4D, 'M'), (0x4E, 'N'), (0x4F, 'O'),
    (0x50, 'P'), (0x51, 'Q'), (0x52, 'R'), (0x53, 'S'), (0x54, 'T'),
    (0x55, 'U'), (0x56, 'V'), (0x57, 'W'), (0x58, 'X'), (0x59, 'Y'),
    (0x5A, 'Z'), (0x65, '€'),
];

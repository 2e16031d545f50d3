//! Turkish, national language identifier 1 (TS 23.040 §9.2.3.24.15/16):
//! locking shift table TS 23.038 §A.3.1, single shift table §A.2.1.
//!
//! Provenance and checks: see the `national` module doc.

use super::ESCAPE_SLOT;

/// TS 23.038 §A.3.1, in code order; every code but the escape is defined.
#[rustfmt::skip]
pub(crate) const LOCKING: [char; 128] = [
    '@', '£', '$', '¥', '€', 'é', 'ù', 'ı', // 0x00
    'ò', 'Ç', '\n', 'Ğ', 'ğ', '\r', 'Å', 'å', // 0x08
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', // 0x10
    'Σ', 'Θ', 'Ξ', ESCAPE_SLOT, 'Ş', 'ş', 'ß', 'É', // 0x18
    ' ', '!', '"', '#', '¤', '%', '&', '\'', // 0x20
    '(', ')', '*', '+', ',', '-', '.', '/', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', '<', '=', '>', '?', // 0x38
    'İ', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', // 0x58
    'ç', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', // 0x78
];

/// TS 23.038 §A.2.1: code after the escape → character.
#[rustfmt::skip]
pub(crate) const SINGLE: [(u8, char); 17] = [
    (0x0A, '\u{0C}'), (0x14, '^'), (0x28, '{'), (0x29, '}'), (0x2F, '\\'),
    (0x3C, '['), (0x3D, '~'), (0x3E, ']'), (0x40, '|'), (0x47, 'Ğ'),
    (0x49, 'İ'), (0x53, 'Ş'), (0x63, 'ç'), (0x65, '€'), (0x67, 'ğ'),
    (0x69, 'ı'), (0x73, 'ş'),
];

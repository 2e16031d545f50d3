//! Spanish, national language identifier 2 (TS 23.040 §9.2.3.24.15/16):
//! single shift table TS 23.038 §A.2.2 only (§A.3.2 is void: no Spanish locking shift table).
//!
//! Provenance and checks: see the `national` module doc.

/// TS 23.038 §A.2.2: code after the escape → character.
#[rustfmt::skip]
pub(crate) const SINGLE: [(u8, char); 19] = [
    (0x09, 'ç'), (0x0A, '\u{0C}'), (0x14, '^'), (0x28, '{'), (0x29, '}'),
    (0x2F, '\\'), (0x3C, '['), (0x3D, '~'), (0x3E, ']'), (0x40, '|'),
    (0x41, 'Á'), (0x49, 'Í'), (0x4F, 'Ó'), (0x55, 'Ú'), (0x61, 'á'),
    (0x65, '€'), (0x69, 'í'), (0x6F, 'ó'), (0x75, 'ú'),
];

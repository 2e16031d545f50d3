//! The national language shift tables of TS 23.038 §6.2.1.2 and Annex A (Release 9 and
//! later): a locking shift table replaces the 128 default characters, a single shift
//! table replaces the extension table reached through the escape. A message names the
//! tables it uses in its UDH: IE 0x25 (locking shift) and IE 0x24 (single shift), each
//! carrying the national language identifier (TS 23.040 §9.2.3.24.15/16).
//!
//! **Where the tables come from and how they were checked.** The code → character
//! pairs were taken from TS 23.038 V18.0.0 Annex A as transcribed by the PyPI package
//! `gsmcodecs` 1.0.0, and compared position by position against two independent
//! implementations: AOSP's `GsmAlphabet.java` (`sLanguageTables` /
//! `sLanguageShiftTables`, which follows V9.1.1 with its typos corrected) and
//! warthog618/sms (Go, `encoding/gsm7/charset`). All 26 tables agree in every position
//! except three, where the two implementations agree with each other and we follow them:
//! - Indic locking shift tables (identifiers 4–13), code 0x2C: `,` (the spec's glyph
//!   reads as an apostrophe in the V18 transcription, which would leave the comma
//!   unencodable and duplicate the apostrophe of the single shift table);
//! - Kannada locking shift table, code 0x24: U+0CA1 KANNADA LETTER DDA (the spec prints
//!   U+0CAA, a typo: U+0CAA is also at 0x3D and DDA would be missing from the run
//!   U+0C9F..U+0CA4 at 0x22..0x27);
//! - Telugu single shift table, code 0x65: `€`, as in every other single shift table.
//!
//! Positions the spec leaves empty are [`UNDEFINED`] here and are never produced by the
//! encoder; received, they decode as U+FFFD. The Indic single shift tables list `*`
//! (0x0B, 0x18) and `¡` (0x13, 0x15) twice; the encoder uses the lower code and both
//! codes decode. `national/tests.rs` round-trips every table and checks each against a
//! fingerprint computed from the AOSP tables; `tests/xcheck.rs` compares every code of
//! every table with `gsmcodecs` when its Python environment is installed
//! (scripts/install-deps).

use serde::{Deserialize, Serialize};

use super::Tables;

mod bengali;
mod gujarati;
mod hindi;
mod kannada;
mod malayalam;
mod oriya;
mod portuguese;
mod punjabi;
mod spanish;
mod tamil;
mod telugu;
mod turkish;
mod urdu;

use super::ESCAPE_SLOT;

/// Placeholder for a code a locking shift table leaves undefined. U+FFFF is a
/// noncharacter; the encoder never looks it up and the decoder turns it into U+FFFD.
pub const UNDEFINED: char = '\u{FFFF}';

/// A national language of TS 23.038 Annex A, with its national language identifier
/// (TS 23.038 §6.2.1.2.4; the IED of TS 23.040 §9.2.3.24.15/16) as discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Language {
    /// 1: locking and single shift.
    Turkish = 1,
    /// 2: single shift only.
    Spanish = 2,
    /// 3: locking and single shift.
    Portuguese = 3,
    /// 4: locking and single shift (Release 9).
    Bengali = 4,
    /// 5: locking and single shift (Release 9).
    Gujarati = 5,
    /// 6: locking and single shift (Release 9).
    Hindi = 6,
    /// 7: locking and single shift (Release 9).
    Kannada = 7,
    /// 8: locking and single shift (Release 9).
    Malayalam = 8,
    /// 9: locking and single shift (Release 9).
    Oriya = 9,
    /// 10: locking and single shift (Release 9).
    Punjabi = 10,
    /// 11: locking and single shift (Release 9).
    Tamil = 11,
    /// 12: locking and single shift (Release 9).
    Telugu = 12,
    /// 13: locking and single shift (Release 9).
    Urdu = 13,
}

impl Language {
    /// Every language, in identifier order.
    pub const ALL: [Language; 13] = [
        Language::Turkish,
        Language::Spanish,
        Language::Portuguese,
        Language::Bengali,
        Language::Gujarati,
        Language::Hindi,
        Language::Kannada,
        Language::Malayalam,
        Language::Oriya,
        Language::Punjabi,
        Language::Tamil,
        Language::Telugu,
        Language::Urdu,
    ];

    /// The national language identifier (1–13).
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The language for a national language identifier; `None` for 0 (the default
    /// tables) and for identifiers the spec reserves.
    pub fn from_id(id: u8) -> Option<Language> {
        Language::ALL.get(usize::from(id).checked_sub(1)?).copied()
    }

    /// The English name, lower case, as serde spells it.
    pub fn name(self) -> &'static str {
        match self {
            Language::Turkish => "turkish",
            Language::Spanish => "spanish",
            Language::Portuguese => "portuguese",
            Language::Bengali => "bengali",
            Language::Gujarati => "gujarati",
            Language::Hindi => "hindi",
            Language::Kannada => "kannada",
            Language::Malayalam => "malayalam",
            Language::Oriya => "oriya",
            Language::Punjabi => "punjabi",
            Language::Tamil => "tamil",
            Language::Telugu => "telugu",
            Language::Urdu => "urdu",
        }
    }

    /// The locking shift table (TS 23.038 §A.3), `None` for Spanish (§A.3.2 is void).
    pub fn locking_table(self) -> Option<&'static [char; 128]> {
        Some(match self {
            Language::Turkish => &turkish::LOCKING,
            Language::Spanish => return None,
            Language::Portuguese => &portuguese::LOCKING,
            Language::Bengali => &bengali::LOCKING,
            Language::Gujarati => &gujarati::LOCKING,
            Language::Hindi => &hindi::LOCKING,
            Language::Kannada => &kannada::LOCKING,
            Language::Malayalam => &malayalam::LOCKING,
            Language::Oriya => &oriya::LOCKING,
            Language::Punjabi => &punjabi::LOCKING,
            Language::Tamil => &tamil::LOCKING,
            Language::Telugu => &telugu::LOCKING,
            Language::Urdu => &urdu::LOCKING,
        })
    }

    /// The single shift table (TS 23.038 §A.2): code after the escape → character.
    pub fn single_table(self) -> &'static [(u8, char)] {
        match self {
            Language::Turkish => &turkish::SINGLE,
            Language::Spanish => &spanish::SINGLE,
            Language::Portuguese => &portuguese::SINGLE,
            Language::Bengali => &bengali::SINGLE,
            Language::Gujarati => &gujarati::SINGLE,
            Language::Hindi => &hindi::SINGLE,
            Language::Kannada => &kannada::SINGLE,
            Language::Malayalam => &malayalam::SINGLE,
            Language::Oriya => &oriya::SINGLE,
            Language::Punjabi => &punjabi::SINGLE,
            Language::Tamil => &tamil::SINGLE,
            Language::Telugu => &telugu::SINGLE,
            Language::Urdu => &urdu::SINGLE,
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of national languages, e.g. the ones a connection's handsets may receive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Languages(u16);

impl Languages {
    /// No national tables: the default alphabet only.
    pub const NONE: Languages = Languages(0);
    /// All thirteen.
    pub const ALL: Languages = Languages(0x3FFE);

    /// This set with `lang` added.
    pub const fn with(self, lang: Language) -> Languages {
        Languages(self.0 | 1 << lang as u8)
    }

    /// Whether `lang` is in the set.
    pub fn contains(self, lang: Language) -> bool {
        self.0 & (1 << lang.id()) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members, in identifier order.
    pub fn iter(self) -> impl Iterator<Item = Language> {
        Language::ALL.into_iter().filter(move |&l| self.contains(l))
    }
}

impl FromIterator<Language> for Languages {
    fn from_iter<I: IntoIterator<Item = Language>>(iter: I) -> Self {
        iter.into_iter().fold(Languages::NONE, Languages::with)
    }
}

/// IEI of the National Language Single Shift IE (TS 23.040 §9.2.3.24.15).
pub const IEI_SINGLE_SHIFT: u8 = 0x24;
/// IEI of the National Language Locking Shift IE (TS 23.040 §9.2.3.24.16).
pub const IEI_LOCKING_SHIFT: u8 = 0x25;
/// Octets of one shift IE: IEI, IEDL (1) and the identifier.
pub const SHIFT_IE_OCTETS: usize = 3;

/// The national tables a GSM 7-bit message uses; `None` means the default table
/// (default alphabet, default extension table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Shift {
    /// Locking shift table (UDH IE 0x25). Never Spanish, which has none.
    pub locking: Option<Language>,
    /// Single shift table (UDH IE 0x24).
    pub single: Option<Language>,
}

impl Shift {
    /// The default tables, no shift IE.
    pub const NONE: Shift = Shift { locking: None, single: None };

    /// Whether no national table is used.
    pub fn is_none(self) -> bool {
        self == Shift::NONE
    }

    /// The tables to encode and decode with. A locking language without a locking
    /// table (Spanish) falls back to the default alphabet, as TS 23.038 §6.2.1.2.4
    /// has a receiver do for an identifier it does not know.
    pub fn tables(self) -> Tables {
        Tables {
            locking: self.locking.and_then(Language::locking_table).unwrap_or(&super::DEFAULT_LOCKING),
            single: self.single.map_or(&super::DEFAULT_EXTENSION[..], Language::single_table),
        }
    }

    /// The shift IEs for a UDH, single shift first (as AOSP orders them); empty for
    /// [`Shift::NONE`].
    pub fn udh_elements(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 * SHIFT_IE_OCTETS);
        if let Some(lang) = self.single {
            out.extend_from_slice(&[IEI_SINGLE_SHIFT, 1, lang.id()]);
        }
        if let Some(lang) = self.locking {
            out.extend_from_slice(&[IEI_LOCKING_SHIFT, 1, lang.id()]);
        }
        out
    }

    /// Octets the shift IEs take in a UDH (0, 3 or 6), UDHL not included.
    pub fn udh_octets(self) -> usize {
        SHIFT_IE_OCTETS * (usize::from(self.single.is_some()) + usize::from(self.locking.is_some()))
    }

    /// How far this is from the default tables, for tie-breaking: default 0, single
    /// shift only 1, locking only 2, both 3.
    pub(crate) fn rank(self) -> u8 {
        match (self.locking, self.single) {
            (None, None) => 0,
            (None, Some(_)) => 1,
            (Some(_), None) => 2,
            (Some(_), Some(_)) => 3,
        }
    }
}

impl std::fmt::Display for Shift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.locking, self.single) {
            (None, None) => f.write_str("default tables"),
            (Some(l), None) => write!(f, "{l} locking shift"),
            (None, Some(s)) => write!(f, "{s} single shift"),
            (Some(l), Some(s)) => write!(f, "{l} locking shift + {s} single shift"),
        }
    }
}

#[cfg(test)]
mod tests;

//! Which alphabet, and for GSM 7-bit which national tables, a text is sent in.
//!
//! The measure is the number of segments the splitter will produce, counted with
//! the same greedy rule and the same per-segment capacities (TS 23.040 §9.2.3.24:
//! 140 octets of TP-UD minus the whole UDH). Order of preference, for
//! [`Preference::Auto`]:
//! 1. the default alphabet and extension table, whenever they encode the text;
//! 2. otherwise the pair of allowed national tables needing the fewest segments, if
//!    that is fewer than UCS-2 needs; ties between pairs go to the simpler one
//!    (single shift only < locking only < both), then to fewer septets, then to the
//!    lower language identifiers;
//! 3. otherwise UCS-2. A tie with UCS-2 goes to UCS-2, which every handset reads.
//!
//! A forced [`Preference::Gsm7`] takes steps 1 and 2 without the UCS-2 comparison.

use crate::capacity::{capacity_with, Concat, SplitOptions};
use crate::encoding::{choose, Encoding, Preference};
use crate::error::TextError;
use crate::gsm7::national::{Language, Shift};
use crate::gsm7::Tables;
use crate::ucs2;

/// How many segments a text of characters with these unit lengths takes: one if it
/// fits `single_cap`, else greedily filled parts of `part_cap` (a character is never cut).
pub(crate) fn segment_count(lens: &[usize], single_cap: usize, part_cap: usize) -> usize {
    if lens.iter().sum::<usize>() <= single_cap {
        return 1;
    }
    let (mut count, mut used) = (1, 0);
    for &n in lens {
        if used + n > part_cap {
            count += 1;
            used = 0;
        }
        used += n;
    }
    count
}

/// Segments needed in `encoding` with `shift`, for unit lengths `lens`. A
/// `message_payload` is counted as the SMSC will split it, with 8-bit references.
fn segments(encoding: Encoding, shift: Shift, concat: Concat, lens: &[usize]) -> usize {
    let concat = if concat == Concat::Payload { Concat::Udh8 } else { concat };
    segment_count(lens, capacity_with(encoding, concat, false, shift), capacity_with(encoding, concat, true, shift))
}

/// A GSM 7-bit candidate that encodes the whole text.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    shift: Shift,
    segments: usize,
    septets: usize,
}

impl Candidate {
    fn key(&self) -> (usize, u8, usize, u8, u8) {
        let id = |l: Option<Language>| l.map_or(0, Language::id);
        (self.segments, self.shift.rank(), self.septets, id(self.shift.locking), id(self.shift.single))
    }
}

/// Every pair of allowed national tables (not the default pair): the best one that
/// encodes `chars`, or the character (and its index) where the pair reaching furthest
/// stops.
fn best_national(chars: &[char], opts: &SplitOptions) -> Result<Candidate, (char, usize)> {
    let lockings: Vec<Option<Language>> =
        std::iter::once(None).chain(opts.languages.iter().filter(|l| l.locking_table().is_some()).map(Some)).collect();
    let singles: Vec<Option<Language>> = std::iter::once(None).chain(opts.languages.iter().map(Some)).collect();

    // Look every distinct character up once per table, not once per pair.
    let mut distinct = chars.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let index: Vec<usize> = chars.iter().map(|c| distinct.binary_search(c).unwrap_or(0)).collect();
    let in_locking: Vec<Vec<bool>> = lockings
        .iter()
        .map(|&l| {
            let t = Shift { locking: l, single: None }.tables();
            distinct.iter().map(|&c| t.locking_code(c).is_some()).collect()
        })
        .collect();
    let in_single: Vec<Vec<bool>> = singles
        .iter()
        .map(|&s| {
            let t = Shift { locking: None, single: s }.tables();
            distinct.iter().map(|&c| t.single_code(c).is_some()).collect()
        })
        .collect();

    let mut best: Option<Candidate> = None;
    let mut furthest = 0;
    let mut lens = Vec::with_capacity(chars.len());
    for (k, &locking) in lockings.iter().enumerate() {
        for (j, &single) in singles.iter().enumerate() {
            let shift = Shift { locking, single };
            if shift.is_none() {
                continue;
            }
            lens.clear();
            for &d in &index {
                match (in_locking[k][d], in_single[j][d]) {
                    (true, _) => lens.push(1),
                    (false, true) => lens.push(2),
                    (false, false) => break,
                }
            }
            if lens.len() < chars.len() {
                furthest = furthest.max(lens.len());
                continue;
            }
            let septets = lens.iter().sum();
            let c = Candidate { shift, segments: segments(Encoding::Gsm7, shift, opts.concat, &lens), septets };
            if best.is_none_or(|b| c.key() < b.key()) {
                best = Some(c);
            }
        }
    }
    best.ok_or_else(|| (chars.get(furthest).copied().unwrap_or_default(), furthest))
}

/// The encoding and national tables for `text` under `pref`, with the allowed
/// languages of `opts`. A forced encoding that cannot represent a character fails
/// naming it and its index (for GSM 7-bit with national tables: where the pair of
/// tables reaching furthest stops).
pub fn choose_with(text: &str, pref: Preference, opts: &SplitOptions) -> Result<(Encoding, Shift), TextError> {
    let default = choose(text, pref);
    let national_allowed = !opts.languages.is_empty() && matches!(pref, Preference::Auto | Preference::Gsm7);
    let default_gsm_failed = match (&default, pref) {
        (Ok(Encoding::Gsm7), _) => return Ok((Encoding::Gsm7, Shift::NONE)),
        (Err(TextError::Unencodable { .. }), Preference::Gsm7) => true,
        (Ok(Encoding::Ucs2), Preference::Auto) => true,
        _ => false,
    };
    if !(national_allowed && default_gsm_failed) {
        return default.map(|e| (e, Shift::NONE));
    }
    let chars: Vec<char> = text.chars().collect();
    match (best_national(&chars, opts), pref) {
        (Ok(c), Preference::Gsm7) => Ok((Encoding::Gsm7, c.shift)),
        (Err((ch, index)), Preference::Gsm7) => Err(TextError::Unencodable { encoding: Encoding::Gsm7, ch, index }),
        (Ok(c), _) => {
            let units: Vec<usize> = chars.iter().map(|&ch| ucs2::unit_len(ch)).collect();
            let ucs2_segments = segments(Encoding::Ucs2, Shift::NONE, opts.concat, &units);
            Ok(if c.segments < ucs2_segments { (Encoding::Gsm7, c.shift) } else { (Encoding::Ucs2, Shift::NONE) })
        }
        (Err(_), _) => Ok((Encoding::Ucs2, Shift::NONE)),
    }
}

/// The units `ch` takes in `encoding`; for GSM 7-bit, with `tables`. `None` when it
/// cannot be encoded.
pub(crate) fn unit_len(encoding: Encoding, tables: &Tables, ch: char) -> Option<usize> {
    match encoding {
        Encoding::Gsm7 => crate::gsm7::septet_len_with(tables, ch),
        other => other.unit_len(ch),
    }
}

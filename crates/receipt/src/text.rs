//! The receipt text of SMPP 3.4 Appendix B:
//!
//! ```text
//! id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
//! ```
//!
//! The appendix calls this format SMSC-vendor specific, and it is: SMSCs
//! change key case, order, date width and add fields of their own. So the
//! parser is lenient, by rule rather than by guessing:
//!
//! - the text is split on whitespace (and NUL); a token `key:value` is a
//!   field, anything else is ignored (leading `Receipt` words, trailing
//!   garbage);
//! - keys are case-insensitive, and `_`/`-` in them are ignored, so `ID:`,
//!   `Submit_Date:` and `submit date:` (two tokens) are all accepted;
//! - fields may come in any order; unknown keys are skipped; when a key
//!   repeats the first one wins;
//! - a key with an empty value (`id: 123`) takes the next token if that is
//!   not itself a field;
//! - `text:` takes the rest of the input, spaces and colons included, trimmed
//!   of surrounding whitespace and NULs. Fields written *after* `text:` are
//!   therefore part of the text — Appendix B puts it last, and the original
//!   message may itself contain `stat:`-like words;
//! - a value that does not read (a date of the wrong width, `sub:abc`) is
//!   `None`, as if the field were missing; the receipt is still useful
//!   without it.
//!
//! Only the absence of both `id` and `stat` is an error: without either, the
//! text is not a receipt we can use.

use crate::state::FinalState;

/// What the receipt text says. Every field is optional: SMSCs leave fields
/// out, and which ones matter is the caller's business.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiptText {
    /// `id:` — the SMSC message id, as written (not normalised; see
    /// `msgid`).
    pub id: Option<String>,
    /// `sub:` — number of short messages originally submitted.
    pub sub: Option<u32>,
    /// `dlvrd:` — number of short messages delivered.
    pub dlvrd: Option<u32>,
    /// `submit date:`
    pub submit_date: Option<Timestamp>,
    /// `done date:`
    pub done_date: Option<Timestamp>,
    /// `stat:` as written, e.g. `DELIVRD`.
    pub stat: Option<String>,
    /// `stat:` read by [`FinalState::from_stat`]; `None` when missing or not
    /// recognised (the raw value is still in [`ReceiptText::stat`]).
    pub state: Option<FinalState>,
    /// `err:` as written. Appendix B says three digits; vendors send more
    /// digits or hex, so it is kept as a string.
    pub err: Option<String>,
    /// `err:` as a number: decimal when all digits (even though some vendors
    /// mean hex then; the raw string is kept for them), else hex when it is
    /// hex digits with an optional `0x`.
    pub err_code: Option<u32>,
    /// `text:` — usually the first 20 characters of the original message.
    pub text: Option<String>,
}

/// Why [`parse`] gave up. Never carries the input: receipt text can contain
/// the message's own text, which is not for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("receipt text has neither an id nor a stat field")]
    NoIdOrStat,
}

/// A date and time from a receipt, in the SMSC's local time (Appendix B
/// gives no zone; [`Timestamp::to_epoch_millis`] takes the offset).
///
/// Plain fields for easy use; [`Timestamp::new`] and [`Timestamp::parse`]
/// only produce valid dates and times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl Timestamp {
    /// A timestamp if the fields make a real date and time (leap years
    /// included, no leap seconds).
    pub fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        let valid = (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60;
        valid.then_some(Self { year, month, day, hour, minute, second })
    }

    /// Reads `YYMMDDhhmm` (Appendix B), `YYMMDDhhmmss` or `YYYYMMDDhhmmss`.
    /// Two-digit years are 20YY.
    pub fn parse(s: &str) -> Option<Self> {
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // All ASCII digits, so every byte index below is a char boundary.
        let num = |range: std::ops::Range<usize>| s.get(range).and_then(|d| d.parse::<u16>().ok());
        let (year, rest) = match s.len() {
            10 | 12 => (2000 + num(0..2)?, 2),
            14 => (num(0..4)?, 4),
            _ => return None,
        };
        let two = |i: usize| num(rest + 2 * i..rest + 2 * i + 2).and_then(|v| u8::try_from(v).ok());
        let second = if s.len() == 10 { 0 } else { two(4)? };
        Self::new(year, two(0)?, two(1)?, two(2)?, two(3)?, second)
    }

    /// Milliseconds since the Unix epoch, for a timestamp in local time
    /// `utc_offset_minutes` east of UTC (e.g. `120` for UTC+2, `-300` for
    /// UTC-5).
    pub fn to_epoch_millis(&self, utc_offset_minutes: i32) -> i64 {
        let days = days_from_civil(i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let seconds =
            days * 86_400 + i64::from(self.hour) * 3_600 + i64::from(self.minute) * 60 + i64::from(self.second)
                - i64::from(utc_offset_minutes) * 60;
        seconds * 1_000
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`). Total on any input: month 0 or 13 just gives a
/// meaningless number, never a panic.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9).rem_euclid(12);
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || c == '\0'
}

/// Whitespace-separated tokens with their byte offsets in `s`.
fn tokens(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (is_separator(c), start) {
            (true, Some(st)) => {
                out.push((st, &s[st..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, &s[st..]));
    }
    out
}

/// The field a key names, after lowercasing and dropping `_` and `-`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Sub,
    Dlvrd,
    SubmitDate,
    DoneDate,
    Stat,
    Err,
    Text,
}

fn field(key: &str) -> Option<Field> {
    let k: String = key.chars().filter(|&c| c != '_' && c != '-').map(|c| c.to_ascii_lowercase()).collect();
    Some(match k.as_str() {
        "id" => Field::Id,
        "sub" => Field::Sub,
        "dlvrd" => Field::Dlvrd,
        "submitdate" => Field::SubmitDate,
        "donedate" => Field::DoneDate,
        "stat" => Field::Stat,
        "err" => Field::Err,
        "text" => Field::Text,
        _ => return None,
    })
}

/// Parses receipt text. See the module docs for the leniency rules; never
/// panics.
pub fn parse(text: &str) -> Result<ReceiptText, ParseError> {
    let toks = tokens(text);
    let mut r = ReceiptText::default();
    let mut i = 0;
    while i < toks.len() {
        let (pos, tok) = toks[i];
        i += 1;
        // (key, value, offset of the value in `text`)
        let (key, mut value, value_at) = if let Some(colon) = tok.find(':') {
            (field(&tok[..colon]), &tok[colon + 1..], pos + colon + 1)
        } else if tok.eq_ignore_ascii_case("submit") || tok.eq_ignore_ascii_case("done") {
            // The two-word keys of Appendix B: `submit date:`, `done date:`.
            match toks.get(i) {
                Some(&(npos, next)) if next.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("date:")) => {
                    i += 1;
                    let key = if tok.eq_ignore_ascii_case("submit") { Field::SubmitDate } else { Field::DoneDate };
                    (Some(key), &next[5..], npos + 5)
                }
                _ => continue,
            }
        } else {
            continue;
        };
        let Some(key) = key else { continue };
        if key == Field::Text {
            let rest = text.get(value_at..).unwrap_or_default();
            let rest = rest.trim_matches(is_separator);
            if r.text.is_none() && !rest.is_empty() {
                r.text = Some(rest.to_owned());
            }
            break;
        }
        if value.is_empty() {
            if let Some(&(_, next)) = toks.get(i).filter(|(_, next)| !next.contains(':')) {
                value = next;
                i += 1;
            }
        }
        if value.is_empty() {
            continue;
        }
        match key {
            Field::Id => set(&mut r.id, || Some(value.to_owned())),
            Field::Sub => set(&mut r.sub, || count(value)),
            Field::Dlvrd => set(&mut r.dlvrd, || count(value)),
            Field::SubmitDate => set(&mut r.submit_date, || Timestamp::parse(value)),
            Field::DoneDate => set(&mut r.done_date, || Timestamp::parse(value)),
            Field::Stat => {
                if r.stat.is_none() {
                    r.stat = Some(value.to_owned());
                    r.state = FinalState::from_stat(value);
                }
            }
            Field::Err => {
                if r.err.is_none() {
                    r.err = Some(value.to_owned());
                    r.err_code = err_code(value);
                }
            }
            Field::Text => {}
        }
    }
    if r.id.is_none() && r.stat.is_none() {
        return Err(ParseError::NoIdOrStat);
    }
    Ok(r)
}

/// First value wins: a repeated key does not overwrite.
fn set<T>(slot: &mut Option<T>, value: impl FnOnce() -> Option<T>) {
    if slot.is_none() {
        *slot = value();
    }
}

fn count(s: &str) -> Option<u32> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn err_code(s: &str) -> Option<u32> {
    if let Some(n) = count(s) {
        return Some(n);
    }
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        u32::from_str_radix(hex, 16).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Timestamp> {
        Some(Timestamp { year, month, day, hour, minute, second })
    }

    #[test]
    fn timestamp_widths() {
        assert_eq!(Timestamp::parse("2403151230"), ts(2024, 3, 15, 12, 30, 0));
        assert_eq!(Timestamp::parse("240315123059"), ts(2024, 3, 15, 12, 30, 59));
        assert_eq!(Timestamp::parse("20240315123059"), ts(2024, 3, 15, 12, 30, 59));
        for bad in ["", "240315123", "24031512300", "2403151230590", "24031512a0", "+403151230", "２403151230"] {
            assert_eq!(Timestamp::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn timestamp_validation() {
        assert_eq!(Timestamp::parse("2402291200"), ts(2024, 2, 29, 12, 0, 0));
        assert_eq!(Timestamp::parse("2302291200"), None, "2023 is not a leap year");
        assert_eq!(Timestamp::parse("21000229120000"), None, "2100 is not a leap year");
        assert_eq!(Timestamp::parse("20000229120000"), ts(2000, 2, 29, 12, 0, 0));
        for bad in ["2400011200", "2413011200", "2404311200", "2401322400", "2401011260", "240101120060"] {
            assert_eq!(Timestamp::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn epoch_millis() {
        let t = |s| Timestamp::parse(s).map(|t| t.to_epoch_millis(0));
        assert_eq!(t("19700101000000"), Some(0));
        assert_eq!(t("20000101000000"), Some(946_684_800_000));
        // 2024-03-15T12:30:59Z, checked with `date -u -d 2024-03-15T12:30:59Z +%s`.
        assert_eq!(t("240315123059"), Some(1_710_505_859_000));
        // 12:30 at UTC+2 is 10:30 UTC; at UTC-5 it is 17:30 UTC.
        let local = Timestamp::parse("2403151230").map(|t| (t.to_epoch_millis(120), t.to_epoch_millis(-300)));
        assert_eq!(local, Some((1_710_505_800_000 - 7_200_000, 1_710_505_800_000 + 18_000_000)));
    }

    #[test]
    fn err_codes() {
        assert_eq!(err_code("000"), Some(0));
        assert_eq!(err_code("0012"), Some(12));
        assert_eq!(err_code("00B"), Some(0xB));
        assert_eq!(err_code("0x1F4"), Some(0x1F4));
        assert_eq!(err_code("E-12"), None);
        assert_eq!(err_code("99999999999"), None, "overflow is None, not a panic");
    }

    #[test]
    fn tokens_keep_offsets() {
        let s = " id:1\0stat:é  x";
        let toks = tokens(s);
        assert_eq!(toks, vec![(1, "id:1"), (6, "stat:é"), (15, "x")]);
    }
}

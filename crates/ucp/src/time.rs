//! The time stamps of the 50 series (EMI 4.x spec §5.3): `DDMMYYHHmm` for DDT
//! and VP, `DDMMYYHHmmss` for SCTS and DSCTS. The fields stay strings in
//! [`crate::Sm`] (what the SMSC sent is passed on untouched); this type reads
//! and writes them.

use std::fmt;

/// A local time stamp as EMI writes it. The year has two digits (`96` is 1996
/// in the spec's examples); the SMSC's time zone is not on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub year: u8,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    /// `None` for the ten-digit form (DDT, VP).
    pub second: Option<u8>,
}

impl Timestamp {
    /// Reads `DDMMYYHHmm` or `DDMMYYHHmmss`; `None` for anything else,
    /// including out-of-range parts.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if !(b.len() == 10 || b.len() == 12) || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        let t = Self {
            day: two(0),
            month: two(2),
            year: two(4),
            hour: two(6),
            minute: two(8),
            second: (b.len() == 12).then(|| two(10)),
        };
        let valid = (1..=31).contains(&t.day)
            && (1..=12).contains(&t.month)
            && t.hour < 24
            && t.minute < 60
            && t.second.is_none_or(|s| s < 60);
        valid.then_some(t)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}{:02}{:02}{:02}{:02}", self.day, self.month, self.year % 100, self.hour, self.minute)?;
        match self.second {
            Some(s) => write!(f, "{s:02}"),
            None => Ok(()),
        }
    }
}

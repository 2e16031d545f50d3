//! SMSC message ids as correlation keys, whatever the protocol (SMPP,
//! UCP, CIMD2, HTTP APIs): the sender keys the submit answer's id, the
//! tracker the receipt's, and the two must compare equal.
//!
//! The id in submit_sm_resp and the id in the later receipt are meant to be
//! the same, but SMSCs disagree with themselves: hex in one and decimal in
//! the other (Appendix B's `id:` is "often" decimal while message_id is free
//! text), upper vs lower case, leading zeros, trailing NULs or spaces. Which
//! quirk applies is a property of the connection, so it is configured per
//! connection as a [`DlrIdFormat`], not guessed per message.
//!
//! **Leading zeros.** `Hex` and `Decimal` read the id as a number, so
//! leading zeros never matter (`000123` and `123` are the same key). `AsIs`
//! and `CaseInsensitive` keep the string, so there they do.
//!
//! **Fallback.** An id that does not read as a number in a numeric format
//! (not all digits, or above `u128`) falls back to the trimmed, lowercased
//! string, on either side, so the two sides stay comparable.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use serde::{Deserialize, Serialize};

/// How one side's ids are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdFormat {
    /// Byte for byte, after trimming whitespace and NULs.
    #[default]
    AsIs,
    /// A hexadecimal number (an `0x` prefix is accepted), any case.
    Hex,
    /// A decimal number.
    Decimal,
    /// A string whose case does not matter.
    CaseInsensitive,
}

/// The ids of one connection: how submit_sm_resp writes them, and how
/// receipts do. Both sides are turned into the same kind of key: a decimal
/// number when the side is `Hex` or `Decimal`, the (lowercased for
/// `CaseInsensitive`) string otherwise. So `{ submit: hex, receipt: decimal }`
/// matches `f4240` with `1000000`.
///
/// Mixing a numeric format on one side with a string format on the other
/// does not correlate numeric ids (`f4240` vs `1000000` as strings); that is
/// a configuration error the tracker's unmatched-receipt count will show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DlrIdFormat {
    /// Format of `message_id` in submit_sm_resp (and data_sm_resp).
    #[serde(default)]
    pub submit: IdFormat,
    /// Format of the receipt's id (`receipted_message_id` TLV or `id:`).
    #[serde(default)]
    pub receipt: IdFormat,
}

impl DlrIdFormat {
    /// Same format on both sides.
    pub fn both(format: IdFormat) -> Self {
        Self { submit: format, receipt: format }
    }

    /// The correlation key of an id from submit_sm_resp.
    pub fn submit_key(&self, id: &str) -> String {
        key(id, self.submit)
    }

    /// The correlation key of an id from a receipt.
    pub fn receipt_key(&self, id: &str) -> String {
        key(id, self.receipt)
    }
}

fn key(id: &str, format: IdFormat) -> String {
    let id = trim(id);
    let number = match format {
        IdFormat::Hex => parse_hex(id),
        IdFormat::Decimal => parse_decimal(id),
        IdFormat::AsIs => return id.to_owned(),
        IdFormat::CaseInsensitive => return id.to_lowercase(),
    };
    number.map_or_else(|| id.to_lowercase(), |n| n.to_string())
}

/// One id in its own format's canonical form: trimmed; lowercased for
/// `CaseInsensitive`; for `Hex` lowercase hex without leading zeros; for
/// `Decimal` decimal without leading zeros. A numeric format that does not
/// read falls back to the lowercased trimmed string.
///
/// Use this to compare ids of the *same* format; across formats use
/// [`DlrIdFormat`], whose keys are decimal for both numeric formats.
pub fn normalise(id: &str, format: IdFormat) -> String {
    let id = trim(id);
    let canonical = match format {
        IdFormat::AsIs => Some(id.to_owned()),
        IdFormat::CaseInsensitive => Some(id.to_lowercase()),
        IdFormat::Hex => parse_hex(id).map(|n| format!("{n:x}")),
        IdFormat::Decimal => parse_decimal(id).map(|n| n.to_string()),
    };
    canonical.unwrap_or_else(|| id.to_lowercase())
}

fn trim(id: &str) -> &str {
    id.trim_matches(|c: char| c.is_whitespace() || c == '\0')
}

// `from_str_radix` alone would accept a leading `+`; ids are digits only.
fn parse_hex(id: &str) -> Option<u128> {
    let digits = id.strip_prefix("0x").or_else(|| id.strip_prefix("0X")).unwrap_or(id);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(digits, 16).ok()
}

fn parse_decimal(id: &str) -> Option<u128> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

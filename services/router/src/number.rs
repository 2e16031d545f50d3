//! Destination number normalisation.
//!
//! Accepts what people type (`+49 151 1234-5678`, `0049...`, `(0151) 123`)
//! and produces either an international number (`+` and 7 to 15 digits, ITU-T
//! E.164 §6.1) or a national/short number (3 to 20 digits) whose numbering
//! plan is left to the connection's TON/NPI defaults.

use std::fmt;

/// A normalised destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Number {
    /// E.164 digits without the `+`.
    International(String),
    /// National or short-code digits.
    National(String),
}

impl Number {
    /// The digits without any `+`.
    pub fn digits(&self) -> &str {
        match self {
            Number::International(d) | Number::National(d) => d,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::International(d) => write!(f, "+{d}"),
            Number::National(d) => f.write_str(d),
        }
    }
}

/// Parses a destination; the error says what is wrong, without echoing the number.
pub fn normalise(input: &str) -> Result<Number, &'static str> {
    let mut rest = input.trim();
    let international = if let Some(r) = rest.strip_prefix('+') {
        rest = r;
        true
    } else if let Some(r) = rest.strip_prefix("00") {
        rest = r;
        true
    } else {
        false
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => {
                return Err("destination may contain only digits, spaces, `-`, `.`, `/`, parentheses and a leading `+`")
            }
        }
    }
    if international {
        if !(7..=15).contains(&digits.len()) {
            return Err("international destination must have 7 to 15 digits (E.164)");
        }
        if digits.starts_with('0') {
            return Err("international destination cannot start with 0 after the country prefix");
        }
        Ok(Number::International(digits))
    } else {
        if !(3..=20).contains(&digits.len()) {
            return Err("destination must have 3 to 20 digits");
        }
        Ok(Number::National(digits))
    }
}

/// A national number in international form, when `country` is set and the
/// number is a valid one of that country by libphonenumber's metadata (which
/// knows each country's trunk prefix: German `0151...` is `+49151...`).
/// Short codes and numbers that are not valid there stay national, for the
/// connection's TON/NPI defaults.
pub fn with_country(number: Number, country: Option<phonenumber::country::Id>) -> Number {
    let (Number::National(digits), Some(country)) = (&number, country) else { return number };
    match phonenumber::parse(Some(country), digits) {
        Ok(parsed) if phonenumber::is_valid(&parsed) => {
            Number::International(format!("{}{}", parsed.code().value(), parsed.national().value()))
        }
        _ => number,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_spellings() {
        assert_eq!(normalise("+4915112345678"), Ok(Number::International("4915112345678".into())));
        assert_eq!(normalise(" +49 151 1234-5678 "), Ok(Number::International("4915112345678".into())));
        assert_eq!(normalise("004915112345678"), Ok(Number::International("4915112345678".into())));
        assert_eq!(normalise("(0151) 123.456"), Ok(Number::National("0151123456".into())));
        assert_eq!(normalise("12345").map(|n| n.to_string()), Ok("12345".into()));
        assert_eq!(normalise("+4915112345678").map(|n| n.to_string()), Ok("+4915112345678".into()));
    }

    #[test]
    fn national_numbers_take_the_default_country() {
        use phonenumber::country::Id;
        let de = |n: &str| with_country(normalise(n).unwrap(), Some(Id::DE)).to_string();
        assert_eq!(de("0151 12345678"), "+4915112345678", "the trunk 0 goes");
        assert_eq!(de("030 1234567"), "+49301234567");
        assert_eq!(de("+44 7400 123456"), "+447400123456", "international stays");
        assert_eq!(de("22333"), "22333", "a short code stays national");
        let gb = with_country(normalise("07400 123456").unwrap(), Some(Id::GB));
        assert_eq!(gb, Number::International("447400123456".into()));
        assert_eq!(with_country(normalise("015112345678").unwrap(), None).to_string(), "015112345678");
    }

    #[test]
    fn rejects_implausible() {
        for bad in
            ["", "+", "+12", "abc", "+49151abc", "12", "+0049151234567", "1234567890123456789012", "+1234567890123456"]
        {
            assert!(normalise(bad).is_err(), "{bad:?} accepted");
        }
    }
}

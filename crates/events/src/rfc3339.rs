//! RFC 3339 timestamps (`2030-01-01T12:00:00.250+01:00`) to epoch milliseconds.
//! Small enough not to justify a date-time dependency; only parsing is needed.

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t`, `z` and a space
/// separator are accepted too (RFC 3339 section 5.6 notes). Fractions beyond
/// milliseconds are truncated; a leap second (`:60`) is counted as such.
pub(crate) fn parse(s: &str) -> Result<i64, &'static str> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return Err("too short");
    }
    let num = |from: usize, len: usize| -> Result<i64, &'static str> {
        let digits = b.get(from..from + len).ok_or("too short")?;
        digits.iter().try_fold(0i64, |acc, d| {
            if d.is_ascii_digit() {
                Ok(acc * 10 + i64::from(d - b'0'))
            } else {
                Err("expected a digit")
            }
        })
    };
    let expect = |at: usize, allowed: &[u8]| -> Result<(), &'static str> {
        match b.get(at) {
            Some(c) if allowed.contains(c) => Ok(()),
            _ => Err("unexpected character"),
        }
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    expect(4, b"-")?;
    expect(7, b"-")?;
    expect(10, b"Tt ")?;
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    expect(13, b":")?;
    expect(16, b":")?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("date out of range");
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err("time out of range");
    }
    let mut at = 19;
    let mut millis = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 3 {
                millis = millis * 10 + i64::from(b[at] - b'0');
            }
            at += 1;
        }
        match at - start {
            0 => return Err("empty fraction"),
            1 => millis *= 100,
            2 => millis *= 10,
            _ => {}
        }
    }
    let offset_minutes = match b.get(at) {
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if at + 6 == b.len() => {
            expect(at + 3, b":")?;
            let (oh, om) = (num(at + 1, 2)?, num(at + 4, 2)?);
            if oh > 23 || om > 59 {
                return Err("offset out of range");
            }
            let minutes = oh * 60 + om;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return Err("expected z or an offset like +01:00 at the end"),
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Ok(seconds * 1_000 + millis)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn utc_and_offsets() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse("2001-09-09T01:46:40Z"), Ok(1_000_000_000_000));
        assert_eq!(parse("2001-09-09T03:46:40.5+02:00"), Ok(1_000_000_000_500));
        assert_eq!(parse("2001-09-08t22:46:40.123456-03:00"), Ok(1_000_000_000_123));
        assert_eq!(parse("2024-02-29 00:00:00z"), Ok(1_709_164_800_000));
        assert_eq!(parse("1969-12-31T23:59:59.999Z"), Ok(-1));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-01-01T24:00:00Z",
            "2023-01-01T00:00:00",
            "2023-01-01T00:00:00+0100",
            "2023-01-01T00:00:00.Z",
            "2023-01-01",
            "2023-01-01T00:00:00Zjunk",
            "two thousand and three",
        ] {
            assert!(parse(bad).is_err(), "{bad} parsed");
        }
    }
}

//! UTC calendar fields of an instant (proleptic Gregorian, Howard
//! Hinnant's `civil_from_days` and `days_from_civil`), for the time stamps
//! SMS protocols write with two-digit years.

/// An instant's UTC calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Milliseconds into the second.
    pub millis: u32,
}

impl Utc {
    /// The fields of `epoch_ms` (milliseconds since 1970-01-01 UTC).
    pub fn of(epoch_ms: i64) -> Utc {
        let secs = epoch_ms.div_euclid(1000);
        let (days, in_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        Utc {
            year,
            month,
            day,
            hour: (in_day / 3600) as u32,
            minute: (in_day % 3600 / 60) as u32,
            second: (in_day % 60) as u32,
            millis: epoch_ms.rem_euclid(1000) as u32,
        }
    }

    /// The year's last two digits, as SMS time stamps write it.
    pub fn yy(&self) -> u32 {
        self.year.rem_euclid(100) as u32
    }
}

/// Days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A UTC calendar time as epoch ms (two-digit years are 20yy, as SMSC time
/// stamps write them); `None` for an impossible date.
pub fn utc_ms(yy: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let (m, d) = (i64::from(month), i64::from(day));
    let y = 2000 + i64::from(yy % 100) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some((days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)) * 1000)
}

/// Two-digit fields of a digit string: `two_digit_fields("261126")` =
/// `[26, 11, 26]`; `None` unless all digits and of even length.
pub fn two_digit_fields(s: &str) -> Option<Vec<u32>> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.chunks(2).map(|c| u32::from(c[0] - b'0') * 10 + u32::from(c[1] - b'0')).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_back() {
        // 2026-11-26 12:54:00.300 UTC
        let t = Utc::of(1_795_697_640_300);
        assert_eq!((t.yy(), t.month, t.day, t.hour, t.minute, t.second, t.millis), (26, 11, 26, 12, 54, 0, 300));
        assert_eq!(utc_ms(26, 11, 26, 12, 54, 0), Some(1_795_697_640_000));
        assert_eq!(utc_ms(0, 1, 1, 0, 0, 0), Some(946_684_800_000), "two-digit years are 20yy");
        assert_eq!(utc_ms(24, 2, 29, 0, 0, 0), Some(1_709_164_800_000));
        assert_eq!(Utc::of(0).year, 1970);
        assert_eq!(Utc::of(-1).year, 1969, "before the epoch");
        assert_eq!(utc_ms(0, 2, 30, 0, 0, 0).map(|ms| Utc::of(ms).month), Some(3), "lenient about the day, like SMSCs");
        assert_eq!(utc_ms(26, 13, 1, 0, 0, 0), None);
        assert_eq!(two_digit_fields("261126"), Some(vec![26, 11, 26]));
        assert_eq!(two_digit_fields("26112"), None);
        assert_eq!(two_digit_fields("2611a6"), None);
    }
}

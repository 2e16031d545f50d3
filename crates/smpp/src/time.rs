//! SMPP time formats (SMPP 3.4 §7.1.1): absolute `YYMMDDhhmmsstnnp`, where
//! `t` is tenths of a second, `nn` the offset from UTC in quarter hours and
//! `p` `+`/`-` (ahead of/behind UTC). smsgw writes UTC (`000+`).

/// The absolute time for `epoch_ms` (milliseconds since 1970-01-01 UTC), in UTC.
///
/// ```
/// // 2026-11-26 12:54:00.300 UTC
/// assert_eq!(smpp::time::absolute(1_795_697_640_300), "261126125400300+");
/// ```
pub fn absolute(epoch_ms: i64) -> String {
    let (date, secs, tenths) = split(epoch_ms);
    let (y, m, d) = civil_from_days(date);
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}{}00+",
        y.rem_euclid(100),
        m,
        d,
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60,
        tenths
    )
}

/// `YYMMDDhhmm` in UTC, the date format of delivery receipt texts (Appendix B).
pub fn receipt_date(epoch_ms: i64) -> String {
    let (date, secs, _) = split(epoch_ms);
    let (y, m, d) = civil_from_days(date);
    format!("{:02}{:02}{:02}{:02}{:02}", y.rem_euclid(100), m, d, secs / 3600, (secs % 3600) / 60)
}

/// (days since the epoch, seconds into the day, tenths of a second).
fn split(epoch_ms: i64) -> (i64, i64, i64) {
    let secs = epoch_ms.div_euclid(1000);
    (secs.div_euclid(86_400), secs.rem_euclid(86_400), epoch_ms.rem_euclid(1000) / 100)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_times_in_utc() {
        assert_eq!(absolute(0), "700101000000000+");
        // 2000-02-29 23:59:59.999 (leap day, last tenth)
        assert_eq!(absolute(951_868_799_999), "000229235959900+");
        assert_eq!(absolute(1_795_697_640_300), "261126125400300+");
        assert_eq!(absolute(1_795_697_640_300).len(), 16);
    }

    #[test]
    fn receipt_dates() {
        assert_eq!(receipt_date(1_795_697_640_000), "2611261254");
        assert_eq!(receipt_date(0), "7001010000");
    }
}

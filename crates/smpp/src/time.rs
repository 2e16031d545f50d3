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
    let t = timing::Utc::of(epoch_ms);
    let tenths = t.millis / 100;
    format!("{:02}{:02}{:02}{:02}{:02}{:02}{tenths}00+", t.yy(), t.month, t.day, t.hour, t.minute, t.second)
}

/// `YYMMDDhhmm` in UTC, the date format of delivery receipt texts (Appendix B).
pub fn receipt_date(epoch_ms: i64) -> String {
    let t = timing::Utc::of(epoch_ms);
    format!("{:02}{:02}{:02}{:02}{:02}", t.yy(), t.month, t.day, t.hour, t.minute)
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

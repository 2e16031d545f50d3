//! Delivery receipt text in the de-facto format of SMPP 3.4 Appendix B:
//! `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...`

use std::time::{SystemTime, UNIX_EPOCH};

/// Receipt text for message `id` with final state `stat` (e.g. `DELIVRD`).
pub fn text(id: &str, submitted: SystemTime, done: SystemTime, stat: &str, err: u16, first: &[u8]) -> String {
    let preview: String =
        first.iter().take(20).map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '?' }).collect();
    format!(
        "id:{id} sub:001 dlvrd:{} submit date:{} done date:{} stat:{stat} err:{err:03} text:{preview}",
        if stat == "DELIVRD" { "001" } else { "000" },
        yymmddhhmm(submitted),
        yymmddhhmm(done),
    )
}

/// `YYMMDDhhmm` in UTC.
pub fn yymmddhhmm(t: SystemTime) -> String {
    smpp::time::receipt_date(t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_dates_in_utc() {
        // 2026-11-26 12:54:00 UTC
        let t = UNIX_EPOCH + Duration::from_secs(1_795_697_640);
        assert_eq!(yymmddhhmm(t), "2611261254");
        assert_eq!(yymmddhhmm(UNIX_EPOCH), "7001010000");
        // leap day
        assert_eq!(yymmddhhmm(UNIX_EPOCH + Duration::from_secs(951_782_400)), "0002290000");
    }

    #[test]
    fn receipt_text_layout() {
        let t = UNIX_EPOCH;
        assert_eq!(
            text("7", t, t, "DELIVRD", 0, b"Hello\x01world"),
            "id:7 sub:001 dlvrd:001 submit date:7001010000 done date:7001010000 stat:DELIVRD err:000 text:Hello?world"
        );
    }
}

//! TP-SCTS and TP-DT (TS 23.040 §9.2.3.11): seven semi-octet pairs — year, month,
//! day, hour, minute, second, and the time zone in quarters of an hour from GMT,
//! whose sign is bit 3 of the last octet.

use crate::error::DecodeError;
use crate::reader::Reader;

/// A service centre time stamp as the SMSC sent it, in its local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Four digits from the PDU's two: 00-68 are 2000-2068, 69-99 are 1969-1999,
    /// the POSIX `strptime("%y")` pivot (the spec leaves the century open; a modem
    /// whose clock was reset reports the 1980s, not the 2080s).
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Offset from GMT in quarters of an hour, -79..=79.
    pub offset_quarters: i8,
}

fn bcd(octet: u8) -> u8 {
    // Semi-octets are swapped: the low nibble is the tens digit.
    (octet & 0x0F) * 10 + (octet >> 4)
}

fn to_bcd(value: u8) -> u8 {
    ((value % 10) << 4) | ((value / 10) % 10)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

impl Timestamp {
    /// Reads the 7 octets. Lenient: digits above 9 give out-of-range fields, which
    /// [`Timestamp::epoch_ms`] then refuses.
    pub fn from_octets(octets: [u8; 7]) -> Self {
        let tz = octets[6];
        let quarters = ((tz & 0x07) * 10 + (tz >> 4)) as i8;
        Timestamp {
            year: match bcd(octets[0]) {
                yy @ 0..=68 => 2000 + u16::from(yy),
                yy @ 69..=99 => 1900 + u16::from(yy),
                // Not BCD; kept so that epoch_ms can still refuse or compute it.
                yy => 2000 + u16::from(yy),
            },
            month: bcd(octets[1]),
            day: bcd(octets[2]),
            hour: bcd(octets[3]),
            minute: bcd(octets[4]),
            second: bcd(octets[5]),
            offset_quarters: if tz & 0x08 != 0 { -quarters } else { quarters },
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        r.array::<7>(field).map(Self::from_octets)
    }

    /// The 7 octets (year modulo 100).
    pub fn to_octets(&self) -> [u8; 7] {
        let q = self.offset_quarters.unsigned_abs().min(79);
        let sign = if self.offset_quarters < 0 { 0x08 } else { 0 };
        [
            to_bcd((self.year % 100) as u8),
            to_bcd(self.month),
            to_bcd(self.day),
            to_bcd(self.hour),
            to_bcd(self.minute),
            to_bcd(self.second),
            ((q % 10) << 4) | (q / 10) | sign,
        ]
    }

    /// Milliseconds since the Unix epoch (UTC), or `None` for an impossible date.
    pub fn epoch_ms(&self) -> Option<i64> {
        let days_in_month = match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0) => 29,
            2 => 28,
            _ => return None,
        };
        let valid = (1..=days_in_month).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
            && self.offset_quarters.unsigned_abs() <= 79;
        if !valid {
            return None;
        }
        let days = days_from_civil(i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let local = days * 86_400 + i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second);
        Some((local - i64::from(self.offset_quarters) * 900) * 1000)
    }

    /// The local time at `offset_quarters` of an epoch instant (seconds precision),
    /// for building PDUs in tests and simulators.
    pub fn from_epoch_ms(epoch_ms: i64, offset_quarters: i8) -> Self {
        let local = epoch_ms.div_euclid(1000) + i64::from(offset_quarters) * 900;
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        let secs = local.rem_euclid(86_400);
        Timestamp {
            year: year as u16,
            month: month as u8,
            day: day as u8,
            hour: (secs / 3600) as u8,
            minute: (secs / 60 % 60) as u8,
            second: (secs % 60) as u8,
            offset_quarters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn octets(hex: &str) -> [u8; 7] {
        crate::hex::decode(hex).unwrap().try_into().unwrap()
    }

    #[test]
    fn published_examples() {
        // 2007-04-12 23:25:42 +00:00 and the same local time at +08:00 (quarter count 32).
        assert_eq!(Timestamp::from_octets(octets("70402132522400")).epoch_ms(), Some(1_176_420_342_000));
        let t = Timestamp::from_octets(octets("70402132522423"));
        assert_eq!(t.offset_quarters, 32);
        assert_eq!(t.epoch_ms(), Some(1_176_420_342_000 - 8 * 3_600_000));
        // 2013-03-25 23:01:56 at -07:00 (bit 3 of the last octet is the sign) = 2013-03-26 06:01:56Z.
        let t = Timestamp::from_octets(octets("3130523210658A"));
        assert_eq!(t.offset_quarters, -28);
        assert_eq!(t.epoch_ms(), Some(1_364_277_716_000));
        assert_eq!(t.to_octets(), octets("3130523210658A"));
    }

    #[test]
    fn round_trip_and_invalid_dates() {
        let t = Timestamp::from_epoch_ms(1_700_000_123_000, -14);
        assert_eq!(t.epoch_ms(), Some(1_700_000_123_000));
        assert_eq!(Timestamp::from_octets(t.to_octets()), t);
        assert_eq!(Timestamp::from_octets(octets("00220000000000")).epoch_ms(), None); // month 22
        assert!(Timestamp::from_octets(octets("00209200000000")).epoch_ms().is_some()); // 2000-02-29
        assert_eq!(Timestamp::from_octets(octets("10209200000000")).epoch_ms(), None); // 2001-02-29
        assert_eq!(Timestamp::from_octets(octets("FFFFFFFFFFFFFF")).epoch_ms(), None);
    }
}

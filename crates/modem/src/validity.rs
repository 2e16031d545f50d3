//! TP-VP in the relative format (TS 23.040 §9.2.3.12.1), one octet:
//! 0-143: (VP + 1) × 5 minutes; 144-167: 12 hours + (VP − 143) × 30 minutes;
//! 168-196: (VP − 166) days; 197-255: (VP − 192) weeks.

use std::time::Duration;

/// The relative TP-VP for `validity`: the smallest value that is at least as long,
/// from 5 minutes up to 63 weeks (longer is capped at 63 weeks). A message never
/// expires earlier than asked; it may live up to one step longer.
pub fn encode_relative(validity: Duration) -> u8 {
    let minutes = validity.as_secs().div_ceil(60);
    let vp = if minutes <= 12 * 60 {
        minutes.div_ceil(5).max(1) - 1
    } else if minutes <= 24 * 60 {
        143 + (minutes - 12 * 60).div_ceil(30)
    } else if minutes.div_ceil(24 * 60) <= 30 {
        166 + minutes.div_ceil(24 * 60)
    } else {
        192 + minutes.div_ceil(7 * 24 * 60).min(63)
    };
    vp as u8
}

/// The period a relative TP-VP stands for.
pub fn decode_relative(vp: u8) -> Duration {
    let minutes = match u64::from(vp) {
        v @ 0..=143 => (v + 1) * 5,
        v @ 144..=167 => 12 * 60 + (v - 143) * 30,
        v @ 168..=196 => (v - 166) * 24 * 60,
        v => (v - 192) * 7 * 24 * 60,
    };
    Duration::from_secs(minutes * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60;

    #[test]
    fn spec_boundaries() {
        for (secs, vp) in [
            (0, 0),
            (5 * MIN, 0),
            (5 * MIN + 1, 1),
            (60 * MIN, 11),
            (12 * 60 * MIN, 143),
            (12 * 60 * MIN + 1, 144),
            (24 * 60 * MIN, 167),
            (24 * 60 * MIN + 1, 168),
            (2 * 24 * 60 * MIN, 168),
            (30 * 24 * 60 * MIN, 196),
            (30 * 24 * 60 * MIN + 1, 197),
            (63 * 7 * 24 * 60 * MIN, 255),
            (10_000 * 24 * 60 * MIN, 255),
        ] {
            assert_eq!(encode_relative(Duration::from_secs(secs)), vp, "{secs}s");
        }
        assert_eq!(decode_relative(167), Duration::from_secs(24 * 3600));
        assert_eq!(decode_relative(0xAA), Duration::from_secs(4 * 24 * 3600));
    }

    #[test]
    fn never_shorter_than_asked_and_tight() {
        for vp in 0..=255u8 {
            let d = decode_relative(vp);
            assert_eq!(encode_relative(d), vp);
            if vp > 0 {
                assert!(encode_relative(d + Duration::from_secs(1)) == vp.saturating_add(1) || vp == 255);
            }
        }
    }
}

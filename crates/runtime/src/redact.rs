//! Masking what may hold a phone number before it reaches a log line or a
//! span: SMSC message ids that embed the recipient (UCP `AdC:SCTS`, CIMD2
//! destination and time stamp, a modem's reference and recipient) and the
//! record keys made from them.

use std::sync::atomic::{AtomicBool, Ordering};

static LOG_NUMBERS: AtomicBool = AtomicBool::new(false);

/// Turns `telemetry.log_numbers` on or off for the process (at start-up).
pub fn log_numbers(on: bool) {
    LOG_NUMBERS.store(on, Ordering::Relaxed);
}

/// A phone number for a debug log line: `None` unless `telemetry.log_numbers`
/// is on, and then masked but for its last four digits (`*********5678`).
pub fn number(n: &str) -> Option<String> {
    if !LOG_NUMBERS.load(Ordering::Relaxed) {
        return None;
    }
    let keep = n.len().saturating_sub(4);
    Some(n.char_indices().map(|(i, c)| if i < keep && c.is_ascii_digit() { '*' } else { c }).collect())
}

/// `s` with every run of five or more digits masked but for its last three
/// (`4915272000123:031226180419` → `**********123:*********419`): enough to
/// tell values apart in a log, not enough to call anyone.
pub fn digits(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 5 {
            out.extend(std::iter::repeat_n('*', run.len() - 3));
            out.push_str(&run[run.len() - 3..]);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_only_when_switched_on_and_masked() {
        assert_eq!(super::number("4915112345678"), None, "off by default");
        super::log_numbers(true);
        assert_eq!(super::number("4915112345678").as_deref(), Some("*********5678"));
        super::log_numbers(false);
        assert_eq!(super::number("4915112345678"), None);
    }

    #[test]
    fn long_digit_runs_keep_their_last_three() {
        assert_eq!(super::digits("4915272000123:031226180419"), "**********123:*********419");
        assert_eq!(super::digits("ucp:1234"), "ucp:1234", "short runs stay");
        assert_eq!(super::digits("r-12345"), "r-**345");
        assert_eq!(super::digits(""), "");
    }
}

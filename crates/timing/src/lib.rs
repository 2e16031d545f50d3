//! Time as every part of smsgw uses it, in one place below the protocols
//! and the roles:
//! - [`now_ms`], the wall clock in epoch milliseconds (records, events,
//!   validity periods). Sans-IO code takes it as a parameter instead.
//! - [`Utc`], the calendar fields of an instant and back: SMSC time stamps
//!   (SMPP §7.1.1, UCP `DDMMYYhhmm`, CIMD2 `yymmddhhmmss`, TP-SCTS) are
//!   written and read through it, each protocol in its own format.
//! - [`Backoff`], reconnect delays with full jitter, for every link.

mod backoff;
mod utc;

pub use backoff::Backoff;
pub use utc::{two_digit_fields, utc_ms, Utc};

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

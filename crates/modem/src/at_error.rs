//! Error result codes and whether retrying can help.
//!
//! `+CMS ERROR: <err>` (TS 27.005 §3.2.5): 0-127 are RP-cause values of TS 24.011
//! Annex E.2 (the network refused), 128-255 TP-FCS values of TS 23.040 §9.2.3.22
//! (the SMSC refused), 300-340 errors of the ME/TA, 500 unknown, 512 and up
//! manufacturer specific. `+CME ERROR: <err>` (TS 27.007 §9.2) are ME errors.
//!
//! "Temporary" means the same message may succeed later or through another modem:
//! network congestion and outages, a busy SMSC, a SIM or modem that is not ready.
//! "Permanent" means the message itself is refused: bad number, barred, invalid
//! PDU. Codes we cannot place (plain `ERROR`, unknown, vendor) are temporary, so a
//! message is retried rather than dropped; the sender's retry limit ends it.

use std::fmt;

/// An error final result code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtError {
    /// Plain `ERROR` (also `+CMEE=0` modems and `NO CARRIER`-style codes).
    Error,
    /// `+CMS ERROR: <n>`.
    Cms(u16),
    /// `+CME ERROR: <n>`.
    Cme(u16),
}

impl AtError {
    /// Whether the same message may succeed if sent again later.
    pub fn is_temporary(self) -> bool {
        match self {
            AtError::Error => true,
            AtError::Cms(code) => cms_is_temporary(code),
            AtError::Cme(code) => cme_is_temporary(code),
        }
    }
}

impl fmt::Display for AtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AtError::Error => f.write_str("ERROR"),
            AtError::Cms(n) => write!(f, "+CMS ERROR: {n}"),
            AtError::Cme(n) => write!(f, "+CME ERROR: {n}"),
        }
    }
}

/// TS 27.005 §3.2.5 with TS 24.011 Annex E.2 and TS 23.040 §9.2.3.22.
pub fn cms_is_temporary(code: u16) -> bool {
    match code {
        // RP-cause: 27 destination out of order, 38 network out of order, 41 temporary
        // failure, 42 congestion, 47 resources unavailable, 98 message not compatible
        // with the protocol state, 111 protocol error, 127 interworking unspecified.
        27 | 38 | 41 | 42 | 47 | 98 | 111 | 127 => true,
        // The other RP-causes: 1 unassigned number, 8 operator determined barring,
        // 10 call barred, 21 transfer rejected, 28 unidentified subscriber, 29 facility
        // rejected, 30 unknown subscriber, 50 facility not subscribed, 69 not
        // implemented, 81 invalid reference, 95-99 invalid message.
        0..=127 => false,
        // TP-FCS: 0xC0 SC busy, 0xC2 SC system failure, 0xD3 memory capacity
        // exceeded, 0xFF unspecified.
        0xC0 | 0xC2 | 0xD3 | 0xFF => true,
        // TP-PID / TP-DCS / command errors, 0xC1 no SC subscription, 0xC3 invalid SME
        // address, 0xC4 destination barred, 0xC5 rejected duplicate, 0xC6/0xC7 TP-VPF
        // or TP-VP not supported.
        128..=255 => false,
        // ME/TA: 302 operation not allowed, 303 not supported, 304 invalid PDU mode
        // parameter, 305 invalid text mode parameter, 321 invalid memory index,
        // 340 no +CNMA expected.
        302..=305 | 321 | 340 => false,
        // 300 ME failure, 301 SMS service reserved, 310-318 SIM missing/locked/busy,
        // 320 memory failure, 322 memory full, 330 SMSC address unknown, 331 no
        // network service, 332 network timeout, 500 unknown, 512+ vendor.
        _ => true,
    }
}

/// TS 27.007 §9.2: 3 operation not allowed, 4 operation not supported, 21 invalid
/// index, 24-27 text or dial string too long or invalid are about the request; the
/// rest (phone failure, SIM, memory, network, unknown) about the modem's state.
pub fn cme_is_temporary(code: u16) -> bool {
    !matches!(code, 3 | 4 | 21 | 24..=27)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        for code in [38, 42, 27, 41, 0xC0, 300, 310, 331, 332, 500, 540] {
            assert!(AtError::Cms(code).is_temporary(), "{code}");
        }
        for code in [1, 8, 10, 21, 28, 29, 50, 96, 0x81, 0xC1, 0xC3, 0xC5, 302, 304, 321] {
            assert!(!AtError::Cms(code).is_temporary(), "{code}");
        }
        assert!(AtError::Error.is_temporary());
        assert!(AtError::Cme(10).is_temporary());
        assert!(!AtError::Cme(3).is_temporary());
        assert_eq!(AtError::Cms(38).to_string(), "+CMS ERROR: 38");
    }
}

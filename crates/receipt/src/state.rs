//! Message states: the `stat:` field of receipt text (SMPP 3.4 Appendix B)
//! and the `message_state` TLV (§5.2.28), mapped to one enum.

/// The state a receipt reports for a submitted message.
///
/// Named after the `message_state` values of SMPP 3.4 §5.2.28; the receipt
/// text's seven-letter `stat:` values (Appendix B) map onto the same set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FinalState {
    /// `DELIVRD`, message_state 2.
    Delivered,
    /// `EXPIRED`, message_state 3: validity period passed.
    Expired,
    /// `DELETED`, message_state 4.
    Deleted,
    /// `UNDELIV`, message_state 5. Also vendor words such as `FAILED`.
    Undeliverable,
    /// `ACCEPTD`, message_state 6. See [`FinalState::is_final`].
    Accepted,
    /// `UNKNOWN`, message_state 7. Also what [`crate::Receipt`] reports when
    /// neither the TLV nor the text gives a state it recognises.
    Unknown,
    /// `REJECTD`, message_state 8.
    Rejected,
    /// `ENROUTE`, message_state 1: still on its way (intermediate receipts).
    Enroute,
    /// `SKIPPED`, message_state 9 (SMPP 5.0 value; some 3.4 SMSCs send it).
    Skipped,
}

impl FinalState {
    /// Reads a `stat:` value. Lenient, since SMSCs vary: case-insensitive,
    /// surrounding whitespace ignored, the spelled-out words accepted
    /// (`DELIVERED`, `UNDELIVERABLE`, `REJECTED`, …), `FAILED`/`FAIL` read as
    /// [`FinalState::Undeliverable`], and a bare `message_state` number
    /// (`stat:2`) read as §5.2.28. Anything else is `None`, not `Unknown`, so
    /// the caller can tell "the SMSC said UNKNOWN" from "we could not read it".
    pub fn from_stat(stat: &str) -> Option<Self> {
        let s = stat.trim().to_ascii_uppercase();
        let state = match s.as_str() {
            "DELIVRD" | "DELIVERED" | "DELIVERD" => Self::Delivered,
            "EXPIRED" | "EXPIRD" => Self::Expired,
            "DELETED" | "DELETD" => Self::Deleted,
            "UNDELIV" | "UNDELIVERABLE" | "UNDELIVERED" | "UNDELIVRD" | "FAILED" | "FAIL" => Self::Undeliverable,
            "ACCEPTD" | "ACCEPTED" => Self::Accepted,
            "UNKNOWN" => Self::Unknown,
            "REJECTD" | "REJECTED" => Self::Rejected,
            "ENROUTE" => Self::Enroute,
            "SKIPPED" => Self::Skipped,
            _ => return s.parse::<u8>().ok().and_then(Self::from_message_state),
        };
        Some(state)
    }

    /// Reads a `message_state` TLV value (SMPP 3.4 §5.2.28). `0` (SCHEDULED
    /// in SMPP 5.0) and values above 9 are `None`.
    pub fn from_message_state(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::Enroute,
            2 => Self::Delivered,
            3 => Self::Expired,
            4 => Self::Deleted,
            5 => Self::Undeliverable,
            6 => Self::Accepted,
            7 => Self::Unknown,
            8 => Self::Rejected,
            9 => Self::Skipped,
            _ => return None,
        })
    }

    /// The `message_state` TLV value (§5.2.28).
    pub fn message_state(self) -> u8 {
        match self {
            Self::Enroute => 1,
            Self::Delivered => 2,
            Self::Expired => 3,
            Self::Deleted => 4,
            Self::Undeliverable => 5,
            Self::Accepted => 6,
            Self::Unknown => 7,
            Self::Rejected => 8,
            Self::Skipped => 9,
        }
    }

    /// The seven-letter `stat:` value of Appendix B, as an SMSC writes it.
    pub fn stat(self) -> &'static str {
        match self {
            Self::Delivered => "DELIVRD",
            Self::Expired => "EXPIRED",
            Self::Deleted => "DELETED",
            Self::Undeliverable => "UNDELIV",
            Self::Accepted => "ACCEPTD",
            Self::Unknown => "UNKNOWN",
            Self::Rejected => "REJECTD",
            Self::Enroute => "ENROUTE",
            Self::Skipped => "SKIPPED",
        }
    }

    /// Whether no further receipt is to be expected for the message.
    ///
    /// Final: Delivered, Expired, Deleted, Undeliverable, Rejected, Skipped.
    /// Not final: Enroute (by definition), Unknown (the SMSC does not know
    /// *yet*; a later receipt may), and **Accepted**.
    ///
    /// Accepted is a deliberate choice against the letter of §5.2.28, where
    /// ACCEPTED means "manually read on behalf of the subscriber by customer
    /// service" and is final. That meaning has all but disappeared: in
    /// practice aggregators and many SMSCs send `ACCEPTD` when the next hop
    /// took the message, followed later by `DELIVRD` or `UNDELIV`. Treating
    /// it as final would make the tracker forget the message and drop the
    /// real outcome; treating it as not final costs, for the rare SMSC that
    /// never follows up, only waiting for the tracker's expiry.
    pub fn is_final(self) -> bool {
        match self {
            Self::Delivered | Self::Expired | Self::Deleted | Self::Undeliverable | Self::Rejected | Self::Skipped => {
                true
            }
            Self::Accepted | Self::Unknown | Self::Enroute => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [FinalState; 9] = [
        FinalState::Delivered,
        FinalState::Expired,
        FinalState::Deleted,
        FinalState::Undeliverable,
        FinalState::Accepted,
        FinalState::Unknown,
        FinalState::Rejected,
        FinalState::Enroute,
        FinalState::Skipped,
    ];

    #[test]
    fn message_state_values_follow_5_2_28() {
        let expected = [
            (1, FinalState::Enroute),
            (2, FinalState::Delivered),
            (3, FinalState::Expired),
            (4, FinalState::Deleted),
            (5, FinalState::Undeliverable),
            (6, FinalState::Accepted),
            (7, FinalState::Unknown),
            (8, FinalState::Rejected),
            (9, FinalState::Skipped),
        ];
        for (v, s) in expected {
            assert_eq!(FinalState::from_message_state(v), Some(s), "value {v}");
            assert_eq!(s.message_state(), v);
        }
        assert_eq!(FinalState::from_message_state(0), None);
        assert_eq!(FinalState::from_message_state(10), None);
        assert_eq!(FinalState::from_message_state(255), None);
    }

    #[test]
    fn stat_values_of_appendix_b_round_trip() {
        for s in ALL {
            assert_eq!(FinalState::from_stat(s.stat()), Some(s));
            assert_eq!(s.stat().len(), 7);
        }
    }

    #[test]
    fn stat_is_lenient() {
        let cases = [
            ("delivrd", FinalState::Delivered),
            (" Delivered ", FinalState::Delivered),
            ("UNDELIVERABLE", FinalState::Undeliverable),
            ("undelivered", FinalState::Undeliverable),
            ("FAILED", FinalState::Undeliverable),
            ("Rejected", FinalState::Rejected),
            ("accepted", FinalState::Accepted),
            ("2", FinalState::Delivered),
            ("5", FinalState::Undeliverable),
        ];
        for (text, state) in cases {
            assert_eq!(FinalState::from_stat(text), Some(state), "{text:?}");
        }
        for bad in ["", "DELIV", "OK", "0", "10", "DELIVRDX"] {
            assert_eq!(FinalState::from_stat(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn finality() {
        let finals: Vec<_> = ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(
            finals,
            [
                FinalState::Delivered,
                FinalState::Expired,
                FinalState::Deleted,
                FinalState::Undeliverable,
                FinalState::Rejected,
                FinalState::Skipped,
            ]
        );
        // ACCEPTD is usually followed by the real outcome; see is_final.
        assert!(!FinalState::Accepted.is_final());
    }
}

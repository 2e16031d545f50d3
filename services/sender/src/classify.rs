//! What an SMPP command_status means for the message (SMPP 3.4 §5.1.3).

use smpp::status::*;

/// How the sender reacts to a submit_sm_resp status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// The SMSC wants us slower: pause the connection and retry, not counted as an attempt.
    Throttled,
    /// Worth retrying with backoff, up to `max_retries`.
    Temporary,
    /// Retrying cannot help: the message FAILS with this status.
    Permanent,
}

/// Classifies `status`; `extra_temporary` comes from the connection's `temporary_errors`.
pub fn classify(status: u32, extra_temporary: &[u32]) -> Verdict {
    match status {
        ESME_ROK => Verdict::Accepted,
        ESME_RTHROTTLED | ESME_RMSGQFUL => Verdict::Throttled,
        // System errors, "submit failed", temporary application errors, and
        // "invalid bind status" (the SMSC lost our bind state) may pass.
        ESME_RSYSERR | ESME_RSUBMITFAIL | ESME_RX_T_APPN | ESME_RINVBNDSTS | ESME_RUNKNOWNERR => Verdict::Temporary,
        s if extra_temporary.contains(&s) => Verdict::Temporary,
        _ => Verdict::Permanent,
    }
}

/// The normalised error code published in status events for an SMPP status.
pub fn error_code(status: u32) -> &'static str {
    match status {
        ESME_RINVDSTADR | ESME_RINVDSTTON | ESME_RINVDSTNPI => "invalid_destination",
        ESME_RINVSRCADR | ESME_RINVSRCTON | ESME_RINVSRCNPI => "invalid_source",
        ESME_RINVMSGLEN => "invalid_length",
        ESME_RTHROTTLED | ESME_RMSGQFUL => "throttled",
        ESME_RINVEXPIRY => "invalid_expiry",
        ESME_RX_R_APPN | ESME_RX_P_APPN => "refused_by_smsc",
        _ => "smsc_error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_not_an_error() {
        assert_eq!(classify(ESME_RTHROTTLED, &[]), Verdict::Throttled);
        assert_eq!(classify(ESME_RMSGQFUL, &[]), Verdict::Throttled);
    }

    #[test]
    fn temporary_and_permanent() {
        assert_eq!(classify(ESME_ROK, &[]), Verdict::Accepted);
        assert_eq!(classify(ESME_RSYSERR, &[]), Verdict::Temporary);
        assert_eq!(classify(ESME_RINVDSTADR, &[]), Verdict::Permanent);
        assert_eq!(classify(0x0400, &[]), Verdict::Permanent, "vendor codes are permanent by default");
        assert_eq!(classify(0x0400, &[0x0400]), Verdict::Temporary, "unless configured");
        assert_eq!(error_code(ESME_RINVDSTADR), "invalid_destination");
    }
}

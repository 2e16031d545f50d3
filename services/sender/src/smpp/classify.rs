//! What an SMPP command_status means for the message (SMPP 3.4 §5.1.3).

use events::ErrorCode;
use smpp::status::*;

use crate::link::{Answer, Verdict};

/// The answer a submit_sm_resp gives.
pub fn answer(status: u32, message_id: String, extra_temporary: &[u32]) -> Answer {
    match classify(status, extra_temporary) {
        Verdict::Accepted => Answer::accepted(message_id),
        verdict => Answer {
            verdict,
            message_id: String::new(),
            protocol_code: status as i32,
            error_code: Some(error_code(status)),
            text: smpp::status_name(status).to_owned(),
        },
    }
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
pub fn error_code(status: u32) -> ErrorCode {
    match status {
        ESME_RINVDSTADR | ESME_RINVDSTTON | ESME_RINVDSTNPI => ErrorCode::InvalidDestination,
        ESME_RINVSRCADR | ESME_RINVSRCTON | ESME_RINVSRCNPI => ErrorCode::InvalidSource,
        ESME_RINVMSGLEN => ErrorCode::InvalidLength,
        ESME_RTHROTTLED | ESME_RMSGQFUL => ErrorCode::Throttled,
        ESME_RINVEXPIRY => ErrorCode::InvalidExpiry,
        ESME_RX_R_APPN | ESME_RX_P_APPN => ErrorCode::RefusedBySmsc,
        _ => ErrorCode::SmscError,
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
        assert_eq!(error_code(ESME_RINVDSTADR).as_str(), "invalid_destination");
    }

    #[test]
    fn answers_carry_the_status() {
        assert_eq!(answer(ESME_ROK, "7".into(), &[]), Answer::accepted("7".into()));
        let a = answer(ESME_RINVDSTADR, "ignored".into(), &[]);
        assert_eq!((a.verdict, a.protocol_code, a.code()), (Verdict::Permanent, 0x0B, "invalid_destination"));
        assert!(a.message_id.is_empty());
        assert_eq!(a.text, smpp::status_name(ESME_RINVDSTADR));
    }
}

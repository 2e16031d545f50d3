//! The error codes the UCP and CIMD2 front-ends answer with, and how an
//! injected SMPP `error_status` ([`crate::SimConfig::error_status`]) reads in
//! each protocol.
//!
//! **UCP** (EMI 4.x, §8 error code list, as `ucp::error_code`): the list has
//! no "throttling" and no "system error". Throttling is NACK 04 "operation
//! not allowed" with SM `throttling` — 04 is what the spec gives for an
//! operation refused at this moment and what throttling SMSCs send; the SM
//! text is the only thing telling it apart from other 04s. An injected system
//! error is also 04 (SM `system error`); invalid destination, message too
//! long, validity period and authentication errors have their own codes.
//!
//! **CIMD2** (Nokia "CIMD Interface Specification", 7.3 error codes, the list
//! Kannel's `smsc_cimd2.c` carries): 6 "general system error" for an injected
//! system error, 9 "requested operation failed" with 901 `throttling` for
//! throttling (the spec has no throttling code either), 100 "invalid login",
//! 1 "unexpected operation" for a request out of turn or unknown, 3xx for
//! submit parameters.

use smpp::status;

/// UCP NACK for throttling: (EC, SM).
pub const UCP_THROTTLED: (u8, &str) = (ucp::error_code::OPERATION_NOT_ALLOWED, "throttling");

/// UCP NACK for an injected SMPP `command_status`: (EC, SM).
pub fn ucp_error(smpp_status: u32) -> (u8, &'static str) {
    use ucp::error_code as ec;
    match smpp_status {
        status::ESME_RTHROTTLED | status::ESME_RMSGQFUL => UCP_THROTTLED,
        status::ESME_RINVDSTADR => (ec::ADC_INVALID, ""),
        status::ESME_RINVMSGLEN => (ec::MESSAGE_TOO_LONG, ""),
        status::ESME_RINVEXPIRY | status::ESME_RINVSCHED => (ec::TIME_PERIOD_NOT_VALID, ""),
        status::ESME_RINVPASWD | status::ESME_RINVSYSID | status::ESME_RBINDFAIL => (ec::AUTHENTICATION_FAILURE, ""),
        _ => (ec::OPERATION_NOT_ALLOWED, "system error"),
    }
}

use cimd2::error_code as cimd2_code;

/// CIMD2 error code 1, "unexpected operation".
pub const CIMD2_UNEXPECTED_OPERATION: u16 = cimd2_code::UNEXPECTED_OPERATION;
/// CIMD2 error code 6, "general system error".
pub const CIMD2_GENERAL_SYSTEM_ERROR: u16 = cimd2_code::GENERAL_SYSTEM_ERROR;
/// CIMD2 error code 9, "requested operation failed".
pub const CIMD2_OPERATION_FAILED: u16 = cimd2_code::OPERATION_FAILED;
/// CIMD2 error code 100, "invalid login".
pub const CIMD2_INVALID_LOGIN: u16 = cimd2_code::INVALID_LOGIN;
/// CIMD2 error code 300, "incorrect destination address".
pub const CIMD2_INCORRECT_DESTINATION: u16 = cimd2_code::INCORRECT_DESTINATION;

/// CIMD2 submit response error for throttling: (900, 901).
pub const CIMD2_THROTTLED: (u16, &str) = (CIMD2_OPERATION_FAILED, "throttling");

/// CIMD2 submit response error for an injected SMPP `command_status`: (900, 901).
pub fn cimd2_error(smpp_status: u32) -> (u16, &'static str) {
    let named = |code| (code, cimd2_code::name(code));
    match smpp_status {
        status::ESME_RTHROTTLED | status::ESME_RMSGQFUL => CIMD2_THROTTLED,
        status::ESME_RINVDSTADR => named(cimd2_code::INCORRECT_DESTINATION),
        status::ESME_RINVSRCADR => named(cimd2_code::INCORRECT_ORIGINATOR),
        status::ESME_RINVMSGLEN => named(cimd2_code::USER_DATA_SYNTAX),
        status::ESME_RINVEXPIRY => named(cimd2_code::INCORRECT_VALIDITY),
        status::ESME_RINVSCHED => named(cimd2_code::INCORRECT_FIRST_DELIVERY),
        _ => named(cimd2_code::GENERAL_SYSTEM_ERROR),
    }
}

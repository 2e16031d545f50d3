//! Error codes of negative results (EMI 4.x spec §4.2.2 and the error code
//! list of §8 "Error codes"; the numbers here are those that apply to the
//! operations this crate models).

pub const CHECKSUM_ERROR: u8 = 1;
pub const SYNTAX_ERROR: u8 = 2;
/// What to answer an operation we do not support with.
pub const OPERATION_NOT_SUPPORTED: u8 = 3;
/// E.g. a submit before the login was accepted.
pub const OPERATION_NOT_ALLOWED: u8 = 4;
pub const CALL_BARRING_ACTIVE: u8 = 5;
pub const ADC_INVALID: u8 = 6;
pub const AUTHENTICATION_FAILURE: u8 = 7;
pub const LEGITIMISATION_CODE_FAILURE: u8 = 8;
pub const GA_NOT_VALID: u8 = 9;
pub const REPETITION_NOT_ALLOWED: u8 = 10;
pub const PRIORITY_CALL_NOT_ALLOWED: u8 = 12;
pub const URGENT_MESSAGE_NOT_ALLOWED: u8 = 14;
pub const REVERSE_CHARGING_NOT_ALLOWED: u8 = 16;
pub const DEFERRED_DELIVERY_NOT_ALLOWED: u8 = 18;
pub const NEW_AC_NOT_VALID: u8 = 19;
pub const NEW_LEGITIMISATION_CODE_NOT_VALID: u8 = 20;
pub const STANDARD_TEXT_NOT_VALID: u8 = 21;
pub const TIME_PERIOD_NOT_VALID: u8 = 22;
pub const MESSAGE_TYPE_NOT_SUPPORTED: u8 = 23;
pub const MESSAGE_TOO_LONG: u8 = 24;
pub const REQUESTED_STANDARD_TEXT_NOT_VALID: u8 = 25;
pub const MESSAGE_TYPE_NOT_VALID_FOR_PAGER: u8 = 26;
pub const MESSAGE_NOT_FOUND: u8 = 27;
pub const SUBSCRIBER_HANG_UP: u8 = 30;
pub const FAX_GROUP_NOT_SUPPORTED: u8 = 31;
pub const FAX_MESSAGE_TYPE_NOT_SUPPORTED: u8 = 32;
pub const ADDRESS_ALREADY_IN_LIST: u8 = 33;
pub const ADDRESS_NOT_IN_LIST: u8 = 34;
pub const LIST_FULL: u8 = 35;
pub const RPID_ALREADY_IN_USE: u8 = 36;
pub const DELIVERY_IN_PROGRESS: u8 = 37;
pub const MESSAGE_FORWARDED: u8 = 38;

/// A short lowercase name for logs and metrics, `"unknown"` otherwise.
pub fn error_code_name(ec: u8) -> &'static str {
    match ec {
        CHECKSUM_ERROR => "checksum error",
        SYNTAX_ERROR => "syntax error",
        OPERATION_NOT_SUPPORTED => "operation not supported",
        OPERATION_NOT_ALLOWED => "operation not allowed",
        CALL_BARRING_ACTIVE => "call barring active",
        ADC_INVALID => "adc invalid",
        AUTHENTICATION_FAILURE => "authentication failure",
        LEGITIMISATION_CODE_FAILURE => "legitimisation code failure",
        GA_NOT_VALID => "ga not valid",
        REPETITION_NOT_ALLOWED => "repetition not allowed",
        PRIORITY_CALL_NOT_ALLOWED => "priority call not allowed",
        URGENT_MESSAGE_NOT_ALLOWED => "urgent message not allowed",
        REVERSE_CHARGING_NOT_ALLOWED => "reverse charging not allowed",
        DEFERRED_DELIVERY_NOT_ALLOWED => "deferred delivery not allowed",
        NEW_AC_NOT_VALID => "new ac not valid",
        NEW_LEGITIMISATION_CODE_NOT_VALID => "new legitimisation code not valid",
        STANDARD_TEXT_NOT_VALID => "standard text not valid",
        TIME_PERIOD_NOT_VALID => "time period not valid",
        MESSAGE_TYPE_NOT_SUPPORTED => "message type not supported",
        MESSAGE_TOO_LONG => "message too long",
        REQUESTED_STANDARD_TEXT_NOT_VALID => "requested standard text not valid",
        MESSAGE_TYPE_NOT_VALID_FOR_PAGER => "message type not valid for the pager type",
        MESSAGE_NOT_FOUND => "message not found",
        SUBSCRIBER_HANG_UP => "subscriber hang-up",
        FAX_GROUP_NOT_SUPPORTED => "fax group not supported",
        FAX_MESSAGE_TYPE_NOT_SUPPORTED => "fax message type not supported",
        ADDRESS_ALREADY_IN_LIST => "address already in list",
        ADDRESS_NOT_IN_LIST => "address not in list",
        LIST_FULL => "list full",
        RPID_ALREADY_IN_USE => "rpid already in use",
        DELIVERY_IN_PROGRESS => "delivery in progress",
        MESSAGE_FORWARDED => "message forwarded",
        _ => "unknown",
    }
}

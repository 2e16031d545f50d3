//! The error codes of CIMD2 responses (parameter 900; the Nokia "CIMD
//! Interface Specification", error codes, the list Kannel's
//! `smsc_cimd2.c` carries), shared by the link and the simulator so both
//! sides speak the same numbers. Parameter 901 carries free text.

/// The request came out of turn, or its operation is unknown.
pub const UNEXPECTED_OPERATION: u16 = 1;
/// The request's parameters could not be read.
pub const SYNTAX_ERROR: u16 = 2;
/// The connection to the message center was lost (worth retrying).
pub const CONNECTION_LOST: u16 = 4;
/// The message center did not answer (worth retrying).
pub const NO_RESPONSE: u16 = 5;
/// General system error (worth retrying).
pub const GENERAL_SYSTEM_ERROR: u16 = 6;
/// Requested operation failed; with 901 text naming throttling, a request
/// to slow down (the specification has no throttling code).
pub const OPERATION_FAILED: u16 = 9;
/// Invalid login.
pub const INVALID_LOGIN: u16 = 100;
/// Incorrect destination address.
pub const INCORRECT_DESTINATION: u16 = 300;
/// Incorrect number of destination addresses.
pub const INCORRECT_DESTINATION_COUNT: u16 = 301;
/// Syntax error in the user data parameter.
pub const USER_DATA_SYNTAX: u16 = 302;
/// Incorrect validity period parameters usage.
pub const INCORRECT_VALIDITY: u16 = 305;
/// Incorrect originator address usage.
pub const INCORRECT_ORIGINATOR: u16 = 306;
/// Incorrect first delivery parameter usage.
pub const INCORRECT_FIRST_DELIVERY: u16 = 308;

/// The specification's name for `code`, for logs and event texts.
pub fn name(code: u16) -> &'static str {
    match code {
        UNEXPECTED_OPERATION => "unexpected operation",
        SYNTAX_ERROR => "syntax error",
        CONNECTION_LOST => "connection to message center lost",
        NO_RESPONSE => "no response from message center",
        GENERAL_SYSTEM_ERROR => "general system error",
        OPERATION_FAILED => "requested operation failed",
        INVALID_LOGIN => "invalid login",
        INCORRECT_DESTINATION => "incorrect destination address",
        INCORRECT_DESTINATION_COUNT => "incorrect number of destination addresses",
        USER_DATA_SYNTAX => "syntax error in user data parameter",
        INCORRECT_VALIDITY => "incorrect validity period parameters usage",
        INCORRECT_ORIGINATOR => "incorrect originator address usage",
        INCORRECT_FIRST_DELIVERY => "incorrect first delivery parameter usage",
        _ => "",
    }
}

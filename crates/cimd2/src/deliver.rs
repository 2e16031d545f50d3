//! Deliver message (20) and deliver status report (23), the two requests the
//! SMSC sends (spec chapter "Operations", "Deliver message" and "Deliver
//! status report"). The application answers them with 70 and 73 carrying
//! the same packet number ([`crate::Packet::response_to`]).

use bytes::Bytes;

use crate::error::ParamError;
use crate::param::{code, Param, Params, Writer};
use crate::EncodeError;

/// Deliver message (20): a mobile-originated message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliverMessage {
    /// 021, the application's number the message was sent to.
    pub destination: Option<String>,
    /// 023, the sender.
    pub originating_address: Option<String>,
    /// 027, an alphanumeric sender.
    pub alphanumeric_originating_address: Option<String>,
    /// 030.
    pub data_coding_scheme: Option<u8>,
    /// 032, the UDH octets.
    pub user_data_header: Option<Bytes>,
    /// 033, CIMD text as on the wire; see [`crate::charset`].
    pub user_data: Option<Bytes>,
    /// 034, binary user data octets.
    pub user_data_binary: Option<Bytes>,
    /// 044.
    pub more_messages_to_send: Option<u8>,
    /// 052.
    pub protocol_identifier: Option<u8>,
    /// 060, when the SMSC received the message (`yyMMddhhmmss`, SMSC local
    /// time).
    pub mc_timestamp: Option<String>,
    /// Parameters not listed above (026 originating IMSI, 028 visited MSC,
    /// 055 reply path, ...), in wire order.
    pub extra: Vec<Param>,
}

impl DeliverMessage {
    pub(crate) fn decode(mut p: Params) -> Result<Self, ParamError> {
        Ok(Self {
            destination: p.string(code::DESTINATION_ADDRESS),
            originating_address: p.string(code::ORIGINATING_ADDRESS),
            alphanumeric_originating_address: p.string(code::ALPHANUMERIC_ORIGINATING_ADDRESS),
            data_coding_scheme: p.int(code::DATA_CODING_SCHEME)?,
            user_data_header: p.hex(code::USER_DATA_HEADER)?,
            user_data: p.raw(code::USER_DATA),
            user_data_binary: p.hex(code::USER_DATA_BINARY)?,
            more_messages_to_send: p.int(code::MORE_MESSAGES_TO_SEND)?,
            protocol_identifier: p.int(code::PROTOCOL_IDENTIFIER)?,
            mc_timestamp: p.string(code::SERVICE_CENTRE_TIMESTAMP),
            extra: p.rest(),
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.opt_string(code::DESTINATION_ADDRESS, self.destination.as_deref())?;
        w.opt_string(code::ORIGINATING_ADDRESS, self.originating_address.as_deref())?;
        w.opt_string(code::ALPHANUMERIC_ORIGINATING_ADDRESS, self.alphanumeric_originating_address.as_deref())?;
        w.opt_string(code::SERVICE_CENTRE_TIMESTAMP, self.mc_timestamp.as_deref())?;
        w.opt_int(code::DATA_CODING_SCHEME, self.data_coding_scheme)?;
        w.opt_int(code::PROTOCOL_IDENTIFIER, self.protocol_identifier)?;
        w.opt_hex(code::USER_DATA_HEADER, self.user_data_header.as_deref())?;
        w.opt_raw(code::USER_DATA, self.user_data.as_deref())?;
        w.opt_hex(code::USER_DATA_BINARY, self.user_data_binary.as_deref())?;
        w.opt_int(code::MORE_MESSAGES_TO_SEND, self.more_messages_to_send)?;
        w.extra(&self.extra)
    }
}

/// Deliver status report (23): what became of a submitted message. It names
/// the message by the destination and service centre timestamp that the
/// submit response (53) carried.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliverStatusReport {
    /// 021, the destination of the original message.
    pub destination: Option<String>,
    /// 060, the service centre timestamp of the original message.
    pub mc_timestamp: Option<String>,
    /// 061; see [`status_code_name`].
    pub status_code: Option<u8>,
    /// 062, why delivery failed (GSM network error codes).
    pub status_error_code: Option<u16>,
    /// 063, when the status was reached (`yyMMddhhmmss`).
    pub discharge_time: Option<String>,
    /// Parameters not listed above, in wire order.
    pub extra: Vec<Param>,
}

impl DeliverStatusReport {
    pub(crate) fn decode(mut p: Params) -> Result<Self, ParamError> {
        Ok(Self {
            destination: p.string(code::DESTINATION_ADDRESS),
            mc_timestamp: p.string(code::SERVICE_CENTRE_TIMESTAMP),
            status_code: p.int(code::STATUS_CODE)?,
            status_error_code: p.int(code::STATUS_ERROR_CODE)?,
            discharge_time: p.string(code::DISCHARGE_TIME),
            extra: p.rest(),
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.opt_string(code::DESTINATION_ADDRESS, self.destination.as_deref())?;
        w.opt_string(code::SERVICE_CENTRE_TIMESTAMP, self.mc_timestamp.as_deref())?;
        w.opt_int(code::STATUS_CODE, self.status_code)?;
        w.opt_int(code::STATUS_ERROR_CODE, self.status_error_code)?;
        w.opt_string(code::DISCHARGE_TIME, self.discharge_time.as_deref())?;
        w.extra(&self.extra)
    }
}

/// The spec's name for a status code (parameter 061), or `"unknown"`.
pub fn status_code_name(code: u8) -> &'static str {
    match code {
        1 => "in process",
        2 => "validity period expired",
        3 => "delivery failed",
        4 => "delivery successful",
        5 => "no response",
        6 => "last no response",
        7 => "message cancelled",
        8 => "message deleted",
        9 => "message deleted by cancel",
        _ => "unknown",
    }
}

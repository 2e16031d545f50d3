//! Submit message (03) (spec chapter "Operations", "Submit message"); its
//! response (53) is a [`crate::Response`] with the destination and the
//! service centre timestamp that identify the message.

use bytes::Bytes;

use crate::error::ParamError;
use crate::param::{code, Param, Params, Writer};
use crate::EncodeError;

/// Submit message (03): a mobile-terminated message from the application.
///
/// Integer fields are `u8`/`u16` wide enough for the spec's ranges; the spec
/// ranges themselves are not enforced here (the SMSC answers out-of-range
/// values with error codes 3xx).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Submit {
    /// 021, one or more (the spec allows a list; most SMSCs take one).
    pub destinations: Vec<String>,
    /// 023, digits; the SMSC may prefix it with the connection's number.
    pub originating_address: Option<String>,
    /// 027, up to 11 characters, instead of 023.
    pub alphanumeric_originating_address: Option<String>,
    /// 030, the GSM 03.38 data coding scheme.
    pub data_coding_scheme: Option<u8>,
    /// 032, the user data header (UDH) octets; written as hex.
    pub user_data_header: Option<Bytes>,
    /// 033, text in the CIMD character set exactly as on the wire; see
    /// [`crate::charset`] to convert from and to Unicode.
    pub user_data: Option<Bytes>,
    /// 034, binary user data octets; written as hex. Instead of 033.
    pub user_data_binary: Option<Bytes>,
    /// 044, 1 when more messages follow (kept open by the SMSC).
    pub more_messages_to_send: Option<u8>,
    /// 050, GSM 03.40 relative validity period (0-255).
    pub validity_period_relative: Option<u8>,
    /// 051, `yyMMddhhmmss` in the SMSC's local time.
    pub validity_period_absolute: Option<String>,
    /// 052, the GSM 03.40 protocol identifier.
    pub protocol_identifier: Option<u8>,
    /// 053, relative first delivery time.
    pub first_delivery_time_relative: Option<u8>,
    /// 054, `yyMMddhhmmss`.
    pub first_delivery_time_absolute: Option<String>,
    /// 055, 1 to request the reply path.
    pub reply_path: Option<u8>,
    /// 056, the status report request bit mask (1 temporary error,
    /// 2 validity period expired, 4 delivery failed, 8 delivered,
    /// 16 message cancelled, 32 message deleted by the operator).
    pub status_report_request: Option<u8>,
    /// 058, 1 to allow cancelling.
    pub cancel_enabled: Option<u8>,
    /// 064, the tariff class.
    pub tariff_class: Option<u8>,
    /// 065, the service description.
    pub service_description: Option<u8>,
    /// 067, the priority (1 highest to 9 lowest).
    pub priority: Option<u8>,
    /// Parameters not listed above, in wire order.
    pub extra: Vec<Param>,
}

impl Submit {
    pub(crate) fn decode(mut p: Params) -> Result<Self, ParamError> {
        Ok(Self {
            destinations: p.all_strings(code::DESTINATION_ADDRESS),
            originating_address: p.string(code::ORIGINATING_ADDRESS),
            alphanumeric_originating_address: p.string(code::ALPHANUMERIC_ORIGINATING_ADDRESS),
            data_coding_scheme: p.int(code::DATA_CODING_SCHEME)?,
            user_data_header: p.hex(code::USER_DATA_HEADER)?,
            user_data: p.raw(code::USER_DATA),
            user_data_binary: p.hex(code::USER_DATA_BINARY)?,
            more_messages_to_send: p.int(code::MORE_MESSAGES_TO_SEND)?,
            validity_period_relative: p.int(code::VALIDITY_PERIOD_RELATIVE)?,
            validity_period_absolute: p.string(code::VALIDITY_PERIOD_ABSOLUTE),
            protocol_identifier: p.int(code::PROTOCOL_IDENTIFIER)?,
            first_delivery_time_relative: p.int(code::FIRST_DELIVERY_TIME_RELATIVE)?,
            first_delivery_time_absolute: p.string(code::FIRST_DELIVERY_TIME_ABSOLUTE),
            reply_path: p.int(code::REPLY_PATH)?,
            status_report_request: p.int(code::STATUS_REPORT_REQUEST)?,
            cancel_enabled: p.int(code::CANCEL_ENABLED)?,
            tariff_class: p.int(code::TARIFF_CLASS)?,
            service_description: p.int(code::SERVICE_DESCRIPTION)?,
            priority: p.int(code::PRIORITY)?,
            extra: p.rest(),
        })
    }

    /// In the order of the spec's parameter table for submit.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        for d in &self.destinations {
            w.string(code::DESTINATION_ADDRESS, d)?;
        }
        w.opt_string(code::ORIGINATING_ADDRESS, self.originating_address.as_deref())?;
        w.opt_string(code::ALPHANUMERIC_ORIGINATING_ADDRESS, self.alphanumeric_originating_address.as_deref())?;
        w.opt_int(code::DATA_CODING_SCHEME, self.data_coding_scheme)?;
        w.opt_hex(code::USER_DATA_HEADER, self.user_data_header.as_deref())?;
        w.opt_raw(code::USER_DATA, self.user_data.as_deref())?;
        w.opt_hex(code::USER_DATA_BINARY, self.user_data_binary.as_deref())?;
        w.opt_int(code::MORE_MESSAGES_TO_SEND, self.more_messages_to_send)?;
        w.opt_int(code::VALIDITY_PERIOD_RELATIVE, self.validity_period_relative)?;
        w.opt_string(code::VALIDITY_PERIOD_ABSOLUTE, self.validity_period_absolute.as_deref())?;
        w.opt_int(code::PROTOCOL_IDENTIFIER, self.protocol_identifier)?;
        w.opt_int(code::FIRST_DELIVERY_TIME_RELATIVE, self.first_delivery_time_relative)?;
        w.opt_string(code::FIRST_DELIVERY_TIME_ABSOLUTE, self.first_delivery_time_absolute.as_deref())?;
        w.opt_int(code::REPLY_PATH, self.reply_path)?;
        w.opt_int(code::STATUS_REPORT_REQUEST, self.status_report_request)?;
        w.opt_int(code::CANCEL_ENABLED, self.cancel_enabled)?;
        w.opt_int(code::TARIFF_CLASS, self.tariff_class)?;
        w.opt_int(code::SERVICE_DESCRIPTION, self.service_description)?;
        w.opt_int(code::PRIORITY, self.priority)?;
        w.extra(&self.extra)
    }
}

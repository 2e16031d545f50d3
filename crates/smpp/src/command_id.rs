//! SMPP command ids (spec 5.1.2): the error types, the PDU envelope and the
//! codec all name them.

use std::fmt;

/// An SMPP `command_id` (spec 5.1.2). A newtype rather than an enum so that
/// ids we do not model (vendor extensions, `query_sm`, ...) still have a value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(pub u32);

impl CommandId {
    pub const GENERIC_NACK: Self = Self(0x8000_0000);
    pub const BIND_RECEIVER: Self = Self(0x0000_0001);
    pub const BIND_RECEIVER_RESP: Self = Self(0x8000_0001);
    pub const BIND_TRANSMITTER: Self = Self(0x0000_0002);
    pub const BIND_TRANSMITTER_RESP: Self = Self(0x8000_0002);
    pub const QUERY_SM: Self = Self(0x0000_0003);
    pub const QUERY_SM_RESP: Self = Self(0x8000_0003);
    pub const SUBMIT_SM: Self = Self(0x0000_0004);
    pub const SUBMIT_SM_RESP: Self = Self(0x8000_0004);
    pub const DELIVER_SM: Self = Self(0x0000_0005);
    pub const DELIVER_SM_RESP: Self = Self(0x8000_0005);
    pub const UNBIND: Self = Self(0x0000_0006);
    pub const UNBIND_RESP: Self = Self(0x8000_0006);
    pub const REPLACE_SM: Self = Self(0x0000_0007);
    pub const REPLACE_SM_RESP: Self = Self(0x8000_0007);
    pub const CANCEL_SM: Self = Self(0x0000_0008);
    pub const CANCEL_SM_RESP: Self = Self(0x8000_0008);
    pub const BIND_TRANSCEIVER: Self = Self(0x0000_0009);
    pub const BIND_TRANSCEIVER_RESP: Self = Self(0x8000_0009);
    pub const OUTBIND: Self = Self(0x0000_000B);
    pub const ENQUIRE_LINK: Self = Self(0x0000_0015);
    pub const ENQUIRE_LINK_RESP: Self = Self(0x8000_0015);
    pub const SUBMIT_MULTI: Self = Self(0x0000_0021);
    pub const SUBMIT_MULTI_RESP: Self = Self(0x8000_0021);
    pub const ALERT_NOTIFICATION: Self = Self(0x0000_0102);
    pub const DATA_SM: Self = Self(0x0000_0103);
    pub const DATA_SM_RESP: Self = Self(0x8000_0103);

    /// Responses have the top bit set (spec 5.1.2.1).
    pub fn is_response(self) -> bool {
        self.0 & 0x8000_0000 != 0
    }

    /// The id of the response to this request id.
    pub fn response(self) -> Self {
        Self(self.0 | 0x8000_0000)
    }

    /// The spec's name, or `"unknown"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::GENERIC_NACK => "generic_nack",
            Self::BIND_RECEIVER => "bind_receiver",
            Self::BIND_RECEIVER_RESP => "bind_receiver_resp",
            Self::BIND_TRANSMITTER => "bind_transmitter",
            Self::BIND_TRANSMITTER_RESP => "bind_transmitter_resp",
            Self::QUERY_SM => "query_sm",
            Self::QUERY_SM_RESP => "query_sm_resp",
            Self::SUBMIT_SM => "submit_sm",
            Self::SUBMIT_SM_RESP => "submit_sm_resp",
            Self::DELIVER_SM => "deliver_sm",
            Self::DELIVER_SM_RESP => "deliver_sm_resp",
            Self::UNBIND => "unbind",
            Self::UNBIND_RESP => "unbind_resp",
            Self::REPLACE_SM => "replace_sm",
            Self::REPLACE_SM_RESP => "replace_sm_resp",
            Self::CANCEL_SM => "cancel_sm",
            Self::CANCEL_SM_RESP => "cancel_sm_resp",
            Self::BIND_TRANSCEIVER => "bind_transceiver",
            Self::BIND_TRANSCEIVER_RESP => "bind_transceiver_resp",
            Self::OUTBIND => "outbind",
            Self::ENQUIRE_LINK => "enquire_link",
            Self::ENQUIRE_LINK_RESP => "enquire_link_resp",
            Self::SUBMIT_MULTI => "submit_multi",
            Self::SUBMIT_MULTI_RESP => "submit_multi_resp",
            Self::ALERT_NOTIFICATION => "alert_notification",
            Self::DATA_SM => "data_sm",
            Self::DATA_SM_RESP => "data_sm_resp",
            _ => "unknown",
        }
    }
}

impl fmt::Debug for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(0x{:08x})", self.name(), self.0)
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

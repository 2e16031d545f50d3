//! The PDU envelope: header fields plus a [`Body`] per command (spec 3.2, 4).

use bytes::Bytes;

use crate::bind::{Bind, BindResp, Outbind};
pub use crate::command_id::CommandId;
use crate::data_sm::DataSm;
use crate::sm::{Sm, SmResp};
use crate::status;

/// One SMPP PDU. `command_length` is derived on encode and `command_id`
/// comes from the [`Body`] variant, so neither is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    pub sequence: u32,
    /// `command_status`; see [`crate::status`]. Always 0 in requests.
    pub status: u32,
    pub body: Body,
}

/// The command-specific part of a PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    BindTransmitter(Bind),
    BindReceiver(Bind),
    BindTransceiver(Bind),
    BindTransmitterResp(BindResp),
    BindReceiverResp(BindResp),
    BindTransceiverResp(BindResp),
    Outbind(Outbind),
    Unbind,
    UnbindResp,
    SubmitSm(Sm),
    SubmitSmResp(SmResp),
    DeliverSm(Sm),
    DeliverSmResp(SmResp),
    DataSm(DataSm),
    DataSmResp(SmResp),
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    /// A command we do not model. Kept raw so a proxy can pass it on and the
    /// session can answer it with `generic_nack`/`ESME_RINVCMDID`.
    Unknown {
        command_id: u32,
        body: Bytes,
    },
}

impl Body {
    pub fn command_id(&self) -> CommandId {
        match self {
            Body::BindTransmitter(_) => CommandId::BIND_TRANSMITTER,
            Body::BindReceiver(_) => CommandId::BIND_RECEIVER,
            Body::BindTransceiver(_) => CommandId::BIND_TRANSCEIVER,
            Body::BindTransmitterResp(_) => CommandId::BIND_TRANSMITTER_RESP,
            Body::BindReceiverResp(_) => CommandId::BIND_RECEIVER_RESP,
            Body::BindTransceiverResp(_) => CommandId::BIND_TRANSCEIVER_RESP,
            Body::Outbind(_) => CommandId::OUTBIND,
            Body::Unbind => CommandId::UNBIND,
            Body::UnbindResp => CommandId::UNBIND_RESP,
            Body::SubmitSm(_) => CommandId::SUBMIT_SM,
            Body::SubmitSmResp(_) => CommandId::SUBMIT_SM_RESP,
            Body::DeliverSm(_) => CommandId::DELIVER_SM,
            Body::DeliverSmResp(_) => CommandId::DELIVER_SM_RESP,
            Body::DataSm(_) => CommandId::DATA_SM,
            Body::DataSmResp(_) => CommandId::DATA_SM_RESP,
            Body::EnquireLink => CommandId::ENQUIRE_LINK,
            Body::EnquireLinkResp => CommandId::ENQUIRE_LINK_RESP,
            Body::GenericNack => CommandId::GENERIC_NACK,
            Body::Unknown { command_id, .. } => CommandId(*command_id),
        }
    }

    /// A response body with empty fields for the request `id`, used to answer
    /// a request with an error status. `None` for responses, `outbind` and
    /// ids we do not model (those get `generic_nack`).
    pub fn empty_response_to(id: CommandId) -> Option<Body> {
        Some(match id {
            CommandId::BIND_TRANSMITTER => Body::BindTransmitterResp(BindResp::default()),
            CommandId::BIND_RECEIVER => Body::BindReceiverResp(BindResp::default()),
            CommandId::BIND_TRANSCEIVER => Body::BindTransceiverResp(BindResp::default()),
            CommandId::UNBIND => Body::UnbindResp,
            CommandId::SUBMIT_SM => Body::SubmitSmResp(SmResp::default()),
            CommandId::DELIVER_SM => Body::DeliverSmResp(SmResp::default()),
            CommandId::DATA_SM => Body::DataSmResp(SmResp::default()),
            CommandId::ENQUIRE_LINK => Body::EnquireLinkResp,
            _ => return None,
        })
    }
}

impl Pdu {
    /// A request (status 0).
    pub fn new(sequence: u32, body: Body) -> Self {
        Self { sequence, status: status::ESME_ROK, body }
    }

    /// A response to `req`: same sequence number.
    pub fn response_to(req: &Pdu, status: u32, body: Body) -> Self {
        Self { sequence: req.sequence, status, body }
    }

    /// `generic_nack` for `sequence` (spec 4.3).
    pub fn generic_nack(sequence: u32, status: u32) -> Self {
        Self { sequence, status, body: Body::GenericNack }
    }

    pub fn command_id(&self) -> CommandId {
        self.body.command_id()
    }

    pub fn is_response(&self) -> bool {
        self.command_id().is_response()
    }
}

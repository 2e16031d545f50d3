//! The message envelope: TRN, O/R and OT from the header plus a [`Body`] per
//! operation (EMI 4.x spec §2, "Structure of EMI messages").

use crate::alert::Alert;
pub use crate::header::{Header, Kind, Ot, Trn};
use crate::login::Login;
use crate::result::{Ack, Nack};
use crate::sm::Sm;

/// One UCP message. LEN and the checksum are derived on encode, O/R and OT come
/// from the [`Body`] variant, so neither is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub trn: Trn,
    pub body: Body,
}

/// The operation-specific part of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// O/31 (§4.6).
    Alert(Alert),
    /// O/51 (§5.3).
    Submit(Sm),
    /// O/52 (§5.4).
    Deliver(Sm),
    /// O/53 (§5.5).
    Notification(Sm),
    /// O/60 (§6.3).
    Login(Login),
    /// R/xx/A: positive result of any operation.
    Ack(Ack),
    /// R/xx/N: negative result of any operation.
    Nack(Nack),
    /// An operation or result we do not model, with its data fields as they came
    /// (checksum excluded), so the caller can NACK it with
    /// [`crate::error_code::OPERATION_NOT_SUPPORTED`] or pass it on.
    Unknown { ot: Ot, kind: Kind, fields: Vec<String> },
}

impl Body {
    pub fn ot(&self) -> Ot {
        match self {
            Body::Alert(_) => Ot::ALERT,
            Body::Submit(_) => Ot::SUBMIT,
            Body::Deliver(_) => Ot::DELIVER,
            Body::Notification(_) => Ot::NOTIFICATION,
            Body::Login(_) => Ot::SESSION,
            Body::Ack(a) => a.ot,
            Body::Nack(n) => n.ot,
            Body::Unknown { ot, .. } => *ot,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Body::Ack(_) | Body::Nack(_) => Kind::Result,
            Body::Unknown { kind, .. } => *kind,
            _ => Kind::Operation,
        }
    }
}

impl Message {
    pub fn new(trn: Trn, body: Body) -> Self {
        Self { trn, body }
    }

    pub fn header(&self) -> Header {
        Header { trn: self.trn, kind: self.body.kind(), ot: self.body.ot() }
    }

    pub fn is_result(&self) -> bool {
        self.body.kind() == Kind::Result
    }

    /// The positive result to this operation: same TRN and OT. `sm` is the
    /// SM field; for a 50-series operation the spec puts `AdC:SCTS` there.
    pub fn ack(&self, sm: impl Into<String>) -> Message {
        let ack = Ack { ot: self.body.ot(), mvp: String::new(), sm: sm.into() };
        Message { trn: self.trn, body: Body::Ack(ack) }
    }

    /// The negative result to this operation: same TRN and OT, error code `ec`
    /// (see [`crate::error_code`]).
    pub fn nack(&self, ec: u8, sm: impl Into<String>) -> Message {
        Message::nack_to(Header { trn: self.trn, kind: Kind::Operation, ot: self.body.ot() }, ec, sm)
    }

    /// A negative result for a header, e.g. of a frame that did not decode.
    pub fn nack_to(header: Header, ec: u8, sm: impl Into<String>) -> Message {
        Message { trn: header.trn, body: Body::Nack(Nack { ot: header.ot, ec, sm: sm.into() }) }
    }
}

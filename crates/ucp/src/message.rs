//! The message envelope: TRN, O/R and OT from the header plus a [`Body`] per
//! operation (EMI 4.x spec §2, "Structure of EMI messages").

use std::fmt;

use crate::alert::Alert;
use crate::login::Login;
use crate::result::{Ack, Nack};
use crate::sm::Sm;

/// Transaction reference number, 00–99 (§2). The range is checked on
/// construction, so an encoded header is always two digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Trn(u8);

impl Trn {
    pub const MAX: u8 = 99;

    /// `None` above 99.
    pub const fn new(n: u8) -> Option<Self> {
        if n <= Self::MAX {
            Some(Self(n))
        } else {
            None
        }
    }

    pub const fn get(self) -> u8 {
        self.0
    }

    /// The next TRN, wrapping from 99 to 00.
    pub const fn next(self) -> Self {
        Self(if self.0 >= Self::MAX { 0 } else { self.0 + 1 })
    }
}

impl fmt::Display for Trn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// Operation type, the two-digit OT of the header (§2). A newtype rather than an
/// enum so that operations we do not model still have a value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Ot(pub u8);

impl Ot {
    /// §4.6 MT alert (used as keep-alive).
    pub const ALERT: Self = Self(31);
    /// §5.3 submit short message.
    pub const SUBMIT: Self = Self(51);
    /// §5.4 delivery short message (mobile originated, SMSC → us).
    pub const DELIVER: Self = Self(52);
    /// §5.5 delivery notification (the delivery report, SMSC → us).
    pub const NOTIFICATION: Self = Self(53);
    /// §6.3 session management (login).
    pub const SESSION: Self = Self(60);

    /// True when a positive result to this OT has the MVP field, `A/MVP/SM`:
    /// OT 30 (§4.5.1) and the 50 series (§5.3.1). The others answer `A/SM`.
    pub fn ack_has_mvp(self) -> bool {
        self.0 == 30 || (50..=59).contains(&self.0)
    }

    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "call input",
            30 => "sms message transfer",
            31 => "alert",
            51 => "submit",
            52 => "delivery",
            53 => "delivery notification",
            54 => "modify",
            55 => "inquiry",
            56 => "delete",
            57 => "response inquiry",
            58 => "response delete",
            60 => "session management",
            61 => "provisioning",
            _ => "unknown",
        }
    }
}

impl fmt::Debug for Ot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ot({:02} {})", self.0, self.name())
    }
}

impl fmt::Display for Ot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OT {:02}", self.0)
    }
}

/// The O/R header field: an operation or its result (§2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Operation,
    Result,
}

impl Kind {
    pub fn letter(self) -> u8 {
        match self {
            Kind::Operation => b'O',
            Kind::Result => b'R',
        }
    }
}

/// The three header fields besides LEN, which is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    pub trn: Trn,
    pub kind: Kind,
    pub ot: Ot,
}

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

//! The packet: a packet number plus a [`Body`] per operation (spec chapter
//! "Operations"; numbering in 4.1 "Packet structure").

use crate::deliver::{DeliverMessage, DeliverStatusReport};
use crate::error::ParamError;
use crate::login::Login;
use crate::param::{Param, Params, Writer};
use crate::response::Response;
use crate::submit::Submit;
use crate::EncodeError;

/// Operation codes (two decimal digits on the wire).
pub mod op {
    pub const LOGIN: u8 = 1;
    pub const LOGOUT: u8 = 2;
    pub const SUBMIT: u8 = 3;
    pub const ENQUIRE_MESSAGE_STATUS: u8 = 4;
    pub const DELIVERY_REQUEST: u8 = 5;
    pub const CANCEL_MESSAGE: u8 = 6;
    pub const SET: u8 = 8;
    pub const GET: u8 = 9;
    pub const DELIVER_MESSAGE: u8 = 20;
    pub const DELIVER_STATUS_REPORT: u8 = 23;
    pub const ALIVE: u8 = 40;
    /// Added to a request's code to make its response's.
    pub const RESPONSE: u8 = 50;
    pub const LOGIN_RESP: u8 = 51;
    pub const LOGOUT_RESP: u8 = 52;
    pub const SUBMIT_RESP: u8 = 53;
    pub const DELIVER_MESSAGE_RESP: u8 = 70;
    pub const DELIVER_STATUS_REPORT_RESP: u8 = 73;
    pub const ALIVE_RESP: u8 = 90;
    /// General error response: an operation the receiver cannot handle.
    pub const GENERAL_ERROR: u8 = 98;
    /// NACK: the packet was damaged (bad checksum) or numbered out of turn.
    pub const NACK: u8 = 99;

    /// Requests are 01-49; 50-97 are their responses; 98 and 99 answer no
    /// particular operation.
    pub fn is_request(op: u8) -> bool {
        op < RESPONSE
    }

    /// The spec's name, or `"unknown"`.
    pub fn name(op: u8) -> &'static str {
        match op {
            LOGIN => "login",
            LOGOUT => "logout",
            SUBMIT => "submit message",
            ENQUIRE_MESSAGE_STATUS => "enquire message status",
            DELIVERY_REQUEST => "delivery request",
            CANCEL_MESSAGE => "cancel message",
            SET => "set",
            GET => "get",
            DELIVER_MESSAGE => "deliver message",
            DELIVER_STATUS_REPORT => "deliver status report",
            ALIVE => "alive",
            LOGIN_RESP => "login response",
            LOGOUT_RESP => "logout response",
            SUBMIT_RESP => "submit message response",
            DELIVER_MESSAGE_RESP => "deliver message response",
            DELIVER_STATUS_REPORT_RESP => "deliver status report response",
            ALIVE_RESP => "alive response",
            GENERAL_ERROR => "general error response",
            NACK => "nack",
            _ => "unknown",
        }
    }
}

/// One CIMD2 packet. The operation code comes from the [`Body`] variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// 0-255. The application numbers its requests 1, 3, ..., 255 and the
    /// SMSC 0, 2, ..., 254 (some start at 0); a response repeats the number
    /// of the request it answers.
    pub number: u8,
    pub body: Body,
}

/// The operation-specific part of a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Login(Login),
    Logout,
    Submit(Submit),
    DeliverMessage(DeliverMessage),
    DeliverStatusReport(DeliverStatusReport),
    Alive,
    LoginResp(Response),
    LogoutResp(Response),
    SubmitResp(Response),
    DeliverMessageResp(Response),
    DeliverStatusReportResp(Response),
    AliveResp(Response),
    /// 98.
    GeneralError(Response),
    /// 99.
    Nack(Response),
    /// Any other operation (enquire message status, cancel, set, get, and
    /// their responses, vendor extensions), its parameters kept raw. Must not
    /// carry one of the codes above: it would decode as that operation.
    Unknown {
        op: u8,
        params: Vec<Param>,
    },
}

impl Body {
    pub fn op(&self) -> u8 {
        match self {
            Body::Login(_) => op::LOGIN,
            Body::Logout => op::LOGOUT,
            Body::Submit(_) => op::SUBMIT,
            Body::DeliverMessage(_) => op::DELIVER_MESSAGE,
            Body::DeliverStatusReport(_) => op::DELIVER_STATUS_REPORT,
            Body::Alive => op::ALIVE,
            Body::LoginResp(_) => op::LOGIN_RESP,
            Body::LogoutResp(_) => op::LOGOUT_RESP,
            Body::SubmitResp(_) => op::SUBMIT_RESP,
            Body::DeliverMessageResp(_) => op::DELIVER_MESSAGE_RESP,
            Body::DeliverStatusReportResp(_) => op::DELIVER_STATUS_REPORT_RESP,
            Body::AliveResp(_) => op::ALIVE_RESP,
            Body::GeneralError(_) => op::GENERAL_ERROR,
            Body::Nack(_) => op::NACK,
            Body::Unknown { op, .. } => *op,
        }
    }

    /// The response carried, for response bodies (including 98 and 99).
    pub fn response(&self) -> Option<&Response> {
        match self {
            Body::LoginResp(r)
            | Body::LogoutResp(r)
            | Body::SubmitResp(r)
            | Body::DeliverMessageResp(r)
            | Body::DeliverStatusReportResp(r)
            | Body::AliveResp(r)
            | Body::GeneralError(r)
            | Body::Nack(r) => Some(r),
            _ => None,
        }
    }

    /// The response body with `response` for request operation `op`, or
    /// `None` if `op` is not a request. Unmodelled requests get
    /// [`Body::Unknown`] with `op + 50` and the response's parameters.
    pub fn response_for(op: u8, response: Response) -> Option<Body> {
        Some(match op {
            op::LOGIN => Body::LoginResp(response),
            op::LOGOUT => Body::LogoutResp(response),
            op::SUBMIT => Body::SubmitResp(response),
            op::DELIVER_MESSAGE => Body::DeliverMessageResp(response),
            op::DELIVER_STATUS_REPORT => Body::DeliverStatusReportResp(response),
            op::ALIVE => Body::AliveResp(response),
            op if op::is_request(op) => Body::Unknown { op: op + op::RESPONSE, params: response.into_params() },
            _ => return None,
        })
    }

    pub(crate) fn decode(op: u8, params: Vec<Param>) -> Result<Body, ParamError> {
        let p = Params::new(params);
        Ok(match op {
            op::LOGIN => Body::Login(Login::decode(p)?),
            op::LOGOUT => Body::Logout,
            op::SUBMIT => Body::Submit(Submit::decode(p)?),
            op::DELIVER_MESSAGE => Body::DeliverMessage(DeliverMessage::decode(p)?),
            op::DELIVER_STATUS_REPORT => Body::DeliverStatusReport(DeliverStatusReport::decode(p)?),
            op::ALIVE => Body::Alive,
            op::LOGIN_RESP => Body::LoginResp(Response::decode(p)?),
            op::LOGOUT_RESP => Body::LogoutResp(Response::decode(p)?),
            op::SUBMIT_RESP => Body::SubmitResp(Response::decode(p)?),
            op::DELIVER_MESSAGE_RESP => Body::DeliverMessageResp(Response::decode(p)?),
            op::DELIVER_STATUS_REPORT_RESP => Body::DeliverStatusReportResp(Response::decode(p)?),
            op::ALIVE_RESP => Body::AliveResp(Response::decode(p)?),
            op::GENERAL_ERROR => Body::GeneralError(Response::decode(p)?),
            op::NACK => Body::Nack(Response::decode(p)?),
            op => Body::Unknown { op, params: p.rest() },
        })
    }

    /// Logout and alive have no parameters; whatever a peer adds to them is
    /// ignored on decode (nothing to misread) and never written.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            Body::Login(l) => l.encode(w),
            Body::Logout | Body::Alive => Ok(()),
            Body::Submit(s) => s.encode(w),
            Body::DeliverMessage(d) => d.encode(w),
            Body::DeliverStatusReport(r) => r.encode(w),
            Body::LoginResp(r)
            | Body::LogoutResp(r)
            | Body::SubmitResp(r)
            | Body::DeliverMessageResp(r)
            | Body::DeliverStatusReportResp(r)
            | Body::AliveResp(r)
            | Body::GeneralError(r)
            | Body::Nack(r) => r.encode(w),
            Body::Unknown { params, .. } => w.extra(params),
        }
    }
}

impl Packet {
    pub fn new(number: u8, body: Body) -> Self {
        Self { number, body }
    }

    pub fn op(&self) -> u8 {
        self.body.op()
    }

    /// The successful response to `request` (same number, op + 50, no
    /// parameters): what the application sends for a deliver message (20 →
    /// 70) or deliver status report (23 → 73). `None` if `request` is not a
    /// request.
    pub fn response_to(request: &Packet) -> Option<Packet> {
        Self::response_with(request, Response::default())
    }

    /// [`Packet::response_to`] with parameters, e.g. an error code.
    pub fn response_with(request: &Packet, response: Response) -> Option<Packet> {
        let body = Body::response_for(request.op(), response)?;
        Some(Packet { number: request.number, body })
    }
}

//! One SMPP bind as a [`Protocol`] for the link [`driver`](crate::driver):
//! the sans-IO [`smpp::Session`] (bind, sequence numbers, window, response
//! timeouts, enquire_link) with submissions mapped by [`convert`] and
//! answers by [`classify`].

use std::time::Instant;

use bytes::BytesMut;
use runtime::config::{BindType, ConnectionConfig, SmppConfig, Smsc};
use smpp::{Bind, BindKind, Body, CommandId, Pdu, Received, Session, SessionConfig};

use super::{classify, convert};
use crate::driver::{self, Effect, Protocol};
use crate::link::{Submission, SubmitError};

/// An SMPP session over one TCP connection.
pub struct Adapter {
    smsc: Smsc,
    smpp: SmppConfig,
    temporary_errors: Vec<u32>,
    session: Session,
    kind: BindKind,
}

impl Adapter {
    pub fn new(config: &ConnectionConfig, smsc: &Smsc, smpp: &SmppConfig) -> Self {
        let session = Session::new(
            SessionConfig {
                window: config.window,
                response_timeout: config.response_timeout,
                enquire_link_interval: smsc.enquire_link_interval,
            },
            Instant::now(),
        );
        let kind = match smpp.bind {
            BindType::Transmitter => BindKind::Transmitter,
            BindType::Receiver => BindKind::Receiver,
            BindType::Transceiver => BindKind::Transceiver,
        };
        Adapter {
            smsc: smsc.clone(),
            smpp: smpp.clone(),
            temporary_errors: config.temporary_errors.clone(),
            session,
            kind,
        }
    }
}

/// SMPP 3.4 PDUs (`crates/smpp`): a decode error past the header is
/// skipped and answered with generic_nack (§4.3).
pub struct Codec;

impl crate::driver::Codec for Codec {
    type Frame = Pdu;
    type DecodeError = smpp::DecodeError;
    type EncodeError = smpp::EncodeError;

    fn decode(buf: &mut BytesMut) -> Result<Option<Pdu>, smpp::DecodeError> {
        smpp::decode(buf)
    }

    fn skip(error: &smpp::DecodeError) -> Option<Option<Pdu>> {
        error.is_recoverable().then(|| error.generic_nack())
    }

    fn encode(pdu: &Pdu, out: &mut BytesMut) -> Result<(), smpp::EncodeError> {
        smpp::encode(pdu, out)
    }

    fn describe(pdu: &Pdu) -> String {
        format!("{} sequence {}", pdu.command_id().name(), pdu.sequence)
    }
}

impl Protocol for Adapter {
    type Codec = Codec;
    type Frame = Pdu;

    fn open(&mut self, now: Instant) -> Vec<Pdu> {
        let bind = Bind {
            system_id: self.smsc.system_id.clone(),
            password: self.smsc.password.expose().to_owned(),
            system_type: self.smpp.system_type.clone(),
            ..Bind::default()
        };
        vec![self.session.bind_request(bind, self.kind, now)]
    }

    fn can_submit(&self) -> bool {
        matches!(self.kind, BindKind::Transmitter | BindKind::Transceiver) && self.session.window_available() > 0
    }

    fn submit(&mut self, submission: &Submission, now: Instant, _: i64) -> Result<(Pdu, u32), SubmitError> {
        let body = Body::SubmitSm(convert::submit_sm(submission, &self.smpp));
        driver::submitted(self.session.send_request(body, now), |pdu| pdu.sequence)
    }

    fn receive(&mut self, pdu: Pdu, now: Instant) -> Vec<Effect<Pdu>> {
        match self.session.receive(pdu, now) {
            Received::BindOk { .. } => vec![Effect::Bound],
            Received::BindFailed { status, .. } => {
                vec![Effect::Close(format!("bind refused: {} (0x{status:08x})", smpp::status_name(status)))]
            }
            Received::Response { pdu, .. } => match pdu.body {
                Body::SubmitSmResp(resp) => {
                    let answer = classify::answer(pdu.status, resp.message_id, &self.temporary_errors);
                    vec![Effect::Answer { key: pdu.sequence, result: Ok(answer) }]
                }
                Body::UnbindResp => vec![Effect::Close("unbound".into())],
                _ => Vec::new(),
            },
            Received::GenericNack { sequence, status, request } => {
                tracing::warn!(sequence, status = smpp::status_name(status), "generic_nack from the SMSC");
                match request {
                    Some(_) => {
                        vec![Effect::Answer { key: sequence, result: Err(SubmitError::Nack(Some(status as i32))) }]
                    }
                    None => Vec::new(),
                }
            }
            Received::Request { pdu, reply: Some(reply) } => {
                if matches!(pdu.body, Body::Unbind) {
                    // Answer, then close: the SMSC ends the session (SMPP 3.4 §4.2).
                    return vec![Effect::Send(reply), Effect::Close("unbound by the SMSC".into())];
                }
                vec![Effect::Send(reply)]
            }
            Received::Request { pdu, reply: None } => match &pdu.body {
                Body::DeliverSm(sm) => {
                    let answer =
                        |status| Pdu { sequence: pdu.sequence, status, body: Body::DeliverSmResp(Default::default()) };
                    vec![Effect::Deliver {
                        incoming: convert::incoming(sm),
                        key: pdu.sequence,
                        recorded: answer(smpp::status::ESME_ROK),
                        // A temporary error: the SMSC keeps the message and delivers it again.
                        refused: answer(smpp::status::ESME_RX_T_APPN),
                    }]
                }
                _ => {
                    let reply = match Body::empty_response_to(pdu.command_id()) {
                        Some(body) => Pdu::response_to(&pdu, smpp::status::ESME_RINVCMDID, body),
                        None => Pdu::generic_nack(pdu.sequence, smpp::status::ESME_RINVCMDID),
                    };
                    vec![Effect::Send(reply)]
                }
            },
            Received::Unexpected { pdu, reply } => {
                tracing::debug!(command = %pdu.command_id().name(), sequence = pdu.sequence, "unexpected PDU");
                reply.map(Effect::Send).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    fn poll(&mut self, now: Instant) -> Vec<Effect<Pdu>> {
        driver::timers(self.session.poll(now), CommandId::name, "enquire_link or bind")
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.session.next_deadline()
    }

    fn close(&mut self, now: Instant) -> Option<Pdu> {
        Some(self.session.unbind(now))
    }
}

//! A UCP/EMI 4.x session as a [`Protocol`] for the link [`driver`](crate::driver):
//! OT 60 login, OT 51 submits, OT 52 deliveries and OT 53 delivery
//! notifications in, OT 31 alerts as keep-alive (the sans-IO [`ucp::Session`]).
//!
//! Mapping (EMI 4.x §5.3-5.5):
//! - GSM 7-bit text goes as AMsg (MT=3) in the connection's `ucp_alphabet`:
//!   GSM codes (what Kannel and most SMSCs use) or IRA (the spec's letter),
//!   with the UDH in XSer type 01; UCS-2 and 8-bit data go as TMsg (MT=4) with the data
//!   coding in XSer type 02 (and the UDH in XSer 01).
//! - A name as sender is OAdC packed with OTOA 5039; an international number
//!   has OTOA 1139.
//! - A receipt request is NRq=1 with NT=3 (delivery and non-delivery).
//! - The ACK's SM field `AdC:SCTS` is the message id: the OT 53 that reports
//!   on the message carries the recipient in OAdC (§5.5: "Message for
//!   <OAdC>") and the same SCTS, so its id is built as `OAdC:SCTS`.

use events::ErrorCode;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use runtime::config::{ConnectionConfig, Smsc, UcpConfig};
use ucp::ira::Alphabet;
use ucp::{Ack, Body, DeliveryStatus, Login, Message, Msg, Nack, Received, Session, SessionConfig, Sm};

use receipt::FinalState;

use crate::driver::{self, Effect, Protocol};
use crate::link::{Answer, Incoming, MoUnit, Numbering, Report, Submission, SubmitError, Verdict};

/// OTOA for an international number (EMI 4.x §5.3: TON 1, NPI 1 written as "1139").
const OTOA_INTERNATIONAL: &str = "1139";

/// A UCP session over one TCP connection.
pub struct Adapter {
    smsc: Smsc,
    temporary_errors: Vec<u32>,
    session: Session,
    alphabet: Alphabet,
}

impl Adapter {
    pub fn new(config: &ConnectionConfig, smsc: &Smsc, ucp: &UcpConfig) -> Self {
        let session = Session::new(
            SessionConfig {
                window: config.window,
                response_timeout: config.response_timeout,
                keepalive_interval: smsc.enquire_link_interval,
                alert_adc: smsc.system_id.clone(),
            },
            Instant::now(),
        );
        let alphabet = match ucp.ucp_alphabet {
            runtime::config::UcpAlphabet::Gsm => Alphabet::Gsm,
            runtime::config::UcpAlphabet::Ira => Alphabet::Ira,
        };
        Adapter { smsc: smsc.clone(), temporary_errors: config.temporary_errors.clone(), session, alphabet }
    }
}

/// The OT 51 for one submission, AMsg in `alphabet`; `Err` names what UCP cannot carry.
pub fn submit_sm(sub: &Submission, alphabet: Alphabet, now_ms: i64) -> Result<Sm, String> {
    let mut sm = Sm { adc: sub.destination.value.clone(), ..Sm::default() };
    match &sub.source {
        Some(a) if a.numbering == Numbering::Alphanumeric => {
            sm.set_alphanumeric_originator(&a.value).map_err(|e| format!("originator `{}`: {e}", a.value))?
        }
        Some(a) => {
            sm.oadc = a.value.clone();
            if a.numbering == Numbering::International {
                sm.otoa = OTOA_INTERNATIONAL.into();
            }
        }
        None => {}
    }
    if sub.receipt {
        sm.nrq = "1".into();
        sm.nt = "3".into();
    }
    if let Some(expires_at) = sub.expires_at {
        sm.vp = validity(expires_at.max(now_ms));
    }
    if sub.sar.is_some() || sub.whole {
        return Err("UCP has no SAR parameters or message_payload; use concat = udh8 or udh16".into());
    }
    if text::decode::smpp_scheme(sub.data_coding).alphabet == text::decode::Alphabet::Gsm7 {
        sm.msg = match alphabet {
            // GSM AMsg: the septets as they are (national tables included, named by the UDH).
            Alphabet::Gsm => Msg::Alphanumeric(sub.payload.to_vec()),
            Alphabet::Ira => {
                let text = text::gsm7::decode_unpacked(&sub.payload);
                Msg::alphanumeric(&text, Alphabet::Ira).map_err(|e| format!("IRA AMsg cannot carry {e}"))?
            }
        };
        if sub.data_coding != 0 {
            sm.xser.push(ucp::ExtraService::dcs(sub.data_coding));
        }
    } else {
        sm.msg = Msg::transparent(sub.payload.to_vec());
        sm.xser.push(ucp::ExtraService::dcs(sub.data_coding));
    }
    if let Some(udh) = &sub.udh {
        sm.xser.insert(0, ucp::ExtraService::udh(udh.to_vec()));
    }
    Ok(sm)
}

/// VP as DDMMYYHHmm (UTC, EMI 4.x §5.3) for an instant in epoch ms.
fn validity(epoch_ms: i64) -> String {
    let t = timing::Utc::of(epoch_ms);
    format!("{:02}{:02}{:02}{:02}{:02}", t.day, t.month, t.yy(), t.hour, t.minute)
}

/// What a NACK to an OT 51 means. EC 04 "operation not allowed" is what
/// SMSCs answer when a submit is refused for now — with an SM text saying
/// throttling it pauses the connection, otherwise it is retried; EC 01
/// (checksum) is a transmission error, also retried; the connection's
/// `temporary_errors` add codes; the rest (§8: invalid AdC, authentication,
/// message too long, ...) are permanent.
fn nack_answer(nack: &Nack, temporary: &[u32]) -> Answer {
    let verdict = match nack.ec {
        ucp::error_code::OPERATION_NOT_ALLOWED if crate::link::says_throttling(&nack.sm) => Verdict::Throttled,
        ucp::error_code::CHECKSUM_ERROR | ucp::error_code::OPERATION_NOT_ALLOWED => Verdict::Temporary,
        ec if temporary.contains(&u32::from(ec)) => Verdict::Temporary,
        _ => Verdict::Permanent,
    };
    let error_code = match nack.ec {
        ucp::error_code::ADC_INVALID => ErrorCode::InvalidDestination,
        ucp::error_code::MESSAGE_TOO_LONG => ErrorCode::InvalidLength,
        ucp::error_code::AUTHENTICATION_FAILURE => ErrorCode::RefusedBySmsc,
        ucp::error_code::OPERATION_NOT_ALLOWED => ErrorCode::Throttled,
        _ => ErrorCode::SmscError,
    };
    let text = format!("EC {:02} {} {}", nack.ec, ucp::error_code::error_code_name(nack.ec), nack.sm).trim().to_owned();
    Answer { verdict, message_id: String::new(), protocol_code: i32::from(nack.ec), error_code: Some(error_code), text }
}

/// An OT 53 as a report keyed like the ACK of the message it reports on.
pub fn report(sm: &Sm) -> Report {
    let (state, is_final) = match sm.delivery_status() {
        Some(DeliveryStatus::Delivered) => (FinalState::Delivered, true),
        Some(DeliveryStatus::Buffered) => (FinalState::Enroute, false),
        // Rsn 108 and 109 are the validity period running out (§5.5, reason codes).
        Some(DeliveryStatus::NotDelivered) if matches!(sm.rsn.as_str(), "108" | "109") => (FinalState::Expired, true),
        Some(DeliveryStatus::NotDelivered) => (FinalState::Undeliverable, true),
        None => (FinalState::Unknown, true),
    };
    Report {
        message_id: format!("{}:{}", sm.oadc, sm.scts),
        state,
        is_final,
        err: (!sm.rsn.is_empty()).then(|| sm.rsn.clone()),
        network_error: None,
        done_at: timestamp_ms(&sm.dscts),
    }
}

/// An OT 52 as a mobile-originated unit: AMsg decoded in `alphabet`, TMsg as
/// octets with the data coding of XSer type 02; the UDH of XSer type 01.
pub fn mo(sm: &Sm, alphabet: Alphabet) -> MoUnit {
    let udh = sm.udh().map(<[u8]>::to_vec);
    let dcs = ucp::xser::find(&sm.xser, ucp::xser::GSM_DCS).and_then(|d| d.first().copied());
    let from = sm.alphanumeric_originator().unwrap_or_else(|| sm.oadc.clone());
    let mut unit = MoUnit {
        from,
        to: sm.adc.clone(),
        data_coding: dcs.unwrap_or(0),
        udhi: udh.is_some(),
        smsc_timestamp: timestamp_ms(&sm.scts),
        ..MoUnit::default()
    };
    let mut user_data = udh.unwrap_or_default();
    match &sm.msg {
        Msg::Transparent { data, .. } => user_data.extend_from_slice(data),
        other => unit.text = Some(other.text(alphabet).unwrap_or_default()),
    }
    unit.user_data = Bytes::from(user_data);
    unit
}

/// DDMMYYHHmm(ss) as epoch ms, read as UTC (the SMSC's zone is not on the wire).
fn timestamp_ms(s: &str) -> Option<i64> {
    match *timing::two_digit_fields(s)?.as_slice() {
        [dd, mm, yy, hh, mi] => timing::utc_ms(yy, mm, dd, hh, mi, 0),
        [dd, mm, yy, hh, mi, ss] => timing::utc_ms(yy, mm, dd, hh, mi, ss),
        _ => None,
    }
}

/// UCP/EMI messages (`crates/ucp`): a garbled message is skipped and
/// NACKed when its TRN and OT could be read.
pub struct Codec;

impl crate::driver::Codec for Codec {
    type Frame = Message;
    type DecodeError = ucp::DecodeError;
    type EncodeError = ucp::EncodeError;

    fn decode(buf: &mut BytesMut) -> Result<Option<Message>, ucp::DecodeError> {
        ucp::decode(buf)
    }

    fn skip(error: &ucp::DecodeError) -> Option<Option<Message>> {
        error.is_recoverable().then(|| error.nack())
    }

    fn encode(message: &Message, out: &mut BytesMut) -> Result<(), ucp::EncodeError> {
        ucp::encode(message, out)
    }

    fn describe(message: &Message) -> String {
        format!("OT {} TRN {}", message.body.ot(), message.trn.get())
    }
}

impl Protocol for Adapter {
    type Codec = Codec;
    type Frame = Message;

    fn open(&mut self, now: Instant) -> Vec<Message> {
        let login = Login::open_session(&self.smsc.system_id, self.smsc.password.expose());
        self.session.login(login, now).into_iter().collect()
    }

    fn can_submit(&self) -> bool {
        self.session.window_available() > 0
    }

    fn submit(&mut self, submission: &Submission, now: Instant, now_ms: i64) -> Result<(Message, u32), SubmitError> {
        let sm = submit_sm(submission, self.alphabet, now_ms).map_err(SubmitError::Unsupported)?;
        driver::submitted(self.session.send(Body::Submit(sm), now), |message| u32::from(message.trn))
    }

    fn receive(&mut self, message: Message, now: Instant) -> Vec<Effect<Message>> {
        match self.session.receive(message, now) {
            Received::LoginOk { .. } => vec![Effect::Bound],
            Received::LoginFailed { ec, .. } => {
                vec![Effect::Close(format!("login refused: EC {ec:02} {}", ucp::error_code::error_code_name(ec)))]
            }
            Received::Result { request, message } if request == ucp::Ot::SUBMIT => {
                let key = u32::from(message.trn);
                let answer = match &message.body {
                    Body::Ack(ack) => Answer::accepted(message_id(ack)),
                    Body::Nack(nack) => nack_answer(nack, &self.temporary_errors),
                    _ => return Vec::new(),
                };
                vec![Effect::Answer { key, result: Ok(answer) }]
            }
            Received::Result { .. } => Vec::new(),
            Received::Operation { message } => {
                let incoming = match &message.body {
                    Body::Notification(sm) => Incoming::Report(report(sm)),
                    Body::Deliver(sm) => Incoming::Mo(mo(sm, self.alphabet)),
                    _ => return vec![Effect::Send(message.nack(ucp::error_code::OPERATION_NOT_SUPPORTED, ""))],
                };
                // A NACK makes the SMSC deliver it again later.
                let (recorded, refused) = (message.ack(""), message.nack(ucp::error_code::OPERATION_NOT_ALLOWED, ""));
                let key = u32::from(message.trn);
                vec![Effect::Deliver { incoming, key, recorded, refused }]
            }
            Received::Alert { reply, .. } => vec![Effect::Send(reply)],
            Received::Unexpected { message, reply } => {
                tracing::debug!(ot = %message.header().ot, "unexpected UCP message");
                reply.map(Effect::Send).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    fn poll(&mut self, now: Instant) -> Vec<Effect<Message>> {
        driver::timers(self.session.poll(now), ucp::Ot::name, "login or alert")
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.session.next_deadline()
    }

    fn close(&mut self, _now: Instant) -> Option<Message> {
        // EMI has no logout: the connection is simply closed.
        None
    }
}

/// The id of an accepted OT 51: the ACK's `AdC:SCTS` (its SM field as sent).
fn message_id(ack: &Ack) -> String {
    ack.sm.clone()
}

#[cfg(test)]
mod tests;

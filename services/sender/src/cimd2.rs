//! A CIMD2 session as a [`Protocol`] for the link [`driver`](crate::driver):
//! login (01), submit (03), deliver message (20) and deliver status report
//! (23) in, alive (40) as keep-alive, logout (02) at shutdown (the sans-IO
//! [`cimd2::Session`], odd packet numbers ours, even ones the SMSC's).
//!
//! Mapping (CIMD interface specification, parameter numbers in brackets):
//! - GSM 7-bit text goes as user data (033) in the CIMD character set; UCS-2
//!   and 8-bit data as user data binary (034) with the data coding scheme
//!   (030); a UDH as user data header (032).
//! - A name as sender is the alphanumeric originating address (027), a
//!   number the originating address (023).
//! - A receipt request is the status report request (056) mask 14:
//!   delivered, delivery failed, validity period expired.
//! - The submit response (53) names the message by destination (021) and
//!   service centre timestamp (060); the status report (23) names it the
//!   same way, so both become the message id `destination:timestamp`.

use events::ErrorCode;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use cimd2::{op, Body, DeliverMessage, DeliverStatusReport, Login, Packet, Received, Response, Session, SessionConfig};
use runtime::config::{ConnectionConfig, Smsc};

use receipt::FinalState;

use crate::driver::{self, Effect, Protocol};
use crate::link::{Answer, Incoming, MoUnit, Numbering, Report, Submission, SubmitError, Verdict};

/// Status report request (056) bits: 2 validity period expired, 4 delivery failed, 8 delivered.
const REPORT_FINAL_STATES: u8 = 2 | 4 | 8;

/// A CIMD2 session over one TCP connection.
pub struct Adapter {
    smsc: Smsc,
    temporary_errors: Vec<u32>,
    session: Session,
}

impl Adapter {
    pub fn new(config: &ConnectionConfig, smsc: &Smsc) -> Self {
        let session = Session::new(
            SessionConfig {
                window: config.window,
                response_timeout: config.response_timeout,
                alive_interval: smsc.enquire_link_interval,
            },
            Instant::now(),
        );
        Adapter { smsc: smsc.clone(), temporary_errors: config.temporary_errors.clone(), session }
    }
}

/// The submit (03) for one submission; `Err` names what CIMD2 cannot carry.
pub fn submit(sub: &Submission) -> Result<cimd2::Submit, String> {
    if sub.sar.is_some() || sub.whole {
        return Err("CIMD2 has no SAR parameters or message_payload; use concat = udh8 or udh16".into());
    }
    let mut s = cimd2::Submit { destinations: vec![sub.destination.value.clone()], ..cimd2::Submit::default() };
    match &sub.source {
        Some(a) if a.numbering == Numbering::Alphanumeric => s.alphanumeric_originating_address = Some(a.value.clone()),
        Some(a) => s.originating_address = Some(a.value.clone()),
        None => {}
    }
    if sub.receipt {
        s.status_report_request = Some(REPORT_FINAL_STATES);
    }
    if let Some(expires_at) = sub.expires_at {
        // 051 is yymmddhhmmss (UTC).
        let t = timing::Utc::of(expires_at);
        let stamp = format!("{:02}{:02}{:02}{:02}{:02}{:02}", t.yy(), t.month, t.day, t.hour, t.minute, t.second);
        s.validity_period_absolute = Some(stamp);
    }
    if text::decode::smpp_scheme(sub.data_coding).alphabet == text::decode::Alphabet::Gsm7 {
        let text = text::gsm7::decode_unpacked(&sub.payload);
        let coded = cimd2::charset::encode(&text).map_err(|e| format!("CIMD user data cannot carry {e}"))?;
        s.user_data = Some(Bytes::from(coded));
        if sub.data_coding != 0 {
            s.data_coding_scheme = Some(sub.data_coding);
        }
    } else {
        s.user_data_binary = Some(sub.payload.clone());
        s.data_coding_scheme = Some(sub.data_coding);
    }
    s.user_data_header = sub.udh.clone();
    Ok(s)
}

/// What a submit response with an error (900) means. Code 9 "requested
/// operation failed" with a text (901) saying throttling pauses the
/// connection; codes 4-6 and 9 (connection to the SMSC lost, no response,
/// general system error, operation failed) may pass; the connection's
/// `temporary_errors` add codes; the rest are permanent.
fn error_answer(response: &Response, temporary: &[u32]) -> Answer {
    use cimd2::error_code as ec;
    let code = response.error_code.unwrap_or(0);
    let throttled = response.error_text.as_deref().is_some_and(crate::link::says_throttling);
    let verdict = match code {
        ec::OPERATION_FAILED if throttled => Verdict::Throttled,
        ec::CONNECTION_LOST | ec::NO_RESPONSE | ec::GENERAL_SYSTEM_ERROR | ec::OPERATION_FAILED => Verdict::Temporary,
        c if temporary.contains(&u32::from(c)) => Verdict::Temporary,
        _ => Verdict::Permanent,
    };
    let error_code = match code {
        ec::INCORRECT_DESTINATION | ec::INCORRECT_DESTINATION_COUNT => ErrorCode::InvalidDestination,
        ec::USER_DATA_SYNTAX => ErrorCode::InvalidText,
        _ => ErrorCode::SmscError,
    };
    let text = format!("900:{code} {}", response.error_text.as_deref().unwrap_or_default()).trim().to_owned();
    Answer { verdict, message_id: String::new(), protocol_code: i32::from(code), error_code: Some(error_code), text }
}

/// The message id of a submit response or status report: `destination:timestamp`.
fn message_id(destination: Option<&str>, timestamp: Option<&str>) -> String {
    format!("{}:{}", destination.unwrap_or_default(), timestamp.unwrap_or_default())
}

/// A status report (23) as a report keyed like the submit response.
pub fn report(r: &DeliverStatusReport) -> Report {
    let (state, is_final) = match r.status_code {
        Some(4) => (FinalState::Delivered, true),
        Some(2) => (FinalState::Expired, true),
        Some(3 | 6) => (FinalState::Undeliverable, true),
        Some(7..=9) => (FinalState::Deleted, true),
        Some(1 | 5) => (FinalState::Enroute, false),
        _ => (FinalState::Unknown, true),
    };
    Report {
        message_id: message_id(r.destination.as_deref(), r.mc_timestamp.as_deref()),
        state,
        is_final,
        err: r.status_error_code.map(|c| format!("{c:03}")),
        network_error: None,
        done_at: r.discharge_time.as_deref().and_then(timestamp_ms),
    }
}

/// A deliver message (20) as a mobile-originated unit: user data (033)
/// decoded from the CIMD character set, or user data binary (034) with the
/// data coding scheme (030); the UDH (032).
pub fn mo(d: &DeliverMessage) -> MoUnit {
    let udh = d.user_data_header.clone();
    let mut user_data = udh.as_deref().unwrap_or_default().to_vec();
    let mut unit = MoUnit {
        from: d.alphanumeric_originating_address.clone().or_else(|| d.originating_address.clone()).unwrap_or_default(),
        to: d.destination.clone().unwrap_or_default(),
        data_coding: d.data_coding_scheme.unwrap_or(0),
        udhi: udh.is_some(),
        smsc_timestamp: d.mc_timestamp.as_deref().and_then(timestamp_ms),
        ..MoUnit::default()
    };
    match (&d.user_data_binary, &d.user_data) {
        (Some(binary), _) => user_data.extend_from_slice(binary),
        (None, text) => unit.text = Some(cimd2::charset::decode(text.as_deref().unwrap_or_default())),
    }
    unit.user_data = Bytes::from(user_data);
    unit
}

/// yymmddhhmmss as epoch ms, read as UTC (the SMSC's zone is not on the wire).
fn timestamp_ms(s: &str) -> Option<i64> {
    match *timing::two_digit_fields(s)?.as_slice() {
        [yy, mm, dd, hh, mi, ss] => timing::utc_ms(yy, mm, dd, hh, mi, ss),
        _ => None,
    }
}

/// CIMD2 packets (`crates/cimd2`): a garbled packet is skipped and
/// answered with the error response its operation calls for.
pub struct Codec;

impl crate::driver::Codec for Codec {
    type Frame = Packet;
    type DecodeError = cimd2::DecodeError;
    type EncodeError = cimd2::EncodeError;

    fn decode(buf: &mut BytesMut) -> Result<Option<Packet>, cimd2::DecodeError> {
        cimd2::decode(buf)
    }

    fn skip(error: &cimd2::DecodeError) -> Option<Option<Packet>> {
        error.is_recoverable().then(|| error.reply())
    }

    fn encode(packet: &Packet, out: &mut BytesMut) -> Result<(), cimd2::EncodeError> {
        cimd2::encode(packet, out)
    }

    fn describe(packet: &Packet) -> String {
        format!("operation {} packet {}", packet.op(), packet.number)
    }
}

impl Protocol for Adapter {
    type Codec = Codec;
    type Frame = Packet;

    fn open(&mut self, now: Instant) -> Vec<Packet> {
        let login = Login {
            user_identity: self.smsc.system_id.clone(),
            password: self.smsc.password.expose().to_owned(),
            extra: Vec::new(),
        };
        self.session.login(login, now).into_iter().collect()
    }

    fn can_submit(&self) -> bool {
        self.session.window_available() > 0
    }

    fn submit(&mut self, submission: &Submission, now: Instant, _: i64) -> Result<(Packet, u32), SubmitError> {
        let body = Body::Submit(submit(submission).map_err(SubmitError::Unsupported)?);
        driver::submitted(self.session.send_request(body, now), |packet| u32::from(packet.number))
    }

    fn receive(&mut self, packet: Packet, now: Instant) -> Vec<Effect<Packet>> {
        match self.session.receive(packet, now) {
            Received::LoginOk { .. } => vec![Effect::Bound],
            Received::LoginFailed { error_code, .. } => {
                vec![Effect::Close(format!("login refused: 900:{}", error_code.unwrap_or(0)))]
            }
            Received::Response { request: op::SUBMIT, packet } => {
                let key = u32::from(packet.number);
                let Some(response) = packet.body.response() else { return Vec::new() };
                let answer = if response.is_ok() {
                    Answer::accepted(message_id(response.destination.as_deref(), response.mc_timestamp.as_deref()))
                } else {
                    error_answer(response, &self.temporary_errors)
                };
                vec![Effect::Answer { key, result: Ok(answer) }]
            }
            Received::Response { request: op::LOGOUT, .. } => vec![Effect::Close("logged out".into())],
            Received::Response { .. } => Vec::new(),
            Received::Request { reply: Some(reply), .. } => vec![Effect::Send(reply)],
            Received::Request { packet, reply: None } => {
                let incoming = match &packet.body {
                    Body::DeliverMessage(d) => Incoming::Mo(mo(d)),
                    Body::DeliverStatusReport(r) => Incoming::Report(report(r)),
                    _ => return Vec::new(),
                };
                let (Some(recorded), Some(refused)) = (
                    Packet::response_to(&packet),
                    Packet::response_with(&packet, Response::error(cimd2::error_code::GENERAL_SYSTEM_ERROR)),
                ) else {
                    return Vec::new();
                };
                vec![Effect::Deliver { incoming, key: u32::from(packet.number), recorded, refused }]
            }
            Received::Unexpected { packet, reply } => {
                tracing::debug!(op = packet.op(), number = packet.number, "unexpected CIMD2 packet");
                reply.map(Effect::Send).into_iter().collect()
            }
            Received::Nack { number, request: Some(_) } => {
                // A NACK (operation 99) names no error: nothing to publish as the protocol's code.
                vec![Effect::Answer { key: u32::from(number), result: Err(SubmitError::Nack(None)) }]
            }
            Received::GeneralError { request: Some(_), packet } => {
                let code = packet.body.response().and_then(|r| r.error_code).map(i32::from);
                vec![Effect::Answer { key: u32::from(packet.number), result: Err(SubmitError::Nack(code)) }]
            }
            _ => Vec::new(),
        }
    }

    fn poll(&mut self, now: Instant) -> Vec<Effect<Packet>> {
        driver::timers(self.session.poll(now), op::name, "login or alive")
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.session.next_deadline()
    }

    fn close(&mut self, now: Instant) -> Option<Packet> {
        self.session.logout(now).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(data_coding: u8, payload: &[u8], udh: Option<&[u8]>) -> Submission {
        Submission { expires_at: Some(1_795_697_640_300), ..Submission::test(data_coding, payload, udh) }
    }

    #[test]
    fn gsm_text_goes_in_the_cimd_character_set() {
        let s = submit(&submission(0, &[0x00, b'h', b'i'], Some(&[5, 0, 3, 1, 2, 1]))).unwrap();
        assert_eq!(s.user_data.as_deref(), Some(&b"_Oahi"[..]));
        assert_eq!(s.user_data_header.as_deref(), Some(&[5, 0, 3, 1, 2, 1][..]));
        assert_eq!(s.destinations, ["4915112345678"]);
        assert_eq!(s.alphanumeric_originating_address.as_deref(), Some("ACME"));
        assert_eq!(s.status_report_request, Some(14));
        assert_eq!(s.validity_period_absolute.as_deref(), Some("261126125400"));
        assert_eq!(s.data_coding_scheme, None);
    }

    #[test]
    fn ucs2_goes_as_binary_with_its_dcs() {
        let s = submit(&submission(8, &[0x04, 0x16], None)).unwrap();
        assert_eq!((s.user_data_binary.as_deref(), s.data_coding_scheme), (Some(&[0x04, 0x16][..]), Some(8)));
        assert!(s.user_data.is_none());
    }

    #[test]
    fn reports_are_keyed_like_submit_responses() {
        let r = DeliverStatusReport {
            destination: Some("4915112345678".into()),
            mc_timestamp: Some("261126125400".into()),
            status_code: Some(4),
            discharge_time: Some("261126125500".into()),
            ..DeliverStatusReport::default()
        };
        let rep = report(&r);
        assert_eq!(
            (rep.message_id.as_str(), rep.state.stat(), rep.is_final),
            ("4915112345678:261126125400", "DELIVRD", true)
        );
        assert_eq!(rep.done_at, Some(1_795_697_700_000));
        assert_eq!(report(&DeliverStatusReport { status_code: Some(2), ..r.clone() }).state.stat(), "EXPIRED");
        assert!(!report(&DeliverStatusReport { status_code: Some(1), ..r }).is_final);
    }

    #[test]
    fn deliveries_become_mo_units() {
        let d = DeliverMessage {
            destination: Some("1234".into()),
            originating_address: Some("4911".into()),
            user_data: Some(Bytes::from_static(b"_Oa home")),
            ..DeliverMessage::default()
        };
        let u = mo(&d);
        assert_eq!((u.from.as_str(), u.to.as_str(), u.text.as_deref()), ("4911", "1234", Some("@ home")));
        let d = DeliverMessage {
            user_data_binary: Some(Bytes::from_static(&[0, 0x41])),
            user_data_header: Some(Bytes::from_static(&[5, 0, 3, 7, 2, 1])),
            data_coding_scheme: Some(8),
            ..d
        };
        let u = mo(&d);
        assert!(u.udhi && u.text.is_none());
        assert_eq!((u.data_coding, &u.user_data[..]), (8, &[5, 0, 3, 7, 2, 1, 0, 0x41][..]));
    }

    #[test]
    fn errors_are_classified() {
        let r = |code| error_answer(&Response { error_code: Some(code), ..Response::default() }, &[]);
        assert_eq!(r(5).verdict, Verdict::Temporary);
        assert_eq!(r(9).verdict, Verdict::Temporary);
        let throttled = Response { error_code: Some(9), error_text: Some("throttling".into()), ..Response::default() };
        assert_eq!(error_answer(&throttled, &[]).verdict, Verdict::Throttled);
        assert_eq!((r(300).verdict, r(300).code()), (Verdict::Permanent, "invalid_destination"));
    }
}

//! The UCP/EMI 4.x side of the simulator (the CMG "EMI - UCP Interface"
//! specification, 50-series operations): one task per TCP session and a
//! writer task, sharing [`SimState`] with the SMPP and CIMD2 front-ends.
//!
//! Per session: OT 60 login (§6.3; with [`SimConfig::credentials`] set, OAdC
//! and PWD must match, else NACK 07); OT 51 submit (§5.3) once logged in,
//! answered `A//AdC:SCTS` (§5.3.1) — SCTS unique per AdC, the message's
//! identity — or NACKed for injected throttling and errors
//! ([`crate::errors`]); every submit recorded in the SMPP shape
//! ([`convert::submit_body`]); an OT 53 delivery notification (§5.5) after
//! `receipt_delay` when NRq/NT ask for one (or [`Receipts::Always`]), Dst 0,
//! OAdC = the submit's AdC and the same SCTS; OT 31 alert (§4.6) ACKed; any
//! other operation NACK 03; frames that do not decode NACK 01/02. Messages
//! from [`SimState::send_mo`] go out as OT 52 (§5.4) to sessions logged in
//! with OAdC = the system id; the client's ACK/NACK to our OT 52/53 is
//! matched by TRN (a NACKed one is offered again after a pause).
//!
//! [`Receipts::Always`]: crate::state::Receipts::Always

mod convert;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use ucp::{error_code, Body, Kind, Message, Ot, Trn};

use crate::deliver::{Delivery, Outgoing, Protocol};
use crate::errors;
use crate::numbered::{self, Front, Next, Wires};
use crate::state::{Fate, SimConfig, SimState, SubmitRecord};
use crate::wire::{self, UcpFrames};

/// Runs the UCP simulator on `listener` until `shutdown` is cancelled.
pub async fn run(listener: TcpListener, config: SimConfig, state: Arc<SimState>, shutdown: CancellationToken) {
    let shared = Arc::new(Shared { config, state: state.clone() });
    let (token, tls) = (shutdown.clone(), shared.config.tls.clone());
    wire::serve(listener, state, tls, shutdown, "ucp", move |stream, number| {
        session(stream, number, shared.clone(), token.clone())
    })
    .await;
}

struct Shared {
    config: SimConfig,
    state: Arc<SimState>,
}

/// One TCP session's state; [`numbered::run`] does the I/O. OT 52/53 sent
/// and not yet answered: at most 50 (TRNs are 00-99, §2).
struct Session {
    shared: Arc<Shared>,
    number: u64,
    out: mpsc::UnboundedSender<bytes::Bytes>,
    /// The OAdC of an accepted login.
    account: Option<String>,
    deliver_tx: mpsc::UnboundedSender<Outgoing>,
    next_trn: Trn,
    /// Our OT 52/53 by TRN, until the client answers.
    unacked: BTreeMap<u8, Outgoing>,
}

async fn session(stream: wire::Stream, number: u64, shared: Arc<Shared>, shutdown: CancellationToken) {
    let state = shared.state.clone();
    numbered::run(stream, number, state, shutdown, |Wires { out, deliver_tx }| Session {
        shared,
        number,
        out,
        account: None,
        deliver_tx,
        next_trn: Trn::default(),
        unacked: BTreeMap::new(),
    })
    .await;
}

impl Front for Session {
    type Frames = UcpFrames;
    type Frame = Message;
    type Bad = ucp::DecodeError;
    type Number = u8;
    const WINDOW: usize = 50;

    fn bad_frame(&mut self, error: ucp::DecodeError) {
        if let Some(nack) = error.nack() {
            self.send(&nack);
        }
    }

    fn handle(&mut self, message: Message) -> Next {
        match &message.body {
            Body::Login(login) => {
                let ok = self
                    .shared
                    .config
                    .credentials
                    .as_ref()
                    .is_none_or(|(id, pw)| *id == login.oadc && *pw == login.pwd);
                if !ok {
                    self.send(&message.nack(error_code::AUTHENTICATION_FAILURE, ""));
                    return Next::Read;
                }
                self.send(&message.ack(""));
                self.log_in(login.oadc.clone());
            }
            Body::Submit(sm) => {
                let reply = self.submit(&message, sm);
                wire::send_after(&self.out, self.shared.config.latency, reply);
            }
            Body::Alert(_) => self.send(&message.ack("")),
            Body::Ack(_) | Body::Nack(_) => self.answered(&message),
            Body::Unknown { kind: Kind::Result, .. } => {}
            // OT 52/53 are ours to send, and every other OT is not modelled.
            _ => self.send(&message.nack(error_code::OPERATION_NOT_SUPPORTED, "")),
        }
        Next::Read
    }

    /// Sends an OT 52 or 53 with the next free TRN.
    fn send_delivery(&mut self, out: Outgoing) {
        let body = match &out.delivery {
            Delivery::Mo(sm) => {
                let scts = wire::ucp_time(wire::unix_now());
                Body::Deliver(convert::deliver(sm, self.shared.config.ucp_alphabet, scts))
            }
            Delivery::UcpNotification(n) => Body::Notification((**n).clone()),
            // The registry gives a session only what its protocol carries.
            Delivery::SmppReceipt(_) | Delivery::Cimd2Report(_) => return,
        };
        while self.unacked.contains_key(&self.next_trn.get()) {
            self.next_trn = self.next_trn.next();
        }
        let trn = self.next_trn;
        self.next_trn = trn.next();
        let message = Message::new(trn, body);
        match ucp::to_bytes(&message) {
            Ok(frame) => {
                if self.out.send(frame.freeze()).is_err() {
                    self.shared.state.deliveries.deliver(out);
                    return;
                }
                self.unacked.insert(trn.get(), out);
            }
            // An MO whose addresses UCP cannot carry ('/' or beyond Latin-1).
            Err(e) => tracing::warn!(error = %e, "cannot encode a delivery for ucp, dropped"),
        }
    }

    fn unanswered(&self) -> usize {
        self.unacked.len()
    }

    fn leave(self) -> (Option<String>, BTreeMap<u8, Outgoing>) {
        (self.account, self.unacked)
    }
}

impl Session {
    fn send(&self, message: &Message) {
        match ucp::to_bytes(message) {
            Ok(frame) => {
                let _ = self.out.send(frame.freeze());
            }
            Err(e) => tracing::warn!(error = %e, ot = %message.body.ot(), "cannot encode, not sent"),
        }
    }

    fn log_in(&mut self, account: String) {
        let deliveries = &self.shared.state.deliveries;
        if let Some(previous) = self.account.take() {
            deliveries.remove_receiver(&previous, self.number);
        }
        deliveries.add_receiver(&account, self.number, Protocol::Ucp, self.deliver_tx.clone());
        self.shared.state.binds.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(account, "logged in");
        self.account = Some(account);
    }

    /// Decides an OT 51's fate, records it and schedules its notification;
    /// returns the encoded result.
    fn submit(&self, message: &Message, sm: &ucp::Sm) -> bytes::Bytes {
        let (config, state) = (&self.shared.config, &self.shared.state);
        let Some(account) = &self.account else {
            // §5.3 needs an open session (OT 60) first.
            return encode(&message.nack(error_code::OPERATION_NOT_ALLOWED, "login first"));
        };
        let requested = convert::wants_notification(sm);
        let (reply, id, status) = match config.roll() {
            Fate::Accept => {
                let now = state.service_centre_time(&sm.adc);
                let scts = wire::ucp_time(now);
                if config.wants_receipt(requested) {
                    let at = now + config.receipt_delay.as_secs();
                    let delivered = config.delivered();
                    let n =
                        convert::notification(sm, account, &scts, wire::ucp_time(at), config.ucp_alphabet, delivered);
                    let out = Outgoing::new(account, Delivery::UcpNotification(Box::new(n)));
                    wire::deliver_after(state, config.receipt_delay, out);
                }
                state.submits_ok.fetch_add(1, Ordering::Relaxed);
                let id = format!("{}:{scts}", sm.adc);
                (message.ack(id.clone()), id, 0)
            }
            fate => {
                let (ec, text) =
                    if fate == Fate::Throttle { errors::UCP_THROTTLED } else { errors::ucp_error(config.error_status) };
                state.submits_refused.fetch_add(1, Ordering::Relaxed);
                (message.nack(ec, text), String::new(), u32::from(ec))
            }
        };
        if config.record {
            let body = convert::submit_body(sm, config.ucp_alphabet);
            state.record(SubmitRecord {
                at: Instant::now(),
                system_id: account.clone(),
                bind: self.number,
                source_addr: convert::source(sm),
                destination_addr: sm.adc.clone(),
                esm_class: body.esm_class,
                data_coding: body.data_coding,
                registered_delivery: u8::from(requested),
                short_message: body.short_message,
                tlvs: Vec::new(),
                message_id: id,
                status,
            });
        }
        encode(&reply)
    }

    /// The client's result for our OT 52/53.
    fn answered(&mut self, message: &Message) {
        let ot = message.body.ot();
        if ot != Ot::DELIVER && ot != Ot::NOTIFICATION {
            return;
        }
        let Some(out) = self.unacked.remove(&message.trn.get()) else { return };
        match message.body {
            Body::Ack(_) => {
                self.shared.state.receipts_sent.fetch_add(1, Ordering::Relaxed);
            }
            // Refused (e.g. it could not store it yet): offer it again later.
            _ => wire::deliver_after(&self.shared.state, wire::REDELIVERY_DELAY, out),
        }
    }
}

fn encode(message: &Message) -> bytes::Bytes {
    ucp::to_bytes(message).map(|b| b.freeze()).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot encode a result, not sent");
        bytes::Bytes::new()
    })
}

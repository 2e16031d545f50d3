//! The CIMD2 side of the simulator (Nokia's "CIMD Interface Specification"):
//! one task per TCP session and a writer task, sharing [`SimState`] with the
//! SMPP and UCP front-ends.
//!
//! Per session: login (01) answered 51 (with [`SimConfig::credentials`] set,
//! user identity 010 and password 011 must match, else error 100 "invalid
//! login"); submit (03) once logged in, answered 53 with the destination
//! (021) and a service centre time stamp (060) unique per destination — the
//! pair is the message's identity — or with an error code (900) for injected
//! throttling and errors ([`crate::errors`]); every submit recorded in the
//! SMPP shape ([`convert::submit_body`]); a deliver status report (23) after
//! `receipt_delay` when 056 asks for "delivered" (bit 8) or
//! [`Receipts::Always`], carrying the same 021 and 060 and status code (061)
//! 4 "delivery successful" — the pair Kannel's `smsc_cimd2.c` looks the
//! report up by; alive (40) answered 90; logout (02) answered 52, then the
//! connection is closed. Messages from [`SimState::send_mo`] go out as
//! deliver message (20) to sessions logged in as the system id. The SMSC
//! numbers its own requests with even packet numbers (spec 4.1); the client's
//! 70/73 (or 98/99) are matched by number, a refused one offered again later.
//! Packets that do not decode get a NACK (99, bad checksum) or a general
//! error response (98, error 2), and the session reads on.
//!
//! [`Receipts::Always`]: crate::state::Receipts::Always

mod convert;
mod submit;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use cimd2::{Body, Packet, Response};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::deliver::{Delivery, Outgoing, Protocol};
use crate::errors;
use crate::numbered::{self, Front, Next, Wires};
use crate::state::{SimConfig, SimState};
use crate::wire::{self, Cimd2Frames};

/// Runs the CIMD2 simulator on `listener` until `shutdown` is cancelled.
pub async fn run(listener: TcpListener, config: SimConfig, state: Arc<SimState>, shutdown: CancellationToken) {
    let shared = Arc::new(Shared { config, state: state.clone() });
    let (token, tls) = (shutdown.clone(), shared.config.tls.clone());
    wire::serve(listener, state, tls, shutdown, "cimd2", move |stream, number| {
        session(stream, number, shared.clone(), token.clone())
    })
    .await;
}

struct Shared {
    config: SimConfig,
    state: Arc<SimState>,
}

/// One TCP session's state; [`numbered::run`] does the I/O. Deliveries
/// (20, 23) sent and not yet answered: at most 64 (of 128 even numbers).
struct Session {
    shared: Arc<Shared>,
    number: u64,
    out: mpsc::UnboundedSender<Bytes>,
    /// The user identity (010) of an accepted login.
    user: Option<String>,
    deliver_tx: mpsc::UnboundedSender<Outgoing>,
    /// The next even packet number for our own requests.
    next_number: u8,
    /// Our 20/23 by packet number, until the client answers.
    unacked: BTreeMap<u8, Outgoing>,
}

async fn session(stream: wire::Stream, number: u64, shared: Arc<Shared>, shutdown: CancellationToken) {
    let state = shared.state.clone();
    numbered::run(stream, number, state, shutdown, |Wires { out, deliver_tx }| Session {
        shared,
        number,
        out,
        user: None,
        deliver_tx,
        next_number: 0,
        unacked: BTreeMap::new(),
    })
    .await;
}

impl Front for Session {
    type Frames = Cimd2Frames;
    type Frame = Packet;
    type Bad = cimd2::DecodeError;
    type Number = u8;
    const WINDOW: usize = 64;

    fn bad_frame(&mut self, error: cimd2::DecodeError) {
        if let Some(reply) = error.reply() {
            self.send(&reply);
        }
    }

    fn handle(&mut self, packet: Packet) -> Next {
        match &packet.body {
            Body::Login(login) => {
                let config = &self.shared.config;
                let ok = config
                    .credentials
                    .as_ref()
                    .is_none_or(|(id, pw)| *id == login.user_identity && *pw == login.password);
                if !ok {
                    self.respond(&packet, Response::error(errors::CIMD2_INVALID_LOGIN));
                    return Next::Read;
                }
                self.respond(&packet, Response::default());
                self.log_in(login.user_identity.clone());
            }
            Body::Logout => {
                self.shared.state.unbinds.fetch_add(1, Ordering::Relaxed);
                self.respond(&packet, Response::default());
                return Next::Close;
            }
            Body::Submit(submit) => {
                let response = self.submit(submit);
                if let Some(frame) = Packet::response_with(&packet, response).as_ref().and_then(encode) {
                    wire::send_after(&self.out, self.shared.config.latency, frame);
                }
            }
            Body::Alive => self.respond(&packet, Response::default()),
            Body::DeliverMessageResp(r) | Body::DeliverStatusReportResp(r) => self.answered(packet.number, r.is_ok()),
            // 99: our packet arrived damaged; 98: it could not be handled.
            Body::Nack(_) | Body::GeneralError(_) => self.answered(packet.number, false),
            _ if cimd2::op::is_request(packet.op()) => {
                // 20 and 23 are ours to send; other requests are not modelled.
                let error = Response::error(errors::CIMD2_UNEXPECTED_OPERATION);
                self.send(&Packet::new(packet.number, Body::GeneralError(error)));
            }
            _ => {}
        }
        Next::Read
    }

    /// Sends a deliver message (20) or deliver status report (23) with the
    /// next free even packet number.
    fn send_delivery(&mut self, out: Outgoing) {
        let body = match &out.delivery {
            Delivery::Mo(sm) => Body::DeliverMessage(convert::deliver(sm, wire::cimd2_time(wire::unix_now()))),
            Delivery::Cimd2Report(report) => Body::DeliverStatusReport(report.clone()),
            // The registry gives a session only what its protocol carries.
            Delivery::SmppReceipt(_) | Delivery::UcpNotification(_) => return,
        };
        while self.unacked.contains_key(&self.next_number) {
            self.next_number = self.next_number.wrapping_add(2);
        }
        let number = self.next_number;
        self.next_number = number.wrapping_add(2);
        match encode(&Packet::new(number, body)) {
            Some(frame) => {
                if self.out.send(frame).is_err() {
                    self.shared.state.deliveries.deliver(out);
                    return;
                }
                self.unacked.insert(number, out);
            }
            None => tracing::warn!("cannot encode a delivery for cimd2, dropped"),
        }
    }

    fn unanswered(&self) -> usize {
        self.unacked.len()
    }

    fn leave(self) -> (Option<String>, BTreeMap<u8, Outgoing>) {
        (self.user, self.unacked)
    }
}

impl Session {
    fn send(&self, packet: &Packet) {
        if let Some(frame) = encode(packet) {
            let _ = self.out.send(frame);
        }
    }

    fn respond(&self, request: &Packet, response: Response) {
        if let Some(reply) = Packet::response_with(request, response) {
            self.send(&reply);
        }
    }

    fn log_in(&mut self, user: String) {
        let deliveries = &self.shared.state.deliveries;
        if let Some(previous) = self.user.take() {
            deliveries.remove_receiver(&previous, self.number);
        }
        deliveries.add_receiver(&user, self.number, Protocol::Cimd2, self.deliver_tx.clone());
        self.shared.state.binds.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(user, "logged in");
        self.user = Some(user);
    }

    /// The client's answer to our request `number`.
    fn answered(&mut self, number: u8, ok: bool) {
        let Some(out) = self.unacked.remove(&number) else { return };
        if ok {
            self.shared.state.receipts_sent.fetch_add(1, Ordering::Relaxed);
        } else {
            wire::deliver_after(&self.shared.state, wire::REDELIVERY_DELAY, out);
        }
    }
}

fn encode(packet: &Packet) -> Option<Bytes> {
    let mut buf = BytesMut::new();
    match cimd2::encode(packet, &mut buf) {
        Ok(()) => Some(buf.freeze()),
        Err(e) => {
            tracing::warn!(error = %e, op = packet.op(), "cannot encode, not sent");
            None
        }
    }
}

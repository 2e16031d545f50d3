//! The SMPP 3.4 side of the simulator: one task per TCP session, a writer
//! task per session, and a registry that routes receipts to a receiver or
//! transceiver bind of the same `system_id` (any session, like a real SMSC).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use smpp::status::{ESME_RBINDFAIL, ESME_RINVBNDSTS, ESME_RINVCMDID, ESME_ROK, ESME_RTHROTTLED};
use smpp::tlv::tag;
use smpp::{BindResp, Body, Pdu, Sm, SmResp, SmppCodec, Tlv};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::deliver::{Delivery, Outgoing, Protocol};
use crate::numbered::{self, Front, Next, Wires};
use crate::receipt;
use crate::state::{Fate, SimConfig, SimState, SubmitRecord};
use crate::wire;

/// Runs the simulator on `listener` until `shutdown` is cancelled.
pub async fn run(listener: TcpListener, config: SimConfig, state: Arc<SimState>, shutdown: CancellationToken) {
    let tls = config.tls.clone();
    let shared = Arc::new(Shared { config, state: state.clone() });
    let token = shutdown.clone();
    wire::serve(listener, state, tls, shutdown, "smpp", move |stream, number| {
        session(stream, number, shared.clone(), token.clone())
    })
    .await;
}

struct Shared {
    config: SimConfig,
    state: Arc<SimState>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    No,
    Tx,
    Rx,
    Trx,
}

async fn session(stream: wire::Stream, number: u64, shared: Arc<Shared>, shutdown: CancellationToken) {
    let state = shared.state.clone();
    numbered::run(stream, number, state, shutdown, |Wires { out, deliver_tx }| Session {
        shared,
        number,
        out,
        buf: BytesMut::with_capacity(64 * 1024),
        deliver_tx,
        bound: Bound::No,
        system_id: String::new(),
        sequence: 1,
        unacked: BTreeMap::new(),
    })
    .await;
}

/// One bind's state; [`numbered::run`] does the I/O.
struct Session {
    shared: Arc<Shared>,
    number: u64,
    out: mpsc::UnboundedSender<Bytes>,
    /// Where PDUs are encoded: each frame is split off it, so one allocation
    /// serves many (and is reclaimed once the frames cut from it are written).
    buf: BytesMut,
    deliver_tx: mpsc::UnboundedSender<Outgoing>,
    bound: Bound,
    system_id: String,
    /// The sequence number of our next request.
    sequence: u32,
    /// deliver_sm sent and not yet acknowledged, by sequence number.
    unacked: BTreeMap<u32, Outgoing>,
}

impl Front for Session {
    type Frames = SmppCodec;
    type Frame = Pdu;
    type Bad = smpp::DecodeError;
    type Number = u32;
    /// SMPP 3.4 leaves the SMSC's window to the SMSC; this one does not limit it.
    const WINDOW: usize = usize::MAX;

    fn bad_frame(&mut self, error: smpp::DecodeError) {
        if let Some(nack) = error.generic_nack() {
            self.send(&nack);
        }
    }

    fn handle(&mut self, pdu: Pdu) -> Next {
        match pdu.body {
            Body::BindTransmitter(ref b) | Body::BindReceiver(ref b) | Body::BindTransceiver(ref b) => {
                let kind = match pdu.body {
                    Body::BindTransmitter(_) => Bound::Tx,
                    Body::BindReceiver(_) => Bound::Rx,
                    _ => Bound::Trx,
                };
                self.bind(&pdu, b, kind);
            }
            Body::SubmitSm(ref sm) => {
                let (status, message_id) = submit(&self.shared, &self.system_id, self.number, self.bound, sm);
                let reply = Pdu::response_to(&pdu, status, Body::SubmitSmResp(SmResp { message_id, tlvs: Vec::new() }));
                let frame = self.encode(&reply);
                wire::send_after(&self.out, self.shared.config.latency, frame);
            }
            Body::DeliverSmResp(_) => {
                if let Some(out) = self.unacked.remove(&pdu.sequence) {
                    if pdu.status == ESME_ROK {
                        self.shared.state.receipts_sent.fetch_add(1, Ordering::Relaxed);
                    } else {
                        // The ESME refused it (e.g. it could not record it yet): try again later.
                        wire::deliver_after(&self.shared.state, wire::REDELIVERY_DELAY, out);
                    }
                }
            }
            Body::EnquireLink => self.send(&Pdu::response_to(&pdu, ESME_ROK, Body::EnquireLinkResp)),
            Body::Unbind => {
                self.shared.state.unbinds.fetch_add(1, Ordering::Relaxed);
                self.send(&Pdu::response_to(&pdu, ESME_ROK, Body::UnbindResp));
                return Next::Close;
            }
            Body::EnquireLinkResp | Body::UnbindResp | Body::GenericNack => {}
            _ if pdu.is_response() => {}
            _ => {
                let reply = match Body::empty_response_to(pdu.command_id()) {
                    Some(body) => Pdu::response_to(&pdu, ESME_RINVCMDID, body),
                    None => Pdu::generic_nack(pdu.sequence, ESME_RINVCMDID),
                };
                self.send(&reply);
            }
        }
        Next::Read
    }

    fn send_delivery(&mut self, out: Outgoing) {
        let sm = match &out.delivery {
            Delivery::Mo(sm) | Delivery::SmppReceipt(sm) => sm.clone(),
            // The registry gives a bind only what SMPP carries.
            Delivery::UcpNotification(_) | Delivery::Cimd2Report(_) => return,
        };
        let sequence = self.next_sequence();
        let frame = self.encode(&Pdu::new(sequence, Body::DeliverSm(sm)));
        if frame.is_empty() {
            return; // cannot be encoded (logged): dropped, as UCP and CIMD2 drop theirs
        }
        if self.out.send(frame).is_err() {
            self.shared.state.deliveries.deliver(out);
            return;
        }
        self.unacked.insert(sequence, out);
    }

    fn unanswered(&self) -> usize {
        self.unacked.len()
    }

    fn stopping(&mut self) {
        let sequence = self.next_sequence();
        self.send(&Pdu::new(sequence, Body::Unbind));
    }

    fn leave(self) -> (Option<String>, BTreeMap<u32, Outgoing>) {
        if self.bound != Bound::No {
            self.shared.state.bound_now.fetch_sub(1, Ordering::Relaxed);
        }
        let receiver = matches!(self.bound, Bound::Rx | Bound::Trx).then_some(self.system_id);
        (receiver, self.unacked)
    }
}

impl Session {
    /// The PDU's bytes; none (logged) when it cannot be encoded.
    fn encode(&mut self, pdu: &Pdu) -> Bytes {
        if let Err(e) = smpp::encode(pdu, &mut self.buf) {
            tracing::warn!(error = %e, command_id = ?pdu.command_id(), "cannot encode, not sent");
            self.buf.clear();
        }
        self.buf.split().freeze()
    }

    fn send(&mut self, pdu: &Pdu) {
        let frame = self.encode(pdu);
        if !frame.is_empty() {
            let _ = self.out.send(frame);
        }
    }

    fn next_sequence(&mut self) -> u32 {
        let sequence = self.sequence;
        self.sequence = self.sequence.wrapping_add(1).max(1);
        sequence
    }

    /// A bind of `kind`: accepted once per session, with the configured
    /// credentials (if any), while the simulator's bind limit allows.
    fn bind(&mut self, pdu: &Pdu, b: &smpp::Bind, kind: Bound) {
        let (config, state) = (&self.shared.config, &self.shared.state);
        let mut ok = self.bound == Bound::No
            && config.credentials.as_ref().is_none_or(|(id, pw)| *id == b.system_id && *pw == b.password);
        if ok && !state.take_bind(config.max_binds) {
            tracing::info!(max_binds = config.max_binds, "bind refused: too many binds");
            ok = false;
        }
        let status = if ok { ESME_ROK } else { ESME_RBINDFAIL };
        let resp = BindResp { system_id: "smsgw-sim".into(), tlvs: vec![Tlv::u8(tag::SC_INTERFACE_VERSION, 0x34)] };
        let body = match kind {
            Bound::Tx => Body::BindTransmitterResp(resp),
            Bound::Rx => Body::BindReceiverResp(resp),
            _ => Body::BindTransceiverResp(resp),
        };
        self.send(&Pdu::response_to(pdu, status, body));
        if !ok {
            return;
        }
        self.bound = kind;
        self.system_id = b.system_id.clone();
        self.shared.state.binds.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(system_id = self.system_id, "bound");
        if matches!(kind, Bound::Rx | Bound::Trx) {
            let deliveries = &self.shared.state.deliveries;
            deliveries.add_receiver(&self.system_id, self.number, Protocol::Smpp, self.deliver_tx.clone());
        }
    }
}

/// Decides a submit's fate; returns (command_status, message_id).
fn submit(shared: &Arc<Shared>, system_id: &str, bind_no: u64, bound: Bound, sm: &Sm) -> (u32, String) {
    let config = &shared.config;
    let state = &shared.state;
    let status = if !matches!(bound, Bound::Tx | Bound::Trx) {
        ESME_RINVBNDSTS
    } else {
        match config.roll() {
            Fate::Throttle => ESME_RTHROTTLED,
            Fate::Error => config.error_status,
            Fate::Accept => ESME_ROK,
        }
    };
    let message_id = if status == ESME_ROK {
        let n = config.message_number(state);
        if config.wants_receipt(sm.registered_delivery & 0x03 != 0) {
            schedule_receipt(shared.clone(), system_id.to_owned(), n, sm);
        }
        state.submits_ok.fetch_add(1, Ordering::Relaxed);
        config.id_format.format(n)
    } else {
        state.submits_refused.fetch_add(1, Ordering::Relaxed);
        String::new()
    };
    if config.record {
        state.record(SubmitRecord {
            at: Instant::now(),
            system_id: system_id.to_owned(),
            bind: bind_no,
            source_addr: sm.source_addr.clone(),
            destination_addr: sm.destination_addr.clone(),
            esm_class: sm.esm_class,
            data_coding: sm.data_coding,
            registered_delivery: sm.registered_delivery,
            short_message: sm.short_message.clone(),
            tlvs: sm.tlvs.clone(),
            message_id: message_id.clone(),
            status,
        });
    }
    (status, message_id)
}

fn schedule_receipt(shared: Arc<Shared>, system_id: String, n: u64, sm: &Sm) {
    let submitted = SystemTime::now();
    let id = shared.config.receipt_id_format.format(n);
    // Skip a UDH so the preview shows text (SMPP 3.4 §5.2.12, esm_class bit 6).
    let body = if sm.esm_class & 0x40 != 0 {
        let udhl = sm.short_message.first().map_or(0, |&l| l as usize + 1);
        sm.short_message.get(udhl..).unwrap_or_default().to_vec()
    } else {
        sm.short_message.to_vec()
    };
    let receipt = Sm {
        source_addr_ton: sm.dest_addr_ton,
        source_addr_npi: sm.dest_addr_npi,
        source_addr: sm.destination_addr.clone(),
        dest_addr_ton: sm.source_addr_ton,
        dest_addr_npi: sm.source_addr_npi,
        destination_addr: sm.source_addr.clone(),
        esm_class: 0x04,
        ..Sm::default()
    };
    let delay = shared.config.receipt_delay;
    // message_state (SMPP 3.4 §5.2.28): 2 DELIVERED, 5 UNDELIVERABLE.
    let (stat, state, err) = if shared.config.delivered() { ("DELIVRD", 2, 0) } else { ("UNDELIV", 5, 1) };
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let text = receipt::text(&id, submitted, SystemTime::now(), stat, err, &body);
        let sm = Sm {
            short_message: text.into_bytes().into(),
            tlvs: vec![Tlv::cstring(tag::RECEIPTED_MESSAGE_ID, &id), Tlv::u8(tag::MESSAGE_STATE, state)],
            ..receipt
        };
        shared.state.deliveries.deliver(Outgoing { system_id, delivery: Delivery::SmppReceipt(sm) });
    });
}

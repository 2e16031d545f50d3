//! The SMPP 3.4 side of the simulator: one task per TCP session, a writer
//! task per session, and a registry that routes receipts to a receiver or
//! transceiver bind of the same `system_id` (any session, like a real SMSC).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use futures::{SinkExt, StreamExt};
use smpp::status::{ESME_RBINDFAIL, ESME_RINVBNDSTS, ESME_RINVCMDID, ESME_ROK, ESME_RTHROTTLED};
use smpp::tlv::tag;
use smpp::{BindResp, Body, Pdu, Sm, SmResp, SmppCodec, Tlv};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;

use crate::deliver::{Delivery, Outgoing, Protocol};
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

async fn session(stream: wire::Stream, bind_no: u64, shared: Arc<Shared>, shutdown: CancellationToken) {
    let (read, write) = tokio::io::split(stream);
    let mut reader = FramedRead::new(read, SmppCodec::default());
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Pdu>();
    let writer = tokio::spawn(async move {
        let mut sink = FramedWrite::new(write, SmppCodec::default());
        while let Some(pdu) = out_rx.recv().await {
            if let Err(e) = sink.feed(pdu).await {
                tracing::debug!(error = %e, "write failed");
                break;
            }
            // Flush when nothing else is queued, batching writes under load.
            if out_rx.is_empty() && sink.flush().await.is_err() {
                break;
            }
        }
        let _ = sink.flush().await;
    });

    let (deliver_tx, mut deliver_rx) = mpsc::unbounded_channel::<Outgoing>();
    let mut bound = Bound::No;
    let mut system_id = String::new();
    let sequence = AtomicU32::new(1);
    // deliver_sm sent and not yet acknowledged: re-queued if the session ends.
    let mut unacked: BTreeMap<u32, Outgoing> = BTreeMap::new();
    let mut kill = shared.state.kill_signal();
    kill.mark_unchanged();

    loop {
        tokio::select! {
            _ = kill.changed() => {
                tracing::debug!("dropping the connection abruptly");
                writer.abort();
                break;
            }
            _ = shutdown.cancelled() => {
                let _ = out_tx.send(Pdu::new(sequence.fetch_add(1, Ordering::Relaxed), Body::Unbind));
                break;
            }
            Some(out) = deliver_rx.recv() => {
                let sm = match &out.delivery {
                    Delivery::Mo(sm) | Delivery::SmppReceipt(sm) => sm.clone(),
                    // The registry gives a bind only what SMPP carries.
                    Delivery::UcpNotification(_) | Delivery::Cimd2Report(_) => continue,
                };
                let seq = sequence.fetch_add(1, Ordering::Relaxed);
                if out_tx.send(Pdu::new(seq, Body::DeliverSm(sm))).is_err() {
                    shared.state.deliveries.deliver(out);
                    break;
                }
                unacked.insert(seq, out);
            }
            frame = reader.next() => {
                let pdu = match frame {
                    None => break,
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "unrecoverable framing error, closing");
                        break;
                    }
                    Some(Ok(Err(e))) => {
                        if let Some(nack) = e.generic_nack() {
                            let _ = out_tx.send(nack);
                        }
                        continue;
                    }
                    Some(Ok(Ok(_))) if shared.state.is_muted() => continue,
                    Some(Ok(Ok(pdu))) => pdu,
                };
                match pdu.body {
                    Body::BindTransmitter(ref b) | Body::BindReceiver(ref b) | Body::BindTransceiver(ref b) => {
                        let mut ok = bound == Bound::No
                            && shared.config.credentials.as_ref().is_none_or(|(id, pw)| *id == b.system_id && *pw == b.password);
                        if ok && !shared.state.take_bind(shared.config.max_binds) {
                            tracing::info!(max_binds = shared.config.max_binds, "bind refused: too many binds");
                            ok = false;
                        }
                        let status = if ok { ESME_ROK } else { ESME_RBINDFAIL };
                        let resp = BindResp { system_id: "smsgw-sim".into(), tlvs: vec![Tlv::u8(tag::SC_INTERFACE_VERSION, 0x34)] };
                        let (kind, body) = match pdu.body {
                            Body::BindTransmitter(_) => (Bound::Tx, Body::BindTransmitterResp(resp)),
                            Body::BindReceiver(_) => (Bound::Rx, Body::BindReceiverResp(resp)),
                            _ => (Bound::Trx, Body::BindTransceiverResp(resp)),
                        };
                        let _ = out_tx.send(Pdu::response_to(&pdu, status, body));
                        if ok {
                            bound = kind;
                            system_id = b.system_id.clone();
                            shared.state.binds.fetch_add(1, Ordering::Relaxed);
                            tracing::debug!(system_id, "bound");
                            if matches!(kind, Bound::Rx | Bound::Trx) {
                                shared.state.deliveries.add_receiver(&system_id, bind_no, Protocol::Smpp, deliver_tx.clone());
                            }
                        }
                    }
                    Body::SubmitSm(ref sm) => {
                        let resp = submit(&shared, &system_id, bind_no, bound, sm);
                        let reply = Pdu::response_to(&pdu, resp.0, Body::SubmitSmResp(SmResp { message_id: resp.1, tlvs: Vec::new() }));
                        if shared.config.latency.is_zero() {
                            let _ = out_tx.send(reply);
                        } else {
                            let tx = out_tx.clone();
                            let latency = shared.config.latency;
                            tokio::spawn(async move {
                                tokio::time::sleep(latency).await;
                                let _ = tx.send(reply);
                            });
                        }
                    }
                    Body::DeliverSmResp(_) => {
                        if let Some(out) = unacked.remove(&pdu.sequence) {
                            if pdu.status == ESME_ROK {
                                shared.state.receipts_sent.fetch_add(1, Ordering::Relaxed);
                            } else {
                                // The ESME refused it (e.g. it could not record it yet): try again later.
                                let registry_out = out;
                                let shared = shared.clone();
                                tokio::spawn(async move {
                                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                                    shared.state.deliveries.deliver(registry_out);
                                });
                            }
                        }
                    }
                    Body::EnquireLink => {
                        let _ = out_tx.send(Pdu::response_to(&pdu, ESME_ROK, Body::EnquireLinkResp));
                    }
                    Body::Unbind => {
                        shared.state.unbinds.fetch_add(1, Ordering::Relaxed);
                        let _ = out_tx.send(Pdu::response_to(&pdu, ESME_ROK, Body::UnbindResp));
                        break;
                    }
                    Body::EnquireLinkResp | Body::UnbindResp | Body::GenericNack => {}
                    _ if pdu.is_response() => {}
                    _ => {
                        let reply = match Body::empty_response_to(pdu.command_id()) {
                            Some(body) => Pdu::response_to(&pdu, ESME_RINVCMDID, body),
                            None => Pdu::generic_nack(pdu.sequence, ESME_RINVCMDID),
                        };
                        let _ = out_tx.send(reply);
                    }
                }
            }
        }
    }

    shared.state.deliveries.remove_receiver(&system_id, bind_no);
    if bound != Bound::No {
        shared.state.bound_now.fetch_sub(1, Ordering::Relaxed);
    }
    // Anything not acknowledged goes to another bind (or waits for one).
    for (_, out) in std::mem::take(&mut unacked) {
        shared.state.deliveries.deliver(out);
    }
    while let Ok(out) = deliver_rx.try_recv() {
        shared.state.deliveries.deliver(out);
    }
    drop(out_tx);
    if !writer.is_finished() {
        let _ = writer.await;
    }
    tracing::debug!("session closed");
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

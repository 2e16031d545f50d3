//! A GSM modem as a link: one task owns the serial port (`tokio-serial`) and
//! drives the sans-IO [`modem::Modem`] (TS 27.005 AT commands in PDU mode):
//! the init sequence (PIN from the config, never logged), submissions as
//! SMS-SUBMIT PDUs through `AT+CMGS`, status reports (`+CDS`) as delivery
//! reports, inbound messages (`+CMTI`/`+CMT`) as MO units, signal and
//! registration as health.
//!
//! Nothing is lost: a received message is deleted from the modem (or
//! acknowledged) only after it is recorded on the broker; a modem that stops
//! answering is reported unhealthy, its port reopened and the modem reset,
//! while its queued submissions wait inside the state machine.
//!
//! A status report names its message by TP-MR, which the modem counts modulo
//! 256, and by the recipient: the message id is `mr:recipient`, so two
//! receipts only collide for the same recipient 256 messages apart.

use events::ErrorCode;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use modem::{Event, InboundId, InitError, Modem, ModemConfig, Pin, Sent, SubmitId, SubmitOptions};
use runtime::config::Protocol;
use timing::Backoff;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_serial::SerialPortBuilderExt;
use tokio_util::sync::CancellationToken;

use receipt::FinalState;

use crate::exchange::InFlight;
use crate::link::{Ack, Answer, Incoming, MoUnit, Numbering, Report, Submission, SubmitError, Verdict};
use crate::queue::Queue;

/// The message id of a submission to `recipient` the modem numbered `mr`.
pub fn message_id(mr: u8, recipient: &str) -> String {
    format!("{mr}:{}", recipient.trim_start_matches('+'))
}

/// The SMS-SUBMIT for one submission (TS 23.040 §9.2.2.2).
pub fn pdu(sub: &Submission, now_ms: i64) -> Result<modem::SubmitPdu, String> {
    if sub.sar.is_some() || sub.whole {
        return Err("a modem sends long messages with a UDH; use concat = udh8 or udh16".into());
    }
    let to = match sub.destination.numbering {
        Numbering::International => modem::Address::international(&sub.destination.value),
        _ => modem::Address::unknown(&sub.destination.value),
    };
    let opts = SubmitOptions {
        status_report: sub.receipt,
        validity: sub.expires_at.map(|t| Duration::from_millis(t.saturating_sub(now_ms).max(0) as u64)),
        ..SubmitOptions::default()
    };
    modem::encode_submit(&to, sub.data_coding, sub.udh.as_deref(), &sub.payload, &opts).map_err(|e| e.to_string())
}

/// What a failed `AT+CMGS` means for the message.
fn failure_answer(failure: &modem::SubmitFailure) -> Result<Answer, SubmitError> {
    if failure.sent == Sent::Unknown {
        // The PDU went out and no +CMGS came back: the network may have it.
        return Err(SubmitError::ConnectionLost);
    }
    let (code, text) = match failure.cause {
        modem::Cause::At(modem::AtError::Cms(n)) => (i32::from(n), format!("+CMS ERROR: {n}")),
        modem::Cause::At(modem::AtError::Cme(n)) => (i32::from(n), format!("+CME ERROR: {n}")),
        modem::Cause::At(_) => (-1, "ERROR".to_owned()),
        modem::Cause::Timeout => return Err(SubmitError::Timeout),
    };
    let verdict = if failure.temporary { Verdict::Temporary } else { Verdict::Permanent };
    Ok(Answer { verdict, message_id: String::new(), protocol_code: code, error_code: Some(ErrorCode::SmscError), text })
}

/// Keeps the modem `device` of `queue.config` working until `shutdown`.
pub async fn run(queue: Arc<Queue>, device: runtime::config::ModemConfig, shutdown: CancellationToken) {
    let config = &queue.config;
    let modem_config = ModemConfig {
        pin: device.pin.as_ref().map(|p| Pin::new(p.expose())),
        command_timeout: config.response_timeout,
        ..ModemConfig::default()
    };
    let mut link = Link { modem: Modem::new(modem_config, Instant::now()), pending: HashMap::new(), ready: false };
    let mut backoff = Backoff::new(config.reconnect_min, config.reconnect_max);
    loop {
        let ended = link.serve(&queue, &device, &shutdown).await;
        if link.ready {
            link.ready = false;
            queue.link_down();
        }
        match ended {
            Ended::Shutdown => break,
            Ended::Fatal(reason) => {
                // A wrong PIN is never tried again: three wrong tries lock the SIM.
                tracing::error!(%reason, device = %device.device, "modem disabled until restart");
                shutdown.cancelled().await;
                break;
            }
            Ended::Lost(reason) => {
                let delay = backoff.next_delay(rand::random::<f64>());
                tracing::warn!(%reason, device = %device.device, retry_in = ?delay, "modem unhealthy, reopening");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(delay) => {}
                }
                link.modem.reset(Instant::now());
            }
        }
    }
    // Queued but never written: free to send again. Written without an answer: maybe sent.
    for (id, _) in link.modem.take_queued() {
        if let Some((sent, _)) = link.pending.remove(&id) {
            sent.answer(Err(SubmitError::NotSent));
        }
    }
    for (_, (sent, _)) in link.pending.drain() {
        sent.answer(Err(SubmitError::ConnectionLost));
    }
    tracing::info!(device = %device.device, "modem closed");
}

enum Ended {
    Shutdown,
    /// Reopen the port after a pause.
    Lost(String),
    /// Do not try again (the SIM would lock).
    Fatal(String),
}

struct Link {
    modem: Modem,
    /// Submissions handed to the state machine, by its id.
    pending: HashMap<SubmitId, (InFlight, String)>,
    ready: bool,
}

impl Link {
    async fn serve(
        &mut self,
        queue: &Arc<Queue>,
        device: &runtime::config::ModemConfig,
        shutdown: &CancellationToken,
    ) -> Ended {
        let config = &queue.config;
        let port = match tokio_serial::new(&device.device, device.baud).open_native_async() {
            Ok(p) => p,
            Err(e) => return Ended::Lost(format!("cannot open {}: {e}", device.device)),
        };
        let (mut reader, mut writer) = tokio::io::split(port);
        let (acks, mut ack_rx) = mpsc::channel::<(InboundId, Ack)>(64);
        let mut buf = vec![0u8; 4096];
        let mut next = crate::queue::next_submit(queue.clone());
        loop {
            while let Some(bytes) = self.modem.poll_transmit() {
                if let Err(e) = writer.write_all(&bytes).await {
                    return Ended::Lost(format!("write to {} failed: {e}", device.device));
                }
            }
            while let Some(event) = self.modem.poll_event() {
                if let Some(ended) = self.handle(queue, &acks, event).await {
                    return ended;
                }
            }
            let deadline = self.modem.next_deadline().unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            let room = self.ready && self.modem.queued_submits() < config.window;
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ended::Shutdown,
                read = reader.read(&mut buf) => match read {
                    Ok(0) => return Ended::Lost(format!("{} closed", device.device)),
                    Ok(n) => self.modem.handle_input(&buf[..n], Instant::now()),
                    Err(e) => return Ended::Lost(format!("read from {} failed: {e}", device.device)),
                },
                Some((id, ack)) = ack_rx.recv() => {
                    // Refused: left on the modem; it is reported again after the next reset.
                    if ack == Ack::Recorded {
                        self.modem.confirm(id, Instant::now());
                    }
                }
                submit = &mut next, if room => {
                    next = crate::queue::next_submit(queue.clone());
                    // Withdrawn and expired ones were answered by `next_submit`.
                    let Some(s) = submit else { continue };
                    match pdu(&s.submission, timing::now_ms()) {
                        Ok(pdu) => {
                            let id = self.modem.submit(pdu, Instant::now());
                            let recipient = s.submission.destination.value.clone();
                            self.pending.insert(id, (InFlight::new(s, config, None), recipient));
                        }
                        Err(reason) => {
                            let _ = s.reply.send(Err(SubmitError::Unsupported(reason)));
                        }
                    }
                }
                _ = tokio::time::sleep_until(deadline.into()) => self.modem.handle_timeout(Instant::now()),
            }
        }
    }

    /// Applies one event; `Some` when the port must be closed.
    async fn handle(&mut self, queue: &Queue, acks: &mpsc::Sender<(InboundId, Ack)>, event: Event) -> Option<Ended> {
        let connection = &queue.config.id;
        match event {
            Event::Ready { .. } => {
                if !self.ready {
                    queue.link_up();
                }
                self.ready = true;
                tracing::info!("modem ready");
            }
            Event::InitFailed(InitError::PinRejected(e)) => {
                return Some(Ended::Fatal(format!("SIM PIN rejected: {e:?}")))
            }
            Event::InitFailed(InitError::PinRequired) => {
                return Some(Ended::Fatal("the SIM wants a PIN and none is configured".into()))
            }
            Event::InitFailed(e) => return Some(Ended::Lost(format!("modem init failed: {e:?}"))),
            Event::Submitted { id, mr } => {
                if let Some((sent, recipient)) = self.pending.remove(&id) {
                    let message_id = mr.map(|mr| message_id(mr, &recipient)).unwrap_or_default();
                    sent.answer(Ok(Answer::accepted(message_id)));
                }
            }
            Event::SubmitFailed { id, failure } => {
                if let Some((sent, _)) = self.pending.remove(&id) {
                    sent.answer(failure_answer(&failure));
                }
            }
            Event::Received { id, deliver } => {
                let unit = MoUnit {
                    from: deliver.from.value.clone(),
                    to: String::new(),
                    data_coding: deliver.data_coding,
                    udhi: deliver.udhi,
                    user_data: Bytes::from(deliver.user_data),
                    sar: None,
                    smsc_timestamp: deliver.scts.epoch_ms(),
                    text: None,
                };
                forward(queue, acks, id, Incoming::Mo(unit)).await;
            }
            Event::StatusReport { id, report } => {
                let report = Report {
                    message_id: message_id(report.mr, &report.recipient.value),
                    // The modem crate names TP-ST's classes (TS 23.040 §9.2.3.15) by their receipt words.
                    state: FinalState::from_stat(report.stat()).unwrap_or(FinalState::Unknown),
                    is_final: report.finality() == modem::Finality::Final,
                    err: Some(format!("{:03}", report.status)),
                    network_error: None,
                    done_at: report.discharge.epoch_ms(),
                };
                forward(queue, acks, id, Incoming::Report(report)).await;
            }
            Event::Undecodable { id, pdu, error } => {
                // Kept as an inbound message with the raw PDU, so nothing is lost.
                tracing::error!(octets = pdu.len() / 2, error = %error, "undecodable PDU from the modem; published as binary");
                // Not even hex: the line itself.
                let raw = modem::hex::decode(&pdu).unwrap_or_else(|_| pdu.clone().into_bytes());
                let unit = MoUnit { data_coding: 0x04, user_data: raw.into(), ..MoUnit::default() };
                forward(queue, acks, id, Incoming::Mo(unit)).await;
            }
            Event::Signal { rssi, ber } => {
                counters::modem_signal(connection).set(i64::from(rssi));
                tracing::debug!(rssi, ber, "signal quality");
            }
            Event::Registration { status } => {
                counters::modem_registration(connection).set(i64::from(status));
                if !matches!(status, 1 | 5) {
                    tracing::warn!(status, "modem not registered on the network (TS 27.007 §7.2)");
                }
            }
            Event::CommandFailed { command, error } => tracing::warn!(command, ?error, "modem command failed"),
            Event::Unresponsive { command } => return Some(Ended::Lost(format!("no answer to {command}"))),
            // Such a line may carry a caller's number (+CLIP): masked.
            Event::Ignored { line } => {
                tracing::debug!(line = %runtime::redact::digits(&line), "unsolicited modem line ignored")
            }
            other => tracing::debug!(?other, "modem event"),
        }
        None
    }
}

/// Hands `incoming` to the sender; its acknowledgement comes back on `acks`.
async fn forward(queue: &Queue, acks: &mpsc::Sender<(InboundId, Ack)>, id: InboundId, incoming: Incoming) {
    let (delivered, answer) = crate::exchange::delivered(&queue.config.id, Protocol::Modem, incoming, None);
    if queue.inbound.send(delivered).await.is_err() {
        return;
    }
    let acks = acks.clone();
    tokio::spawn(async move {
        let ack = answer.await.unwrap_or(Ack::Refused);
        let _ = acks.send((id, ack)).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission() -> Submission {
        Submission { source: None, ..Submission::test(0, b"hellohello", None) }
    }

    #[test]
    fn submissions_become_submit_pdus() {
        let p = pdu(&submission(), 0).unwrap();
        let decoded = modem::decode_submit(&p.hex).unwrap();
        assert_eq!(decoded.to.value, "4915112345678");
        assert!(decoded.status_report);
        let mut whole = submission();
        whole.whole = true;
        assert!(pdu(&whole, 0).is_err());
    }

    #[test]
    fn ids_pair_the_reference_with_the_recipient() {
        assert_eq!(message_id(7, "+4915112345678"), "7:4915112345678");
        assert_eq!(message_id(7, "4915112345678"), "7:4915112345678");
    }

    #[test]
    fn failures_are_classified() {
        let f = |cause, temporary, sent| failure_answer(&modem::SubmitFailure { cause, temporary, sent });
        let a = f(modem::Cause::At(modem::AtError::Cms(38)), true, Sent::No).unwrap();
        assert_eq!((a.verdict, a.protocol_code, a.text.as_str()), (Verdict::Temporary, 38, "+CMS ERROR: 38"));
        assert_eq!(f(modem::Cause::At(modem::AtError::Cms(21)), false, Sent::No).unwrap().verdict, Verdict::Permanent);
        assert_eq!(f(modem::Cause::Timeout, true, Sent::Unknown), Err(SubmitError::ConnectionLost));
    }
}

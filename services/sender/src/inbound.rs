//! deliver_sm received on a connection's binds: mobile-originated messages
//! become InboundMessage events on `sms.inbound`; delivery receipts are
//! parsed into protocol-neutral records on the deliver topic, keyed by
//! connection and normalised message id, for the tracker to correlate. The deliver_sm_resp is sent only once the
//! record is on the broker, so a crash before that makes the SMSC deliver
//! again instead of losing the message. InboundMessage events are framed as
//! the caller says (Confluent with a registry, single-object without).

use std::sync::atomic::{AtomicU64, Ordering};

use events::{Framing, InboundMessage};
use kafka::rdkafka::message::OwnedHeaders;
use kafka::rdkafka::producer::FutureProducer;
use kafka::{publish, Outgoing};
use receipt::DlrIdFormat;
use records::ReceiptRecord;
use smpp::tlv::{find, tag};
use smpp::Sm;

use crate::smpp::pool::Delivered;

use kafka::recent::now_ms;

/// The protocol-neutral record of an SMPP receipt.
pub fn receipt_record(connection: &str, receipt: &receipt::Receipt, received_at: i64) -> ReceiptRecord {
    let text = receipt.text.as_ref();
    ReceiptRecord {
        connection: connection.to_owned(),
        message_id: receipt.message_id.clone(),
        stat: receipt.state.stat().to_owned(),
        is_final: receipt.state.is_final(),
        err: text.and_then(|t| t.err.clone()),
        network_error: receipt.network_error.map(|n| (n.network_type, n.code)),
        done_at: text.and_then(|t| t.done_date).map(|d| d.to_epoch_millis(0)),
        received_at,
    }
}

/// Where deliveries of one connection go.
pub struct Destinations {
    pub connection: String,
    pub topics: runtime::config::TopicsConfig,
    /// Framing of InboundMessage events.
    pub framing: Framing,
    /// How receipt ids are normalised into keys.
    pub dlr_id_format: DlrIdFormat,
}

/// Deliveries being published at once per connection.
const MAX_IN_FLIGHT: usize = 2000;

/// Handles deliveries of one connection until every bind has stopped.
///
/// Each delivery is published on a task of its own (bounded), so one slow
/// broker acknowledgement never holds up the next receipt — or, through a
/// full channel, the bind that reads submit responses.
pub async fn run(to: Destinations, producer: FutureProducer, mut rx: tokio::sync::mpsc::Receiver<Delivered>) {
    let to = std::sync::Arc::new(to);
    let counter = std::sync::Arc::new(AtomicU64::new(0));
    let instance: u64 = rand::random();
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let tasks = tokio_util::task::TaskTracker::new();
    while let Some(delivered) = rx.recv().await {
        let Ok(permit) = permits.clone().acquire_owned().await else { break };
        let (to, producer, counter) = (to.clone(), producer.clone(), counter.clone());
        tasks.spawn(async move {
            handle(&to, &producer, &counter, instance, delivered).await;
            drop(permit);
        });
    }
    tasks.close();
    tasks.wait().await;
}

async fn handle(
    to: &Destinations,
    producer: &FutureProducer,
    counter: &AtomicU64,
    instance: u64,
    delivered: Delivered,
) {
    let connection = &to.connection;
    let sm = &delivered.sm;
    let received_at = now_ms();
    if let Some(receipt) = receipt::from_deliver_sm(sm) {
        counters::inbound(connection, "receipt").inc();
        let record = receipt_record(connection, &receipt, received_at);
        if receipt.message_id.is_empty() {
            tracing::warn!("delivery receipt without a message id");
        }
        let key = records::key(connection, &to.dlr_id_format.receipt_key(&receipt.message_id));
        let payload = serde_json::to_vec(&record).unwrap_or_default();
        publish(
            producer,
            Outgoing { topic: &to.topics.deliver, key: &key, payload: &payload, headers: OwnedHeaders::new() },
        )
        .await;
    } else {
        counters::inbound(connection, "mo").inc();
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let message = inbound_message(connection, sm, format!("{connection}-{instance:016x}-{n}"), received_at);
        match events::encode_inbound(&message, to.framing) {
            Ok(payload) => {
                let headers = OwnedHeaders::new();
                publish(
                    producer,
                    Outgoing { topic: &to.topics.inbound, key: &message.from, payload: &payload, headers },
                )
                .await;
            }
            Err(e) => tracing::error!(error = %e, "cannot encode inbound message"),
        }
    }
    let _ = delivered.ack.send(smpp::status::ESME_ROK);
}

/// Decodes a (single-part) mobile-originated deliver_sm. Multi-part reassembly is the tracker's job;
/// the concatenation header is reported in `metadata`.
pub fn inbound_message(connection: &str, sm: &Sm, id: String, received_at: i64) -> InboundMessage {
    let mut metadata = events::Metadata::new();
    let mut user_data: &[u8] = &sm.short_message;
    if let Some(payload) = find(&sm.tlvs, tag::MESSAGE_PAYLOAD) {
        user_data = &payload.value;
    }
    if sm.esm_class & 0x40 != 0 {
        if let Ok((udh, rest)) = text::parse_udh(user_data) {
            if let Some((reference, total, seq)) = udh.concat() {
                metadata.insert("concat".into(), format!("{reference}/{total}/{seq}"));
            }
            user_data = rest;
        }
    }
    let decoded = text::decode(sm.data_coding, user_data);
    InboundMessage {
        id,
        connection: connection.to_owned(),
        from: sm.source_addr.clone(),
        to: sm.destination_addr.clone(),
        payload: decoded.text.is_none().then(|| user_data.to_vec()),
        text: decoded.text,
        data_coding: sm.data_coding,
        segments: 1,
        smsc_timestamp: None,
        received_at,
        metadata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_become_records() {
        let sm = Sm {
            esm_class: 0x04,
            short_message:
                "id:0A1b sub:001 dlvrd:001 submit date:2611261200 done date:2611261201 stat:DELIVRD err:000 text:x"
                    .into(),
            ..Sm::default()
        };
        let r = receipt::from_deliver_sm(&sm).unwrap();
        let record = receipt_record("c", &r, 7);
        assert_eq!(record.message_id, "0A1b");
        assert_eq!(record.stat, "DELIVRD");
        assert!(record.is_final);
        assert_eq!(record.err.as_deref(), Some("000"));
        assert!(record.done_at.is_some());
        let mo = Sm { esm_class: 0, short_message: "hello".into(), ..Sm::default() };
        assert!(receipt::from_deliver_sm(&mo).is_none());
    }

    #[test]
    fn decodes_ucs2_and_strips_udh() {
        let mut body = vec![5, 0, 3, 9, 2, 1];
        body.extend(text::ucs2::encode("Привет"));
        let sm = Sm {
            esm_class: 0x40,
            data_coding: 8,
            short_message: body.into(),
            source_addr: "491".into(),
            ..Sm::default()
        };
        let m = inbound_message("c", &sm, "id".into(), 1);
        assert_eq!(m.text.as_deref(), Some("Привет"));
        assert_eq!(m.metadata.get("concat").map(String::as_str), Some("9/2/1"));
    }
}

//! deliver_sm received on a connection's binds: mobile-originated messages
//! become InboundMessage events on `sms.inbound`; delivery receipts are
//! published raw on the deliver topic, keyed by connection and message id,
//! for the tracker to correlate. The deliver_sm_resp is sent only once the
//! record is on the broker, so a crash before that makes the SMSC deliver
//! again instead of losing the message. InboundMessage events are framed as
//! the caller says (Confluent with a registry, single-object without).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use events::{Framing, InboundMessage};
use kafka::rdkafka::message::OwnedHeaders;
use kafka::rdkafka::producer::FutureProducer;
use kafka::{publish, Outgoing};
use serde::Serialize;
use smpp::tlv::{find, tag};
use smpp::Sm;

use crate::smpp::pool::Delivered;

/// `esm_class` message type bits 5..2 (SMPP 3.4 §5.2.12): SMSC delivery receipt.
pub fn is_receipt(sm: &Sm) -> bool {
    matches!(sm.esm_class & 0x3C, 0x04 | 0x20) || find(&sm.tlvs, tag::RECEIPTED_MESSAGE_ID).is_some()
}

/// A delivery receipt as received, for the tracker (JSON on the deliver topic).
#[derive(Debug, Serialize)]
pub struct RawReceipt<'a> {
    pub connection: &'a str,
    /// `receipted_message_id` TLV when present, else the receipt text's `id:` field.
    pub message_id: Option<String>,
    pub source_addr: &'a str,
    pub destination_addr: &'a str,
    pub esm_class: u8,
    pub data_coding: u8,
    /// The receipt text as sent (Latin-1 decoded).
    pub text: String,
    pub message_state: Option<u8>,
    pub network_error_code_hex: Option<String>,
    pub received_at: i64,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `id:` field of a receipt text (SMPP 3.4 Appendix B).
pub fn text_id(text: &str) -> Option<String> {
    let start = text.find("id:")? + 3;
    let id: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    (!id.is_empty()).then_some(id)
}

/// Handles deliveries of one connection until every bind has stopped.
pub async fn run(
    connection: String,
    producer: FutureProducer,
    topics: runtime::config::TopicsConfig,
    framing: Framing,
    mut rx: tokio::sync::mpsc::Receiver<Delivered>,
) {
    let counter = AtomicU64::new(0);
    let instance: u64 = rand::random();
    while let Some(delivered) = rx.recv().await {
        let sm = &delivered.sm;
        let received_at = now_ms();
        if is_receipt(sm) {
            let text: String = sm.short_message.iter().map(|&b| b as char).collect();
            let message_id =
                find(&sm.tlvs, tag::RECEIPTED_MESSAGE_ID).map(|t| t.as_cstring()).or_else(|| text_id(&text));
            let raw = RawReceipt {
                connection: &connection,
                message_id: message_id.clone(),
                source_addr: &sm.source_addr,
                destination_addr: &sm.destination_addr,
                esm_class: sm.esm_class,
                data_coding: sm.data_coding,
                text,
                message_state: find(&sm.tlvs, tag::MESSAGE_STATE).and_then(|t| t.as_u8()),
                network_error_code_hex: find(&sm.tlvs, tag::NETWORK_ERROR_CODE).map(|t| hex(&t.value)),
                received_at,
            };
            let payload = serde_json::to_vec(&raw).unwrap_or_default();
            let key = format!("{connection}:{}", message_id.unwrap_or_default());
            publish(
                &producer,
                Outgoing { topic: &topics.deliver, key: &key, payload: &payload, headers: OwnedHeaders::new() },
            )
            .await;
        } else {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let message = inbound_message(&connection, sm, format!("{connection}-{instance:016x}-{n}"), received_at);
            match events::encode_inbound(&message, framing) {
                Ok(payload) => {
                    publish(
                        &producer,
                        Outgoing {
                            topic: &topics.inbound,
                            key: &message.from,
                            payload: &payload,
                            headers: OwnedHeaders::new(),
                        },
                    )
                    .await;
                }
                Err(e) => tracing::error!(error = %e, "cannot encode inbound message"),
            }
        }
        let _ = delivered.ack.send(smpp::status::ESME_ROK);
    }
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
    use smpp::Tlv;

    #[test]
    fn receipt_detection_and_id() {
        let mut sm = Sm { esm_class: 0x04, short_message: "id:0A1b stat:DELIVRD".into(), ..Sm::default() };
        assert!(is_receipt(&sm));
        assert_eq!(text_id("id:0A1b sub:001"), Some("0A1b".into()));
        sm.esm_class = 0;
        assert!(!is_receipt(&sm));
        sm.tlvs.push(Tlv::cstring(tag::RECEIPTED_MESSAGE_ID, "x"));
        assert!(is_receipt(&sm));
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

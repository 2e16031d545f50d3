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
use records::{MoPart, ReceiptRecord};
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
        match read_mo(connection, sm, format!("{connection}-{instance:016x}-{n}"), received_at) {
            Mo::Whole(message) => match events::encode_inbound(&message, to.framing) {
                Ok(payload) => {
                    let headers = OwnedHeaders::new();
                    let out = Outgoing { topic: &to.topics.inbound, key: &message.from, payload: &payload, headers };
                    publish(producer, out).await;
                }
                Err(e) => tracing::error!(error = %e, "cannot encode inbound message"),
            },
            Mo::Part(part) => {
                let payload = serde_json::to_vec(&part).unwrap_or_default();
                let headers = OwnedHeaders::new();
                publish(
                    producer,
                    Outgoing { topic: &to.topics.mo_parts, key: &part.key(), payload: &payload, headers },
                )
                .await;
            }
        }
    }
    let _ = delivered.ack.send(smpp::status::ESME_ROK);
}

/// What a mobile-originated deliver_sm carries.
#[derive(Debug)]
pub enum Mo {
    /// A message of one part, decoded.
    Whole(InboundMessage),
    /// One part of a concatenated message, for the tracker to reassemble.
    Part(MoPart),
}

/// Reads a mobile-originated deliver_sm: user data from `message_payload` or
/// `short_message`, the UDH when UDHI is set, concatenation from the UDH
/// (TS 23.040 §9.2.3.24.1/.8) or the SAR TLVs (SMPP 3.4 §5.3.2.22-24), text
/// decoded with the UDH's national language tables. A part numbered outside
/// 1..=total is taken as a whole message, its header reported in `metadata`.
pub fn read_mo(connection: &str, sm: &Sm, id: String, received_at: i64) -> Mo {
    let mut metadata = events::Metadata::new();
    let mut user_data: &[u8] = &sm.short_message;
    if let Some(payload) = find(&sm.tlvs, tag::MESSAGE_PAYLOAD) {
        user_data = &payload.value;
    }
    let mut concat = sar(sm);
    let mut shift = text::Shift::NONE;
    if sm.esm_class & 0x40 != 0 {
        match text::parse_udh(user_data) {
            Ok((udh, rest)) => {
                concat = udh.concat().or(concat);
                shift = udh.shift();
                user_data = rest;
            }
            Err(e) => {
                tracing::warn!(error = %e, "inbound message with a malformed UDH; decoded as it is");
                metadata.insert("udh_error".into(), e.to_string());
            }
        }
    }
    if let Some((reference, total, seq)) = concat {
        if total > 1 && (1..=total).contains(&seq) {
            return Mo::Part(MoPart {
                connection: connection.to_owned(),
                from: sm.source_addr.clone(),
                to: sm.destination_addr.clone(),
                reference,
                total,
                seq,
                data_coding: sm.data_coding,
                locking_shift: shift.locking.map(text::Language::id),
                single_shift: shift.single.map(text::Language::id),
                body: user_data.to_vec(),
                smsc_timestamp: None,
                received_at,
            });
        }
        metadata.insert("concat".into(), format!("{reference}/{total}/{seq}"));
    }
    let decoded = text::decode::decode_with(sm.data_coding, shift, user_data);
    Mo::Whole(InboundMessage {
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
    })
}

/// `(sar_msg_ref_num, sar_total_segments, sar_segment_seqnum)` when all three are present and well-formed.
fn sar(sm: &Sm) -> Option<(u16, u8, u8)> {
    let reference = match find(&sm.tlvs, tag::SAR_MSG_REF_NUM)?.value.as_ref() {
        &[hi, lo] => u16::from_be_bytes([hi, lo]),
        _ => return None,
    };
    let one = |t: u16| match find(&sm.tlvs, t)?.value.as_ref() {
        &[b] => Some(b),
        _ => None,
    };
    Some((reference, one(tag::SAR_TOTAL_SEGMENTS)?, one(tag::SAR_SEGMENT_SEQNUM)?))
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
        let Mo::Part(part) = read_mo("c", &sm, "id".into(), 1) else { panic!("a part") };
        assert_eq!((part.reference, part.total, part.seq), (9, 2, 1));
        assert_eq!(text::ucs2::decode(&part.body), "Привет");
        assert_eq!(part.key(), "c:491::9:2");
    }

    fn whole(sm: &Sm) -> InboundMessage {
        match read_mo("c", sm, "id".into(), 1) {
            Mo::Whole(m) => m,
            Mo::Part(p) => panic!("expected a whole message, got part {p:?}"),
        }
    }

    #[test]
    fn sar_tlvs_make_a_part() {
        let tlvs = vec![
            smpp::tlv::Tlv { tag: tag::SAR_MSG_REF_NUM, value: vec![0x01, 0x02].into() },
            smpp::tlv::Tlv { tag: tag::SAR_TOTAL_SEGMENTS, value: vec![3].into() },
            smpp::tlv::Tlv { tag: tag::SAR_SEGMENT_SEQNUM, value: vec![2].into() },
        ];
        let sm = Sm { short_message: "middle".into(), tlvs, ..Sm::default() };
        let Mo::Part(part) = read_mo("c", &sm, "id".into(), 1) else { panic!("a part") };
        assert_eq!((part.reference, part.total, part.seq), (0x0102, 3, 2));
        assert_eq!(part.body, b"middle");
    }

    #[test]
    fn odd_concatenation_headers_are_whole_messages() {
        // Part 1 of 1 is a whole message; part 3 of 2 and part 0 are ignored (TS 23.040 §9.2.3.24.1).
        for (total, seq, reported) in [(1u8, 1u8, Some("7/1/1")), (2, 3, None), (2, 0, None)] {
            let mut body = vec![5, 0, 3, 7, total, seq];
            body.extend_from_slice(b"hi");
            let m = whole(&Sm { esm_class: 0x40, short_message: body.into(), ..Sm::default() });
            assert_eq!(m.text.as_deref(), Some("hi"));
            assert_eq!(m.metadata.get("concat").map(String::as_str), reported);
        }
        // A UDH longer than the message: reported, the bytes decoded as they are.
        let m = whole(&Sm { esm_class: 0x40, short_message: vec![9, 0, 3].into(), ..Sm::default() });
        assert!(m.metadata.contains_key("udh_error"));
    }

    #[test]
    fn national_single_shift_decodes_with_its_table() {
        // UDH: single shift Turkish (IE 0x24, language 1); 0x1B 0x47 is 'Ğ' in the Turkish single shift table.
        let mut body = vec![3, 0x24, 1, 1];
        body.extend_from_slice(&[0x1B, 0x47]);
        let m = whole(&Sm { esm_class: 0x40, short_message: body.into(), ..Sm::default() });
        assert_eq!(m.text.as_deref(), Some("Ğ"));
    }
}

//! What a connection's links receive ([`Incoming`]): mobile-originated
//! messages become InboundMessage events on `sms.inbound` (parts of
//! concatenated ones go to `sms.mo-parts` for the tracker to reassemble);
//! delivery reports become records on the deliver topic, keyed by connection
//! and normalised message id, for the tracker to correlate. The link answers
//! the SMSC only once the record is on the broker, so a crash before that
//! makes the SMSC deliver again instead of losing the message. InboundMessage
//! events are framed as the caller says (Confluent with a registry,
//! single-object without).

use std::sync::atomic::{AtomicU64, Ordering};

use events::{Framing, InboundMessage};
use kafka::rdkafka::message::OwnedHeaders;
use kafka::{Outgoing, Producer, PublishError};
use msgid::DlrIdFormat;
use records::{MoPart, ReceiptRecord, ReceiptState};
use timing::now_ms;
use tracing::Instrument;

use crate::link::{Ack, Delivered, Incoming, MoUnit, Report};

/// The record the tracker correlates.
pub fn receipt_record(connection: &str, report: Report, received_at: i64) -> ReceiptRecord {
    ReceiptRecord {
        connection: connection.to_owned(),
        message_id: report.message_id,
        state: ReceiptState::Reported(report.state),
        is_final: report.is_final,
        err: report.err,
        network_error: report.network_error,
        done_at: report.done_at,
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
    /// How receipt records and inbound parts are written.
    pub format: records::Format,
}

/// Deliveries being published at once per connection.
const MAX_IN_FLIGHT: usize = 2000;

/// Handles deliveries of one connection until every bind has stopped.
///
/// Each delivery is published on a task of its own (bounded), so one slow
/// broker acknowledgement never holds up the next receipt — or, through a
/// full channel, the bind that reads submit responses.
pub async fn run(to: Destinations, producer: Producer, mut rx: tokio::sync::mpsc::Receiver<Delivered>) {
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

async fn handle(to: &Destinations, producer: &Producer, counter: &AtomicU64, instance: u64, delivered: Delivered) {
    let Delivered { incoming, ack: reply, span } = delivered;
    // The records carry the delivery's trace (the tracker links a matched receipt to its request's trace).
    let headers = || kafka::trace::with_fields(OwnedHeaders::new(), &kafka::trace::fields_of(&span, &[]));
    let recorded = record(to, producer, counter, instance, incoming, headers).instrument(span.clone()).await;
    let ack = match recorded {
        Ok(()) => Ack::Recorded,
        Err(e) => {
            // Not acknowledged: the SMSC delivers it again (to this process
            // after a restart, or to another replica's bind).
            tracing::warn!(error = %e, "delivery not recorded; the SMSC is told to deliver it again");
            Ack::Refused
        }
    };
    crate::exchange::acknowledged(&span, ack);
    let _ = reply.send(ack);
}

/// Publishes what a link received; `Err` when it is not on the broker.
async fn record(
    to: &Destinations,
    producer: &Producer,
    counter: &AtomicU64,
    instance: u64,
    incoming: Incoming,
    headers: impl Fn() -> OwnedHeaders,
) -> Result<(), PublishError> {
    let connection = &to.connection;
    let received_at = now_ms();
    let encoded = |e: records::EncodeError| PublishError::Rejected(format!("cannot encode: {e}"));
    match incoming {
        Incoming::Report(report) => {
            counters::inbound(connection, "receipt").inc();
            if report.message_id.is_empty() {
                tracing::warn!("delivery receipt without a message id");
            }
            let key = records::key(connection, &to.dlr_id_format.receipt_key(&report.message_id));
            let record = receipt_record(connection, report, received_at);
            let payload = records::encode_as(&record, to.format).map_err(encoded)?;
            let out = Outgoing { topic: &to.topics.deliver, key: &key, payload: &payload, headers: headers() };
            producer.publish(out).await?;
        }
        Incoming::Mo(unit) => {
            counters::inbound(connection, "mo").inc();
            let n = counter.fetch_add(1, Ordering::Relaxed);
            match read_mo(connection, &unit, format!("{connection}-{instance:016x}-{n}"), received_at) {
                Mo::Whole(message) => {
                    let payload = events::encode_inbound(&message, to.framing)
                        .map_err(|e| PublishError::Rejected(format!("cannot encode inbound message: {e}")))?;
                    let headers = headers();
                    producer
                        .publish(Outgoing { topic: &to.topics.inbound, key: &message.from, payload: &payload, headers })
                        .await?;
                }
                Mo::Part(part) => {
                    let payload = records::encode_as(&part, to.format).map_err(encoded)?;
                    let headers = headers();
                    producer
                        .publish(Outgoing { topic: &to.topics.mo_parts, key: &part.key(), payload: &payload, headers })
                        .await?;
                }
            }
        }
    }
    Ok(())
}

/// What a mobile-originated deliver_sm carries.
#[derive(Debug)]
pub enum Mo {
    /// A message of one part, decoded.
    Whole(InboundMessage),
    /// One part of a concatenated message, for the tracker to reassemble.
    Part(MoPart),
}

/// Reads a mobile-originated message: the UDH when UDHI is set,
/// concatenation from the UDH (TS 23.040 §9.2.3.24.1/.8) or the protocol's
/// SAR parameters (SMPP 3.4 §5.3.2.22-24), text decoded with the UDH's
/// national language tables. A part numbered outside 1..=total is ignored as
/// concatenation (§9.2.3.24.1) and the message taken whole.
pub fn read_mo(connection: &str, unit: &MoUnit, id: String, received_at: i64) -> Mo {
    let mut metadata = events::Metadata::new();
    let mut user_data: &[u8] = &unit.user_data;
    let mut concat = unit.sar;
    let mut shift = text::Shift::NONE;
    if unit.udhi {
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
    // Text a link decoded travels as UCS-2 in parts (lossless, and joined before decoding).
    let (mut data_coding, mut coded) = (unit.data_coding, user_data.to_vec());
    if let Some(t) = &unit.text {
        (data_coding, coded) = (0x08, text::ucs2::encode(t));
    }
    if let Some((reference, total, seq)) = concat {
        if total > 1 && (1..=total).contains(&seq) {
            return Mo::Part(MoPart {
                connection: connection.to_owned(),
                from: unit.from.clone(),
                to: unit.to.clone(),
                reference,
                total,
                seq,
                data_coding,
                locking_shift: shift.locking.map(text::Language::id),
                single_shift: shift.single.map(text::Language::id),
                body: coded,
                smsc_timestamp: unit.smsc_timestamp,
                received_at,
            });
        }
        metadata.insert("concat".into(), format!("{reference}/{total}/{seq}"));
    }
    let text = match &unit.text {
        Some(t) => Some(t.clone()),
        None => text::decode::decode_with(unit.data_coding, shift, user_data).text,
    };
    Mo::Whole(InboundMessage {
        id,
        connection: connection.to_owned(),
        from: unit.from.clone(),
        to: unit.to.clone(),
        payload: text.is_none().then(|| user_data.to_vec()),
        text,
        data_coding: unit.data_coding,
        segments: 1,
        smsc_timestamp: unit.smsc_timestamp,
        received_at,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(udhi: bool, data_coding: u8, user_data: Vec<u8>) -> MoUnit {
        MoUnit { from: "491".into(), data_coding, udhi, user_data: user_data.into(), ..MoUnit::default() }
    }

    fn whole(unit: &MoUnit) -> InboundMessage {
        match read_mo("c", unit, "id".into(), 1) {
            Mo::Whole(m) => m,
            Mo::Part(p) => panic!("expected a whole message, got part {p:?}"),
        }
    }

    #[test]
    fn reports_become_records() {
        let report = Report {
            message_id: "0A1b".into(),
            state: receipt::FinalState::Delivered,
            is_final: true,
            err: Some("000".into()),
            network_error: None,
            done_at: Some(5),
        };
        let record = receipt_record("c", report, 7);
        assert_eq!((record.connection.as_str(), record.message_id.as_str()), ("c", "0A1b"));
        assert_eq!(
            (record.state.stat(), record.is_final, record.done_at, record.received_at),
            ("DELIVRD", true, Some(5), 7)
        );
    }

    /// A report or inbound message whose record the broker refuses (here:
    /// larger than the producer takes), or that cannot be written before
    /// shutdown, is refused to the SMSC, which delivers it again: never
    /// acknowledged without its record.
    #[tokio::test]
    async fn a_delivery_not_recorded_is_refused_to_the_smsc() {
        let mut config = runtime::config::KafkaConfig::new("127.0.0.1:9");
        config.properties.insert("message.max.bytes".into(), "1000".into());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let producer = Producer::new(&config, shutdown.clone(), std::time::Duration::from_millis(50)).unwrap();
        let to = Destinations {
            connection: "c".into(),
            topics: runtime::config::TopicsConfig::default(),
            framing: Framing::SingleObject,
            dlr_id_format: DlrIdFormat::default(),
            format: records::Format::Compact,
        };
        let report = |id: String| Report {
            message_id: id,
            state: receipt::FinalState::Delivered,
            is_final: true,
            err: None,
            network_error: None,
            done_at: None,
        };
        let ack_of = |incoming: Incoming| {
            let (to, producer) = (&to, &producer);
            async move {
                let (delivered, answer) =
                    crate::exchange::delivered("c", runtime::config::Protocol::Smpp, incoming, None);
                handle(to, producer, &AtomicU64::new(0), 1, delivered).await;
                answer.await.unwrap()
            }
        };
        // Too large for the broker: refused at once.
        assert_eq!(ack_of(Incoming::Report(report("x".repeat(2000)))).await, Ack::Refused);
        // No broker until shutdown: refused once the drain runs out.
        shutdown.cancel();
        assert_eq!(ack_of(Incoming::Report(report("small".into()))).await, Ack::Refused);
    }

    #[test]
    fn a_concatenated_part_is_kept_encoded_for_reassembly() {
        let mut body = vec![5, 0, 3, 9, 2, 1];
        body.extend(text::ucs2::encode("Привет"));
        let Mo::Part(part) = read_mo("c", &unit(true, 8, body), "id".into(), 1) else { panic!("a part") };
        assert_eq!((part.reference, part.total, part.seq), (9, 2, 1));
        assert_eq!(text::ucs2::decode(&part.body), "Привет");
        assert_eq!(part.key(), "c:491::9:2");
    }

    #[test]
    fn sar_parameters_make_a_part() {
        let mut u = unit(false, 0, b"middle".to_vec());
        u.sar = Some((0x0102, 3, 2));
        let Mo::Part(part) = read_mo("c", &u, "id".into(), 1) else { panic!("a part") };
        assert_eq!((part.reference, part.total, part.seq), (0x0102, 3, 2));
        assert_eq!(part.body, b"middle");
    }

    #[test]
    fn single_messages_decode_in_their_alphabet() {
        assert_eq!(whole(&unit(false, 0, b"\x00 costs 5\x1b\x65".to_vec())).text.as_deref(), Some("@ costs 5€"));
        assert_eq!(whole(&unit(false, 3, b"K\xf6ln".to_vec())).text.as_deref(), Some("Köln"));
        assert_eq!(whole(&unit(false, 8, text::ucs2::encode("👋"))).text.as_deref(), Some("👋"));
        let binary = whole(&unit(false, 4, vec![0, 1, 2]));
        assert_eq!((binary.text, binary.payload), (None, Some(vec![0, 1, 2])));
    }

    #[test]
    fn odd_concatenation_headers_are_whole_messages() {
        // Part 1 of 1 is a whole message; part 3 of 2 and part 0 are ignored (TS 23.040 §9.2.3.24.1).
        for (total, seq, reported) in [(1u8, 1u8, Some("7/1/1")), (2, 3, None), (2, 0, None)] {
            let mut body = vec![5, 0, 3, 7, total, seq];
            body.extend_from_slice(b"hi");
            let m = whole(&unit(true, 0, body));
            assert_eq!(m.text.as_deref(), Some("hi"));
            assert_eq!(m.metadata.get("concat").map(String::as_str), reported);
        }
        // A UDH longer than the message: reported, the bytes decoded as they are.
        let m = whole(&unit(true, 0, vec![9, 0, 3]));
        assert!(m.metadata.contains_key("udh_error"));
    }

    #[test]
    fn text_decoded_by_the_link_is_kept_and_parts_travel_as_ucs2() {
        let mut u = unit(false, 0, Vec::new());
        u.text = Some("@ 5€".into());
        assert_eq!(whole(&u).text.as_deref(), Some("@ 5€"));
        assert_eq!(whole(&u).data_coding, 0);
        let mut part = unit(true, 0, vec![5, 0, 3, 1, 2, 1]);
        part.text = Some("ab😀".into());
        let Mo::Part(p) = read_mo("c", &part, "id".into(), 1) else { panic!("a part") };
        assert_eq!((p.data_coding, text::ucs2::decode(&p.body)), (8, "ab😀".to_owned()));
    }

    #[test]
    fn national_single_shift_decodes_with_its_table() {
        // UDH: single shift Turkish (IE 0x24, language 1); 0x1B 0x47 is 'Ğ' in the Turkish single shift table.
        let m = whole(&unit(true, 0, vec![3, 0x24, 1, 1, 0x1B, 0x47]));
        assert_eq!(m.text.as_deref(), Some("Ğ"));
    }
}

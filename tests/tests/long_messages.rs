//! Every alphabet and every length through the gateway: long outbound texts
//! arrive at the SMSC as correctly numbered segments (a Turkish text with a
//! national shift table, an emoji text in UCS-2, a long GSM text), and inbound
//! parts arriving out of order, on different binds, come out as one message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use kafka::rdkafka::Message;
use simulator::SimConfig;
use smsgw_tests::{collect, produce, settings, status_events, watch, Broker, Gateway, Sim};

/// One part as the SMSC saw it: (reference, total, seq), data_coding, decoded text, tables.
type Part = ((u16, u8, u8), u8, String, text::Shift);

/// The segments the SMSC received for `to`: (reference, total, seq) from the
/// UDH, and the text of each part decoded with the tables its UDH names.
fn segments_for(sim: &Sim, to: &str) -> Vec<Part> {
    let mut out: Vec<_> = sim
        .state
        .submits()
        .into_iter()
        .filter(|s| s.destination_addr == to)
        .map(|s| {
            assert_eq!(s.esm_class & 0x40, 0x40, "UDHI set on every part");
            let (udh, body) = text::parse_udh(&s.short_message).unwrap();
            let concat = udh.concat().expect("concatenation IE");
            let decoded = text::decode::decode_with(s.data_coding, udh.shift(), body);
            (concat, s.data_coding, decoded.text.unwrap(), udh.shift())
        })
        .collect();
    out.sort_by_key(|(c, ..)| c.2);
    out
}

/// Parts needed when characters of `units` each are packed greedily, `capacity` a part, none split.
fn greedy_parts(units: impl Iterator<Item = usize>, capacity: usize) -> usize {
    let (mut parts, mut used) = (1, 0);
    for n in units {
        if used + n > capacity {
            parts += 1;
            used = 0;
        }
        used += n;
    }
    parts
}

fn check_numbering(parts: &[Part], total: usize) {
    assert_eq!(parts.len(), total, "segment count");
    let reference = parts[0].0 .0;
    for (i, ((r, t, s), ..)) in parts.iter().enumerate() {
        assert_eq!((*r, usize::from(*t), usize::from(*s)), (reference, total, i + 1), "part {}", i + 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_texts_arrive_as_numbered_segments() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let settings = settings(&broker, sim.port, "binds = 2\nnational_languages = [\"turkish\"]");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);

    // 400 characters, 'ı', 'ş' and 'ğ' only in the Turkish tables.
    let turkish: String = "Işık ağaçları şöyle güzel; ".chars().cycle().take(400).collect();
    // 300 characters: 150 emoji (surrogate pairs) and 150 letters, 450 UTF-16 units.
    let emoji = "😀a".repeat(150);
    // 1,000 characters of the default alphabet with extension characters ('€' takes two septets).
    let gsm: String = "Price 5€, ok. ".chars().cycle().take(1000).collect();
    let requests =
        [("tr", "+905321112233", &turkish), ("emoji", "+4915100000001", &emoji), ("gsm", "+4915100000002", &gsm)];
    for (id, to, text) in &requests {
        let json = serde_json::json!({"id": id, "to": to, "text": text}).to_string();
        produce(&kafka, &topics.send, id, json.as_bytes(), OwnedHeaders::new()).await;
    }
    let got = collect(&status, Duration::from_secs(60), |m| m.len() >= 3).await;
    gateway.stop().await;
    let events = status_events(&got);
    for (id, ..) in &requests {
        let ev = events.iter().find(|e| e.request_id == *id).unwrap();
        assert_eq!(ev.status, Status::Submitted, "{id}: {ev:?}");
    }

    // Turkish: GSM 7-bit with the Turkish tables named in every part's UDH,
    // fewer parts than UCS-2 would take (400 / 67 → 6).
    let tr = segments_for(&sim, "905321112233");
    assert!(tr.len() < 6, "{} parts", tr.len());
    check_numbering(&tr, tr.len());
    assert!(tr.iter().all(|(_, dc, _, shift)| *dc == 0 && !shift.is_none()), "GSM 7-bit with a Turkish table");
    assert_eq!(tr.iter().map(|p| p.2.as_str()).collect::<String>(), turkish);
    assert_eq!(events.iter().find(|e| e.request_id == "tr").unwrap().segments as usize, tr.len());

    // Emoji: UCS-2, 67 units a part but never half a surrogate pair: 66 units
    // (22 × "😀a") a part → 450 / 66 → 7 parts.
    let em = segments_for(&sim, "4915100000001");
    check_numbering(&em, 7);
    assert_eq!(greedy_parts(emoji.chars().map(char::len_utf16), 67), 7);
    assert!(em.iter().all(|(_, dc, ..)| *dc == 8));
    assert_eq!(em.iter().map(|p| p.2.as_str()).collect::<String>(), emoji);

    // GSM: 1,000 characters, '€' two septets, 153 septets a part, an escape never split.
    let g = segments_for(&sim, "4915100000002");
    check_numbering(&g, greedy_parts(gsm.chars().map(|c| if c == '€' { 2 } else { 1 }), 153));
    assert!(g.iter().all(|(_, dc, ..)| *dc == 0));
    assert_eq!(g.iter().map(|p| p.2.as_str()).collect::<String>(), gsm);
}

fn part(from: &str, data_coding: u8, udh: &[u8], body: &[u8]) -> smpp::Sm {
    let mut short_message = udh.to_vec();
    short_message.extend_from_slice(body);
    smpp::Sm {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: from.into(),
        destination_addr: "12345".into(),
        esm_class: 0x40,
        data_coding,
        short_message: short_message.into(),
        ..smpp::Sm::default()
    }
}

fn sar_part(from: &str, reference: u16, seq: u8, body: &[u8]) -> smpp::Sm {
    use smpp::tlv::{tag, Tlv};
    smpp::Sm {
        source_addr: from.into(),
        destination_addr: "12345".into(),
        short_message: body.to_vec().into(),
        tlvs: vec![
            Tlv { tag: tag::SAR_MSG_REF_NUM, value: reference.to_be_bytes().to_vec().into() },
            Tlv { tag: tag::SAR_TOTAL_SEGMENTS, value: vec![3].into() },
            Tlv { tag: tag::SAR_SEGMENT_SEQNUM, value: vec![seq].into() },
        ],
        ..smpp::Sm::default()
    }
}

fn inbound(messages: &[kafka::rdkafka::message::OwnedMessage]) -> BTreeMap<String, events::InboundMessage> {
    messages
        .iter()
        .map(|m| events::decode_inbound(m.payload().unwrap(), None).unwrap())
        .map(|m| (m.from.clone(), m))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_parts_in_any_order_make_one_message() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let mut settings = settings(&broker, sim.port, "binds = 2");
    settings.tracker.mo_timeout = Duration::from_secs(3);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let watcher = watch(&kafka, &topics.inbound);
    tokio::time::sleep(Duration::from_secs(1)).await; // both binds are up: parts alternate between them

    // GSM 7-bit, 8-bit reference, sent 3-1-2.
    let udh8 = |seq: u8| [5u8, 0, 3, 0x7A, 3, seq];
    sim.state.send_mo("smsgw", part("491111", 0, &udh8(3), b" three"));
    sim.state.send_mo("smsgw", part("491111", 0, &udh8(1), b"one"));
    sim.state.send_mo("smsgw", part("491111", 0, &udh8(2), b" two"));
    // UCS-2, 16-bit reference, another IE (0x0A, text formatting) before the concatenation IE, sent 2-3-1;
    // the emoji is split between parts 1 and 2.
    let utf16 = text::ucs2::encode("Привет 👋 мир");
    let udh16 = |seq: u8| [11u8, 0x0A, 3, 0, 1, 0, 0x08, 4, 0x12, 0x34, 3, seq];
    sim.state.send_mo("smsgw", part("492222", 8, &udh16(2), &utf16[16..20]));
    sim.state.send_mo("smsgw", part("492222", 8, &udh16(3), &utf16[20..]));
    sim.state.send_mo("smsgw", part("492222", 8, &udh16(1), &utf16[..16]));
    // SAR TLVs, sent 2-1-3.
    sim.state.send_mo("smsgw", sar_part("493333", 0x0101, 2, b"b"));
    sim.state.send_mo("smsgw", sar_part("493333", 0x0101, 1, b"a"));
    sim.state.send_mo("smsgw", sar_part("493333", 0x0101, 3, b"c"));
    // Parts 1 and 3 of a message whose part 2 never comes: published after mo_timeout, flagged.
    let udh_lost = |seq: u8| [5u8, 0, 3, 0x09, 3, seq];
    sim.state.send_mo("smsgw", part("494444", 0, &udh_lost(1), b"first "));
    sim.state.send_mo("smsgw", part("494444", 0, &udh_lost(3), b"last"));

    let got = inbound(&collect(&watcher, Duration::from_secs(30), |m| m.len() >= 4).await);
    // Nothing more: one event per message, not per part.
    let more = collect(&watcher, Duration::from_secs(2), |_| false).await;
    gateway.stop().await;
    assert!(more.is_empty(), "{} extra events", more.len());
    assert_eq!(got.len(), 4, "{got:?}");

    let m = &got["491111"];
    assert_eq!((m.text.as_deref(), m.segments), (Some("one two three"), 3));
    assert!(!m.metadata.contains_key("incomplete"));
    let m = &got["492222"];
    assert_eq!((m.text.as_deref(), m.segments, m.data_coding), (Some("Привет 👋 мир"), 3, 8));
    let m = &got["493333"];
    assert_eq!((m.text.as_deref(), m.segments), (Some("abc"), 3));
    let m = &got["494444"];
    assert_eq!((m.text.as_deref(), m.segments), (Some("first last"), 2));
    assert_eq!(m.metadata.get("incomplete").map(String::as_str), Some("true"));
    assert_eq!(m.metadata.get("missing_parts").map(String::as_str), Some("2"));
    assert_eq!(counters::mo_parts("incomplete").get(), 2);
    assert_eq!(counters::mo_parts_waiting().get(), 0);
}

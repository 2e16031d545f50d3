//! The matcher as a state machine: records and ticks in, effects out, time injected.

use std::time::{Duration, Instant};

use kafka::lease::Lease;
use kafka::rdkafka::message::{Header, OwnedHeaders, OwnedMessage};
use kafka::rdkafka::Timestamp;

use super::*;

const SUBMITS: &str = "sms.submits";
const DELIVER: &str = "sms.deliver";

fn config() -> Config {
    Config {
        receipt_wait: Duration::from_secs(10),
        segment_timeout: Duration::from_secs(3600),
        max_waiting: 100,
        max_waiting_per_connection: 2,
        duplicate_window: Duration::from_secs(60),
        outcomes_topic: "sms.segments".into(),
        submits_topic: SUBMITS.into(),
        status_topic: "sms.status".into(),
        status_framing: Framing::SingleObject,
        format: records::Format::Compact,
    }
}

fn now(at: Instant, ms: i64) -> Now {
    Now { at, ms }
}

fn record(
    topic: &str,
    offset: i64,
    key: &str,
    payload: Option<Vec<u8>>,
    headers: Option<OwnedHeaders>,
) -> OwnedMessage {
    OwnedMessage::new(
        payload,
        Some(key.as_bytes().to_vec()),
        topic.into(),
        Timestamp::CreateTime(1_000),
        0,
        offset,
        headers,
    )
}

fn submit(request: &str, submitted_at: i64) -> Vec<u8> {
    serde_json::to_vec(&SubmitRecord {
        request_id: request.into(),
        segment: 1,
        segments: 1,
        connection: "c".into(),
        message_ids: vec!["m".into()],
        submitted_at,
        tenant: None,
        metadata: Default::default(),
        trace: Vec::new(),
        route: None,
    })
    .unwrap()
}

fn receipt(stat: &str) -> Vec<u8> {
    serde_json::to_vec(&ReceiptRecord {
        connection: "c".into(),
        message_id: "m".into(),
        state: records::ReceiptState::from_stat(stat),
        is_final: true,
        err: None,
        network_error: None,
        done_at: None,
        received_at: 5,
    })
    .unwrap()
}

fn ticket(offset: i64) -> Ticket {
    Ticket { offset, lease: Lease::detached(DELIVER, 0) }
}

fn published(effects: &[Effect]) -> Vec<&Publish> {
    effects.iter().filter_map(|e| if let Effect::Publish(p) = e { Some(p) } else { None }).collect()
}

fn outcome_of(out: &Out) -> SegmentOutcome {
    match records::decode::<Outcome>(out.payload.as_deref().unwrap()).unwrap() {
        Outcome::Segment(s) => s,
        Outcome::Terminal(_) => panic!("a segment outcome expected"),
    }
}

fn restored(m: &mut Matcher, t: Instant) {
    assert!(m.caught_up(0, now(t, 0)).is_empty());
}

#[test]
fn a_receipt_after_its_submit_concludes_the_segment_then_tombstones_it() {
    let t = Instant::now();
    let mut m = Matcher::new(config());
    m.state(&record(SUBMITS, 0, "c:m", Some(submit("r1", 0)), None), now(t, 0));
    restored(&mut m, t);
    let effects = m.work(&record(DELIVER, 7, "c:m", Some(receipt("DELIVRD")), None), ticket(7), now(t, 1));
    let p = published(&effects);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].acks.len(), 1, "the receipt is acknowledged once both are on the broker");
    assert_eq!(p[0].records[0].topic, "sms.segments");
    assert_eq!(outcome_of(&p[0].records[0]).submit.request_id, "r1");
    let tombstone = &p[0].records[1];
    assert_eq!((tombstone.topic.as_str(), tombstone.payload.is_none()), (SUBMITS, true));
    assert_eq!(tombstone.headers, vec![(SEGMENT_HEADER.to_string(), "r1/1".to_string())]);
    // Sent again by the SMSC: a duplicate, acknowledged without a second outcome.
    let again = m.work(&record(DELIVER, 8, "c:m", Some(receipt("DELIVRD")), None), ticket(8), now(t, 2));
    assert!(matches!(again.as_slice(), [Effect::Ack(a)] if a.len() == 1));
}

#[test]
fn a_receipt_before_its_submit_waits_then_matches() {
    let t = Instant::now();
    let mut m = Matcher::new(config());
    restored(&mut m, t);
    let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let headers = OwnedHeaders::new().insert(Header { key: "traceparent", value: Some(traceparent) });
    let waiting = record(DELIVER, 3, "c:m", Some(receipt("UNDELIV")), Some(headers));
    assert!(m.work(&waiting, ticket(3), now(t, 0)).is_empty());
    let effects = m.state(&record(SUBMITS, 0, "c:m", Some(submit("r1", 0)), None), now(t, 1));
    let p = published(&effects);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].acks[0].offset, 3, "the waiting receipt's ticket");
    assert_eq!(p[0].cause, [("traceparent".to_string(), traceparent.to_string())], "linked to the receipt's trace");
    assert_eq!(outcome_of(&p[0].records[0]).receipt.state.stat(), "UNDELIV");
    assert_eq!(m.open_count(), 0);
}

#[test]
fn a_noisy_connection_cannot_push_another_connections_receipts_out() {
    let t = Instant::now();
    let mut m = Matcher::new(config());
    restored(&mut m, t);
    let receipt_of = |connection: &str| {
        let mut r: ReceiptRecord = records::decode(&receipt("DELIVRD")).unwrap();
        r.connection = connection.into();
        serde_json::to_vec(&r).unwrap()
    };
    let before = counters::limit_reached("receipts_waiting", "noisy").get();
    for (offset, key) in [(1, "noisy:a"), (2, "noisy:b")] {
        let waiting = m.work(&record(DELIVER, offset, key, Some(receipt_of("noisy")), None), ticket(offset), now(t, 0));
        assert!(waiting.is_empty(), "waits for its submit record");
    }
    // Its third would pass max_waiting_per_connection (2): published unmatched at once.
    let third = m.work(&record(DELIVER, 3, "noisy:c", Some(receipt_of("noisy")), None), ticket(3), now(t, 0));
    let p = published(&third);
    assert_eq!((p.len(), p[0].records[0].topic.as_str()), (1, "sms.status"), "unmatched");
    assert_eq!(counters::limit_reached("receipts_waiting", "noisy").get(), before + 1);
    // Another connection's receipt still waits.
    let calm = m.work(&record(DELIVER, 4, "calm:a", Some(receipt_of("calm")), None), ticket(4), now(t, 0));
    assert!(calm.is_empty());
    // Matched ones make room again.
    assert_eq!(published(&m.state(&record(SUBMITS, 0, "noisy:a", Some(submit("r1", 0)), None), now(t, 1))).len(), 1);
    assert!(m.work(&record(DELIVER, 5, "noisy:d", Some(receipt_of("noisy")), None), ticket(5), now(t, 1)).is_empty());
}

#[test]
fn a_receipt_that_never_finds_its_submit_is_published_unmatched() {
    let t = Instant::now();
    let mut m = Matcher::new(config());
    restored(&mut m, t);
    m.work(&record(DELIVER, 3, "c:x", Some(receipt("DELIVRD")), None), ticket(3), now(t, 0));
    assert!(published(&m.tick(now(t + Duration::from_secs(5), 0))).is_empty());
    let effects = m.tick(now(t + Duration::from_secs(11), 0));
    let p = published(&effects);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].records[0].topic, "sms.status");
    assert_eq!(p[0].acks.len(), 1);
}

#[test]
fn a_reused_message_id_ends_the_earlier_segment_and_the_key_goes_to_the_newer() {
    let t = Instant::now();
    let mut m = Matcher::new(config());
    restored(&mut m, t);
    assert!(m.state(&record(SUBMITS, 0, "c:m", Some(submit("first", 0)), None), now(t, 0)).is_empty());
    let effects = m.state(&record(SUBMITS, 1, "c:m", Some(submit("second", 0)), None), now(t, 1));
    let p = published(&effects);
    assert_eq!(p.len(), 1, "the earlier segment ends at once");
    let ended = outcome_of(&p[0].records[0]);
    assert_eq!(ended.submit.request_id, "first");
    let event = outcome::single(&ended.submit, &ended.receipt, 0);
    assert_eq!(event.error.unwrap().code.as_str(), "receipt_key_collision");
    assert_eq!(p[0].records.len(), 1, "no tombstone: the key now belongs to the newer record");
    // The receipt that comes now is the newer message's.
    let effects = m.work(&record(DELIVER, 9, "c:m", Some(receipt("DELIVRD")), None), ticket(9), now(t, 2));
    assert_eq!(outcome_of(&published(&effects)[0].records[0]).submit.request_id, "second");
}

#[test]
fn a_tombstone_for_another_segment_keeps_the_open_record_and_writes_it_again() {
    let t = Instant::now();
    let mut m = Matcher::new(config());
    restored(&mut m, t);
    m.state(&record(SUBMITS, 1, "c:m", Some(submit("second", 0)), None), now(t, 0));
    let headers = OwnedHeaders::new().insert(Header { key: SEGMENT_HEADER, value: Some("first/1") });
    let effects = m.state(&record(SUBMITS, 2, "c:m", None, Some(headers)), now(t, 1));
    let p = published(&effects);
    assert_eq!(p.len(), 1, "re-asserted after the tombstone");
    assert_eq!((p[0].records[0].topic.as_str(), p[0].records[0].key.as_str()), (SUBMITS, "c:m"));
    assert_eq!(m.open_count(), 1);
    // Its own tombstone removes it.
    let headers = OwnedHeaders::new().insert(Header { key: SEGMENT_HEADER, value: Some("second/1") });
    assert!(m.state(&record(SUBMITS, 3, "c:m", None, Some(headers)), now(t, 2)).is_empty());
    assert_eq!(m.open_count(), 0);
}

#[test]
fn no_receipt_within_segment_timeout_ends_only_restored_partitions() {
    let t = Instant::now();
    let mut m = Matcher::new(config());
    m.state(&record(SUBMITS, 0, "c:m", Some(submit("r1", 0)), None), now(t, 0));
    let late = 3_600_001;
    assert!(published(&m.tick(now(t + Duration::from_secs(60), late))).is_empty(), "not while restoring");
    restored(&mut m, t);
    let effects = m.tick(now(t + Duration::from_secs(120), late));
    let p = published(&effects);
    assert_eq!(p.len(), 1);
    assert_eq!(outcome_of(&p[0].records[0]).receipt.state.stat(), "NONE");
    assert!(p[0].acks.is_empty());
}

#[test]
fn the_checkpoint_is_the_oldest_open_record_or_the_duplicate_window() {
    let t = Instant::now();
    let mut m = Matcher::new(config());
    m.state(&record(SUBMITS, 10, "c:a", Some(submit("a", 0)), None), now(t, 0));
    m.state(&record(SUBMITS, 11, "c:b", Some(submit("b", 0)), None), now(t, 0));
    restored(&mut m, t);
    let checkpoint = |effects: Vec<Effect>| {
        effects.iter().find_map(|e| if let Effect::Checkpoint { offset, .. } = e { Some(*offset) } else { None })
    };
    assert_eq!(checkpoint(m.tick(now(t, 2_000))), Some(10));
    m.work(&record(DELIVER, 1, "c:a", Some(receipt("DELIVRD")), None), ticket(1), now(t, 2_000));
    assert_eq!(checkpoint(m.tick(now(t, 2_000))), None, "unchanged: inside the duplicate window");
    m.work(&record(DELIVER, 2, "c:b", Some(receipt("DELIVRD")), None), ticket(2), now(t, 2_000));
    // Both concluded and a minute later: nothing before the next record is needed.
    assert_eq!(checkpoint(m.tick(now(t, 1_000 + 61_000))), Some(12));
}

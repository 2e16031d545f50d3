//! The finaliser as a state machine: records and ticks in, effects out, time injected.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::FutureExt;
use kafka::lease::Lease;
use kafka::rdkafka::message::OwnedMessage;
use kafka::rdkafka::Timestamp;
use records::{ReceiptRecord, SubmitRecord, Terminal};

use super::*;

const SEGMENTS: &str = "sms.segments";
const FINALS: &str = "sms.finals";

fn finaliser(asked: Arc<Mutex<Vec<Option<i64>>>>) -> Finaliser {
    let config = Config {
        segment_timeout: Duration::from_secs(30),
        id_retention: Duration::from_secs(3600),
        status_topic: "sms.status".into(),
        finals_topic: FINALS.into(),
        framing: events::Framing::SingleObject,
    };
    let restorer: Restorer = Arc::new(move |_, floor| {
        asked.lock().unwrap().push(floor);
        async { Found { keys: vec!["crashed".into()], end: 100 } }.boxed()
    });
    Finaliser::new(config, restorer)
}

fn now(at: Instant) -> Now {
    Now { at, ms: 1_000 }
}

fn message(topic: &str, offset: i64, key: &str, payload: Option<Vec<u8>>) -> OwnedMessage {
    OwnedMessage::new(payload, Some(key.as_bytes().to_vec()), topic.into(), Timestamp::CreateTime(900), 0, offset, None)
}

fn ticket(offset: i64) -> Ticket {
    Ticket { offset, lease: Lease::detached(SEGMENTS, 0) }
}

fn segment(request: &str, n: u16, of: u16) -> Vec<u8> {
    let submit = SubmitRecord {
        request_id: request.into(),
        segment: n,
        segments: of,
        connection: "c".into(),
        message_ids: (1..=of).map(|i| format!("m{i}")).collect(),
        submitted_at: 1,
        tenant: None,
        metadata: Default::default(),
        trace: Vec::new(),
        route: None,
    };
    let receipt = ReceiptRecord {
        connection: "c".into(),
        message_id: format!("m{n}"),
        state: records::ReceiptState::from_stat("DELIVRD"),
        is_final: true,
        err: None,
        network_error: None,
        done_at: None,
        received_at: 2,
    };
    serde_json::to_vec(&Outcome::Segment(SegmentOutcome { submit, receipt })).unwrap()
}

fn terminal(request: &str, status: events::Status) -> Vec<u8> {
    let event = events::StatusEvent::new(request.to_string(), status, 3);
    serde_json::to_vec(&Outcome::Terminal(Terminal { event, trace: Vec::new() })).unwrap()
}

/// Restores partition 0 (markers read, status tail found "crashed", end 100).
fn restore(f: &mut Finaliser, t: Instant) -> Vec<Effect> {
    let effects = f.caught_up(0, now(t));
    let Some(Effect::Restore { job, .. }) = effects.into_iter().next() else { panic!("a restore is asked for") };
    let found = job.now_or_never().unwrap();
    f.restored(0, found, now(t))
}

fn one_publish(effects: &[Effect]) -> &Publish {
    match effects {
        [Effect::Publish(p)] => p,
        other => panic!("one publish expected, got {other:?}"),
    }
}

fn marker_of(out: &Out) -> Marker {
    serde_json::from_slice(out.payload.as_deref().unwrap()).unwrap()
}

#[test]
fn the_restore_reads_the_status_tail_from_the_last_markers_floor_and_repairs_markers() {
    let t = Instant::now();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let mut f = finaliser(asked.clone());
    let old = Marker { status: "DELIVERED".into(), floor: Some(42) };
    f.state(&message(FINALS, 0, "done-before", Some(serde_json::to_vec(&old).unwrap())), now(t));
    let effects = restore(&mut f, t);
    assert_eq!(*asked.lock().unwrap(), vec![Some(42)]);
    let repair = one_publish(&effects);
    assert_eq!(repair.records.len(), 1, "the event found without its marker gets one");
    assert_eq!(repair.records[0].key, "crashed");
    assert_eq!(marker_of(&repair.records[0]).floor, Some(100));
    // Both are finalised: their outcomes are duplicates.
    for (i, id) in ["done-before", "crashed"].into_iter().enumerate() {
        let effects = f.work(&message(SEGMENTS, i as i64, id, Some(segment(id, 1, 1))), ticket(i as i64), now(t));
        assert!(matches!(effects.as_slice(), [Effect::Ack(_)]), "{id}");
    }
}

#[test]
fn a_single_segment_is_published_final_then_marked_then_acknowledged() {
    let t = Instant::now();
    let mut f = finaliser(Default::default());
    restore(&mut f, t);
    let effects = f.work(&message(SEGMENTS, 5, "r1", Some(segment("r1", 1, 1))), ticket(5), now(t));
    let p = one_publish(&effects);
    assert_eq!(p.records.len(), 2);
    assert_eq!(p.records[0].topic, "sms.status");
    assert!(p.records[0].headers.contains(&(records::FINAL_HEADER.to_string(), "true".to_string())));
    assert!(p.records[0].headers.contains(&(records::STATUS_HEADER.to_string(), "DELIVERED".to_string())));
    assert_eq!((p.records[1].topic.as_str(), marker_of(&p.records[1]).floor), (FINALS, Some(100)));
    assert_eq!(p.acks.len(), 1);
    // The outcome again (a redo): a duplicate.
    let again = f.work(&message(SEGMENTS, 6, "r1", Some(segment("r1", 1, 1))), ticket(6), now(t));
    assert!(matches!(again.as_slice(), [Effect::Ack(_)]));
}

#[test]
fn a_multi_part_request_waits_for_every_segment_and_acknowledges_them_together() {
    let t = Instant::now();
    let mut f = finaliser(Default::default());
    restore(&mut f, t);
    assert!(f.work(&message(SEGMENTS, 1, "r2", Some(segment("r2", 2, 3))), ticket(1), now(t)).is_empty());
    assert!(f.work(&message(SEGMENTS, 2, "r2", Some(segment("r2", 2, 3))), ticket(2), now(t)).is_empty());
    let effects = f.work(&message(SEGMENTS, 3, "r2", Some(segment("r2", 1, 3))), ticket(3), now(t));
    assert!(effects.is_empty(), "two of three segments");
    let effects = f.work(&message(SEGMENTS, 4, "r2", Some(segment("r2", 3, 3))), ticket(4), now(t));
    let p = one_publish(&effects);
    assert_eq!(p.acks.iter().map(|a| a.offset).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
}

#[test]
fn a_submitted_without_receipt_is_a_final_event_too() {
    let t = Instant::now();
    let mut f = finaliser(Default::default());
    restore(&mut f, t);
    let effects =
        f.work(&message(SEGMENTS, 1, "n1", Some(terminal("n1", events::Status::Submitted))), ticket(1), now(t));
    let p = one_publish(&effects);
    assert!(p.records[0].headers.contains(&(records::STATUS_HEADER.to_string(), "SUBMITTED".to_string())));
    assert!(p.records[0].headers.contains(&(records::FINAL_HEADER.to_string(), "true".to_string())));
    let again = f.work(&message(SEGMENTS, 2, "n1", Some(terminal("n1", events::Status::Submitted))), ticket(2), now(t));
    assert!(matches!(again.as_slice(), [Effect::Ack(_)]), "a second SUBMITTED for it is a duplicate");
}

#[test]
fn a_markers_floor_stays_below_every_final_event_still_in_flight() {
    let t = Instant::now();
    let mut f = finaliser(Default::default());
    restore(&mut f, t);
    let floor = |effects: &[Effect]| marker_of(&one_publish(effects).records[1]).floor.unwrap();
    let tag = |effects: &[Effect]| one_publish(effects).tag.unwrap();
    let landed = |offset| [Some(Delivery { partition: 0, offset }), Some(Delivery { partition: 0, offset: 7 })];
    // A partial request begun while the status partition ended at 100.
    f.work(&message(SEGMENTS, 1, "slow", Some(segment("slow", 1, 2))), ticket(1), now(t));
    let a = f.work(&message(SEGMENTS, 2, "a", Some(segment("a", 1, 1))), ticket(2), now(t));
    assert_eq!(floor(&a), 100);
    // a's event landed at 150: events published from now on land after it.
    f.published(tag(&a), &landed(150));
    let b = f.work(&message(SEGMENTS, 3, "b", Some(segment("b", 1, 1))), ticket(3), now(t));
    assert_eq!(floor(&b), 100, "the partial request, begun at 100, still pins the floor");
    let slow = f.work(&message(SEGMENTS, 4, "slow", Some(segment("slow", 2, 2))), ticket(4), now(t));
    assert_eq!(floor(&slow), 100);
    f.published(tag(&slow), &landed(160));
    // b (begun at 151) is still being published.
    let c = f.work(&message(SEGMENTS, 5, "c", Some(segment("c", 1, 1))), ticket(5), now(t));
    assert_eq!(floor(&c), 151);
    f.published(tag(&b), &landed(155));
    f.published(tag(&c), &landed(170));
    let d = f.work(&message(SEGMENTS, 6, "d", Some(segment("d", 1, 1))), ticket(6), now(t));
    assert_eq!(floor(&d), 171, "nothing older is pending any more");
}

#[test]
fn segments_that_never_all_come_end_after_the_timeout() {
    let t = Instant::now();
    let mut f = finaliser(Default::default());
    restore(&mut f, t);
    f.work(&message(SEGMENTS, 1, "r3", Some(segment("r3", 1, 2))), ticket(1), now(t));
    assert!(f.tick(now(t + Duration::from_secs(10))).is_empty());
    let effects = f.tick(now(t + Duration::from_secs(31)));
    let p = one_publish(&effects);
    assert!(p.records[0].headers.contains(&(records::STATUS_HEADER.to_string(), "UNDELIVERABLE".to_string())));
    assert_eq!(p.acks.len(), 1);
}

//! Stage 1: match receipts to the segments they answer.
//!
//! One consumer group over `sms.deliver` (work: receipts) and the compacted
//! `sms.submits` (state: one record per segment awaiting its receipt), with
//! the range assignor so partition p of both (same key, same partition
//! count) belongs to the same replica. The topic is the state; the map here
//! only its image, rebuilt on every assignment from the stage's checkpoint
//! (the oldest submit still open, or `tracker.duplicate_window` back) up to
//! a fence; receipts of a partition wait, unbegun, until then
//! ([`crate::stage`]).
//!
//! - A final receipt with an open key → a segment outcome for the finaliser
//!   ([`crate::aggregate`], which alone publishes final events), then a
//!   tombstone for the submit record naming the segment it concludes, then
//!   the receipt is acknowledged.
//! - A receipt before its submit record waits (bounded: `max_waiting`,
//!   `receipt_wait`); one that never finds it is published as unmatched.
//! - A final receipt for a key already concluded is a duplicate (the SMSC
//!   re-sent it, or it is redone after a crash) and is only counted.
//! - **Key collisions**: an SMSC that reuses message ids (small id spaces,
//!   a modem's 8-bit TP-MR, a second-resolution UCP time stamp) writes a
//!   submit record under a key still open for another segment. The earlier
//!   segment ends at once with code `receipt_key_collision` (counted in
//!   `smsgw_receipt_key_collisions_total`): never silently dropped, and the
//!   key then belongs to the newer message. A tombstone that names another
//!   segment than the key's open one deletes nothing, and the open record
//!   is written again after it, so compaction cannot delete it either.
//! - No receipt within `segment_timeout` → a stand-in outcome
//!   (UNDELIVERABLE, `receipt_timeout`), for restored partitions only.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use events::Framing;
use kafka::rdkafka::message::{Headers, Message, OwnedMessage};
use kafka::Ticket;
use records::{Outcome, ReceiptRecord, SegmentOutcome, SubmitRecord};

use crate::outcome;
use crate::stage::{Effect, Now, Out, Publish, Stage};

/// The header of a submit-record tombstone naming the segment it concludes
/// (`{request id}/{segment}`).
pub const SEGMENT_HEADER: &str = "smsgw-segment";

/// What the matcher is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    pub receipt_wait: Duration,
    pub segment_timeout: Duration,
    pub max_waiting: usize,
    /// Of those, from one connection at most (one noisy SMSC cannot push
    /// another connection's receipts out).
    pub max_waiting_per_connection: usize,
    pub duplicate_window: Duration,
    pub outcomes_topic: String,
    pub submits_topic: String,
    pub status_topic: String,
    pub status_framing: Framing,
    /// How outcomes and rewritten submit records are written.
    pub format: records::Format,
}

impl Config {
    pub fn new(settings: &runtime::Settings, status_framing: Framing) -> Config {
        let (tracker, topics) = (&settings.tracker, &settings.kafka.topics);
        Config {
            receipt_wait: tracker.receipt_wait,
            segment_timeout: tracker.segment_timeout,
            max_waiting: tracker.max_waiting,
            max_waiting_per_connection: tracker.max_waiting_per_connection,
            duplicate_window: tracker.duplicate_window,
            outcomes_topic: topics.outcomes.clone(),
            submits_topic: topics.submits.clone(),
            status_topic: topics.status.clone(),
            status_framing,
            format: records::Format::compact_if(settings.kafka.compact_records),
        }
    }
}

/// A submit record awaiting its receipt.
#[derive(Debug, Clone)]
struct Open {
    partition: i32,
    offset: i64,
    record: SubmitRecord,
}

impl Open {
    fn segment(&self) -> String {
        segment_name(&self.record)
    }
}

fn segment_name(record: &SubmitRecord) -> String {
    format!("{}/{}", record.request_id, record.segment)
}

/// A receipt waiting for its submit record.
struct Waiting {
    receipt: ReceiptRecord,
    ticket: Ticket,
    since: Instant,
    /// The trace of the receipt's processing, to link its match to.
    trace: Vec<(String, String)>,
}

/// Where the restore of one partition of the state topic may start.
#[derive(Default)]
struct Checkpoint {
    /// Offsets of open submit records.
    open: BTreeMap<i64, ()>,
    /// (record time, offset), about one a second, for `duplicate_window`.
    samples: VecDeque<(i64, i64)>,
    /// The next offset to read.
    next: i64,
    stored: Option<i64>,
}

impl Checkpoint {
    /// The oldest offset still needed: the oldest open record, or the
    /// first record of the duplicate window, or the next record.
    fn offset(&mut self, now_ms: i64, window: Duration) -> i64 {
        let cutoff = now_ms - window.as_millis() as i64;
        while self.samples.len() > 1 && self.samples.get(1).is_some_and(|(at, _)| *at <= cutoff) {
            self.samples.pop_front();
        }
        let horizon = match self.samples.front() {
            Some((at, offset)) if *at > cutoff => *offset,
            Some(_) => self.samples.get(1).map_or(self.next, |(_, o)| *o),
            None => self.next,
        };
        self.open.keys().next().copied().unwrap_or(self.next).min(horizon)
    }

    fn sample(&mut self, at_ms: i64, offset: i64) {
        if self.samples.back().is_none_or(|(last, _)| at_ms >= last + 1_000) {
            self.samples.push_back((at_ms, offset));
        }
    }
}

/// Stage 1.
pub struct Matcher {
    config: Config,
    open: HashMap<String, Open>,
    checkpoints: HashMap<i32, Checkpoint>,
    concluded: Concluded,
    waiting: HashMap<String, Vec<Waiting>>,
    waiting_count: usize,
    /// Receipts waiting, per connection.
    waiting_by_connection: HashMap<String, usize>,
    restored: HashSet<i32>,
    last_scan: Option<Instant>,
}

impl Matcher {
    pub fn new(config: Config) -> Matcher {
        Matcher {
            config,
            open: HashMap::new(),
            checkpoints: HashMap::new(),
            concluded: Concluded::default(),
            waiting: HashMap::new(),
            waiting_count: 0,
            waiting_by_connection: HashMap::new(),
            restored: HashSet::new(),
            last_scan: None,
        }
    }

    /// Segments awaiting their receipt (for tests and the restore log).
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    fn scan_every(&self) -> Duration {
        (self.config.segment_timeout / 4).clamp(Duration::from_secs(1), Duration::from_secs(60))
    }

    fn insert(&mut self, key: String, open: Open) {
        self.checkpoints.entry(open.partition).or_default().open.insert(open.offset, ());
        if let Some(old) = self.open.insert(key, open) {
            self.forget_offset(&old);
        }
    }

    fn remove(&mut self, key: &str) -> Option<Open> {
        let open = self.open.remove(key)?;
        self.forget_offset(&open);
        Some(open)
    }

    /// `list` no longer waits (matched, expired or revoked).
    fn unwait(&mut self, list: &[Waiting]) {
        self.waiting_count -= list.len();
        counters::receipts_waiting().add(-(list.len() as i64));
        for w in list {
            if let Some(n) = self.waiting_by_connection.get_mut(&w.receipt.connection) {
                *n -= 1;
                if *n == 0 {
                    self.waiting_by_connection.remove(&w.receipt.connection);
                }
            }
        }
    }

    fn forget_offset(&mut self, open: &Open) {
        if let Some(c) = self.checkpoints.get_mut(&open.partition) {
            c.open.remove(&open.offset);
        }
    }

    /// The segment's outcome for the finaliser, then (when `tombstone`) the
    /// submit record's tombstone naming the segment.
    fn conclude(
        &mut self,
        key: &str,
        open: Open,
        receipt: ReceiptRecord,
        acks: Vec<Ticket>,
        tombstone: bool,
    ) -> Effect {
        self.concluded.insert(key.to_owned());
        let segment = open.segment();
        let trace = open.record.trace.clone();
        let request_id = open.record.request_id.clone();
        let outcome = Outcome::Segment(SegmentOutcome { submit: open.record, receipt });
        let mut records = Vec::with_capacity(2);
        match records::encode_as(&outcome, self.config.format) {
            Ok(payload) => records.push(Out::new(&self.config.outcomes_topic, &request_id, payload).headers(&trace)),
            Err(e) => tracing::error!(error = %e, %request_id, "cannot encode a segment outcome"),
        }
        if tombstone {
            records.push(Out::tombstone(&self.config.submits_topic, key).header(SEGMENT_HEADER, segment));
        }
        Effect::Publish(Publish { partition: open.partition, records, acks, tag: None, cause: Vec::new() })
    }

    fn unmatched(&self, receipt: &ReceiptRecord, ticket: Ticket, now: Now) -> Effect {
        counters::receipts(&receipt.connection, "unmatched").inc();
        let event = outcome::unmatched(receipt, now.ms);
        let records =
            match events::encode_status(&event, self.config.status_framing) {
                Ok(payload) => vec![Out::new(&self.config.status_topic, "", payload)
                    .header(records::STATUS_HEADER, event.status.symbol())],
                Err(e) => {
                    tracing::error!(error = %e, "cannot encode an unmatched receipt's event");
                    Vec::new()
                }
            };
        Effect::Publish(Publish {
            partition: ticket.partition(),
            records,
            acks: vec![ticket],
            tag: None,
            cause: Vec::new(),
        })
    }

    fn duplicate(receipt: &ReceiptRecord, ticket: Ticket) -> Effect {
        let message_id = runtime::redact::digits(&receipt.message_id);
        tracing::debug!(connection = %receipt.connection, %message_id, "duplicate receipt");
        counters::receipts(&receipt.connection, "duplicate").inc();
        Effect::Ack(vec![ticket])
    }

    fn submit_record(&mut self, key: String, record: SubmitRecord, partition: i32, offset: i64) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(list) = self.waiting.remove(&key) {
            // The receipt came first: the first one answers this submit, later ones are duplicates.
            self.unwait(&list);
            let mut list = list.into_iter();
            if let Some(w) = list.next() {
                counters::receipts(&w.receipt.connection, "matched").inc();
                let open = Open { partition, offset, record };
                let mut concluded = self.conclude(&key, open, w.receipt, vec![w.ticket], true);
                if let Effect::Publish(p) = &mut concluded {
                    p.cause = w.trace;
                }
                effects.push(concluded);
            }
            for w in list {
                effects.push(Self::duplicate(&w.receipt, w.ticket));
            }
            return effects;
        }
        let new = Open { partition, offset, record };
        match self.open.get(&key) {
            Some(old) if old.segment() != new.segment() => {
                let old = old.clone();
                tracing::warn!(
                    connection = %new.record.connection,
                    earlier = %old.segment(),
                    "the SMSC reused a message id while the earlier message awaited its receipt; the earlier one ends as a key collision"
                );
                counters::key_collisions(&new.record.connection).inc();
                self.forget_offset(&old);
                let stand_in = outcome::collided_receipt(&old.record, timing::now_ms());
                effects.push(self.conclude(&key, old, stand_in, Vec::new(), false));
            }
            _ => {}
        }
        self.insert(key, new);
        effects
    }

    fn tombstone(&mut self, key: &str, segment: Option<String>) -> Vec<Effect> {
        self.concluded.insert(key.to_owned());
        let Some(open) = self.open.get(key) else { return Vec::new() };
        if segment.as_ref().is_none_or(|s| *s == open.segment()) {
            self.remove(key);
            return Vec::new();
        }
        // A tombstone for an earlier message under the same id, written after
        // this one's record: write the record again after it, so compaction
        // keeps it.
        let open = open.clone();
        match records::encode_as(&open.record, self.config.format) {
            Ok(payload) => vec![Effect::Publish(Publish {
                partition: open.partition,
                records: vec![Out::new(&self.config.submits_topic, key, payload)],
                acks: Vec::new(),
                tag: None,
                cause: Vec::new(),
            })],
            Err(_) => Vec::new(),
        }
    }
}

/// Keys of recently concluded segments (tombstoned submit records), to tell
/// a duplicate receipt from an unknown one. Bounded: the oldest are forgotten.
#[derive(Default)]
struct Concluded {
    keys: HashSet<String>,
    order: VecDeque<String>,
}

impl Concluded {
    const CAPACITY: usize = 1_000_000;

    fn insert(&mut self, key: String) {
        if self.keys.insert(key.clone()) {
            self.order.push_back(key);
            if self.order.len() > Self::CAPACITY {
                if let Some(old) = self.order.pop_front() {
                    self.keys.remove(&old);
                }
            }
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }
}

mod handle;

#[cfg(test)]
#[path = "matcher_tests.rs"]
mod tests;

//! The one loop that drives every tracker stage.
//!
//! A stage ([`Stage`]) is a state machine without I/O: records and ticks go
//! in with the time, [`Effect`]s come out. This module holds that contract;
//! the loop ([`run`], in `stage/driver.rs`) does the I/O:
//! - it reads the stage's consumer group: *work* records (receipts,
//!   outcomes, inbound parts), acknowledged through the effects, and the
//!   stage's *state* topic, if any, which is never acknowledged per record;
//! - **one way to restore**: on assignment, work of partition p is held (in
//!   order, unbegun) until partition p of the state topic is read past a
//!   fence of this owner's ([`kafka::restore`]) and any further restore the
//!   stage asks for ([`Effect::Restore`]) is done; only then is it handed
//!   to the stage, so nothing is decided on half the state and no timer runs
//!   against a partition still being restored;
//! - it publishes in order and then acknowledges ([`Effect::Publish`]), on a
//!   task that holds the partition's [`kafka::Busy`] guard, so a rebalance
//!   gives the partition up only once what was decided is on the broker;
//!   work that overran the revoke timeout publishes nothing more;
//! - it stores the state topic's checkpoint ([`Effect::Checkpoint`]), so a
//!   restore reads from there instead of from the beginning.

use std::time::Instant;

use futures::future::BoxFuture;
use kafka::rdkafka::message::OwnedMessage;
use kafka::{Delivery, Ticket};

mod driver;

pub use driver::{run, Wiring};

/// The time, as both clocks: `at` for timers, `ms` (epoch) for records.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub at: Instant,
    pub ms: i64,
}

impl Now {
    pub fn current() -> Now {
        Now { at: Instant::now(), ms: timing::now_ms() }
    }
}

/// A record to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out {
    pub topic: String,
    pub key: String,
    /// `None` is a tombstone.
    pub payload: Option<Vec<u8>>,
    pub headers: Vec<(String, String)>,
}

impl Out {
    pub fn new(topic: &str, key: &str, payload: Vec<u8>) -> Out {
        Out { topic: topic.to_owned(), key: key.to_owned(), payload: Some(payload), headers: Vec::new() }
    }

    pub fn tombstone(topic: &str, key: &str) -> Out {
        Out { topic: topic.to_owned(), key: key.to_owned(), payload: None, headers: Vec::new() }
    }

    pub fn header(mut self, key: &str, value: impl Into<String>) -> Out {
        self.headers.push((key.to_owned(), value.into()));
        self
    }

    pub fn headers(mut self, fields: &[(String, String)]) -> Out {
        self.headers.extend(fields.iter().cloned());
        self
    }
}

/// Records to publish, in order, for partition `partition`'s work, then
/// tickets to acknowledge.
#[derive(Debug)]
pub struct Publish {
    pub partition: i32,
    pub records: Vec<Out>,
    pub acks: Vec<Ticket>,
    /// Reported back with where the records landed ([`Stage::published`]).
    pub tag: Option<u64>,
    /// The trace of the work these records conclude, when that is not the
    /// record being worked on now (a receipt that waited for its submit
    /// record): their publishes are linked to it. Empty: the current span.
    pub cause: Vec<(String, String)>,
}

/// What a stage asks the loop to do.
pub enum Effect {
    Publish(Publish),
    /// Acknowledge without publishing.
    Ack(Vec<Ticket>),
    /// Partition p of the state topic need not be read before this offset
    /// again: store it as the group's position.
    Checkpoint {
        partition: i32,
        offset: i64,
    },
    /// Before partition p's work is decided, run this; its result goes to
    /// [`Stage::restored`].
    Restore {
        partition: i32,
        job: BoxFuture<'static, Found>,
    },
}

/// What an [`Effect::Restore`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// The keys it looked for (e.g. requests with a final event).
    pub keys: Vec<String>,
    /// Where it stopped reading (an offset of the topic it read).
    pub end: i64,
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::Publish(p) => f.debug_tuple("Publish").field(p).finish(),
            Effect::Ack(t) => f.debug_tuple("Ack").field(&t.len()).finish(),
            Effect::Checkpoint { partition, offset } => write!(f, "Checkpoint({partition}, {offset})"),
            Effect::Restore { partition, .. } => write!(f, "Restore({partition})"),
        }
    }
}

/// A tracker stage: a state machine without I/O.
pub trait Stage: Send {
    /// Records of the state topic (not fences).
    fn state(&mut self, _message: &OwnedMessage, _now: Now) -> Vec<Effect> {
        Vec::new()
    }

    /// Partition p of the state topic is read up to where it ended at
    /// assignment. Return [`Effect::Restore`] to read more before work is
    /// decided; otherwise the partition is restored now.
    fn caught_up(&mut self, _partition: i32, _now: Now) -> Vec<Effect> {
        Vec::new()
    }

    /// The result of an [`Effect::Restore`]; the partition is restored after this.
    fn restored(&mut self, _partition: i32, _found: Found, _now: Now) -> Vec<Effect> {
        Vec::new()
    }

    /// A work record of a restored partition, begun under `ticket`.
    fn work(&mut self, message: &OwnedMessage, ticket: Ticket, now: Now) -> Vec<Effect>;

    /// Time passed (about once a second).
    fn tick(&mut self, now: Now) -> Vec<Effect>;

    /// Partition p was taken away: its state belongs to the next owner.
    fn revoked(&mut self, partition: i32);

    /// Where the records of a tagged [`Publish`] landed, in order (`None`:
    /// refused by the broker and noted on the dead-letter topic).
    fn published(&mut self, _tag: u64, _deliveries: &[Option<Delivery>]) {}
}

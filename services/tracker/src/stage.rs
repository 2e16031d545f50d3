//! The one loop that drives every tracker stage.
//!
//! A stage ([`Stage`]) is a state machine without I/O: records and ticks go
//! in with the time, [`Effect`]s come out. This loop does the I/O:
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

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use kafka::rdkafka::message::{Header, Message, OwnedHeaders, OwnedMessage};
use kafka::restore::Restore;
use kafka::{AckingConsumer, Delivery, Outgoing, Producer, PublishError, Ticket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

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

/// What the loop needs besides the stage.
pub struct Wiring {
    /// The stage's name in logs and metrics (`matcher`, `finaliser`, `reassembler`).
    pub name: &'static str,
    pub consumer: Arc<AckingConsumer>,
    /// The consumer's group and whether work records' keys go into spans (see [`kafka::trace`]).
    pub group: String,
    pub key: kafka::trace::Key,
    pub producer: Producer,
    /// The work topic (its partitions' leases guard the publishes).
    pub work_topic: String,
    pub state_topic: Option<String>,
    /// Where a record the broker refuses is noted instead (key, reason).
    pub dead_letter: String,
}

enum Report {
    Published { tag: u64, deliveries: Vec<Option<Delivery>> },
    Restored { partition: i32, generation: u64, found: Found },
}

/// Progress of one partition's restore.
#[derive(Debug, PartialEq, Eq)]
enum Phase {
    /// Reading the state topic up to the fence, since then.
    Fence(Instant),
    /// The stage's own restore is running (for this lease generation).
    Extra(u64, Instant),
    Ready,
}

struct Driver<S> {
    stage: S,
    wiring: Wiring,
    shutdown: CancellationToken,
    restore: Option<Restore>,
    phases: HashMap<i32, Phase>,
    held: HashMap<i32, VecDeque<OwnedMessage>>,
    tasks: TaskTracker,
    reports: mpsc::UnboundedSender<Report>,
    /// Readiness: every assigned partition's state is restored.
    restored: Arc<counters::health::Check>,
}

/// Runs `stage` until `shutdown`; then lets its publishes finish.
pub async fn run<S: Stage>(stage: S, wiring: Wiring, shutdown: CancellationToken) {
    let (reports, mut reported) = mpsc::unbounded_channel();
    let restore = wiring.state_topic.as_ref().map(|t| Restore::new(t.clone(), wiring.producer.clone()));
    let wiring_name = wiring.name;
    let mut driver = Driver {
        stage,
        wiring,
        shutdown: shutdown.clone(),
        restore,
        phases: HashMap::new(),
        held: HashMap::new(),
        tasks: TaskTracker::new(),
        restored: counters::health::check(format!("tracker {}: state restored", wiring_name), false),
        reports,
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut fence_check = tokio::time::interval(Duration::from_millis(20));
    loop {
        let consumer = driver.wiring.consumer.clone();
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            Some(report) = reported.recv() => driver.report(report),
            _ = tick.tick() => {
                consumer.beat();
                driver.restored.set(!driver.restoring());
                driver.forget_revoked();
                let effects = driver.stage.tick(Now::current());
                driver.apply(effects);
            }
            // A fence is read in a state record; this only catches up partitions that wait anyway.
            _ = fence_check.tick(), if driver.restoring() => {
                driver.forget_revoked();
                driver.advance_restores();
            }
            received = consumer.recv() => {
                driver.forget_revoked();
                match received {
                    Ok(m) => driver.receive(m.detach()),
                    Err(e) => tracing::warn!(error = %e, "consume error"),
                }
            }
        }
    }
    driver.tasks.close();
    driver.tasks.wait().await;
    driver.wiring.consumer.commit_and_close();
}

impl<S: Stage> Driver<S> {
    /// Drops what revoked partitions left here (their next owner redoes it),
    /// and starts restoring newly assigned ones at once, so a partition's
    /// timers run even while no work arrives for it.
    fn forget_revoked(&mut self) {
        self.revoked();
        let assigned = self.wiring.consumer.take_assigned();
        if assigned.iter().any(|(topic, _)| *topic == self.wiring.work_topic) {
            for (_, partition) in assigned.into_iter().filter(|(topic, _)| *topic == self.wiring.work_topic) {
                self.phases.entry(partition).or_insert(Phase::Fence(Instant::now()));
            }
            self.advance_restores();
        }
    }

    fn revoked(&mut self) {
        for (topic, partition) in self.wiring.consumer.take_revoked() {
            if Some(&topic) == self.wiring.state_topic.as_ref() {
                if let Some(restore) = &self.restore {
                    restore.forget(partition);
                }
            }
            if topic == self.wiring.work_topic {
                self.held.remove(&partition);
                self.phases.remove(&partition);
                self.stage.revoked(partition);
            }
        }
    }

    fn restoring(&self) -> bool {
        self.phases.values().any(|p| *p != Phase::Ready)
    }

    fn receive(&mut self, message: OwnedMessage) {
        let partition = message.partition();
        if Some(message.topic()) == self.wiring.state_topic.as_deref() {
            let fence = self.restore.as_ref().is_some_and(|r| r.on_record(&message));
            if !fence {
                let effects = self.stage.state(&message, Now::current());
                self.apply(effects);
            }
            self.advance_restores();
            return;
        }
        match self.phases.get(&partition) {
            Some(Phase::Ready) if !self.held.contains_key(&partition) => self.work(message),
            Some(_) => self.held.entry(partition).or_default().push_back(message),
            None => {
                self.phases.insert(partition, Phase::Fence(Instant::now()));
                self.held.entry(partition).or_default().push_back(message);
                self.advance_restores();
            }
        }
    }

    /// Decides one work record under its `process` span, which its
    /// publishes continue (a receipt's trace is linked to the request's).
    fn work(&mut self, message: OwnedMessage) {
        let ticket = self.wiring.consumer.begin(message.topic(), message.partition(), message.offset());
        let span = kafka::trace::process_span(&message, &self.wiring.group, self.wiring.key);
        let _entered = span.enter();
        let effects = self.stage.work(&message, ticket, Now::current());
        self.apply(effects);
    }

    /// Moves partitions whose state topic reached the fence on, and hands
    /// the held records of restored partitions to the stage, in order.
    fn advance_restores(&mut self) {
        let fenced: Vec<(i32, Instant)> = self
            .phases
            .iter()
            .filter_map(|(p, phase)| if let Phase::Fence(since) = phase { Some((*p, *since)) } else { None })
            .filter(|(p, _)| self.restore.as_ref().is_none_or(|r| r.is_ready(*p)))
            .collect();
        for (partition, since) in fenced {
            let effects = self.stage.caught_up(partition, Now::current());
            let extra = effects.iter().any(|e| matches!(e, Effect::Restore { .. }));
            let generation = self.wiring.consumer.lease(&self.wiring.work_topic, partition).generation();
            if extra {
                self.phases.insert(partition, Phase::Extra(generation, since));
            } else {
                self.ready(partition, since);
            }
            self.apply(effects);
        }
        let ready: Vec<i32> = self.held.keys().copied().filter(|p| self.phases.get(p) == Some(&Phase::Ready)).collect();
        for partition in ready {
            tracing::debug!(partition, held = self.held.get(&partition).map_or(0, VecDeque::len), "partition restored");
            for message in self.held.remove(&partition).unwrap_or_default() {
                self.work(message);
            }
        }
    }

    /// Partition p is restored: its held work goes to the stage.
    fn ready(&mut self, partition: i32, since: Instant) {
        let took = since.elapsed();
        let held = self.held.get(&partition).map_or(0, VecDeque::len);
        counters::restore_seconds(self.wiring.name).set(took);
        tracing::info!(stage = %self.wiring.name, partition, ?took, held, "partition restored");
        self.phases.insert(partition, Phase::Ready);
    }

    fn report(&mut self, report: Report) {
        match report {
            Report::Published { tag, deliveries } => self.stage.published(tag, &deliveries),
            Report::Restored { partition, generation, found } => {
                self.forget_revoked();
                let Some(&Phase::Extra(g, since)) = self.phases.get(&partition) else { return };
                if g != generation {
                    return; // revoked meanwhile: a later assignment restores anew
                }
                let effects = self.stage.restored(partition, found, Now::current());
                self.ready(partition, since);
                self.apply(effects);
                self.advance_restores();
            }
        }
    }

    fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Ack(tickets) => tickets.iter().for_each(|t| self.wiring.consumer.ack(t)),
                Effect::Checkpoint { partition, offset } => {
                    if let Some(topic) = &self.wiring.state_topic {
                        self.wiring.consumer.checkpoint(topic, partition, offset);
                    }
                }
                Effect::Restore { partition, job } => {
                    let generation = self.wiring.consumer.lease(&self.wiring.work_topic, partition).generation();
                    let (reports, shutdown) = (self.reports.clone(), self.shutdown.clone());
                    self.tasks.spawn(async move {
                        tokio::select! {
                            found = job => {
                                let _ = reports.send(Report::Restored { partition, generation, found });
                            }
                            _ = shutdown.cancelled() => {}
                        }
                    });
                }
                Effect::Publish(publish) => {
                    let span = match publish.cause.as_slice() {
                        [] => tracing::Span::current(),
                        cause => kafka::trace::resumed(cause),
                    };
                    let lease = self.wiring.consumer.lease(&self.wiring.work_topic, publish.partition);
                    let busy = lease.busy();
                    let (consumer, producer) = (self.wiring.consumer.clone(), self.wiring.producer.clone());
                    let (dead_letter, reports) = (self.wiring.dead_letter.clone(), self.reports.clone());
                    self.tasks.spawn(
                        async move {
                            let mut deliveries = Vec::with_capacity(publish.records.len());
                            for out in &publish.records {
                                if busy.lease().is_released() {
                                    tracing::debug!(partition = publish.partition, "partition given up: not published");
                                    return;
                                }
                                match send(&producer, out).await {
                                    Ok(d) => deliveries.push(Some(d)),
                                    Err(PublishError::Stopped) => return,
                                    Err(PublishError::Rejected(reason)) => {
                                        counters::records_refused(&out.topic).inc();
                                        note_refused(&producer, &dead_letter, out, &reason).await;
                                        deliveries.push(None);
                                    }
                                }
                            }
                            for ticket in &publish.acks {
                                consumer.ack(ticket);
                            }
                            if let Some(tag) = publish.tag {
                                let _ = reports.send(Report::Published { tag, deliveries });
                            }
                            drop(busy);
                        }
                        .instrument(span),
                    );
                }
            }
        }
    }
}

async fn send(producer: &Producer, out: &Out) -> Result<Delivery, PublishError> {
    let mut headers = OwnedHeaders::new();
    for (key, value) in &out.headers {
        headers = headers.insert(Header { key, value: Some(value.as_bytes()) });
    }
    match &out.payload {
        Some(payload) => producer.publish(Outgoing { topic: &out.topic, key: &out.key, payload, headers }).await,
        None => producer.tombstone(&out.topic, &out.key, headers).await,
    }
}

/// A record the broker will never take (oversized) leaves a trace on the
/// dead-letter topic — its key, topic and the reason — instead of stopping
/// the partition for good.
async fn note_refused(producer: &Producer, dead_letter: &str, out: &Out, reason: &str) {
    let key = runtime::redact::digits(&out.key);
    tracing::error!(topic = %out.topic, %key, %reason, "record refused by the broker; noted on the dead-letter topic");
    let headers = OwnedHeaders::new()
        .insert(Header { key: "smsgw-error", value: Some(reason.as_bytes()) })
        .insert(Header { key: "smsgw-source", value: Some(out.topic.as_bytes()) })
        .insert(Header { key: "smsgw-payload-dropped", value: Some(b"refused by the broker".as_slice()) });
    let note = Outgoing { topic: dead_letter, key: &out.key, payload: &[], headers };
    if let Err(e) = producer.publish(note).await {
        tracing::error!(error = %e, "cannot note the refused record");
    }
}

//! The loop that drives a [`Stage`]: reading, restoring, publishing in
//! order and acknowledging (the module docs of `stage` say how).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka::rdkafka::message::{Header, Message, OwnedHeaders, OwnedMessage};
use kafka::restore::Restore;
use kafka::{AckingConsumer, Delivery, Outgoing, Producer, PublishError};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::{Effect, Found, Now, Out, Stage};

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
                    // Boxed, as `kafka::dispatch` boxes a handler's: tokio
                    // moves a task's whole stage when it starts and ends.
                    self.tasks.spawn(
                        Box::pin(async move {
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
                        })
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

//! Scheduled messages: a request whose `send_at` is in the future waits in
//! Kafka, not in memory, and is put back on the send topic when due.
//!
//! The router writes it to a delay-level topic (`sms.scheduled.{level}`,
//! [`levels`]); this scheduler, a consumer group over the level topics
//! inside the router role, takes each record up when its level's delay has
//! passed (its *gate*) and moves it to a shorter level, or — due within
//! `scheduler.hold` — holds it in memory and releases it at `send_at`
//! ([`record::release`]). Cancels ([`cancel`]) are checked at release.
//!
//! Memory is bounded whatever is scheduled: per level partition at most
//! `scheduler.read_ahead` records are read ahead (the partition is paused
//! beyond that), plus at most `scheduler.max_held` messages held (and those
//! due within 1.5 s).
//!
//! Offsets: a level record is acknowledged once its next record (the
//! shorter level's, the released request, or the cancellation's final
//! events) is on the broker, in order per partition
//! ([`kafka::AckingConsumer`]). A crash in between writes it again: a
//! released request twice, which the sender's done markers send once.

pub mod cancel;
mod follow;
pub mod levels;
pub mod record;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use events::{ErrorCode, ErrorInfo, SchemaLookup, Status, StatusEvent};
use kafka::rdkafka::message::{Message, OwnedMessage};
use kafka::{trace, AckingConsumer, Producer, PublishError, Ticket};
use registry::Registry;
use runtime::Settings;
use timing::now_ms;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::cancel::Cancels;
use self::levels::Next;

/// Records being moved or released at once.
const MAX_IN_FLIGHT: usize = 10_000;

/// librdkafka's prefetch per scheduler consumer: it reads ahead of what
/// the scheduler took, and that must stay small too.
const PREFETCH_KBYTES: &str = "2048";

/// A level record read and waiting for its gate, or held until `send_at`.
struct Waiting {
    message: OwnedMessage,
    ticket: Ticket,
    gate: i64,
    send_at: i64,
}

/// The read-ahead of one level partition.
#[derive(Default)]
struct Part {
    queue: VecDeque<Waiting>,
    paused: bool,
    /// Set once a resume running on a blocking thread is done (its seek
    /// waits on librdkafka; the loop must not).
    resuming: Option<Arc<AtomicBool>>,
    /// The offset after the last record read.
    next: i64,
}

/// What the scheduler's tasks share.
struct Shared {
    settings: Arc<Settings>,
    producer: Producer,
    /// Writes the level topics, batches capped ([`level_producer`]).
    levels: Producer,
    consumer: Arc<AckingConsumer>,
    cancels: Arc<Cancels>,
    registry: Option<Arc<Registry>>,
}

/// The router's side: writes a new scheduled request to its first level.
#[derive(Clone)]
pub struct Scheduling {
    levels: Producer,
    topics: runtime::config::TopicsConfig,
    hold_ms: i64,
}

impl Scheduling {
    /// Writes the request record (`payload`, `headers`) due at `send_at` to
    /// the level it waits in first.
    pub async fn schedule(
        &self,
        request_id: &str,
        payload: &[u8],
        headers: Option<&kafka::rdkafka::message::BorrowedHeaders>,
        send_at: i64,
    ) -> Result<(), PublishError> {
        let now = now_ms();
        let level = levels::entry(send_at, now, self.hold_ms);
        tracing::debug!(level = level.name, "scheduled");
        record::wait_in(&self.levels, &self.topics, level, request_id, payload, headers, send_at, now).await?;
        counters::scheduled("scheduled").inc();
        Ok(())
    }
}

/// The most records the level producer puts in one batch: a level
/// partition is paused and resumed often, and on tansu a resume must start
/// one batch early (`kafka::consumer::pause`) — 100 records, not the 10,000
/// of an assignment. Large enough not to slow the writes down.
const LEVEL_BATCH: i64 = 100;

/// The producer of the level topics, its batches capped at [`LEVEL_BATCH`].
fn level_producer(settings: &Settings, shutdown: CancellationToken) -> Result<Producer, kafka::Error> {
    let mut kafka = settings.kafka.clone();
    kafka.properties.insert("batch.num.messages".into(), LEVEL_BATCH.to_string());
    Producer::new(&kafka, shutdown, settings.lifecycle.drain)
}

/// Starts the scheduler (its consumers join now, so a broker that refuses
/// them fails the router's start-up); it runs until `shutdown`.
pub fn start(
    settings: Arc<Settings>,
    producer: Producer,
    registry: Option<Arc<Registry>>,
    shutdown: CancellationToken,
) -> Result<(Scheduling, tokio::task::JoinHandle<()>), kafka::Error> {
    let kafka = &settings.kafka;
    let levels = level_producer(&settings, shutdown.clone())?;
    let cancels = Arc::new(Cancels::new(duration_ms(kafka.id_retention), duration_ms(settings.scheduler.cancel_grace)));
    let cancels_read = Arc::new(AtomicBool::new(false));
    follow::follow(kafka, producer.clone(), registry.clone(), cancels.clone(), cancels_read.clone(), shutdown.clone())?;
    let topics: Vec<String> = levels::LEVELS.iter().map(|l| kafka.topics.scheduled(l.name)).collect();
    let topic_refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let group = format!("{}.scheduler", kafka.group_prefix);
    let extra = [("queued.max.messages.kbytes", PREFETCH_KBYTES)];
    let consumer = Arc::new(AckingConsumer::subscribe_with(kafka, &group, &topic_refs, &extra)?);
    let hold_ms = duration_ms(settings.scheduler.hold);
    let scheduling = Scheduling { levels: levels.clone(), topics: kafka.topics.clone(), hold_ms };
    let shared = Arc::new(Shared { settings: settings.clone(), producer, levels, consumer, cancels, registry });
    let span = tracing::info_span!("scheduler");
    Ok((scheduling, tokio::spawn(tracing::Instrument::instrument(run(shared, cancels_read, shutdown), span))))
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The scheduler's loop: reads level records, opens gates, holds and releases.
async fn run(shared: Arc<Shared>, cancels_read: Arc<AtomicBool>, shutdown: CancellationToken) {
    let started = now_ms();
    let settings = shared.settings.clone();
    let consumer = shared.consumer.clone();
    let read_ahead = settings.scheduler.read_ahead;
    let (hold_ms, max_held) = (duration_ms(settings.scheduler.hold), settings.scheduler.max_held);
    let mut parts: HashMap<(String, i32), Part> = HashMap::new();
    let mut held: BTreeMap<(i64, u64), Waiting> = BTreeMap::new();
    let mut seq = 0u64;
    let tasks = TaskTracker::new();
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut beat = tokio::time::interval(Duration::from_secs(1));
    tracing::info!("scheduler started");
    loop {
        for (topic, partition) in consumer.take_revoked() {
            // Its next owner takes up again what was read but not acknowledged here.
            parts.remove(&(topic.clone(), partition));
            held.retain(|_, w| !(w.ticket.topic() == topic && w.ticket.partition() == partition));
        }
        for (topic, partition) in consumer.take_assigned() {
            // A partition paused under an earlier assignment starts unpaused.
            let mut tpl = kafka::rdkafka::TopicPartitionList::new();
            tpl.add_partition(&topic, partition);
            let _ = kafka::rdkafka::consumer::Consumer::resume(consumer.consumer(), &tpl);
        }
        let now = now_ms();
        for ((topic, partition), part) in parts.iter_mut() {
            while part.queue.front().is_some_and(|w| w.gate <= now) {
                let Some(w) = part.queue.pop_front() else { break };
                // A full hold holds only what is due within 1.5 s.
                let hold = if held.len() < max_held { hold_ms } else { 0 };
                match levels::next(w.send_at, now, hold) {
                    Next::Hold => {
                        seq += 1;
                        held.insert((w.send_at, seq), w);
                    }
                    Next::Wait(level) => {
                        let Some(permit) = acquire(&permits, &shutdown).await else { break };
                        tasks.spawn(shared.clone().hop(w, level, permit));
                    }
                }
            }
            if part.resuming.as_ref().is_some_and(|done| done.load(Ordering::Acquire)) {
                part.resuming = None;
                part.paused = false;
            }
            if part.paused && part.resuming.is_none() && part.queue.len() <= read_ahead / 2 {
                let done = Arc::new(AtomicBool::new(false));
                let (c, t, p, next, d) = (consumer.clone(), topic.clone(), *partition, part.next, done.clone());
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = c.resume(&t, p, next, LEVEL_BATCH) {
                        tracing::warn!(topic = %t, partition = p, error = %e, "cannot resume a level partition");
                    }
                    d.store(true, Ordering::Release);
                });
                part.resuming = Some(done);
            }
        }
        let ready = cancels_read.load(Ordering::Acquire);
        while ready && held.first_key_value().is_some_and(|((send_at, _), _)| *send_at <= now) {
            let Some((_, w)) = held.pop_first() else { break };
            let Some(permit) = acquire(&permits, &shutdown).await else { break };
            tasks.spawn(shared.clone().release(w, permit));
        }
        counters::scheduled_held().set(held.len() as i64);
        counters::scheduled_read_ahead().set(parts.values().map(|p| p.queue.len() as i64).sum());
        let head = parts.values().filter_map(|p| p.queue.front().map(|w| w.gate)).min();
        let first_held = held.first_key_value().map(|((at, _), _)| if ready { *at } else { now + 20 });
        let wake = [head, first_held].into_iter().flatten().min().unwrap_or(now + 1000).min(now + 1000);
        let sleep = Duration::from_millis(u64::try_from(wake - now).unwrap_or(0));
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            _ = beat.tick() => {
                consumer.beat();
                if ready {
                    for standing in shared.cancels.overdue(now_ms(), started) {
                        let answer = follow::not_waiting(&standing);
                        let kafka = shared.settings.kafka.clone();
                        follow::spawn_answer(shared.producer.clone(), kafka, answer, standing.trace, "not_waiting");
                    }
                }
            }
            _ = tokio::time::sleep(sleep) => {}
            m = consumer.recv() => {
                let message = match m {
                    Ok(m) => m.detach(),
                    Err(e) => {
                        tracing::warn!(error = %e, "consume error");
                        continue;
                    }
                };
                let key = (message.topic().to_owned(), message.partition());
                let part = parts.entry(key.clone()).or_default();
                part.next = message.offset() + 1;
                let ticket = consumer.begin(message.topic(), message.partition(), message.offset());
                let headers = message.headers().map(|h| h.as_borrowed());
                let send_at = record::millis(headers, record::SEND_AT).unwrap_or(0);
                let gate = record::millis(headers, record::GATE).unwrap_or(0);
                part.queue.push_back(Waiting { message, ticket, gate, send_at });
                if part.queue.len() >= read_ahead && !part.paused {
                    match consumer.pause(&key.0, key.1) {
                        Ok(()) => part.paused = true,
                        Err(e) => tracing::warn!(topic = %key.0, partition = key.1, error = %e, "cannot pause a level partition"),
                    }
                }
            }
        }
    }
    // Read and held records are redone after a restart (or by the next
    // owner); what is being written gets the drain to finish.
    consumer.withdraw_all();
    tasks.close();
    if tokio::time::timeout(settings.lifecycle.drain, tasks.wait()).await.is_err() {
        tracing::warn!(in_flight = consumer.in_flight(), "scheduler drain deadline passed");
    }
    consumer.commit_and_close();
    shared.levels.flush(Duration::from_secs(10));
    tracing::info!(held = held.len(), "scheduler stopped");
}

/// A task slot; `None` at shutdown.
async fn acquire(permits: &Arc<Semaphore>, shutdown: &CancellationToken) -> Option<tokio::sync::OwnedSemaphorePermit> {
    tokio::select! {
        _ = shutdown.cancelled() => None,
        p = permits.clone().acquire_owned() => p.ok(),
    }
}

impl Shared {
    /// Moves a record whose gate passed to a shorter level.
    async fn hop(
        self: Arc<Self>,
        w: Waiting,
        level: &'static levels::Level,
        _permit: tokio::sync::OwnedSemaphorePermit,
    ) {
        let _busy = w.ticket.lease.busy();
        if w.ticket.lease.is_revoking() {
            return;
        }
        let m = &w.message;
        let id = String::from_utf8_lossy(m.key().unwrap_or_default());
        let topics = &self.settings.kafka.topics;
        let payload = m.payload().unwrap_or_default();
        match record::wait_in(
            &self.levels,
            topics,
            level,
            &id,
            payload,
            m.headers().map(|h| h.as_borrowed()),
            w.send_at,
            now_ms(),
        )
        .await
        {
            Ok(()) => {
                counters::scheduled("hop").inc();
                self.consumer.ack(&w.ticket);
            }
            Err(e) => tracing::warn!(error = %e, level = level.name, "scheduled record not moved; redone later"),
        }
    }

    /// Releases a held record at its `send_at`, unless a cancel stands for it.
    async fn release(self: Arc<Self>, w: Waiting, _permit: tokio::sync::OwnedSemaphorePermit) {
        let _busy = w.ticket.lease.busy();
        if w.ticket.lease.is_revoking() {
            return;
        }
        let m = &w.message;
        let id = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
        let topics = &self.settings.kafka.topics;
        let done = match self.cancels.on_due(&id) {
            Some(standing) => self.cancel(m, &id, &standing).await,
            None => {
                let payload = m.payload().unwrap_or_default();
                let released = record::release(
                    &self.producer,
                    topics,
                    &id,
                    payload,
                    m.headers().map(|h| h.as_borrowed()),
                    w.send_at,
                )
                .await;
                if released.is_ok() {
                    counters::scheduled("released").inc();
                }
                released
            }
        };
        match done {
            Ok(()) => self.consumer.ack(&w.ticket),
            Err(e) => tracing::warn!(error = %e, "scheduled record not released; redone later"),
        }
    }

    /// The message ends REJECTED `cancelled`, then its cancel is answered.
    async fn cancel(&self, m: &OwnedMessage, id: &str, standing: &cancel::Standing) -> Result<(), PublishError> {
        let kafka = &self.settings.kafka;
        let mut ev = StatusEvent::new(id, Status::Rejected, now_ms());
        ev.error = Some(ErrorInfo {
            code: ErrorCode::Cancelled,
            protocol_code: None,
            text: format!("cancelled by {}", standing.request.id),
        });
        ev.done_at = Some(ev.timestamp);
        let lookup = self.registry.as_deref().map(|r| r as &dyn SchemaLookup);
        if let Ok(request) = events::decode_request(m.payload().unwrap_or_default(), lookup) {
            ev.tenant = request.tenant;
            ev.metadata = request.metadata;
        }
        let fields = trace::incoming_fields(m.headers().map(|h| h.as_borrowed()));
        status::publish_final(&self.producer, kafka, &ev, &fields).await?;
        counters::scheduled("cancelled").inc();
        let answer = follow::carried_out(standing);
        status::publish_final(&self.producer, kafka, &answer, &standing.trace).await?;
        counters::cancels("cancelled").inc();
        Ok(())
    }
}

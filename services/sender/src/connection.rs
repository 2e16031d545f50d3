//! One connection's sender: consumes the connection's queue topics, sends
//! each request through the bind pool, publishes the outcome, and only then
//! acknowledges the record.
//!
//! Each priority lane (`sms.queue.{id}`, `.high`, `.urgent`) is read by a
//! reader of its own ([`crate::consumers`]: the process's consumer of that
//! lane, through partition queues of the connection's own), with its own
//! bound on requests in flight: a bulk backlog fills its own partition
//! queues and its own handler slots, never those an urgent request needs.
//! The pool then hands the links the highest lane first ([`crate::lanes`]).
//!
//! With a schema registry configured, status and inbound events use the
//! Confluent wire format, and queue records' writer schemas come from the
//! registry (retried while it is down, like the router does).
//!
//! Shutdown order (STYLE.md §6): stop consuming, let in-flight messages
//! finish (bounded by `drain`), unbind, commit offsets.

use std::sync::Arc;

use events::{ErrorCode, Priority, SchemaLookup, Status};
use kafka::consumer::Reader;
use kafka::lease::Lease;
use kafka::rdkafka::message::{Message, OwnedMessage};
use kafka::{trace, Producer};
use records::links::Links;
use records::Reroute;
use registry::{Framings, Registry};
use runtime::config::ConnectionConfig;
use runtime::Settings;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::done::sets::DoneSets;
use crate::done::{Claim, DoneLanes, DoneSet};
use crate::pool::Pool;
use crate::prepare;
use crate::retry::{self, Outcome};

mod outcome;
mod reroute;
mod share;

use reroute::{reroute_of, route_of};
use share::follow_share;

/// Metadata key of a SUBMITTED that is final although a receipt was asked
/// for, saying why none will come (`no_message_id`, `record_refused`).
pub const NO_RECEIPT: &str = "smsgw.no_receipt";

/// One lane's worker; the lanes of a connection share its pool, references and claims.
struct Worker {
    lane: Priority,
    settings: Arc<Settings>,
    config: ConnectionConfig,
    pool: Pool,
    producer: Producer,
    references: Arc<crate::reference::References>,
    registry: Option<Arc<Registry>>,
    framings: Framings,
    shutdown: CancellationToken,
    done: Arc<DoneLanes>,
    /// Every connection's links, as their senders report them: where a
    /// request may move when this connection stays down.
    links: Arc<Links>,
}

/// How sending a claimed request ended.
enum Sent {
    /// Its outcome is recorded (true), or it is left for a redo (false).
    Recorded(bool),
    /// This replica has had no link for the route's `reroute_after` and
    /// connection `to` has one: hand the request over.
    Move { to: String },
}

/// What every connection sender of a process shares.
#[derive(Clone)]
pub struct Shared {
    pub settings: Arc<Settings>,
    pub producer: Producer,
    pub registry: Option<Arc<Registry>>,
    pub framings: Framings,
    /// Every connection's links, as their senders report them.
    pub links: Arc<Links>,
    /// The done markers of every connection and lane, read once.
    pub done: Arc<DoneSets>,
    /// The process's consumer of each lane.
    pub consumers: Arc<crate::consumers::Consumers>,
}

/// One priority lane of a connection: its reader, the group of the lane's
/// consumer, and the done markers of the partitions it holds.
type Lane = (Priority, String, Reader, Arc<DoneSet>);

/// A connection's sender, built: its queue topics checked and its lanes'
/// consumers subscribed, nothing running yet.
pub struct Connection {
    config: ConnectionConfig,
    queues: [(Priority, String); 3],
    /// Partitions of each queue topic (and of the done topic).
    partitions: usize,
    lanes: Vec<Lane>,
}

impl Connection {
    /// Builds the sender of `config`: fails when its queue topics and the
    /// done topic do not have one partition count (kafka::check_copartitioned:
    /// the markers of queue partition p are in done partition p). Its lanes'
    /// readers are made; they read once the consumers subscribe
    /// ([`crate::consumers::Consumers::subscribe`]).
    pub async fn build(shared: &Shared, config: ConnectionConfig) -> Result<Self, kafka::Error> {
        let kafka_config = &shared.settings.kafka;
        let queues = kafka_config.topics.queues(&config.id);
        let done_topic = &kafka_config.topics.done;
        let mut copartitioned: Vec<&str> = queues.iter().map(|(_, q)| q.as_str()).collect();
        copartitioned.push(done_topic);
        let partitions = kafka::check_copartitioned(kafka_config, &copartitioned).await?;
        let sets = shared.done.lanes(&config.id);
        let mut lanes = Vec::new();
        for ((lane, topic), done) in queues.iter().zip(sets) {
            let reader = shared.consumers.reader(*lane, &config.id, topic, partitions);
            lanes.push((*lane, shared.consumers.group(*lane), reader, done));
        }
        Ok(Connection { config, queues, partitions, lanes })
    }

    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// Runs the sender until `shutdown`.
    pub async fn run(self, shared: Shared, shutdown: CancellationToken) {
        run(self, shared, shutdown).await
    }
}

/// [`Connection::run`].
async fn run(built: Connection, shared: Shared, shutdown: CancellationToken) {
    let Connection { config, queues, partitions, lanes } = built;
    let Shared { settings, producer, registry, framings, links, .. } = shared;
    runtime::shutdown::fault_point(&format!("connection:{}", config.id));
    let kafka_config = &settings.kafka;
    let done = Arc::new(DoneLanes::new(lanes.iter().map(|(_, _, _, d)| d.clone()).collect()));

    let binds = TaskTracker::new();
    let bind_shutdown = CancellationToken::new();
    let (inbound_tx, inbound_rx) = mpsc::channel(1024);
    let pool = Pool::start(config.clone(), inbound_tx, &binds, bind_shutdown.clone());
    let destinations = crate::inbound::Destinations {
        connection: config.id.clone(),
        topics: kafka_config.topics.clone(),
        framing: framings.inbound,
        dlr_id_format: config.dlr_id_format,
        format: records::Format::compact_if(kafka_config.compact_records),
    };
    let inbound = tokio::spawn(
        crate::inbound::run(destinations, producer.clone(), inbound_rx)
            .instrument(tracing::info_span!("inbound", connection = %config.id)),
    );
    follow_share(&pool, &lanes, &queues, partitions, shutdown.clone());
    let references = Arc::new(crate::reference::References::default());
    tracing::info!(
        topic = %kafka_config.topics.queue(&config.id),
        binds = config.binds,
        window = config.window,
        max_tps = config.max_tps,
        bulk_share = config.bulk_share,
        "sender started"
    );

    let dispatch = kafka::Dispatch { max_in_flight: config.in_flight(), drain: settings.lifecycle.drain };
    let loops = lanes.iter().map(|(lane, group, reader, set)| {
        let worker = Arc::new(Worker {
            lane: *lane,
            done: done.clone(),
            references: references.clone(),
            settings: settings.clone(),
            config: config.clone(),
            pool: pool.clone(),
            producer: producer.clone(),
            registry: registry.clone(),
            framings: framings.clone(),
            shutdown: shutdown.clone(),
            links: links.clone(),
        });
        let shutdown = &shutdown;
        async move {
            let span = |m: &OwnedMessage| trace::process_span(m, group, trace::Key::Record);
            let handle = |message: OwnedMessage, lease: Arc<Lease>| {
                let w = worker.clone();
                async move {
                    let done = w.handle(&message, &lease).await;
                    (message, done)
                }
            };
            // The markers of partition p, read by the process's reader of the done topic.
            let ready = |p: i32| set.is_ready(p);
            let on_revoke = |p: i32| set.forget(p);
            let state = kafka::StateTopic { ready: &ready, on_revoke: &on_revoke };
            kafka::dispatch::run(reader, dispatch, shutdown, Some(state), span, handle).await
        }
        .instrument(tracing::info_span!("lane", lane = ?lane))
    });
    let messages = futures::future::join_all(loops).await;

    pool.close();
    bind_shutdown.cancel();
    binds.close();
    binds.wait().await;
    pool.drain_unsent();
    for tasks in &messages {
        tasks.wait().await;
    }
    drop(pool);
    for (_, _, reader, done) in &lanes {
        // A restarted or re-added sender reads what this one left undone.
        reader.close();
        done.release_all();
    }
    // The binds are gone and the workers with their pools: the inbound channel closes.
    drop(lanes);
    let _ = inbound.await;
    tracing::info!(connection = %config.id, "sender stopped");
}

impl Worker {
    /// Sends one queued request; true when its outcome is recorded. A
    /// request whose partition is being given up before anything of it was
    /// sent stops (false): the next owner sends it.
    async fn handle(&self, message: &OwnedMessage, lease: &Lease) -> bool {
        let span = tracing::Span::current();
        let headers = message.headers().map(|h| h.as_borrowed());
        let trace_fields = trace::fields_of(&span, &trace::incoming_fields(headers));
        let value = message.payload().unwrap_or_default();
        if let (Some(registry), Some(id)) = (&self.registry, registry::confluent_schema_id(value)) {
            if !registry.prefetch_with_retry(id, &self.shutdown).await {
                return false;
            }
        }
        let lookup = self.registry.as_deref().map(|r| r as &dyn SchemaLookup);
        let request = match events::decode_request(value, lookup) {
            Ok(r) => r,
            Err(e) => {
                // The router writes these records; something else wrote this one.
                tracing::error!(error = %e, "undecodable record on the queue topic, skipped");
                let Some(id) = e.request_id() else { return true };
                let mut ev = events::StatusEvent::new(id, Status::Failed, timing::now_ms());
                ev.error = Some(events::ErrorInfo {
                    code: ErrorCode::InvalidRequest,
                    protocol_code: None,
                    text: e.to_string(),
                });
                counters::outcomes(&self.config.id, ev.status.symbol()).inc();
                return status::publish_final(&self.producer, &self.settings.kafka, &ev, &trace_fields).await.is_ok();
            }
        };
        // Idempotency by request id (see `done`).
        // The dispatch loop handed this record over only once the partition's markers were restored.
        let partition = message.partition();
        let reroute = reroute_of(message);
        match self.done.claim(self.lane, partition, &request.id) {
            Claim::New => {}
            Claim::Duplicate => {
                tracing::info!(request_id = %request.id, "request already sent or being sent; skipped");
                counters::duplicates_skipped(&self.config.id).inc();
                return true;
            }
            Claim::Moved(to) => {
                // The hand-over may not have reached `to`; it skips a copy it has.
                tracing::info!(request_id = %request.id, %to, "request handed over before; handing it over again");
                return self.hand_over(request, message, &to, reroute.as_ref(), &trace_fields).await.is_ok();
            }
        }
        let route = route_of(message);
        let recorded = match self.send(&request, route, reroute.as_ref(), lease, &trace_fields).await {
            Sent::Recorded(recorded) => recorded,
            Sent::Move { to } => {
                let moved = self.hand_over(request.clone(), message, &to, reroute.as_ref(), &trace_fields).await;
                moved.is_ok()
            }
        };
        self.done.finish(self.lane, partition, &request.id, recorded);
        recorded
    }

    /// Sends a claimed request and records its outcome; true once recorded.
    ///
    /// With `reroute`, a request still waiting to go out when this replica
    /// has had no link for `reroute_after` is withdrawn (like in a
    /// rebalance: nothing of it reached the SMSC) and moves instead.
    async fn send(
        &self,
        request: &events::SendRequest,
        route: Option<events::RouteInfo>,
        reroute: Option<&Reroute>,
        lease: &Lease,
        trace_fields: &[(String, String)],
    ) -> Sent {
        if let Some(to) = reroute.and_then(|r| self.move_target(r)) {
            return Sent::Move { to };
        }
        let reference = self.references.next(&request.to);
        // Held until the outcome is recorded below (bounds re-sends after a crash).
        let mut _unrecorded = None;
        // A token of its own only where it may move: children of the
        // partition's token cost a lock on it per request.
        let own = reroute.map(|_| lease.revoking().child_token());
        let withdraw = own.as_ref().unwrap_or(lease.revoking());
        let outcome = match prepare::submits(request, &self.config, reference, self.settings.router.max_segments) {
            Ok(segments) => {
                let sending = async {
                    let unrecorded = self.pool.reserve(self.lane, segments.len(), withdraw).await?;
                    Some((unrecorded, retry::send(&self.pool, self.lane, request, segments, withdraw).await))
                };
                tokio::pin!(sending);
                let mut target = None;
                let sent = loop {
                    tokio::select! {
                        sent = &mut sending => break sent,
                        to = async { Some(self.wait_to_move(reroute?).await) }, if target.is_none() && reroute.is_some() => {
                            target = to;
                            if let Some(own) = &own {
                                own.cancel();
                            }
                        }
                    }
                };
                let Some((unrecorded, outcome)) = sent else {
                    return self.interrupted(target, lease);
                };
                _unrecorded = Some(unrecorded);
                if matches!(outcome, Outcome::Interrupted) {
                    return self.interrupted(target, lease);
                }
                outcome
            }
            Err(error) => {
                let mut ev = events::StatusEvent::new(request.id.clone(), Status::Rejected, timing::now_ms());
                ev.connection = Some(self.config.id.clone());
                ev.error = Some(error);
                ev.tenant = request.tenant.clone();
                ev.metadata = request.metadata.clone();
                Outcome::Done(Box::new(ev))
            }
        };
        let Outcome::Done(mut ev) = outcome else { return Sent::Recorded(false) };
        ev.route = route;
        tracing::debug!(status = ev.status.symbol(), segments = ev.segments, "outcome");
        let recorded = match self.record(&mut ev, request.delivery_report, trace_fields).await {
            Ok(()) => self.mark_done(&request.id, ev.status).await,
            Err(e) => Err(e),
        };
        counters::outcomes(&self.config.id, ev.status.symbol()).inc();
        Sent::Recorded(recorded.is_ok())
    }

    /// A request withdrawn before anything of it went out: it moves to
    /// `target` when that is why, else it is left for a redo (a rebalance,
    /// shutdown).
    fn interrupted(&self, target: Option<String>, lease: &Lease) -> Sent {
        match target {
            Some(to) if !lease.revoking().is_cancelled() && !self.shutdown.is_cancelled() => Sent::Move { to },
            _ => Sent::Recorded(false),
        }
    }
}

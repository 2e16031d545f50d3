//! The router role: reads send requests from `sms.send`, validates and
//! normalises them, and hands each to its connection's queue topic
//! (`sms.queue.{connection}`), so that a slow or dead connection never holds
//! up another one's traffic.
//!
//! Bad input never stops it: undecodable records go to the dead-letter topic
//! with the error in the `smsgw-error` header; invalid requests get a
//! REJECTED status event. A record's offset is stored only after what it
//! turned into (queue record, status event or dead letter) is on the broker.
//!
//! With `kafka.schema_registry_url` set, it registers its schemas at start-up
//! and writes the Confluent wire format; writer schemas of Confluent-framed
//! requests are fetched from the registry. While the registry is unreachable
//! such a record is retried, neither dead-lettered nor acknowledged.
//!
//! Start with [`decide::decide`] (the pure verdict on one record), then
//! [`Router::build`] and [`Router::run`].
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod decide;
pub mod lists;
pub mod matcher;
pub mod number;
pub mod optouts;
pub mod quotas;
pub mod rewrite;
pub mod route;
pub mod schedule;
pub mod strategy;
pub mod table;

use std::sync::Arc;
use std::time::Duration;

use events::ErrorCode;
use events::SchemaLookup;
use kafka::rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use kafka::{trace, AckingConsumer, Outgoing, Producer, PublishError};
use registry::Registry;
use runtime::reload::Current;
use runtime::Settings;
use tokio_util::sync::CancellationToken;

use crate::decide::Decision;
use crate::route::Routes;
use records::links::Links;

/// Records being routed at once; bounds memory when the broker is slow to acknowledge.
const MAX_IN_FLIGHT: usize = 20_000;

/// Router start-up errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Kafka(#[from] kafka::Error),
    #[error(transparent)]
    Registry(#[from] registry::Error),
}

/// What handles each record of `sms.send`.
struct Handler {
    /// As at start-up: its `[kafka]` and the rest that does not reload.
    settings: Arc<Settings>,
    /// What reloads: connections, routes, lists, `[router]`.
    tables: Arc<table::Tables>,
    quotas: Arc<quotas::Quotas>,
    producer: Producer,
    scheduling: schedule::Scheduling,
    consumer: Arc<AckingConsumer>,
    registry: Option<Arc<Registry>>,
    shutdown: CancellationToken,
}

/// The router, built: its clients and its routing table, nothing running yet.
pub struct Router {
    settings: Arc<Settings>,
    current: Current,
    shutdown: CancellationToken,
    registry: Option<Arc<Registry>>,
    framings: registry::Framings,
    group: String,
    consumer: Arc<AckingConsumer>,
    /// Filled by the tail of the links topic that [`Router::run`] starts.
    links: Arc<Links>,
    producer: Producer,
    routes: Routes,
}

impl Router {
    /// Builds the router: the schema registry and its framings, the Kafka
    /// clients and the routing table, so that what the configuration can
    /// make fail fails before any role of the process runs. `settings` are
    /// the start-up ones; routing follows `current` (connections, routes,
    /// lists and `[router]` reload).
    pub async fn build(settings: Arc<Settings>, current: Current, shutdown: CancellationToken) -> Result<Self, Error> {
        let kafka = &settings.kafka;
        let registry = Registry::from_config(kafka)?.map(Arc::new);
        let framings = registry::framings(&settings, registry.as_deref()).await?;
        let group = format!("{}.router", kafka.group_prefix);
        let consumer = Arc::new(AckingConsumer::subscribe(kafka, &group, &[&kafka.topics.send])?);
        let links = Arc::new(Links::new(now_ms()));
        let producer = Producer::new(kafka, shutdown.clone(), settings.lifecycle.drain)?;
        let routes = Routes::new(&settings, links.clone());
        Ok(Router { settings, current, shutdown, registry, framings, group, consumer, links, producer, routes })
    }

    /// Runs the router until `shutdown`; then finishes in-flight records and
    /// commits.
    pub async fn run(self) -> Result<(), Error> {
        run(self).await
    }
}

/// [`Router::run`].
async fn run(built: Router) -> Result<(), Error> {
    let Router { settings, current, shutdown, registry, framings, group, consumer, links, producer, routes } = built;
    let kafka = &settings.kafka;
    kafka::tail(kafka, &format!("{group}.links"), &kafka.topics.links, shutdown.clone(), move |m| {
        if let Err(e) = links.take(m.payload().unwrap_or_default()) {
            tracing::warn!(error = %e, offset = m.offset(), "not a link report; skipped");
        }
    })?;
    if settings.optout.enabled {
        let config = settings.optout.clone();
        let listener = optouts::listen(
            kafka.clone(),
            config,
            routes.default_country(),
            producer.clone(),
            registry.clone(),
            shutdown.clone(),
        );
        tokio::spawn(async move {
            if let Err(e) = listener.await {
                tracing::error!(error = %e, "the opt-out listener stopped");
            }
        });
        // A restarted router must not forget a STOP: nothing is routed before the opt-outs are read.
        if !routes.optouts.follow(kafka, producer.clone(), shutdown.clone()).await? {
            return Ok(());
        }
        tracing::info!("opt-outs restored");
    }
    let quotas = Arc::new(quotas::Quotas::new(&settings.quotas));
    if !quotas.start(kafka, &consumer, producer.clone(), shutdown.clone()).await? {
        return Ok(());
    }
    let (scheduling, scheduler) =
        schedule::start(settings.clone(), producer.clone(), registry.clone(), shutdown.clone())?;
    let tables = Arc::new(table::Tables::new(table::Table { settings: settings.clone(), routes, framings }));
    tables.clone().follow(current, registry.clone(), shutdown.clone());
    let router = Arc::new(Handler {
        tables,
        quotas,
        producer,
        scheduling,
        consumer,
        registry,
        shutdown: shutdown.clone(),
        settings: settings.clone(),
    });
    tracing::info!(topic = %kafka.topics.send, "router started");
    let dispatch = kafka::Dispatch { max_in_flight: MAX_IN_FLIGHT, drain: settings.lifecycle.drain };
    // A client's key may be a phone number: not recorded.
    let span = |m: &OwnedMessage| trace::process_span(m, &group, trace::Key::Omit);
    let handle = |message: OwnedMessage, _lease| {
        let r = router.clone();
        async move {
            let done = r.handle(&message).await;
            (message, done)
        }
    };
    let tasks = kafka::dispatch::run(&router.consumer.whole(), dispatch, &shutdown, None, span, handle).await;
    tasks.wait().await;
    if let Err(e) = scheduler.await {
        tracing::error!(error = %e, "scheduler task failed");
    }
    router.consumer.commit_and_close();
    router.producer.flush(Duration::from_secs(10));
    tracing::info!("router stopped");
    router.producer.check()?;
    Ok(())
}

use text::SplitOptions;
use timing::now_ms;

impl Handler {
    /// Routes one record; true when its outcome is on the broker, false when
    /// it must be redone (the broker stayed away until the drain at shutdown
    /// ran out, or the registry did).
    async fn handle(&self, message: &OwnedMessage) -> bool {
        let span = tracing::Span::current();
        let headers = message.headers().map(|h| h.as_borrowed());
        let trace_fields = trace::fields_of(&span, &trace::incoming_fields(headers));
        let topics = &self.settings.kafka.topics;
        let value = message.payload().unwrap_or_default();
        if !self.prefetch_writer_schema(value).await {
            return false;
        }
        let lookup = self.registry.as_deref().map(|r| r as &dyn SchemaLookup);
        let table = self.tables.get();
        let router = &table.settings.router;
        let max_segments = router.max_segments;
        let split = |id: &str| {
            let connection = table.settings.connections.iter().find(|c| c.id == id);
            connection.map_or_else(
                || SplitOptions { max_segments, ..SplitOptions::default() },
                |c| c.split_options(max_segments),
            )
        };
        let limits = decide::Limits { max_metadata_bytes: router.max_metadata_bytes };
        // A request the scheduler released is due: decided no earlier than its send_at.
        let released = schedule::record::millis(headers, schedule::record::RELEASED);
        let clock = released.map_or_else(now_ms, |due| now_ms().max(due));
        let recorded = match decide::decide(value, lookup, clock, &table.routes, &split, limits) {
            Decision::DeadLetter { reason } => {
                tracing::warn!(%reason, "undecodable request sent to the dead-letter topic");
                counters::requests("dead_lettered").inc();
                self.dead_letter(message, &reason).await
            }
            Decision::Refuse(event) => {
                tracing::info!(status = event.status.symbol(), reason = ?event.error.as_ref().map(|e| &e.code), "request refused");
                let expired = event.status == events::Status::Expired;
                counters::requests(if expired { "expired" } else { "rejected" }).inc();
                status::publish_final(&self.producer, &self.settings.kafka, &event, &trace_fields).await
            }
            Decision::Schedule { request_id, send_at } => {
                self.scheduling.schedule(&request_id, value, headers, send_at).await
            }
            Decision::Queue { connection, route, request, segments, reroute } => {
                let tenant = request.tenant.as_deref();
                // Held back to the tenant's rate, not refused; at shutdown the record is redone.
                if !self.quotas.hold(tenant, &self.shutdown).await {
                    return false;
                }
                let taken_at = now_ms();
                if let Err(limit) = self.quotas.take(tenant, taken_at) {
                    counters::requests("rejected").inc();
                    let mut ev = events::StatusEvent::new(request.id.clone(), events::Status::Rejected, now_ms());
                    let text = format!("the tenant's {limit} requests for today (UTC) are used up");
                    ev.error = Some(events::ErrorInfo { code: ErrorCode::QuotaExceeded, protocol_code: None, text });
                    ev.tenant = request.tenant.clone();
                    ev.metadata = request.metadata.clone();
                    return status::publish_final(&self.producer, &self.settings.kafka, &ev, &trace_fields)
                        .await
                        .is_ok();
                }
                span.record("smsgw.connection", connection.as_str());
                if let Some(id) = &route.id {
                    span.record("smsgw.route", id.as_str());
                }
                if let Some(reason) = &route.reason {
                    tracing::info!(%connection, route = ?route.id, %reason, "routed around a connection that is down");
                }
                let route_json = records::encode(&route).unwrap_or_default();
                let queued = match events::encode_request(&request, table.framings.queue(&connection)) {
                    Ok(payload) => {
                        let topic = topics.queue_for(&connection, request.priority);
                        tracing::debug!(%connection, segments, "queued");
                        let mut headers = trace::with_fields(OwnedHeaders::new(), &trace_fields)
                            .insert(Header { key: records::ROUTE_HEADER, value: Some(&route_json) });
                        if let Some(reroute) = reroute.as_ref().and_then(|r| records::encode(r).ok()) {
                            headers = headers.insert(Header { key: records::REROUTE_HEADER, value: Some(&reroute) });
                        }
                        let out = Outgoing { topic: &topic, key: &request.id, payload: &payload, headers };
                        self.producer.publish(out).await.map(|_| ())
                    }
                    Err(e) => Err(PublishError::Rejected(format!("cannot encode the queue record: {e}"))),
                };
                if queued.is_err() {
                    self.quotas.give_back(request.tenant.as_deref(), taken_at);
                }
                match queued {
                    Ok(()) => {
                        counters::requests("queued").inc();
                        if router.accepted_events {
                            let mut ev =
                                events::StatusEvent::new(request.id.clone(), events::Status::Accepted, now_ms());
                            ev.connection = Some(connection);
                            ev.route = Some(route);
                            ev.segments = segments as u16;
                            ev.tenant = request.tenant.clone();
                            ev.metadata = request.metadata.clone();
                            let topic = &self.settings.kafka.topics.status;
                            let status = status::publish_status(
                                &self.producer,
                                topic,
                                table.framings.status,
                                &ev,
                                &trace_fields,
                            );
                            // Not the request's last word: a refused ACCEPTED only costs the event.
                            if status.await == Err(PublishError::Stopped) {
                                return false;
                            }
                        }
                        Ok(())
                    }
                    Err(PublishError::Rejected(reason)) => {
                        // The request is fine but its queue will not take it: it ends here, with the reason.
                        tracing::error!(%connection, %reason, "queue record refused; the request FAILS");
                        counters::requests("failed").inc();
                        let mut ev = events::StatusEvent::new(request.id.clone(), events::Status::Failed, now_ms());
                        ev.connection = Some(connection);
                        ev.route = Some(route);
                        ev.error = Some(events::ErrorInfo {
                            code: ErrorCode::QueueRefused,
                            protocol_code: None,
                            text: reason,
                        });
                        ev.tenant = request.tenant.clone();
                        ev.metadata = request.metadata.clone();
                        status::publish_final(&self.producer, &self.settings.kafka, &ev, &trace_fields).await
                    }
                    Err(PublishError::Stopped) => Err(PublishError::Stopped),
                }
            }
        };
        recorded.is_ok()
    }

    /// Sends an undecodable record to the dead-letter topic with the reason
    /// and where it came from; a record too large for that topic goes
    /// without its payload (header `smsgw-payload-dropped`) rather than not at all.
    async fn dead_letter(&self, message: &OwnedMessage, reason: &str) -> Result<(), PublishError> {
        let topics = &self.settings.kafka.topics;
        let value = message.payload().unwrap_or_default();
        let key = message.key().map(String::from_utf8_lossy).unwrap_or_default();
        let source = format!("{}/{}/{}", message.topic(), message.partition(), message.offset());
        let headers = |dropped: Option<&str>| {
            let mut h = OwnedHeaders::new();
            if let Some(orig) = message.headers() {
                for header in orig.iter() {
                    h = h.insert(Header { key: header.key, value: header.value });
                }
            }
            h = h
                .insert(Header { key: "smsgw-error", value: Some(reason.as_bytes()) })
                .insert(Header { key: "smsgw-source", value: Some(source.as_bytes()) });
            if let Some(why) = dropped {
                h = h.insert(Header { key: "smsgw-payload-dropped", value: Some(why.as_bytes()) });
            }
            h
        };
        let out = Outgoing { topic: &topics.dead_letter, key: &key, payload: value, headers: headers(None) };
        match self.producer.publish(out).await {
            Err(PublishError::Rejected(why)) => {
                tracing::warn!(%why, bytes = value.len(), "dead letter refused; sending it without its payload");
                let why = format!("{} bytes refused: {why}", value.len());
                let out =
                    Outgoing { topic: &topics.dead_letter, key: &key, payload: &[], headers: headers(Some(&why)) };
                self.producer.publish(out).await.map(|_| ())
            }
            other => other.map(|_| ()),
        }
    }

    /// Caches the writer schema of a Confluent-framed record. False when the
    /// registry stayed unreachable until shutdown.
    async fn prefetch_writer_schema(&self, value: &[u8]) -> bool {
        let (Some(registry), Some(id)) = (&self.registry, registry::confluent_schema_id(value)) else {
            return true;
        };
        registry.prefetch_with_retry(id, &self.shutdown).await
    }
}

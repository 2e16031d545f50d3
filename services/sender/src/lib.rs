//! The sender role: one sender per connection. Each consumes its own queue
//! topics, one per priority lane (so one slow connection never blocks
//! another, and bulk never holds up urgent), submits through a
//! [`pool`] of links (SMPP binds, HTTP clients, ...) under the connection's throughput
//! limit and window, retries throttling and temporary errors, publishes the
//! outcome as a status event, and acknowledges the queue record only after that.
//!
//! It also takes what the links receive: inbound messages and delivery
//! reports are published before the SMSC gets its acknowledgement.
//!
//! Start with [`connection::run`], then [`link`] (the contract every
//! protocol implements), [`message::send`] (retry policy), [`driver`] (one link's socket task)
//! and [`smpp::bind`] (the SMPP session as a driver protocol).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod cimd2;
pub mod connection;
pub mod dial;
pub mod done;
pub mod driver;
pub mod exchange;
pub mod http;
pub mod inbound;
pub mod lanes;
pub mod link;
pub mod message;
pub mod modem;
pub mod pool;
pub mod prepare;
pub mod reference;
mod report;
pub mod smpp;
pub mod ucp;

use std::sync::Arc;

use records::links::Links;
use runtime::Settings;
use tokio_util::sync::CancellationToken;

/// Sender start-up errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Kafka(#[from] kafka::Error),
    #[error("schema registry: {0}")]
    Registry(#[from] registry::Error),
    #[error("a connection sender panicked: {0}")]
    Panicked(String),
}

/// Which connections a process sends for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connections {
    All,
    /// Every connection but modems (the sender role on servers).
    Network,
    /// Only modems (the modem host role, on the machines the modems are plugged into).
    Modems,
}

impl Connections {
    fn takes(self, config: &runtime::config::ConnectionConfig) -> bool {
        let modem = config.protocol == runtime::config::Protocol::Modem;
        match self {
            Connections::All => true,
            Connections::Network => !modem,
            Connections::Modems => modem,
        }
    }
}

/// Runs a sender for every configured connection of `which` until `shutdown`.
pub async fn run(settings: Arc<Settings>, which: Connections, shutdown: CancellationToken) -> Result<(), Error> {
    let producer = kafka::Producer::new(&settings.kafka, shutdown.clone(), settings.lifecycle.drain)?;
    // One registry client (and schema cache) for every connection.
    let registry = registry::Registry::from_config(&settings.kafka)?.map(Arc::new);
    let framings = registry::framings(&settings, registry.as_deref()).await?;
    let mut tasks = tokio::task::JoinSet::new();
    let ours: Vec<_> = settings.connections.iter().filter(|c| which.takes(c)).cloned().collect();
    watch_links(ours.iter().map(|c| c.id.clone()).collect(), shutdown.clone());
    // `smsgw_queue_lag` of each connection, over the queue partitions (all lanes) this process holds.
    let topics = &settings.kafka.topics;
    let queues = ours
        .iter()
        .map(|c| (topics.queues(&c.id).into_iter().map(|(_, q)| q).collect(), counters::queue_lag(&c.id)))
        .collect();
    kafka::lag::watch(&settings.kafka, queues, shutdown.clone())?;
    let ids = ours.iter().map(|c| c.id.clone()).collect();
    let reports = report::start(settings.clone(), producer.clone(), ids, shutdown.clone());
    let links = follow_links(&settings.kafka, shutdown.clone())?;
    for config in ours {
        let span = tracing::info_span!("connection", connection = %config.id);
        tasks.spawn(tracing::Instrument::instrument(
            connection::run(
                settings.clone(),
                config,
                producer.clone(),
                registry.clone(),
                framings.clone(),
                links.clone(),
                shutdown.clone(),
            ),
            span,
        ));
    }
    let mut result = Ok(());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "connection sender failed");
                shutdown.cancel();
                result = Err(e.into());
            }
            Err(e) => {
                // A bug: end the process (non-zero) rather than run on without the connection.
                tracing::error!(error = %e, "connection sender panicked");
                shutdown.cancel();
                result = Err(Error::Panicked(e.to_string()));
            }
        }
    }
    let _ = reports.await;
    producer.flush(std::time::Duration::from_secs(10));
    producer.check()?;
    result
}

/// Every connection's links as their senders report them on `sms.links`
/// (read whole by every sender process): where a request may move when its
/// own connection stays down (`reroute_after`).
fn follow_links(kafka: &runtime::config::KafkaConfig, shutdown: CancellationToken) -> Result<Arc<Links>, Error> {
    let links = Arc::new(Links::new(kafka::recent::now_ms()));
    let reports = links.clone();
    let group = format!("{}.sender.links", kafka.group_prefix);
    kafka::tail(kafka, &group, &kafka.topics.links, shutdown, move |payload, offset| {
        if let Err(e) = reports.take(payload) {
            tracing::warn!(error = %e, offset, "not a link report; skipped");
        }
    })?;
    Ok(links)
}

/// Keeps the readiness check "sender: a link up" current until `shutdown`:
/// true while at least one of `connections` has a bind or link up (a sender
/// with none cannot send, whatever else works).
fn watch_links(connections: Vec<String>, shutdown: CancellationToken) {
    if connections.is_empty() {
        return;
    }
    let check = counters::health::check("sender: a link up", false);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => check.set(connections.iter().any(|c| counters::binds(c).get() > 0)),
            }
        }
    });
}

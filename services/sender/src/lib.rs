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
//! Start with [`connection::Connection`], then [`link`] (the contract every
//! protocol implements), [`retry::send`] (the retry policy), [`driver`] (one link's socket task)
//! and [`smpp::bind`] (the SMPP session as a driver protocol).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod check;
pub mod cimd2;
pub mod connection;
pub mod consumers;
pub mod dial;
pub mod done;
pub mod driver;
pub mod exchange;
pub mod http;
pub mod inbound;
pub mod lanes;
pub mod link;
pub mod modem;
pub mod pool;
pub mod prepare;
pub mod queue;
pub mod reference;
mod report;
pub mod retry;
pub mod smpp;
pub mod ucp;

use std::collections::HashMap;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use kafka::rdkafka::message::Message;
use records::links::Links;
use runtime::config::ConnectionConfig;
use runtime::reload::Current;
use runtime::Settings;
use tokio_util::sync::CancellationToken;

pub use check::check;

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
        let modem = config.protocol() == runtime::config::Protocol::Modem;
        match self {
            Connections::All => true,
            Connections::Network => !modem,
            Connections::Modems => modem,
        }
    }
}

/// Connections built at once at start-up (each looks its topics up).
const BUILDS_AT_ONCE: usize = 8;

/// The senders of a process, built: the producer and the schema registry
/// they share, and the sender of every connection configured at start-up,
/// nothing running yet.
pub struct Sender {
    shared: connection::Shared,
    current: Current,
    which: Connections,
    shutdown: CancellationToken,
    first: Vec<connection::Connection>,
}

impl Sender {
    /// Builds the senders of the connections of `which`: the producer, the
    /// registry client, the framings and each connection's consumers and
    /// checks, so that what the configuration can make fail fails before
    /// any role of the process runs. A connection added by a reload is
    /// built when it starts.
    pub async fn build(
        settings: Arc<Settings>,
        mut current: Current,
        which: Connections,
        shutdown: CancellationToken,
    ) -> Result<Self, Error> {
        let producer = kafka::Producer::new(&settings.kafka, shutdown.clone(), settings.lifecycle.drain)?;
        // One registry client (and schema cache) for every connection.
        let registry = registry::Registry::from_config(&settings.kafka)?.map(Arc::new);
        let start = current.borrow_and_update().clone();
        let framings = registry::framings(&start, registry.as_deref()).await?;
        let links = Arc::new(Links::new(timing::now_ms()));
        let done = Arc::new(done::sets::DoneSets::start(&settings.kafka, producer.clone(), shutdown.clone())?);
        let ours: Vec<ConnectionConfig> = start.connections.iter().filter(|c| which.takes(c)).cloned().collect();
        let consumers = Arc::new(consumers::Consumers::new(&settings.kafka, &ours)?);
        let shared = connection::Shared { settings, producer, registry, framings, links, done, consumers };
        // Each build looks its topics up at the broker: a few at a time
        // (200 connections one by one took 20 s to start).
        let first: Vec<connection::Connection> = futures::stream::iter(ours)
            .map(|config| connection::Connection::build(&shared, config))
            .buffered(BUILDS_AT_ONCE)
            .try_collect()
            .await?;
        // Once every reader is made: their partitions are split off before the first assignment.
        shared.consumers.subscribe()?;
        Ok(Sender { shared, current, which, shutdown, first })
    }

    /// Runs a sender for every configured connection of `which` until
    /// `shutdown`. `settings` are the start-up ones; the connections follow
    /// `current`: a sender starts for a connection added, stops (draining what
    /// it has in flight, then unbinding) for one removed, and for one changed
    /// stops, then starts again with the new settings.
    pub async fn run(self) -> Result<(), Error> {
        run(self).await
    }
}

/// [`Sender::run`].
async fn run(built: Sender) -> Result<(), Error> {
    let Sender { shared, mut current, which, shutdown, first } = built;
    let settings = shared.settings.clone();
    let ours = |settings: &Settings| -> Vec<ConnectionConfig> {
        settings.connections.iter().filter(|c| which.takes(c)).cloned().collect()
    };
    let ids = Arc::new(std::sync::Mutex::new(first.iter().map(|c| c.config().id.clone()).collect::<Vec<_>>()));
    watch_links(ids.clone(), shutdown.clone());
    // `smsgw_queue_lag` of each connection, over the queue partitions (all lanes) this process holds.
    let topics = &settings.kafka.topics;
    let queues = first
        .iter()
        .map(|c| c.config().id.as_str())
        .map(|id| (topics.queues(id).into_iter().map(|(_, q)| q).collect(), counters::queue_lag(id)))
        .collect();
    kafka::lag::watch(&settings.kafka, queues, shutdown.clone())?;
    let reports = report::start(settings.clone(), shared.producer.clone(), ids.clone(), shutdown.clone());
    follow_links(&settings.kafka, shared.links.clone(), shutdown.clone())?;
    let producer = shared.producer.clone();
    let mut senders = Senders {
        shared,
        shutdown: shutdown.clone(),
        running: HashMap::new(),
        restart: HashMap::new(),
        tasks: tokio::task::JoinSet::new(),
    };
    for connection in first {
        senders.run(connection);
    }
    let mut result = Ok(());
    let mut following = true;
    loop {
        tokio::select! {
            _ = shutdown.cancelled(), if senders.tasks.is_empty() => break,
            changed = current.changed(), if following && !shutdown.is_cancelled() => {
                if changed.is_err() {
                    following = false;
                    continue;
                }
                let next = current.borrow_and_update().clone();
                senders.apply(ours(&next), &next).await;
                *ids.lock().unwrap_or_else(|e| e.into_inner()) = senders.running.keys().cloned().collect();
            }
            Some(joined) = senders.tasks.join_next(), if !senders.tasks.is_empty() => {
                match joined {
                    Ok(id) => {
                        senders.ended(&id);
                        *ids.lock().unwrap_or_else(|e| e.into_inner()) = senders.running.keys().cloned().collect();
                    }
                    Err(e) => {
                        // A bug: end the process (non-zero) rather than run on without the connection.
                        tracing::error!(error = %e, "connection sender panicked");
                        shutdown.cancel();
                        result = Err(Error::Panicked(e.to_string()));
                    }
                }
            }
        }
    }
    let _ = reports.await;
    senders.shared.consumers.close().await;
    producer.flush(std::time::Duration::from_secs(10));
    producer.check()?;
    result
}

/// The connection senders of this process.
struct Senders {
    shared: connection::Shared,
    shutdown: CancellationToken,
    /// Each running sender's configuration and its own stop.
    running: HashMap<String, (ConnectionConfig, CancellationToken)>,
    /// Changed connections: started again once the old sender has stopped.
    restart: HashMap<String, ConnectionConfig>,
    /// Each sender's task, ending with its connection's id.
    tasks: tokio::task::JoinSet<String>,
}

impl Senders {
    /// Runs the sender `connection`, built at start-up.
    fn run(&mut self, connection: connection::Connection) {
        let config = connection.config().clone();
        let shared = self.shared.clone();
        self.spawn(config, |stop| connection.run(shared, stop));
    }

    /// Builds and runs the sender of `config` (added or changed by a reload).
    /// A build that fails (the broker unreachable for the metadata it
    /// needs) is tried again with backoff while the other connections run
    /// on: one connection's trouble never ends the process.
    fn start(&mut self, config: ConnectionConfig) {
        let shared = self.shared.clone();
        let built = config.clone();
        self.spawn(config, |stop| async move {
            let build = || async {
                let connection = connection::Connection::build(&shared, built.clone()).await?;
                shared.consumers.subscribe()?;
                Ok(connection)
            };
            let backoff = timing::Backoff::new(BUILD_RETRY_MIN, BUILD_RETRY_MAX);
            if let Some(connection) = until_built(build, backoff, &stop).await {
                connection.run(shared, stop).await;
            }
        });
    }

    fn spawn<F>(&mut self, config: ConnectionConfig, run: impl FnOnce(CancellationToken) -> F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let id = config.id.clone();
        // Its series exists from now on, at 0 while no bind is up: the
        // chart's alert on `smsgw_binds == 0` also sees a sender that
        // cannot start.
        counters::binds(&id);
        let stop = self.shutdown.child_token();
        let span = tracing::info_span!("connection", connection = %id);
        let run = run(stop.clone());
        let task_id = id.clone();
        self.tasks.spawn(tracing::Instrument::instrument(
            async move {
                run.await;
                task_id
            },
            span,
        ));
        self.running.insert(id, (config, stop));
    }

    /// Brings the running senders to `wanted`.
    async fn apply(&mut self, wanted: Vec<ConnectionConfig>, settings: &Settings) {
        match registry::framings(settings, self.shared.registry.as_deref()).await {
            Ok(f) => self.shared.framings = f,
            Err(e) => {
                tracing::error!(error = %e, "reloaded connections not applied: the schema registry");
                return;
            }
        }
        let wanted: HashMap<String, ConnectionConfig> = wanted.into_iter().map(|c| (c.id.clone(), c)).collect();
        for (id, (config, stop)) in &self.running {
            match wanted.get(id) {
                None => {
                    tracing::info!(connection = %id, "connection removed: its sender stops");
                    stop.cancel();
                    self.restart.remove(id);
                    self.shared.done.remove(id);
                }
                Some(next) if next != config => {
                    tracing::info!(connection = %id, "connection changed: its sender restarts");
                    stop.cancel();
                    self.restart.insert(id.clone(), next.clone());
                }
                Some(_) => {}
            }
        }
        for (id, config) in wanted {
            if !self.running.contains_key(&id) {
                tracing::info!(connection = %id, "connection added: its sender starts");
                self.start(config);
            }
        }
    }

    /// The sender of `id` stopped: started again when it changed.
    fn ended(&mut self, id: &str) {
        self.running.remove(id);
        match self.restart.remove(id) {
            Some(config) if !self.shutdown.is_cancelled() => self.start(config),
            Some(_) => {}
            None if self.shutdown.is_cancelled() => {}
            // Removed: the lane consumers stop reading its topics.
            None => {
                if let Err(e) = self.shared.consumers.remove(id) {
                    tracing::error!(connection = %id, error = %e, "cannot stop reading a removed connection's queues");
                }
            }
        }
    }
}

/// First wait before a failed connection build is tried again, and the most.
const BUILD_RETRY_MIN: std::time::Duration = std::time::Duration::from_secs(1);
const BUILD_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `build` until it succeeds, waiting `backoff` (full jitter) after
/// each failure, which is logged with its reason (the connection's
/// `smsgw_binds` stays 0 meanwhile); `None` once `stop` is cancelled first
/// (the connection removed again, or shutdown).
async fn until_built<T, F, Fut>(mut build: F, mut backoff: timing::Backoff, stop: &CancellationToken) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kafka::Error>>,
{
    loop {
        let failed = tokio::select! {
            _ = stop.cancelled() => return None,
            built = build() => match built {
                Ok(built) => return Some(built),
                Err(e) => e,
            },
        };
        let delay = backoff.next_delay(rand::random::<f64>());
        tracing::error!(error = %failed, retry_in = ?delay, "connection sender cannot start; trying again");
        tokio::select! {
            _ = stop.cancelled() => return None,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// Keeps `links`, every connection's links as their senders report them on
/// `sms.links` (read whole by every sender process), current: where a
/// request may move when its own connection stays down (`reroute_after`).
fn follow_links(
    kafka: &runtime::config::KafkaConfig,
    links: Arc<Links>,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let group = format!("{}.sender.links", kafka.group_prefix);
    kafka::tail(kafka, &group, &kafka.topics.links, shutdown, move |m| {
        if let Err(e) = links.take(m.payload().unwrap_or_default()) {
            tracing::warn!(error = %e, offset = m.offset(), "not a link report; skipped");
        }
    })?;
    Ok(())
}

/// Keeps the readiness check "sender: a link up" current until `shutdown`:
/// true while at least one of `connections` has a bind or link up (a sender
/// with none cannot send, whatever else works).
fn watch_links(connections: Arc<std::sync::Mutex<Vec<String>>>, shutdown: CancellationToken) {
    let check = counters::health::check("sender: a link up", false);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => {
                    let connections = connections.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    check.set(connections.is_empty() || connections.iter().any(|c| counters::binds(c).get() > 0));
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::time::{Duration, Instant};

    use super::*;

    fn failure() -> kafka::Error {
        kafka::Error::PartitionMismatch { counts: "sms.queue.c: 1, sms.done: 2".into() }
    }

    fn backoff() -> timing::Backoff {
        timing::Backoff::new(Duration::from_millis(5), Duration::from_millis(40))
    }

    /// A build that fails is tried again until it succeeds, and not after.
    #[tokio::test]
    async fn a_failed_build_is_tried_again_until_it_succeeds() {
        let tries = AtomicUsize::new(0);
        let build = || async {
            match tries.fetch_add(1, SeqCst) {
                0..=2 => Err(failure()),
                n => Ok(n),
            }
        };
        assert_eq!(until_built(build, backoff(), &CancellationToken::new()).await, Some(3));
        assert_eq!(tries.load(SeqCst), 4);
    }

    /// Stopped while it keeps failing (the connection removed again): it
    /// gives up at once, with nothing built, having waited between tries.
    #[tokio::test]
    async fn a_build_that_keeps_failing_ends_when_stopped() {
        let tries = AtomicUsize::new(0);
        let build = || async {
            tries.fetch_add(1, SeqCst);
            Err::<(), _>(failure())
        };
        let stop = CancellationToken::new();
        let stopper = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            stopper.cancel();
        });
        let started = Instant::now();
        assert_eq!(until_built(build, backoff(), &stop).await, None);
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        // At most 40 ms apart, at least 5 ms on average: between 2 and 100 tries in 500 ms.
        let tries = tries.load(SeqCst);
        assert!((2..100).contains(&tries), "{tries} tries");
    }
}

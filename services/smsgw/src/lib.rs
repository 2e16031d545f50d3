//! The `smsgw` binary's logic: running roles in one process, the simulator,
//! and the small Kafka tools (`send`, `watch`) that make smsgw usable where
//! Debian's `kcat` cannot talk to the broker. Not the benchmarks: they are
//! `smsgw-bench` (`services/bench`), which runs the gateway through here.
//!
//! `main.rs` only parses the command line, initialises telemetry and calls
//! in here, so tests run the whole gateway in-process with [`run_roles`].

/// The protocols' limits on a configuration (`runtime::config::Check`),
/// run at start-up and on every reload, whatever the role.
pub use sender::check;

pub mod cli;
pub mod plan;
pub mod sim_http;
pub mod tools;

use std::sync::Arc;

use runtime::reload::Current;
use runtime::Settings;
use tokio_util::sync::CancellationToken;

/// A part of the gateway that can run alone or together with the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Every role in this process.
    All,
    /// Validation and routing of `sms.send` into per-connection queues.
    Router,
    /// One sender per configured connection, modems excepted.
    Sender,
    /// The senders of the modem connections, on the machine the modems are plugged into.
    ModemHost,
    /// Delivery-receipt correlation.
    Tracker,
}

/// Errors running the gateway.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Kafka(#[from] kafka::Error),
    #[error(transparent)]
    Router(#[from] router::Error),
    #[error(transparent)]
    Sender(#[from] sender::Error),
    #[error(transparent)]
    Tracker(#[from] tracker::Error),
    #[error("telemetry.metrics_listen: cannot listen on {addr}")]
    MetricsListen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Binds `telemetry.metrics_listen` when it is set and serves `GET /metrics`
/// until `shutdown`; the bound address. Called before the roles start, so a
/// port in use stops start-up instead of leaving the gateway unobservable.
pub async fn start_metrics(
    settings: &Settings,
    shutdown: CancellationToken,
) -> Result<Option<std::net::SocketAddr>, Error> {
    counters::build_info(env!("CARGO_PKG_VERSION")).set(1);
    let Some(addr) = settings.telemetry.metrics_listen else { return Ok(None) };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| Error::MetricsListen { addr, source })?;
    let local = listener.local_addr().map_err(|source| Error::MetricsListen { addr, source })?;
    tokio::spawn(tracing::Instrument::instrument(
        counters::serve(listener, shutdown),
        tracing::info_span!("metrics", listen = %local),
    ));
    tracing::info!(listen = %local, "metrics endpoint listening");
    Ok(Some(local))
}

/// Every topic the given settings use, for creation at start-up.
pub fn topics(settings: &Settings) -> Vec<kafka::TopicSpec> {
    use kafka::TopicSpec;
    let t = &settings.kafka.topics;
    let mut topics: Vec<TopicSpec> =
        [&t.send, &t.status, &t.inbound, &t.dead_letter, &t.deliver, &t.outcomes, &t.mo_parts]
            .into_iter()
            .map(TopicSpec::plain)
            .collect();
    // The tracker's state: one submit record per segment awaiting its receipt.
    topics.push(TopicSpec::compacted(&t.submits));
    // The senders' idempotency state: one marker per request with an outcome,
    // and the finaliser's: one per request with a terminal status; both for `id_retention`.
    let retention = settings.kafka.id_retention;
    topics.push(TopicSpec::compacted_for(&t.done, retention));
    topics.push(TopicSpec::compacted_for(&t.finals, retention));
    // The senders' link reports, for the routers: the latest per connection and
    // replica; an hour keeps those of replicas long gone from piling up.
    topics.push(TopicSpec::compacted_for(&t.links, std::time::Duration::from_secs(3600)));
    // Opt-outs hold until the subscriber opts back in: compacted, no time limit.
    topics.push(TopicSpec::compacted(&t.optouts));
    // Quota counts matter for a day: two days keep yesterday's for the turn of the day.
    topics.push(TopicSpec::compacted_for(&t.quotas, std::time::Duration::from_secs(2 * 86_400)));
    // Every connection's queue: one topic per priority lane.
    topics.extend(settings.connections.iter().flat_map(|c| t.queues(&c.id)).map(|(_, q)| TopicSpec::plain(q)));
    // Scheduled messages wait in one topic per delay level; cancels name
    // them by id, kept as long as ids are.
    topics.extend(router::schedule::levels::LEVELS.iter().map(|l| TopicSpec::plain(t.scheduled(l.name))));
    topics.push(TopicSpec::compacted_for(&t.cancel, retention));
    topics
}

/// Creates the topics and runs `roles` until `shutdown`, then drains.
pub async fn run_roles(settings: Arc<Settings>, role: Role, shutdown: CancellationToken) -> Result<(), Error> {
    run_roles_following(runtime::reload::fixed(settings), role, shutdown).await
}

/// [`run_roles`] with the configuration `loaded` brings: the first at
/// start-up, then each reload (`runtime::reload`), whose new topics are
/// created before any role sees it.
pub async fn run_roles_following(mut loaded: Current, role: Role, shutdown: CancellationToken) -> Result<(), Error> {
    let settings = loaded.borrow_and_update().clone();
    // An untrusted certificate or a refused SASL login ends start-up here, for
    // every role, instead of each client retrying it forever (kafka::handshake).
    kafka::handshake::check(&settings.kafka).await?;
    kafka::ensure_topics(&settings.kafka, &topics(&settings), settings.kafka.partitions).await?;
    let settings = if settings.kafka.broker_quirks == runtime::config::BrokerQuirks::Auto {
        let mut resolved = (*settings).clone();
        resolved.kafka = kafka::quirks::resolve(&settings.kafka, &settings.kafka.topics.done).await?;
        Arc::new(resolved)
    } else {
        settings
    };
    kafka::reachable::watch(&settings.kafka, shutdown.clone())?;
    let current = with_topics(loaded, settings.clone(), shutdown.clone());
    // Every role is built (clients, registry, tables, checks) before any runs:
    // a bad setting of one stops start-up before another has done any work.
    let router = matches!(role, Role::All | Role::Router)
        .then(|| router::Router::build(settings.clone(), current.clone(), shutdown.clone()));
    let sender = match role {
        Role::All => Some(sender::Connections::All),
        Role::Sender => Some(sender::Connections::Network),
        Role::ModemHost => Some(sender::Connections::Modems),
        Role::Router | Role::Tracker => None,
    }
    .map(|which| sender::Sender::build(settings.clone(), current.clone(), which, shutdown.clone()));
    let tracker =
        matches!(role, Role::All | Role::Tracker).then(|| tracker::Tracker::build(settings.clone(), shutdown.clone()));
    let (router, sender, tracker) = match tokio::try_join!(built(router), built(sender), built(tracker)) {
        Ok(roles) => roles,
        Err(e) => {
            // What already runs (the reachability watch, the reload follower) stops too.
            shutdown.cancel();
            return Err(e);
        }
    };
    let r = async {
        if let Some(router) = router {
            router.run().await?;
        }
        Ok::<(), Error>(())
    };
    let s = async {
        if let Some(sender) = sender {
            sender.run().await?;
        }
        Ok::<(), Error>(())
    };
    let t = async {
        if let Some(tracker) = tracker {
            tracker.run().await?;
        }
        Ok::<(), Error>(())
    };
    // A role that fails stops the others at once: a half-alive process
    // would pass for a working one, so it ends (non-zero) and is restarted.
    let failing = |result: Result<(), Error>| {
        if result.is_err() {
            shutdown.cancel();
        }
        result
    };
    let (r, s, t) = tokio::join!(async { failing(r.await) }, async { failing(s.await) }, async { failing(t.await) });
    r.and(s).and(t)
}

/// The role `build` builds, when this process runs it.
async fn built<T, E>(build: Option<impl std::future::Future<Output = Result<T, E>>>) -> Result<Option<T>, Error>
where
    Error: From<E>,
{
    match build {
        Some(build) => Ok(Some(build.await?)),
        None => Ok(None),
    }
}

/// Hands each configuration `loaded` brings on to the roles once the topics
/// it names exist (a new connection's queue lanes: the router must not write
/// to them before they have the done topic's partition count), with the
/// start-up `[kafka]` of `running` (its quirks resolved). One whose topics
/// cannot be created (the broker unreachable), or whose new connections'
/// queue topics exist with another partition count than the done topic's
/// (their senders could not start, and what the router sent them would
/// wait), is not handed on yet: logged with the reason and tried again
/// with backoff until it succeeds or a newer configuration comes.
fn with_topics(loaded: Current, running: Arc<Settings>, shutdown: CancellationToken) -> Current {
    let prepare = |applied: Arc<Settings>, next: Arc<Settings>| async move {
        kafka::ensure_topics(&next.kafka, &topics(&next), next.kafka.partitions).await?;
        check_new_queues(&applied, &next).await
    };
    let backoff = timing::Backoff::new(std::time::Duration::from_secs(1), std::time::Duration::from_secs(60));
    follow_prepared(loaded, running, backoff, shutdown, prepare)
}

/// [`with_topics`] with `prepare` (given the configuration handed on last
/// and the next) deciding whether the next may be handed on.
fn follow_prepared<F, Fut>(
    mut loaded: Current,
    running: Arc<Settings>,
    backoff: timing::Backoff,
    shutdown: CancellationToken,
    prepare: F,
) -> Current
where
    F: Fn(Arc<Settings>, Arc<Settings>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), kafka::Error>> + Send,
{
    let (tx, rx) = tokio::sync::watch::channel(running.clone());
    let held = counters::config_held();
    held.set(0);
    tokio::spawn(async move {
        let mut applied = running.clone();
        let mut waiting = false;
        let mut backoff = backoff;
        loop {
            if !waiting {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    changed = loaded.changed() => if changed.is_err() { break },
                }
                backoff.reset();
            }
            let mut next = (**loaded.borrow_and_update()).clone();
            next.kafka = running.kafka.clone();
            let next = Arc::new(next);
            match prepare(applied.clone(), next.clone()).await {
                Ok(()) => {
                    applied = next;
                    tx.send_replace(applied.clone());
                    waiting = false;
                    held.set(0);
                }
                Err(e) => {
                    held.set(1);
                    let delay = backoff.next_delay(rand::random::<f64>());
                    tracing::error!(error = %e, retry_in = ?delay, "reloaded configuration not applied yet: its topics");
                    waiting = true;
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(delay) => {}
                        // A newer configuration is tried at once, from the first delay.
                        changed = loaded.changed() => match changed {
                            Ok(()) => backoff.reset(),
                            Err(_) => break,
                        },
                    }
                }
            }
        }
    });
    rx
}

/// Each connection of `next` that `applied` does not have: its queue topics
/// and the done topic have one partition count (`kafka::check_copartitioned`,
/// as its sender checks when it starts).
async fn check_new_queues(applied: &Settings, next: &Settings) -> Result<(), kafka::Error> {
    let topics = &next.kafka.topics;
    let added = next.connections.iter().filter(|c| !applied.connections.iter().any(|a| a.id == c.id));
    for connection in added {
        let queues = topics.queues(&connection.id);
        let mut copartitioned: Vec<&str> = queues.iter().map(|(_, q)| q.as_str()).collect();
        copartitioned.push(&topics.done);
        kafka::check_copartitioned(&next.kafka, &copartitioned).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn settings_with(metrics_listen: &str) -> Settings {
        Settings::from_toml(&format!(
            "[telemetry]\nmetrics_listen = \"{metrics_listen}\"\n[kafka]\nbrokers = \"127.0.0.1:9092\"\n"
        ))
        .unwrap()
    }

    /// A configuration whose preparation fails is tried again until it
    /// succeeds, with no second reload; a newer one that comes meanwhile
    /// replaces it, and the older is never handed on.
    #[tokio::test]
    async fn a_reload_whose_topics_fail_is_tried_again_and_a_newer_one_wins() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        use std::time::Duration;
        let with_tps = |tps: u32| {
            let toml = format!(
                r#"
[kafka]
brokers = "127.0.0.1:9092"
[[connections]]
id = "c"
protocol = "smpp"
host = "127.0.0.1"
port = 2775
system_id = "u"
password = "p"
max_tps = {tps}
"#
            );
            Arc::new(Settings::from_toml(&toml).unwrap())
        };
        let tps = |s: &Settings| s.connections.first().map(|c| c.max_tps);
        let (reload, loaded) = tokio::sync::watch::channel(with_tps(1));
        let tries = Arc::new(AtomicUsize::new(0));
        let counted = tries.clone();
        // Fails the first three tries, and every try of max_tps = 2.
        let prepare = move |_applied: Arc<Settings>, next: Arc<Settings>| {
            let n = counted.fetch_add(1, SeqCst);
            async move {
                match (n, next.connections[0].max_tps) {
                    (0..=2, _) | (_, 2) => Err(kafka::Error::PartitionMismatch { counts: "x".into() }),
                    _ => Ok(()),
                }
            }
        };
        let backoff = timing::Backoff::new(Duration::from_millis(5), Duration::from_millis(20));
        let shutdown = CancellationToken::new();
        let mut current = follow_prepared(loaded, with_tps(1), backoff, shutdown.clone(), prepare);
        let wait_for = |current: &mut Current, wanted: u32| {
            let mut current = current.clone();
            async move {
                let changed = current.wait_for(|s| tps(s) == Some(wanted));
                tokio::time::timeout(Duration::from_secs(5), changed).await.is_ok()
            }
        };

        reload.send_replace(with_tps(3));
        assert!(wait_for(&mut current, 3).await, "handed on after the failures, with no second reload");
        assert_eq!(tries.load(SeqCst), 4);
        assert_eq!(counters::config_held().get(), 0, "applied: nothing held");

        reload.send_replace(with_tps(2));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(tries.load(SeqCst) > 5, "tried again and again");
        assert_eq!(tps(&current.borrow_and_update()), Some(3), "never handed on");
        assert_eq!(counters::config_held().get(), 1, "held back, and the metric says so");
        reload.send_replace(with_tps(4));
        assert!(wait_for(&mut current, 4).await, "the newer one replaces it");
        shutdown.cancel();
    }

    #[tokio::test]
    async fn metrics_endpoint_starts_and_a_bind_error_names_the_key() {
        let shutdown = CancellationToken::new();
        let addr = start_metrics(&settings_with("127.0.0.1:0"), shutdown.clone()).await.unwrap().unwrap();
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut s, b"GET /metrics HTTP/1.1\r\n\r\n").await.unwrap();
        let mut response = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut s, &mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        assert!(response.contains("# TYPE smsgw_submits_total counter"), "{response}");

        // The same port again is in use.
        let err = start_metrics(&settings_with(&addr.to_string()), shutdown.clone()).await.unwrap_err();
        assert!(err.to_string().contains("telemetry.metrics_listen"), "{err}");
        shutdown.cancel();

        let unset = Settings::from_toml("[kafka]\nbrokers = \"127.0.0.1:9092\"\n").unwrap();
        assert_eq!(start_metrics(&unset, CancellationToken::new()).await.unwrap(), None);
    }
}

//! Reloading the configuration without a restart: on SIGHUP, or when the
//! file's content changes (looked at every [`POLL`]: a Kubernetes ConfigMap
//! is updated by swapping a symlink, which file-change notification misses),
//! the file is loaded and validated in full, like at start-up. A file that
//! does not load or validate is refused with the reason, and the running
//! configuration stays.
//!
//! What reloads: `[[connections]]` (a sender starts for a new one, stops
//! for a removed one, restarts for a changed one), `[[routes]]`, `[[lists]]`
//! and `[router]`. The rest (`[kafka]`, `[telemetry]`, `[tracker]`,
//! `[scheduler]`, `[optout]`, `[[quotas]]`, `[lifecycle]`) is kept as it
//! was at start-up — changes there are logged as waiting for a restart —
//! because the clients, state and consumer groups built from it cannot
//! change under running work.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::Check;
use crate::Settings;

/// How often the file is looked at.
pub const POLL: Duration = Duration::from_secs(2);

/// The configuration in force: the one loaded at start-up, then each reload
/// that passed validation.
pub type Current = watch::Receiver<Arc<Settings>>;

/// A configuration that never changes (tests, tools).
pub fn fixed(settings: Arc<Settings>) -> Current {
    watch::channel(settings).1
}

/// Follows `path` until `shutdown`, starting from `initial` (loaded from
/// it); a reloaded file must pass `check` too, as it did at start-up.
pub fn watch(path: PathBuf, initial: Arc<Settings>, check: Check, shutdown: CancellationToken) -> Current {
    let (tx, rx) = watch::channel(initial);
    tokio::spawn(async move {
        let mut hangups = hangups();
        let mut last = std::fs::read(&path).ok();
        let mut every = tokio::time::interval(POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let why = tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = hangup(&mut hangups) => "SIGHUP",
                _ = every.tick() => {
                    let now = std::fs::read(&path).ok();
                    if now == last {
                        continue;
                    }
                    last = now;
                    "the file changed"
                }
            };
            let running = tx.borrow().clone();
            let next = reloaded(&running, Settings::load(&path))
                .and_then(|next| check(&next).map(|()| next).map_err(|e| e.to_string()));
            match next {
                Ok(next) => {
                    tracing::info!(config = %path.display(), why, "configuration reloaded");
                    counters_reload("applied");
                    tx.send_replace(Arc::new(next));
                }
                Err(reason) => {
                    tracing::error!(config = %path.display(), why, %reason, "configuration reload refused; the running configuration is kept");
                    counters_reload("refused");
                }
            }
        }
    });
    rx
}

/// The configuration to run after a reload that loaded `loaded`: its
/// reloadable parts over the rest of `running`.
pub fn reloaded(running: &Settings, loaded: Result<Settings, crate::config::ConfigError>) -> Result<Settings, String> {
    let loaded = loaded.map_err(|e| e.to_string())?;
    let mut next = running.clone();
    next.connections = loaded.connections;
    next.routes = loaded.routes;
    next.lists = loaded.lists;
    next.router = loaded.router;
    // The kept parts, if they changed, wait for a restart.
    let kept = [
        ("kafka", format!("{:?}", running.kafka) != format!("{:?}", loaded.kafka)),
        ("telemetry", format!("{:?}", running.telemetry) != format!("{:?}", loaded.telemetry)),
        ("tracker", format!("{:?}", running.tracker) != format!("{:?}", loaded.tracker)),
        ("scheduler", format!("{:?}", running.scheduler) != format!("{:?}", loaded.scheduler)),
        ("optout", format!("{:?}", running.optout) != format!("{:?}", loaded.optout)),
        ("quotas", format!("{:?}", running.quotas) != format!("{:?}", loaded.quotas)),
        ("lifecycle", format!("{:?}", running.lifecycle) != format!("{:?}", loaded.lifecycle)),
    ];
    for (section, _) in kept.iter().filter(|(_, changed)| *changed) {
        tracing::warn!(section, "this section changed; it takes effect at the next restart");
    }
    // Checked as a whole again: the new connections and routes with the kept parts.
    next.validate().map_err(|e| e.to_string())?;
    Ok(next)
}

fn counters_reload(result: &'static str) {
    counters::config_reloads(result).inc();
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

#[cfg(unix)]
fn hangups() -> Hangups {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}
#[cfg(not(unix))]
fn hangups() -> Hangups {
    None
}

/// The next SIGHUP (never, where there are none).
async fn hangup(hangups: &mut Hangups) {
    #[cfg(unix)]
    if let Some(signal) = hangups {
        if signal.recv().await.is_some() {
            return;
        }
    }
    std::future::pending::<()>().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(brokers: &str, connection: &str, max_tps: u32) -> Settings {
        Settings::from_toml(&format!(
            "[kafka]\nbrokers = \"{brokers}\"\n[[connections]]\nid = \"{connection}\"\nprotocol = \"smpp\"\n\
             host = \"127.0.0.1\"\nport = 2775\nsystem_id = \"s\"\nmax_tps = {max_tps}\n"
        ))
        .unwrap()
    }

    #[test]
    fn connections_reload_and_kafka_waits_for_a_restart() {
        let running = settings("a:9092", "x", 10);
        let next = reloaded(&running, Ok(settings("b:9092", "y", 20))).unwrap();
        assert_eq!((next.connections[0].id.as_str(), next.connections[0].max_tps), ("y", 20));
        assert_eq!(next.kafka.brokers, "a:9092", "the running [kafka] stays");
    }

    #[test]
    fn a_config_that_does_not_load_is_refused_with_its_reason() {
        let running = settings("a:9092", "x", 10);
        let broken = Settings::from_toml("[kafka]\nbrokers = \"a:9092\"\n[router]\ndefault_connection = \"nowhere\"\n");
        let reason = reloaded(&running, broken).unwrap_err();
        assert!(reason.contains("router.default_connection"), "{reason}");
    }
}

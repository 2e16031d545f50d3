//! What is known of each connection's links: the sender replicas'
//! [`LinkReport`]s from the compacted `sms.links` topic, read from its
//! beginning by every router replica (for failover and load sharing) and
//! every sender (to hand a dead connection's queue to one that is up).
//!
//! A connection is up while a fresh report (younger than [`STALE_AFTER`])
//! counts a bind; otherwise it has been down since the last report that did
//! (or since the router started, when none ever did), so a replica that died
//! without a word goes stale instead of looking up forever.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

// Looked up for each member of a route for every request it routes:
// SipHash, std's, took a third of a 200-connection route's choice.
use foldhash::HashMap;

use crate::{LinkReport, LINK_REPORT_INTERVAL};

/// A report older than this no longer says anything about now.
pub const STALE_AFTER: Duration = Duration::from_secs(5 * LINK_REPORT_INTERVAL.as_secs());

#[derive(Default)]
struct Connection {
    replicas: HashMap<String, LinkReport>,
    /// The newest report that counted a bind (epoch ms).
    last_up: Option<i64>,
    /// Messages routed here since the last report, so least-loaded routing
    /// does not send everything to one connection between two reports.
    routed: u64,
}

/// The links of every connection, as reported.
pub struct Links {
    started: i64,
    connections: Mutex<HashMap<String, Connection>>,
    /// This instance among all (see [`Links::version`]).
    id: u64,
    /// Reports taken: what [`Links::states`] said before is still true
    /// while this has not moved (and the time has not passed its `until`).
    reports: AtomicU64,
}

/// Whether a connection has a bind up, as of a time ([`Links::states`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Up until `until` (epoch ms), when its freshest report with a bind
    /// goes stale, unless another report comes first.
    Up { until: i64 },
    /// Down since `since` (epoch ms): its last report with a bind, or the
    /// start.
    Down { since: i64 },
}

impl LinkState {
    /// How long the connection has had no bind up at `now`; `None` while up.
    pub fn down_for(self, now: i64) -> Option<Duration> {
        match self {
            LinkState::Up { .. } => None,
            LinkState::Down { since } => Some(Duration::from_millis(u64::try_from(now - since).unwrap_or(0))),
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

impl Links {
    /// Knows nothing yet: every connection counts as up until `started` is
    /// longer ago than a route's `failover_after`. Feed it with
    /// [`Links::record`] (the router and the sender follow `sms.links`).
    pub fn new(started: i64) -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        Links { started, connections: Mutex::new(HashMap::default()), id, reports: AtomicU64::new(0) }
    }

    /// Which instance this is and how many reports it has taken: a
    /// [`Links::states`] answer stays right while this is unchanged and
    /// the time is inside it (before the first `Up::until`, not before
    /// the time asked for).
    pub fn version(&self) -> (u64, u64) {
        (self.id, self.reports.load(Ordering::Acquire))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Connection>> {
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a record of `sms.links`; an error when it is not a report.
    pub fn take(&self, payload: &[u8]) -> Result<(), crate::DecodeError> {
        self.record(crate::decode(payload)?);
        Ok(())
    }

    /// Takes a replica's report.
    pub fn record(&self, report: LinkReport) {
        let mut connections = self.lock();
        let c = connections.entry(report.connection.clone()).or_default();
        if report.binds > 0 && !report.stopped {
            c.last_up = Some(c.last_up.map_or(report.at, |t| t.max(report.at)));
        }
        c.routed = 0;
        c.replicas.insert(report.replica.clone(), report);
        self.reports.fetch_add(1, Ordering::Release);
    }

    /// How long `connection` has had no bind up; `None` while it has one.
    pub fn down_for(&self, connection: &str, now: i64) -> Option<Duration> {
        self.down_each([connection], now).pop().flatten()
    }

    /// [`Links::down_for`] of each of `connections`, under one lock (a
    /// route's members, for every request it routes).
    pub fn down_each<'a>(&self, connections: impl IntoIterator<Item = &'a str>, now: i64) -> Vec<Option<Duration>> {
        self.states(connections, now).into_iter().map(|s| s.down_for(now)).collect()
    }

    /// The [`LinkState`] of each of `connections` at `now`, under one lock.
    pub fn states<'a>(&self, connections: impl IntoIterator<Item = &'a str>, now: i64) -> Vec<LinkState> {
        let known = self.lock();
        let stale_after = STALE_AFTER.as_millis() as i64;
        connections
            .into_iter()
            .map(|connection| {
                let c = known.get(connection);
                let up = c.into_iter().flat_map(|c| c.replicas.values()).filter(|r| r.binds > 0 && !r.stopped);
                match up.map(|r| r.at.saturating_add(stale_after)).max() {
                    Some(until) if now <= until => LinkState::Up { until },
                    _ => LinkState::Down { since: c.and_then(|c| c.last_up).unwrap_or(self.started).max(self.started) },
                }
            })
            .collect()
    }

    /// The work waiting for `connection`: queue lag and window in use over
    /// its fresh reports, plus what was routed there since.
    pub fn load(&self, connection: &str, now: i64) -> u64 {
        self.load_each([connection], now)[0]
    }

    /// [`Links::load`] of each of `connections`, under one lock.
    pub fn load_each<'a>(&self, connections: impl IntoIterator<Item = &'a str>, now: i64) -> Vec<u64> {
        let known = self.lock();
        let load = |c: &Connection| {
            let fresh = c.replicas.values().filter(|r| now - r.at <= STALE_AFTER.as_millis() as i64);
            fresh.map(|r| r.queue_lag + r.window_in_use).sum::<u64>() + c.routed
        };
        connections.into_iter().map(|connection| known.get(connection).map_or(0, load)).collect()
    }

    /// Counts a message routed to `connection`.
    pub fn routed(&self, connection: &str) {
        self.lock().entry(connection.to_owned()).or_default().routed += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(connection: &str, replica: &str, binds: u32, at: i64) -> LinkReport {
        LinkReport::new(connection, replica, binds, at)
    }

    #[test]
    fn up_while_a_fresh_report_counts_a_bind() {
        let links = Links::new(1_000);
        assert_eq!(links.down_for("a", 1_000), Some(Duration::ZERO), "unknown: down since the start");
        assert_eq!(links.down_for("a", 31_000), Some(Duration::from_secs(30)));
        links.record(report("a", "r1", 2, 40_000));
        assert_eq!(links.down_for("a", 41_000), None);
        // Bind lost: down since the last report that had one.
        links.record(report("a", "r1", 0, 42_000));
        assert_eq!(links.down_for("a", 50_000), Some(Duration::from_secs(10)));
        // Another replica still has a bind.
        links.record(report("a", "r2", 1, 49_000));
        assert_eq!(links.down_for("a", 50_000), None);
    }

    #[test]
    fn a_silent_replica_goes_stale() {
        let links = Links::new(0);
        links.record(report("a", "r1", 2, 10_000));
        assert_eq!(links.down_for("a", 10_000 + STALE_AFTER.as_millis() as i64), None);
        let later = 10_000 + STALE_AFTER.as_millis() as i64 + 1;
        assert_eq!(links.down_for("a", later), Some(Duration::from_millis(later as u64 - 10_000)));
        let mut stopped = report("a", "r1", 2, 20_000);
        stopped.stopped = true;
        links.record(stopped);
        assert!(links.down_for("a", 20_000).is_some(), "a stopped replica has no bind");
    }

    #[test]
    fn load_is_lag_and_window_plus_what_was_routed_since() {
        let links = Links::new(0);
        let mut r = report("a", "r1", 1, 1_000);
        (r.queue_lag, r.window_in_use) = (40, 2);
        links.record(r);
        links.routed("a");
        links.routed("a");
        assert_eq!(links.load("a", 1_000), 44);
        links.record(report("a", "r2", 1, 1_500));
        assert_eq!(links.load("a", 1_500), 42, "a new report replaces the estimate");
        assert_eq!(links.load("a", 100_000), 0, "stale reports count nothing");
    }
}

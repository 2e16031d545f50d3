//! How a route's connections share its traffic: failover in order, round
//! robin, weighted or least loaded. A connection with no bind up for the
//! route's `failover_after` is left out while another one is up.
//!
//! Round robin and weighted choose by the request id, with weighted
//! rendezvous hashing (highest random weight): shares follow the weights,
//! and a request id sent twice (a client retrying) goes to the same
//! connection, whose sender knows it was sent — a counter would send the
//! retry through another connection, and the SMS twice. When a connection
//! goes down, only its own share moves.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use runtime::config::{Route, Strategy};

use records::links::{LinkState, Links};

/// A route's connections and how they share.
#[derive(Debug)]
pub struct Group {
    members: Vec<String>,
    strategy: Strategy,
    weights: Vec<u32>,
    failover_after: Duration,
    /// How long a connection may hold its queue with no link before its
    /// requests move to the group's next connection that is up.
    reroute_after: Option<Duration>,
    /// Least loaded: whose turn it is among equals.
    turn: AtomicUsize,
    /// The members' link states as last read from [`Links`], for as long
    /// as they hold: a route over 200 connections looked each up for every
    /// request (`examples/bench_routes.rs`).
    known: Mutex<Option<Known>>,
}

/// [`Links::states`] of a group's members, read at `from`: still right
/// while the links' version is `version` and the time is in `from..=until`.
#[derive(Debug)]
struct Known {
    version: (u64, u64),
    from: i64,
    until: i64,
    states: Vec<LinkState>,
}

/// The connection chosen and, when the choice left a connection out, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice<'a> {
    pub connection: &'a str,
    pub reason: Option<String>,
}

impl Group {
    pub fn new(route: &Route) -> Self {
        let members = route.members();
        Group {
            weights: if route.strategy == Strategy::Weighted { route.weights.clone() } else { vec![1; members.len()] },
            members,
            strategy: route.strategy,
            failover_after: route.failover_after,
            reroute_after: route.reroute_after,
            turn: AtomicUsize::new(0),
            known: Mutex::new(None),
        }
    }

    /// One connection, alone.
    pub fn single(connection: &str) -> Self {
        Group {
            members: vec![connection.to_owned()],
            strategy: Strategy::Failover,
            weights: Vec::new(),
            failover_after: Duration::MAX,
            reroute_after: None,
            turn: AtomicUsize::new(0),
            known: Mutex::new(None),
        }
    }

    pub fn members(&self) -> &[String] {
        &self.members
    }

    /// Where a request queued for `chosen` may move when `chosen` stays
    /// down: the other members, starting after `chosen` (`None` without
    /// `reroute_after` or another member).
    pub fn reroute(&self, chosen: &str) -> Option<records::Reroute> {
        let after = self.reroute_after?;
        let at = self.members.iter().position(|m| m == chosen)?;
        let to: Vec<String> = self.members.iter().cycle().skip(at + 1).take(self.members.len() - 1).cloned().collect();
        (!to.is_empty()).then_some(records::Reroute { after_ms: after.as_millis() as u64, to })
    }

    /// Chooses a connection for the request `id`.
    pub fn choose(&self, links: &Links, now: i64, id: &str) -> Choice<'_> {
        if self.members.len() == 1 {
            return Choice { connection: &self.members[0], reason: None };
        }
        let down: Vec<Option<Duration>> =
            self.down_each(links, now).into_iter().map(|d| d.filter(|d| *d >= self.failover_after)).collect();
        let up: Vec<usize> = (0..self.members.len()).filter(|&i| down[i].is_none()).collect();
        let none_up = up.is_empty();
        let candidates: Vec<usize> = if none_up { (0..self.members.len()).collect() } else { up };
        let chosen = match self.strategy {
            Strategy::Failover => candidates[0],
            Strategy::RoundRobin | Strategy::Weighted => self.rendezvous(&candidates, id),
            Strategy::LeastLoaded => {
                // Ties go round, so equal connections share.
                let turn = self.turn.fetch_add(1, Ordering::Relaxed);
                let n = candidates.len();
                let order = |k: usize| (k + n - turn % n) % n;
                let loads = links.load_each(candidates.iter().map(|&i| self.members[i].as_str()), now);
                let best = (0..n).min_by_key(|&k| (loads[k], order(k)));
                candidates[best.unwrap_or(0)]
            }
        };
        let connection = self.members[chosen].as_str();
        if self.strategy == Strategy::LeastLoaded {
            links.routed(connection);
        }
        let skipped: Vec<String> = (0..self.members.len())
            .filter_map(|i| down[i].map(|d| format!("{} has had no link for {}s", self.members[i], d.as_secs())))
            .collect();
        let reason = if none_up {
            Some(format!("no connection of the route is up ({}); queued for {connection}", skipped.join(", ")))
        } else if skipped.is_empty() {
            None
        } else {
            Some(format!("failover: {}", skipped.join(", ")))
        };
        Choice { connection, reason }
    }

    /// How long each member has had no bind up at `now` ([`Links::down_each`]),
    /// from the states last read while they hold.
    fn down_each(&self, links: &Links, now: i64) -> Vec<Option<Duration>> {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        // Read before the states: a report taken in between makes the next
        // call read them again.
        let version = links.version();
        let holds = |k: &Known| k.version == version && (k.from..=k.until).contains(&now);
        let known = match known.as_mut() {
            Some(k) if holds(k) => k,
            _ => {
                let states = links.states(self.members.iter().map(String::as_str), now);
                let up_until = states.iter().filter_map(|s| match s {
                    LinkState::Up { until } => Some(*until),
                    LinkState::Down { .. } => None,
                });
                known.insert(Known { version, from: now, until: up_until.min().unwrap_or(i64::MAX), states })
            }
        };
        known.states.iter().map(|s| s.down_for(now)).collect()
    }

    /// Weighted rendezvous hashing: each candidate scores `-ln(u) / weight`
    /// with `u` uniform in (0, 1) from a hash of the id and its name; the
    /// lowest score wins, so each wins in proportion to its weight. With
    /// equal weights the highest `u` wins, the same choice without the
    /// logarithms. The id is hashed once for all candidates, and each
    /// candidate scored once: a route over 200 connections chooses for
    /// every request it routes (`examples/bench_routes.rs`).
    fn rendezvous(&self, candidates: &[usize], id: &str) -> usize {
        let seed = fnv(fnv(FNV_OFFSET, id.as_bytes()), &[0xff]);
        let u = |i: usize| (mix(fnv(seed, self.members[i].as_bytes())) >> 11) as f64 + 0.5;
        let equal = candidates.iter().all(|&i| self.weights[i] == self.weights[candidates[0]]);
        let score = |i: usize| {
            let weight = f64::from(self.weights[i]);
            match (weight == 0.0, equal) {
                (true, _) => f64::INFINITY,
                (false, true) => -u(i),
                (false, false) => -(u(i) / (1u64 << 53) as f64).ln() / weight,
            }
        };
        // The first of the lowest scores, as `Iterator::min_by` chose it.
        let mut best = (candidates[0], f64::INFINITY);
        for &i in candidates {
            let s = score(i);
            if s < best.1 {
                best = (i, s);
            }
        }
        best.0
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, from state `h`, over `bytes`.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// splitmix64's finish: nearby inputs spread.
fn mix(mut h: u64) -> u64 {
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// FNV-1a over the id, a separator and the member, finished with a 64-bit
/// mix (splitmix64's) so nearby ids spread: stable across builds and
/// replicas, unlike `std`'s hasher.
pub fn stable_hash(id: &str, member: &str) -> u64 {
    mix(fnv(fnv(fnv(FNV_OFFSET, id.as_bytes()), &[0xff]), member.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(connection: &str, replica: &str, binds: u32, at: i64) -> records::LinkReport {
        records::LinkReport::new(connection, replica, binds, at)
    }

    fn group(extra: &str) -> Group {
        let toml = format!(
            "[kafka]\nbrokers = \"x:1\"\n{}[[routes]]\nid = \"r\"\nconnections = [\"a\", \"b\", \"c\"]\n{extra}\n",
            ["a", "b", "c"]
                .map(|c| format!(
                    "[[connections]]\nid = \"{c}\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n"
                ))
                .concat()
        );
        Group::new(&runtime::Settings::from_toml(&toml).unwrap().routes[0])
    }

    fn picks(g: &Group, links: &Links, n: usize) -> String {
        (0..n).map(|i| g.choose(links, 0, &format!("req-{i}")).connection).collect()
    }

    fn shares(picks: &str) -> [usize; 3] {
        ['a', 'b', 'c'].map(|c| picks.matches(c).count())
    }

    #[test]
    fn a_request_may_move_to_the_members_after_its_connection() {
        assert_eq!(group("").reroute("b"), None, "no reroute_after: it waits");
        let g = group("reroute_after = \"60s\"");
        let reroute = g.reroute("b").unwrap();
        assert_eq!((reroute.after_ms, reroute.to), (60_000, vec!["c".to_owned(), "a".to_owned()]));
        assert_eq!(g.reroute("x"), None);
        assert_eq!(Group::single("a").reroute("a"), None);
    }

    #[test]
    fn failover_takes_the_first_connection_that_is_up() {
        let g = group("failover_after = \"30s\"");
        let links = Links::new(0);
        assert_eq!(g.choose(&links, 0, "r"), Choice { connection: "a", reason: None });
        // a has had no bind for 31 s, b is up.
        links.record(report("a", "r", 0, 60_000));
        links.record(report("b", "r", 1, 60_000));
        links.record(report("c", "r", 1, 60_000));
        let choice = g.choose(&links, 61_000, "r");
        assert_eq!(choice.connection, "b");
        assert_eq!(choice.reason.as_deref(), Some("failover: a has had no link for 61s"));
        // Not yet failover_after: a keeps its traffic.
        links.record(report("a", "r", 1, 62_000));
        links.record(report("a", "r", 0, 63_000));
        assert_eq!(g.choose(&links, 64_000, "r").connection, "a");
    }

    /// The members' states are read once and kept while they hold: a new
    /// report, a report going stale, or a time before the reading each
    /// make the next choice read them again.
    #[test]
    fn link_states_kept_between_choices_follow_reports_and_time() {
        let g = group("failover_after = \"1s\"");
        let links = Links::new(0);
        for c in ["a", "b", "c"] {
            links.record(report(c, "r", 1, 10_000));
        }
        let fresh_until = 10_000 + records::links::STALE_AFTER.as_millis() as i64;
        assert_eq!(g.choose(&links, 10_000, "r").connection, "a");
        // A report at the same time as the last choice counts at once.
        links.record(report("a", "r", 0, 10_000));
        assert_eq!(g.choose(&links, 11_000, "r").connection, "b", "a down for 1 s");
        // No report since, but b's goes stale: down at once past its time.
        links.record(report("c", "r", 1, fresh_until));
        assert_eq!(g.choose(&links, fresh_until, "r").connection, "b", "b's report is fresh to the ms");
        let choice = g.choose(&links, fresh_until + 1_001, "r");
        assert_eq!(choice.connection, "c");
        let secs = (fresh_until + 1_001 - 10_000) / 1_000;
        let reason = format!("failover: a has had no link for {secs}s, b has had no link for {secs}s");
        assert_eq!(choice.reason, Some(reason));
        // Asked about an earlier time, the states are read again.
        assert_eq!(g.choose(&links, 11_000, "r").connection, "b");
    }

    #[test]
    fn when_every_connection_is_down_the_first_queues() {
        let g = group("failover_after = \"1s\"");
        let links = Links::new(0);
        let choice = g.choose(&links, 5_000, "r");
        assert_eq!(choice.connection, "a");
        assert!(choice.reason.unwrap().starts_with("no connection of the route is up"));
    }

    /// Every release and replica must choose alike for an id (a retry goes
    /// where the first went, across a rolling update): the choice is pinned
    /// to the formula as first written, `-ln(u) / weight` per candidate and
    /// the first lowest (`Iterator::min_by`), and its picks for fixed ids.
    #[test]
    fn rendezvous_chooses_as_the_formula_did() {
        let formula = |g: &Group, id: &str| {
            let score = |i: usize| {
                let weight = f64::from(g.weights[i]);
                if weight == 0.0 {
                    return f64::INFINITY;
                }
                let u = (stable_hash(id, &g.members[i]) >> 11) as f64 + 0.5;
                -(u / (1u64 << 53) as f64).ln() / weight
            };
            (0..g.members.len()).min_by(|&a, &b| score(a).total_cmp(&score(b))).unwrap()
        };
        let links = Links::new(0);
        for extra in [
            "strategy = \"round_robin\"",
            "strategy = \"weighted\"\nweights = [5, 1, 0]",
            "strategy = \"weighted\"\nweights = [2, 2, 3]",
        ] {
            let g = group(extra);
            for i in 0..20_000 {
                let id = format!("0190f1c2-6a3b-7c41-9f0e-{i:012}");
                assert_eq!(g.choose(&links, 0, &id).connection, g.members[formula(&g, &id)], "{extra}: {id}");
            }
        }
        assert_eq!(picks(&group("strategy = \"round_robin\""), &links, 24), "abbabbbababcbccaaabaabba");
    }

    #[test]
    fn round_robin_and_weighted_share_by_weight() {
        let links = Links::new(0);
        let even = shares(&picks(&group("strategy = \"round_robin\""), &links, 30_000));
        assert!(even.iter().all(|n| (9_700..=10_300).contains(n)), "{even:?}");
        let weighted = group("strategy = \"weighted\"\nweights = [5, 1, 0]");
        let [a, b, c] = shares(&picks(&weighted, &links, 30_000));
        assert!((24_700..=25_300).contains(&a) && c == 0, "{a} {b} {c}");
    }

    #[test]
    fn the_same_id_goes_to_the_same_connection_and_only_a_downs_share_moves() {
        let g = group("strategy = \"round_robin\"\nfailover_after = \"2s\"");
        let links = Links::new(0);
        for c in ["a", "b", "c"] {
            links.record(report(c, "r", 1, 10_000));
        }
        let ids: Vec<String> = (0..3_000).map(|i| format!("req-{i}")).collect();
        let before: Vec<&str> = ids.iter().map(|id| g.choose(&links, 10_000, id).connection).collect();
        let again: Vec<&str> = ids.iter().map(|id| g.choose(&links, 10_000, id).connection).collect();
        assert_eq!(before, again, "a retry goes where the first went");
        links.record(report("b", "r", 0, 10_000));
        let after: Vec<&str> = ids.iter().map(|id| g.choose(&links, 13_000, id).connection).collect();
        for (was, is) in before.iter().zip(&after) {
            assert!(*is != "b");
            if *was != "b" {
                assert_eq!(was, is, "only b's share moves");
            }
        }
    }

    #[test]
    fn shares_skip_a_connection_that_is_down() {
        let g = group("strategy = \"round_robin\"\nfailover_after = \"2s\"");
        let links = Links::new(0);
        for c in ["a", "c"] {
            links.record(report(c, "r", 1, 10_000));
        }
        links.record(report("b", "r", 0, 10_000));
        let [a, b, c] =
            shares(&(0..300).map(|i| g.choose(&links, 12_000, &format!("{i}")).connection).collect::<String>());
        assert!(b == 0 && a > 100 && c > 100, "{a} {b} {c}");
    }

    #[test]
    fn least_loaded_counts_lag_window_and_what_it_routed() {
        let g = group("strategy = \"least_loaded\"");
        let links = Links::new(0);
        for (c, lag) in [("a", 10), ("b", 3), ("c", 5)] {
            let mut r = report(c, "r", 1, 0);
            r.queue_lag = lag;
            links.record(r);
        }
        assert_eq!(picks(&g, &links, 2), "bb", "b had the least");
        picks(&g, &links, 28);
        // 18 waiting + 30 routed: 16 each, give or take the one in between.
        let loads = ["a", "b", "c"].map(|c| links.load(c, 0));
        assert!(loads.iter().all(|l| (15..=17).contains(l)), "{loads:?}");
    }
}

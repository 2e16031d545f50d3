//! How a route's connections share its traffic: failover in order, round
//! robin, weighted (smooth weighted round robin, as nginx balances upstreams:
//! exact shares, spread out instead of in bursts) or least loaded. A
//! connection with no bind up for the route's `failover_after` is left out
//! while another one is up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use runtime::config::{Route, Strategy};

use crate::links::Links;

/// A route's connections and how they share.
#[derive(Debug)]
pub struct Group {
    members: Vec<String>,
    strategy: Strategy,
    weights: Vec<u32>,
    failover_after: Duration,
    turn: AtomicUsize,
    /// Smooth weighted round robin: each member's current credit.
    credit: Mutex<Vec<i64>>,
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
            credit: Mutex::new(vec![0; members.len()]),
            weights: route.weights.clone(),
            members,
            strategy: route.strategy,
            failover_after: route.failover_after,
            turn: AtomicUsize::new(0),
        }
    }

    /// One connection, alone.
    pub fn single(connection: &str) -> Self {
        Group {
            members: vec![connection.to_owned()],
            strategy: Strategy::Failover,
            weights: Vec::new(),
            failover_after: Duration::MAX,
            turn: AtomicUsize::new(0),
            credit: Mutex::new(vec![0]),
        }
    }

    pub fn members(&self) -> &[String] {
        &self.members
    }

    /// Chooses a connection for one message.
    pub fn choose(&self, links: &Links, now: i64) -> Choice<'_> {
        if self.members.len() == 1 {
            return Choice { connection: &self.members[0], reason: None };
        }
        let down: Vec<Option<Duration>> =
            self.members.iter().map(|m| links.down_for(m, now).filter(|d| *d >= self.failover_after)).collect();
        let up: Vec<usize> = (0..self.members.len()).filter(|&i| down[i].is_none()).collect();
        let candidates: Vec<usize> = if up.is_empty() { (0..self.members.len()).collect() } else { up.clone() };
        let chosen = match self.strategy {
            Strategy::Failover => candidates[0],
            Strategy::RoundRobin => candidates[self.turn.fetch_add(1, Ordering::Relaxed) % candidates.len()],
            Strategy::Weighted => self.weighted(&candidates),
            Strategy::LeastLoaded => {
                // Ties go round, so equal connections share.
                let turn = self.turn.fetch_add(1, Ordering::Relaxed);
                let n = candidates.len();
                let order = |k: usize| (k + n - turn % n) % n;
                let best = (0..n).min_by_key(|&k| (links.load(&self.members[candidates[k]], now), order(k)));
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
        let reason = if up.is_empty() {
            Some(format!("no connection of the route is up ({}); queued for {connection}", skipped.join(", ")))
        } else if skipped.is_empty() {
            None
        } else {
            Some(format!("failover: {}", skipped.join(", ")))
        };
        Choice { connection, reason }
    }

    /// Smooth weighted round robin over the candidates: each gains its
    /// weight, the richest is chosen and pays the total.
    fn weighted(&self, candidates: &[usize]) -> usize {
        let mut credit = self.credit.lock().unwrap_or_else(|e| e.into_inner());
        let total: i64 = candidates.iter().map(|&i| i64::from(self.weights[i])).sum();
        if total == 0 {
            return candidates[0];
        }
        for &i in candidates {
            credit[i] += i64::from(self.weights[i]);
        }
        let best =
            candidates.iter().copied().max_by_key(|&i| (credit[i], std::cmp::Reverse(i))).unwrap_or(candidates[0]);
        credit[best] -= total;
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::tests::report;

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
        (0..n).map(|_| g.choose(links, 0).connection).collect()
    }

    #[test]
    fn failover_takes_the_first_connection_that_is_up() {
        let g = group("failover_after = \"30s\"");
        let links = Links::new(0);
        assert_eq!(g.choose(&links, 0), Choice { connection: "a", reason: None });
        // a has had no bind for 31 s, b is up.
        links.record(report("a", "r", 0, 60_000));
        links.record(report("b", "r", 1, 60_000));
        links.record(report("c", "r", 1, 60_000));
        let choice = g.choose(&links, 61_000);
        assert_eq!(choice.connection, "b");
        assert_eq!(choice.reason.as_deref(), Some("failover: a has had no link for 61s"));
        // Not yet failover_after: a keeps its traffic.
        links.record(report("a", "r", 1, 62_000));
        links.record(report("a", "r", 0, 63_000));
        assert_eq!(g.choose(&links, 64_000).connection, "a");
    }

    #[test]
    fn when_every_connection_is_down_the_first_queues() {
        let g = group("failover_after = \"1s\"");
        let links = Links::new(0);
        let choice = g.choose(&links, 5_000);
        assert_eq!(choice.connection, "a");
        assert!(choice.reason.unwrap().starts_with("no connection of the route is up"));
    }

    #[test]
    fn round_robin_and_weighted_share_exactly() {
        let links = Links::new(0);
        assert_eq!(picks(&group("strategy = \"round_robin\""), &links, 6), "abcabc");
        let weighted = group("strategy = \"weighted\"\nweights = [5, 1, 1]");
        let seven = picks(&weighted, &links, 7);
        assert_eq!(seven, "aabacaa", "smooth: b and c are spread out");
        let many = picks(&weighted, &links, 700);
        assert_eq!((many.matches('a').count(), many.matches('b').count()), (500, 100));
    }

    #[test]
    fn shares_skip_a_connection_that_is_down() {
        let g = group("strategy = \"round_robin\"\nfailover_after = \"2s\"");
        let links = Links::new(0);
        for c in ["a", "c"] {
            links.record(report(c, "r", 1, 10_000));
        }
        links.record(report("b", "r", 0, 10_000));
        let all: String = (0..4).map(|_| g.choose(&links, 10_000).connection).collect();
        assert_eq!(all, "acac");
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

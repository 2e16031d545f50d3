//! Ids remembered for a time window: the in-memory side of the state topics
//! kept with `cleanup.policy=compact,delete` (`kafka.id_retention`).
//!
//! The broker forgets a marker once it is older than the retention; the
//! set forgets it at the same age, so a long-running process holds the
//! ids of one window, not of its whole life, and a restarted one rebuilds
//! exactly what a running one would have.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// A set of ids, each with the time (epoch ms) it was recorded; ids older
/// than the window count as absent and are dropped as newer ones arrive.
#[derive(Debug)]
pub struct RecentIds {
    window_ms: i64,
    at: HashMap<String, i64>,
    /// Insertion order, for dropping the oldest first. An id recorded again
    /// has a stale entry here; it is skipped when its time does not match.
    order: VecDeque<(i64, String)>,
}

impl RecentIds {
    /// A set that remembers ids for `window`.
    pub fn new(window: Duration) -> Self {
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        Self { window_ms, at: HashMap::new(), order: VecDeque::new() }
    }

    /// Records `id` at `at_ms`, and forgets what is older than the window
    /// before `at_ms`. A record older than the window is not kept at all.
    pub fn insert(&mut self, id: String, at_ms: i64) {
        self.expire(at_ms);
        if at_ms < self.cutoff(at_ms.max(self.newest())) {
            return;
        }
        let entry = self.at.entry(id.clone()).or_insert(at_ms);
        *entry = (*entry).max(at_ms);
        self.order.push_back((at_ms, id));
    }

    /// Forgets `id` (a tombstone).
    pub fn remove(&mut self, id: &str) {
        self.at.remove(id);
    }

    /// True when `id` was recorded less than the window before `now_ms`.
    pub fn contains(&self, id: &str, now_ms: i64) -> bool {
        self.at.get(id).is_some_and(|&at| at >= self.cutoff(now_ms))
    }

    /// Ids currently held (expired ones included until the next insert).
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// True when no id is held.
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    /// Drops every id recorded before the window that ends at `now_ms`.
    pub fn expire(&mut self, now_ms: i64) {
        let cutoff = self.cutoff(now_ms);
        while let Some((at, _)) = self.order.front() {
            if *at >= cutoff {
                break;
            }
            if let Some((at, id)) = self.order.pop_front() {
                if self.at.get(&id) == Some(&at) {
                    self.at.remove(&id);
                }
            }
        }
    }

    fn cutoff(&self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(self.window_ms)
    }

    fn newest(&self) -> i64 {
        self.order.back().map_or(i64::MIN, |(at, _)| *at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(window_ms: u64) -> RecentIds {
        RecentIds::new(Duration::from_millis(window_ms))
    }

    #[test]
    fn an_id_is_held_for_the_window_and_no_longer() {
        let mut ids = set(1_000);
        ids.insert("a".into(), 10_000);
        assert!(ids.contains("a", 10_000));
        assert!(ids.contains("a", 11_000));
        assert!(!ids.contains("a", 11_001));
        assert!(!ids.contains("b", 10_000));
    }

    #[test]
    fn old_ids_are_dropped_as_new_ones_arrive() {
        let mut ids = set(1_000);
        for i in 0..10_000i64 {
            ids.insert(format!("id{i}"), i * 10);
        }
        // 1,000 ms of 10 ms steps: 101 ids within the window of the last one.
        assert_eq!(ids.len(), 101);
        assert!(ids.contains("id9999", 99_990));
        assert!(!ids.contains("id9898", 99_990));
        assert!(ids.order.len() <= 101);
    }

    #[test]
    fn recording_again_extends_and_a_stale_entry_does_not_evict() {
        let mut ids = set(1_000);
        ids.insert("a".into(), 0);
        ids.insert("a".into(), 900);
        ids.insert("b".into(), 1_500);
        // The entry from t=0 has expired, the one from t=900 holds "a".
        assert!(ids.contains("a", 1_500));
        assert!(!ids.contains("a", 1_901));
    }

    #[test]
    fn a_record_older_than_the_window_is_not_kept() {
        let mut ids = set(1_000);
        ids.insert("new".into(), 10_000);
        ids.insert("ancient".into(), 5_000);
        assert!(!ids.contains("ancient", 10_000));
        assert_eq!(ids.len(), 1);
    }

    #[test]
    fn remove_forgets() {
        let mut ids = set(1_000);
        ids.insert("a".into(), 0);
        ids.remove("a");
        assert!(!ids.contains("a", 0));
        assert!(ids.is_empty());
    }
}

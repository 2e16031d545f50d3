//! The requests a session has sent and awaits responses to — what the SMPP,
//! UCP and CIMD2 session state machines share: each request's kind and
//! response deadline by its key (sequence number, TRN, packet number), the
//! earliest deadline in O(log n), and how many of them count against the
//! window (keep-alives and session management usually do not). Sans IO: time
//! is passed in.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// Requests awaiting responses, by key `K`, each of kind `C`.
#[derive(Debug, Clone)]
pub struct Outstanding<K, C> {
    by_key: BTreeMap<K, (C, Instant)>,
    /// Deadline index over `by_key`.
    deadlines: BTreeSet<(Instant, K)>,
    in_window: usize,
    counts: fn(&C) -> bool,
}

impl<K: Ord + Copy, C: Copy> Outstanding<K, C> {
    /// An empty set; `counts` says which kinds take a window slot.
    pub fn new(counts: fn(&C) -> bool) -> Self {
        Self { by_key: BTreeMap::new(), deadlines: BTreeSet::new(), in_window: 0, counts }
    }

    /// Records a request sent under `key`, answered by `deadline` or timed out.
    /// A key already outstanding is replaced.
    pub fn insert(&mut self, key: K, kind: C, deadline: Instant) {
        self.remove(key);
        if (self.counts)(&kind) {
            self.in_window += 1;
        }
        self.by_key.insert(key, (kind, deadline));
        self.deadlines.insert((deadline, key));
    }

    /// The response to `key` arrived: its kind, if it was outstanding.
    pub fn remove(&mut self, key: K) -> Option<C> {
        let (kind, deadline) = self.by_key.remove(&key)?;
        self.deadlines.remove(&(deadline, key));
        if (self.counts)(&kind) {
            self.in_window -= 1;
        }
        Some(kind)
    }

    /// The kind of the request outstanding under `key`.
    pub fn get(&self, key: K) -> Option<C> {
        self.by_key.get(&key).map(|&(kind, _)| kind)
    }

    /// True when `key` awaits a response.
    pub fn contains(&self, key: K) -> bool {
        self.by_key.contains_key(&key)
    }

    /// Requests outstanding.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// True when nothing is outstanding.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Outstanding requests that take a window slot.
    pub fn in_window(&self) -> usize {
        self.in_window
    }

    /// The earliest response deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|&(deadline, _)| deadline)
    }

    /// Removes and returns one request whose deadline is at or before `now`,
    /// earliest first.
    pub fn pop_expired(&mut self, now: Instant) -> Option<(K, C)> {
        let &(deadline, key) = self.deadlines.first()?;
        if deadline > now {
            return None;
        }
        self.remove(key).map(|kind| (key, kind))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Submit,
        KeepAlive,
    }

    fn set() -> Outstanding<u32, Kind> {
        Outstanding::new(|k| *k == Kind::Submit)
    }

    #[test]
    fn window_counts_only_what_counts() {
        let now = Instant::now();
        let mut o = set();
        o.insert(1, Kind::Submit, now);
        o.insert(2, Kind::KeepAlive, now);
        o.insert(3, Kind::Submit, now);
        assert_eq!((o.len(), o.in_window()), (3, 2));
        assert_eq!(o.remove(1), Some(Kind::Submit));
        assert_eq!(o.remove(1), None, "answered twice");
        assert_eq!(o.remove(2), Some(Kind::KeepAlive));
        assert_eq!((o.len(), o.in_window()), (1, 1));
        o.insert(3, Kind::KeepAlive, now);
        assert_eq!((o.len(), o.in_window()), (1, 0), "a replaced key is counted once");
    }

    #[test]
    fn deadlines_expire_earliest_first() {
        let t = Instant::now();
        let mut o = set();
        o.insert(7, Kind::Submit, t + Duration::from_secs(3));
        o.insert(8, Kind::Submit, t + Duration::from_secs(1));
        o.insert(9, Kind::Submit, t + Duration::from_secs(2));
        assert_eq!(o.next_deadline(), Some(t + Duration::from_secs(1)));
        assert_eq!(o.pop_expired(t), None);
        let at = t + Duration::from_secs(2);
        assert_eq!(o.pop_expired(at), Some((8, Kind::Submit)));
        assert_eq!(o.pop_expired(at), Some((9, Kind::Submit)));
        assert_eq!(o.pop_expired(at), None);
        assert!(o.contains(7) && o.get(7) == Some(Kind::Submit));
        assert_eq!(o.in_window(), 1);
    }
}

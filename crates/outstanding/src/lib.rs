//! The requests a session has sent and awaits responses to — what the SMPP,
//! UCP and CIMD2 session state machines share: each request's kind and
//! response deadline by its key (sequence number, TRN, packet number), the
//! earliest deadline in O(log n), how many of them take a window slot, what
//! an unanswered one means ([`Role`], [`Action`]), and when the next
//! keep-alive is due ([`KeepAlive`]). Sans IO: time is passed in.
//!
//! What stays with each protocol: its states, which of its requests play
//! which [`Role`], the keep-alive it sends and how its login or bind is
//! answered. Start at [`Outstanding`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// What a request is to its session: whether it takes a window slot and
/// what it means when its response does not come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Submits, deliveries and the like: each takes a window slot; an
    /// unanswered one fails alone ([`Action::TimedOut`]).
    Traffic,
    /// Bind, login, unbind, logout: no window slot; unanswered, the session
    /// is dead ([`Action::Dead`]).
    Session,
    /// The keep-alive (enquire_link, alert, alive): no window slot, one at a
    /// time ([`KeepAlive::due`]); unanswered, the session is dead.
    KeepAlive,
}

/// Something the connection task must do, from a session's `poll_action`;
/// `M` is the protocol's message, `K` its request key, `C` its request kind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action<M, K, C> {
    /// Write this message (the keep-alive).
    Send(M),
    /// No response to the [`Role::Traffic`] request `key` of kind `kind`
    /// within the response timeout; it has been removed from the outstanding
    /// set and its window slot freed.
    TimedOut { key: K, kind: C },
    /// A session-management request or a keep-alive went unanswered: the
    /// connection is dead and must be dropped. The session is now closed.
    Dead,
}

/// Requests awaiting responses, by key `K`, each of kind `C`.
#[derive(Debug, Clone)]
pub struct Outstanding<K, C> {
    by_key: BTreeMap<K, (C, Instant)>,
    /// Deadline index over `by_key`.
    deadlines: BTreeSet<(Instant, K)>,
    in_window: usize,
    keep_alives: usize,
    role: fn(&C) -> Role,
}

impl<K: Ord + Copy, C: Copy> Outstanding<K, C> {
    /// An empty set; `role` says what each kind of request is to the session.
    pub fn new(role: fn(&C) -> Role) -> Self {
        Self { by_key: BTreeMap::new(), deadlines: BTreeSet::new(), in_window: 0, keep_alives: 0, role }
    }

    /// The counter of `kind`'s role, if it has one.
    fn counter(&mut self, kind: &C) -> Option<&mut usize> {
        match (self.role)(kind) {
            Role::Traffic => Some(&mut self.in_window),
            Role::KeepAlive => Some(&mut self.keep_alives),
            Role::Session => None,
        }
    }

    /// Records a request sent under `key`, answered by `deadline` or timed out.
    /// A key already outstanding is replaced.
    pub fn insert(&mut self, key: K, kind: C, deadline: Instant) {
        self.remove(key);
        if let Some(count) = self.counter(&kind) {
            *count += 1;
        }
        self.by_key.insert(key, (kind, deadline));
        self.deadlines.insert((deadline, key));
    }

    /// The response to `key` arrived: its kind, if it was outstanding.
    pub fn remove(&mut self, key: K) -> Option<C> {
        let (kind, deadline) = self.by_key.remove(&key)?;
        self.deadlines.remove(&(deadline, key));
        if let Some(count) = self.counter(&kind) {
            *count -= 1;
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

    /// Outstanding [`Role::Traffic`] requests: those that take a window slot.
    pub fn in_window(&self) -> usize {
        self.in_window
    }

    /// True when a [`Role::KeepAlive`] request awaits its response.
    pub fn keep_alive_pending(&self) -> bool {
        self.keep_alives > 0
    }

    /// The earliest response deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|&(deadline, _)| deadline)
    }

    /// Removes one request whose deadline is at or before `now`, earliest
    /// first, and says what its [`Role`] makes of it: `TimedOut` for
    /// traffic, `Dead` for the rest (the caller closes the session).
    pub fn expire<M>(&mut self, now: Instant) -> Option<Action<M, K, C>> {
        let &(deadline, key) = self.deadlines.first()?;
        if deadline > now {
            return None;
        }
        let kind = self.remove(key)?;
        match (self.role)(&kind) {
            Role::Traffic => Some(Action::TimedOut { key, kind }),
            Role::Session | Role::KeepAlive => Some(Action::Dead),
        }
    }
}

/// When a session sends its keep-alive (SMPP enquire_link, UCP OT 31 alert,
/// CIMD2 alive): `interval` after it last received anything. Driven by what
/// is received, because traffic we send proves nothing about the peer; a
/// busy link receives too, since every request is answered.
#[derive(Debug, Clone)]
pub struct KeepAlive {
    interval: Duration,
    last_received: Instant,
}

impl KeepAlive {
    /// A connection opened at `now`, which counts as its last reception.
    pub fn new(interval: Duration, now: Instant) -> Self {
        Self { interval, last_received: now }
    }

    /// Something arrived from the peer at `now`.
    pub fn received(&mut self, now: Instant) {
        self.last_received = now;
    }

    /// When the next keep-alive is due: `None` unless the session is `ready`
    /// (bound, logged in) and no keep-alive is already in `outstanding`.
    pub fn due<K: Ord + Copy, C: Copy>(&self, ready: bool, outstanding: &Outstanding<K, C>) -> Option<Instant> {
        (ready && !outstanding.keep_alive_pending()).then(|| self.last_received + self.interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Submit,
        Login,
        KeepAlive,
    }

    fn set() -> Outstanding<u32, Kind> {
        Outstanding::new(|k| match k {
            Kind::Submit => Role::Traffic,
            Kind::Login => Role::Session,
            Kind::KeepAlive => Role::KeepAlive,
        })
    }

    /// `Outstanding::expire` for a protocol whose messages are `()`.
    fn expire(o: &mut Outstanding<u32, Kind>, now: Instant) -> Option<Action<(), u32, Kind>> {
        o.expire(now)
    }

    #[test]
    fn window_counts_only_traffic() {
        let now = Instant::now();
        let mut o = set();
        o.insert(1, Kind::Submit, now);
        o.insert(2, Kind::KeepAlive, now);
        o.insert(3, Kind::Submit, now);
        o.insert(4, Kind::Login, now);
        assert_eq!((o.len(), o.in_window()), (4, 2));
        assert_eq!(o.remove(1), Some(Kind::Submit));
        assert_eq!(o.remove(1), None, "answered twice");
        assert_eq!(o.remove(2), Some(Kind::KeepAlive));
        assert_eq!((o.len(), o.in_window()), (2, 1));
        o.insert(3, Kind::KeepAlive, now);
        assert_eq!((o.len(), o.in_window()), (2, 0), "a replaced key is counted once");
    }

    #[test]
    fn keep_alive_is_pending_until_answered_or_replaced() {
        let now = Instant::now();
        let mut o = set();
        assert!(!o.keep_alive_pending());
        o.insert(1, Kind::KeepAlive, now);
        o.insert(2, Kind::Submit, now);
        assert!(o.keep_alive_pending());
        o.remove(2);
        assert!(o.keep_alive_pending(), "a submit's answer is not the keep-alive's");
        o.insert(1, Kind::Submit, now);
        assert!(!o.keep_alive_pending(), "replaced by a submit");
        o.insert(3, Kind::KeepAlive, now);
        o.remove(3);
        assert!(!o.keep_alive_pending());
    }

    #[test]
    fn deadlines_expire_earliest_first() {
        let t = Instant::now();
        let mut o = set();
        o.insert(7, Kind::Submit, t + Duration::from_secs(3));
        o.insert(8, Kind::Submit, t + Duration::from_secs(1));
        o.insert(9, Kind::Submit, t + Duration::from_secs(2));
        assert_eq!(o.next_deadline(), Some(t + Duration::from_secs(1)));
        assert_eq!(expire(&mut o, t), None);
        let at = t + Duration::from_secs(2);
        assert_eq!(expire(&mut o, at), Some(Action::TimedOut { key: 8, kind: Kind::Submit }));
        assert_eq!(expire(&mut o, at), Some(Action::TimedOut { key: 9, kind: Kind::Submit }));
        assert_eq!(expire(&mut o, at), None);
        assert!(o.contains(7) && o.get(7) == Some(Kind::Submit));
        assert_eq!(o.in_window(), 1);
        assert_eq!(o.next_deadline(), Some(t + Duration::from_secs(3)));
    }

    #[test]
    fn unanswered_session_management_or_keep_alive_is_dead() {
        let t = Instant::now();
        let mut o = set();
        o.insert(1, Kind::Login, t);
        o.insert(2, Kind::KeepAlive, t + Duration::from_secs(1));
        assert_eq!(expire(&mut o, t), Some(Action::Dead));
        assert!(o.keep_alive_pending());
        assert_eq!(expire(&mut o, t + Duration::from_secs(1)), Some(Action::Dead));
        assert!(o.is_empty() && !o.keep_alive_pending(), "an expired keep-alive is no longer pending");
    }

    #[test]
    fn keep_alive_is_due_an_interval_after_the_last_reception_when_ready_and_none_pending() {
        let t0 = Instant::now();
        let interval = Duration::from_secs(30);
        let mut k = KeepAlive::new(interval, t0);
        let mut o = set();
        assert_eq!(k.due(true, &o), Some(t0 + interval));
        assert_eq!(k.due(false, &o), None, "not bound or logged in");
        let t1 = t0 + Duration::from_secs(5);
        k.received(t1);
        assert_eq!(k.due(true, &o), Some(t1 + interval));
        o.insert(1, Kind::KeepAlive, t1 + interval);
        assert_eq!(k.due(true, &o), None, "one at a time");
        o.remove(1);
        assert_eq!(k.due(true, &o), Some(t1 + interval));
    }
}

//! The callback listener's connection slots (`callback_max_connections`).
//!
//! A plain cap lets whoever holds the slots keep them: a few thousand
//! connections that open and then say nothing, or trickle a byte now and
//! then, would lock the provider out until they time out, and take the slots
//! again as soon as they do. So a connection keeps its slot for sure only
//! once it has shown the right token ([`Slot::trusted`]); when every slot is
//! taken, a newcomer takes the slot of the oldest connection that has not,
//! which is closed. Idle or slow connections then cannot crowd out a caller
//! that completes its request in milliseconds, however many of them there
//! are or however fast they come back. Only when every slot is held by
//! trusted connections is a newcomer itself closed.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// The open connections of one listener, oldest first.
pub struct Slots {
    max: usize,
    open: Mutex<VecDeque<Entry>>,
    next_id: AtomicU64,
}

struct Entry {
    id: u64,
    evict: CancellationToken,
    trusted: Arc<AtomicBool>,
}

/// One connection's slot; given back when dropped.
pub struct Slot {
    id: u64,
    slots: Arc<Slots>,
    /// Cancelled when a newcomer takes this slot: close the connection.
    pub evicted: CancellationToken,
    trusted: Arc<AtomicBool>,
}

/// What taking a slot cost.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    /// A free slot.
    Free,
    /// The slot of the oldest untrusted connection, now closing.
    Evicted,
}

impl Slots {
    pub fn new(max: usize) -> Arc<Slots> {
        Arc::new(Slots { max: max.max(1), open: Mutex::new(VecDeque::new()), next_id: AtomicU64::new(0) })
    }

    /// A slot for a new connection, or `None` when every slot is held by a trusted one.
    pub fn take(self: &Arc<Self>) -> Option<(Slot, Taken)> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mut taken = Taken::Free;
        if open.len() >= self.max {
            let oldest = open.iter().position(|e| !e.trusted.load(Ordering::Relaxed))?;
            if let Some(entry) = open.remove(oldest) {
                entry.evict.cancel();
            }
            taken = Taken::Evicted;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (evicted, trusted) = (CancellationToken::new(), Arc::new(AtomicBool::new(false)));
        open.push_back(Entry { id, evict: evicted.clone(), trusted: trusted.clone() });
        Some((Slot { id, slots: self.clone(), evicted, trusted }, taken))
    }

    /// Connections holding a slot now.
    pub fn len(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Slot {
    /// The flag that marks the connection as trusted (it showed the token).
    pub fn trust_flag(&self) -> Arc<AtomicBool> {
        self.trusted.clone()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = open.iter().position(|e| e.id == self.id) {
            open.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newcomers_take_the_oldest_untrusted_slot() {
        let slots = Slots::new(3);
        let (a, t) = slots.take().unwrap();
        assert_eq!(t, Taken::Free);
        let (b, _) = slots.take().unwrap();
        let (c, _) = slots.take().unwrap();
        a.trust_flag().store(true, Ordering::Relaxed);
        let (d, t) = slots.take().unwrap();
        assert_eq!(t, Taken::Evicted);
        assert!(!a.evicted.is_cancelled(), "trusted connections keep their slot");
        assert!(b.evicted.is_cancelled(), "the oldest untrusted one goes");
        assert!(!c.evicted.is_cancelled());
        assert_eq!(slots.len(), 3);
        drop(b); // its task ends after the eviction: nothing more to free
        assert_eq!(slots.len(), 3);
        for s in [&c, &d] {
            s.trust_flag().store(true, Ordering::Relaxed);
        }
        assert!(slots.take().is_none(), "all trusted: the newcomer is refused");
        drop(c);
        assert_eq!(slots.take().map(|(_, t)| t), Some(Taken::Free));
    }
}

//! In-order offset tracking: messages of one partition finish out of order
//! (a fast connection overtakes a throttled one, a retry finishes late), but
//! an offset may only be stored once it and every offset before it are done.
//! Pure bookkeeping, no Kafka types, so it is tested exhaustively.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
struct PartitionState {
    pending: BTreeSet<i64>,
    highest_begun: Option<i64>,
    stored: Option<i64>,
}

/// Pending offsets per (topic, partition).
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: BTreeMap<(String, i32), PartitionState>,
}

impl OffsetTracker {
    /// Records that work on `offset` started. Offsets of a partition must begin in order.
    pub fn begin(&mut self, topic: &str, partition: i32, offset: i64) {
        let state = self.partitions.entry((topic.to_owned(), partition)).or_default();
        // Nothing before the first offset we saw is ours to store.
        if state.stored.is_none() && state.pending.is_empty() && state.highest_begun.is_none() {
            state.stored = Some(offset - 1);
        }
        state.pending.insert(offset);
        state.highest_begun = Some(state.highest_begun.map_or(offset, |h| h.max(offset)));
    }

    /// Records that `offset` is done. Returns the offset to store (the last one
    /// such that it and every earlier begun offset are done) when that advanced.
    pub fn finish(&mut self, topic: &str, partition: i32, offset: i64) -> Option<i64> {
        let state = self.partitions.get_mut(&(topic.to_owned(), partition))?;
        if !state.pending.remove(&offset) {
            return None;
        }
        let done_upto = match state.pending.first() {
            Some(&lowest) => lowest - 1,
            None => state.highest_begun?,
        };
        if state.stored.is_some_and(|s| s >= done_upto) || done_upto < 0 {
            return None;
        }
        state.stored = Some(done_upto);
        Some(done_upto)
    }

    /// Forgets a partition (revoked in a rebalance): its in-flight work will be
    /// redone by the new owner, so acknowledging it here must not store anything.
    pub fn forget(&mut self, topic: &str, partition: i32) {
        self.partitions.remove(&(topic.to_owned(), partition));
    }

    /// The offset after the last one begun in a partition: how far its
    /// records have been taken up. `None` before the first (or after [`Self::forget`]).
    pub fn next(&self, topic: &str, partition: i32) -> Option<i64> {
        self.partitions.get(&(topic.to_owned(), partition))?.highest_begun.map(|h| h + 1)
    }

    /// Offsets begun but not finished, over all partitions.
    /// The first offset of a partition not yet done: every record before it
    /// is done. `None` before any was begun.
    pub fn first_unfinished(&self, topic: &str, partition: i32) -> Option<i64> {
        self.partitions.get(&(topic.to_owned(), partition))?.stored.map(|s| s + 1)
    }

    pub fn in_flight(&self) -> usize {
        self.partitions.values().map(|p| p.pending.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stores_only_contiguous_prefix() {
        let mut t = OffsetTracker::default();
        for o in 10..15 {
            t.begin("q", 0, o);
        }
        assert_eq!(t.finish("q", 0, 12), None);
        assert_eq!(t.finish("q", 0, 10), Some(10));
        assert_eq!(t.finish("q", 0, 11), Some(12));
        assert_eq!(t.finish("q", 0, 14), None);
        assert_eq!(t.finish("q", 0, 13), Some(14));
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn partitions_are_independent_and_forget_works() {
        let mut t = OffsetTracker::default();
        t.begin("q", 0, 1);
        t.begin("q", 1, 7);
        assert_eq!(t.finish("q", 1, 7), Some(7));
        assert_eq!((t.next("q", 0), t.next("q", 1), t.next("q", 2)), (Some(2), Some(8), None));
        t.forget("q", 0);
        assert_eq!(t.next("q", 0), None);
        assert_eq!(t.finish("q", 0, 1), None);
        assert_eq!(t.finish("q", 1, 99), None, "unknown offsets are ignored");
    }

    proptest! {
        /// Whatever the finishing order, the stored offset never passes an
        /// unfinished one and ends at the last offset.
        #[test]
        fn never_stores_past_pending(order in Just((0i64..40).collect::<Vec<_>>()).prop_shuffle()) {
            let mut t = OffsetTracker::default();
            for o in 0..40 { t.begin("q", 3, o); }
            let mut done = BTreeSet::new();
            let mut last = None;
            for o in order {
                done.insert(o);
                if let Some(s) = t.finish("q", 3, o) {
                    prop_assert!((0..=s).all(|x| done.contains(&x)));
                    prop_assert!(last.is_none_or(|l| s > l));
                    last = Some(s);
                }
            }
            prop_assert_eq!(last, Some(39));
        }
    }
}

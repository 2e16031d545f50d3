//! A connection's submit queue in priority lanes: urgent, high, normal
//! (bulk). Every link of the connection takes from it ([`crate::pool`]); the
//! next submission comes from the highest lane that has one, except that
//! the lower lanes share `bulk_share` of the submits while a higher one is
//! busy, so a flood of urgent traffic slows high and bulk down but never
//! starves them.
//!
//! Each lane is bounded on its own: a lane full of bulk submissions never
//! holds back a push into another lane. The lanes are memory only for what
//! is already taken from Kafka; what decides the order across a restart is
//! that each lane is a queue topic of its own (`sms.queue.{id}[.high|.urgent]`).
//!
//! [`LanePolicy`] is the choice alone, without I/O or time, unit-tested below.

use std::collections::VecDeque;
use std::sync::Mutex;

use events::Priority;
use tokio::sync::{Notify, Semaphore};

/// Lane index of a priority: 0 normal, 1 high, 2 urgent.
pub(crate) fn index(priority: Priority) -> usize {
    match priority {
        Priority::Normal => 0,
        Priority::High => 1,
        Priority::Urgent => 2,
    }
}

const PRIORITIES: [Priority; 3] = [Priority::Normal, Priority::High, Priority::Urgent];

/// Which lane goes next.
///
/// The highest lane with something waiting goes, except that the lanes
/// below it that have something waiting too share `bulk_share` of the picks
/// between them: every pick earns each of them its part of a turn, and one
/// goes once it has earned a whole turn (the higher of them first when both
/// have). Under a flood of urgent traffic with high and normal waiting,
/// urgent takes 90 % of the submits (`bulk_share` 0.1) and high and normal
/// 5 % each; under high with normal waiting, normal takes 10 %. The highest
/// lane always keeps at least `1 - bulk_share`, so no lane starves. Credit
/// is not saved while a lane has nothing waiting or is the highest waiting,
/// so a lane coming back after a quiet spell cannot jump ahead with a burst.
#[derive(Debug, Clone)]
pub struct LanePolicy {
    /// Share of a turn per contended pick, in millionths (integers: no drift).
    share: u64,
    /// Earned turns per lane (by [`index`]), in millionths.
    credit: [u64; 3],
}

const TURN: u64 = 1_000_000;

impl LanePolicy {
    /// `bulk_share` as validated by the configuration (above 0, below 1).
    pub fn new(bulk_share: f64) -> Self {
        let share = (bulk_share.clamp(0.0, 1.0) * TURN as f64).round() as u64;
        Self { share: share.clamp(1, TURN), credit: [0; 3] }
    }

    /// The lane to take from, given which lanes have something waiting;
    /// `None` when none has.
    pub fn pick(&mut self, waiting: impl Fn(Priority) -> bool) -> Option<Priority> {
        let highest = PRIORITIES.into_iter().rev().find(|p| waiting(*p))?;
        let top = index(highest);
        let below = PRIORITIES[..top].iter().filter(|p| waiting(**p)).count() as u64;
        for (lane, credit) in self.credit.iter_mut().enumerate() {
            if lane >= top || !waiting(PRIORITIES[lane]) {
                *credit = 0;
            } else {
                *credit += (self.share / below).max(1);
            }
        }
        let due = (0..top).rev().find(|lane| self.credit[*lane] >= TURN);
        match due {
            Some(lane) => {
                self.credit[lane] -= TURN;
                Some(PRIORITIES[lane])
            }
            None => Some(highest),
        }
    }
}

struct State<T> {
    lanes: [VecDeque<T>; 3],
    policy: LanePolicy,
    closed: bool,
}

/// The lanes themselves: a bounded queue per priority, taken from by policy.
pub struct Lanes<T> {
    state: Mutex<State<T>>,
    /// Free places per lane.
    room: [Semaphore; 3],
    /// Something was pushed, or the lanes closed.
    pushed: Notify,
}

impl<T> Lanes<T> {
    /// Lanes of `capacity` places each.
    pub fn new(capacity: usize, bulk_share: f64) -> Self {
        let capacity = capacity.max(1);
        Self {
            state: Mutex::new(State { lanes: Default::default(), policy: LanePolicy::new(bulk_share), closed: false }),
            room: [Semaphore::new(capacity), Semaphore::new(capacity), Semaphore::new(capacity)],
            pushed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        // Every change under the lock is a single push or pop: nothing half-done to recover.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `item` in `priority`'s lane once it has room; gives it back
    /// when the lanes are closed. Cancel-safe: dropped while waiting for
    /// room, nothing was queued.
    pub async fn push(&self, priority: Priority, item: T) -> Result<(), T> {
        let lane = index(priority);
        let Ok(place) = self.room[lane].acquire().await else { return Err(item) };
        let mut state = self.lock();
        if state.closed {
            return Err(item);
        }
        // The place is given back when the item is taken.
        place.forget();
        state.lanes[lane].push_back(item);
        drop(state);
        self.pushed.notify_one();
        Ok(())
    }

    /// Waits until some lane has an item (true) or the lanes are closed and
    /// empty (false). Another link may take the item first: then
    /// [`Lanes::take`] finds nothing and the caller waits again.
    pub async fn wait(&self) -> bool {
        loop {
            let pushed = self.pushed.notified();
            tokio::pin!(pushed);
            // Registered before looking, so a push in between is not missed.
            pushed.as_mut().enable();
            {
                let state = self.lock();
                if state.lanes.iter().any(|l| !l.is_empty()) {
                    return true;
                }
                if state.closed {
                    return false;
                }
            }
            pushed.await;
        }
    }

    /// Takes the next item by [`LanePolicy`], with its lane; `None` when all
    /// lanes are empty.
    pub fn take(&self) -> Option<(Priority, T)> {
        let mut state = self.lock();
        let State { lanes, policy, .. } = &mut *state;
        let priority = policy.pick(|p| !lanes[index(p)].is_empty())?;
        let item = lanes[index(priority)].pop_front()?;
        let more = lanes.iter().any(|l| !l.is_empty());
        drop(state);
        self.room[index(priority)].add_permits(1);
        if more {
            // Pass the word on: another waiting link may take the rest.
            self.pushed.notify_one();
        }
        Some((priority, item))
    }

    /// Takes whatever is queued, in no particular order (shutdown).
    pub fn take_any(&self) -> Option<T> {
        let mut state = self.lock();
        let (lane, item) = state.lanes.iter_mut().enumerate().find_map(|(i, l)| l.pop_front().map(|x| (i, x)))?;
        drop(state);
        self.room[lane].add_permits(1);
        Some(item)
    }

    /// Takes out every queued item `pick` chooses, from any lane, giving
    /// their places back: what no link will take (withdrawn while no link is up).
    pub fn remove_where(&self, pick: impl Fn(&T) -> bool) -> Vec<T> {
        let mut state = self.lock();
        let mut removed = Vec::new();
        let mut freed = [0; 3];
        for (lane, queue) in state.lanes.iter_mut().enumerate() {
            for item in std::mem::take(queue) {
                if pick(&item) {
                    removed.push(item);
                    freed[lane] += 1;
                } else {
                    queue.push_back(item);
                }
            }
        }
        drop(state);
        for (room, n) in self.room.iter().zip(freed) {
            room.add_permits(n);
        }
        removed
    }

    /// Items waiting in `priority`'s lane.
    pub fn len(&self, priority: Priority) -> usize {
        self.lock().lanes[index(priority)].len()
    }

    /// No more pushes; [`Lanes::wait`] ends once the lanes are empty.
    pub fn close(&self) {
        self.lock().closed = true;
        for room in &self.room {
            room.close();
        }
        self.pushed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Picks `n` times with both lanes always full; what each pick took.
    fn contended(policy: &mut LanePolicy, higher: Priority, n: usize) -> Vec<Priority> {
        (0..n).map(|_| policy.pick(|p| p == Priority::Normal || p == higher).unwrap()).collect()
    }

    #[test]
    fn highest_lane_first() {
        let mut policy = LanePolicy::new(0.1);
        assert_eq!(policy.pick(|_| true), Some(Priority::Urgent));
        assert_eq!(policy.pick(|p| p != Priority::Urgent), Some(Priority::High));
        assert_eq!(policy.pick(|p| p == Priority::Normal), Some(Priority::Normal));
        assert_eq!(policy.pick(|_| false), None);
    }

    #[test]
    fn high_gets_its_share_under_an_urgent_flood() {
        for (share, every) in [(0.1, 10), (0.5, 2)] {
            let mut policy = LanePolicy::new(share);
            let picks: Vec<_> = (0..1000).map(|_| policy.pick(|p| p != Priority::Normal).unwrap()).collect();
            let high: Vec<usize> =
                picks.iter().enumerate().filter(|(_, p)| **p == Priority::High).map(|(i, _)| i).collect();
            assert_eq!(high.len(), 1000 / every, "share {share}");
            assert!(high.windows(2).all(|w| w[1] - w[0] == every), "share {share}: {high:?}");
        }
    }

    #[test]
    fn lower_lanes_share_the_share_and_the_highest_keeps_the_rest() {
        for share in [0.1, 0.5, 0.999] {
            let mut policy = LanePolicy::new(share);
            let picks: Vec<_> = (0..10_000).map(|_| policy.pick(|_| true).unwrap()).collect();
            let count = |lane| picks.iter().filter(|p| **p == lane).count() as f64 / 10_000.0;
            let (urgent, high, normal) = (count(Priority::Urgent), count(Priority::High), count(Priority::Normal));
            assert!((urgent - (1.0 - share)).abs() < 0.002, "share {share}: urgent {urgent}");
            assert!((high - share / 2.0).abs() < 0.002, "share {share}: high {high}");
            assert!((normal - share / 2.0).abs() < 0.002, "share {share}: normal {normal}");
        }
    }

    #[test]
    fn no_lane_waits_long_under_floods_above_it() {
        let mut policy = LanePolicy::new(0.1);
        let picks: Vec<_> = (0..1000).map(|_| policy.pick(|_| true).unwrap()).collect();
        for lane in [Priority::High, Priority::Normal] {
            let at: Vec<usize> = picks.iter().enumerate().filter(|(_, p)| **p == lane).map(|(i, _)| i).collect();
            assert!(at[0] < 21 && at.windows(2).all(|w| w[1] - w[0] <= 21), "{lane:?} at {at:?}");
        }
    }

    #[test]
    fn bulk_gets_its_share_under_a_flood() {
        for (share, every) in [(0.1, 10), (0.25, 4), (0.5, 2)] {
            let mut policy = LanePolicy::new(share);
            let picks = contended(&mut policy, Priority::Urgent, 1000);
            let bulk = picks.iter().filter(|p| **p == Priority::Normal).count();
            assert_eq!(bulk, 1000 / every, "share {share}");
            // Evenly: never more than `every` picks between two bulk ones.
            let at: Vec<_> =
                picks.iter().enumerate().filter(|(_, p)| **p == Priority::Normal).map(|(i, _)| i).collect();
            assert!(at.windows(2).all(|w| w[1] - w[0] == every), "share {share}: {at:?}");
        }
    }

    #[test]
    fn tiny_shares_still_come_round() {
        let mut policy = LanePolicy::new(0.001);
        let picks = contended(&mut policy, Priority::High, 3000);
        assert_eq!(picks.iter().filter(|p| **p == Priority::Normal).count(), 3);
    }

    #[test]
    fn an_urgent_message_overtakes_a_bulk_backlog_at_once() {
        let mut policy = LanePolicy::new(0.1);
        // Bulk alone for a long time: no credit is saved up meanwhile.
        for _ in 0..10_000 {
            assert_eq!(policy.pick(|p| p == Priority::Normal), Some(Priority::Normal));
        }
        assert_eq!(policy.pick(|_| true), Some(Priority::Urgent));
    }

    #[test]
    fn credit_is_not_saved_while_bulk_is_idle() {
        let mut policy = LanePolicy::new(0.1);
        // Nine contended picks: 0.9 of a turn earned.
        assert!(contended(&mut policy, Priority::High, 9).iter().all(|p| *p == Priority::High));
        // Bulk runs dry: the credit goes.
        assert_eq!(policy.pick(|p| p == Priority::High), Some(Priority::High));
        // Bulk is back: it has to earn its turn from nothing again.
        let picks = contended(&mut policy, Priority::High, 10);
        assert_eq!(picks.iter().position(|p| *p == Priority::Normal), Some(9));
    }

    #[tokio::test]
    async fn lanes_hand_out_by_policy_and_bound_each_lane() {
        let lanes = Lanes::new(2, 0.5);
        for i in 0..2 {
            lanes.push(Priority::Normal, format!("bulk-{i}")).await.unwrap();
        }
        // The bulk lane is full; a push into it waits...
        let full = tokio::time::timeout(std::time::Duration::from_millis(50), lanes.push(Priority::Normal, "x".into()));
        assert!(full.await.is_err(), "a full lane waits for room");
        // ...but the urgent lane takes one at once.
        lanes.push(Priority::Urgent, "otp".to_owned()).await.unwrap();
        assert!(lanes.wait().await);
        assert_eq!(lanes.take(), Some((Priority::Urgent, "otp".to_owned())));
        assert_eq!(lanes.take(), Some((Priority::Normal, "bulk-0".to_owned())));
        assert_eq!(lanes.len(Priority::Normal), 1);
        lanes.close();
        assert_eq!(lanes.push(Priority::High, "late".to_owned()).await, Err("late".to_owned()));
        assert!(lanes.wait().await, "closed but not empty");
        assert_eq!(lanes.take_any(), Some("bulk-1".to_owned()));
        assert!(!lanes.wait().await, "closed and empty");
    }

    #[tokio::test]
    async fn chosen_items_are_taken_out_and_their_places_given_back() {
        let lanes = Lanes::new(2, 0.1);
        for i in 0..2 {
            lanes.push(Priority::Normal, i).await.unwrap();
        }
        lanes.push(Priority::Urgent, 7).await.unwrap();
        assert_eq!(lanes.remove_where(|i| *i != 1), vec![0, 7]);
        lanes.push(Priority::Normal, 2).await.unwrap();
        assert_eq!(
            (lanes.take(), lanes.take(), lanes.take()),
            (Some((Priority::Normal, 1)), Some((Priority::Normal, 2)), None)
        );
    }

    #[tokio::test]
    async fn a_waiting_link_wakes_on_a_push() {
        let lanes = std::sync::Arc::new(Lanes::new(4, 0.1));
        let waiter = tokio::spawn({
            let lanes = lanes.clone();
            async move { lanes.wait().await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        lanes.push(Priority::High, 1).await.unwrap();
        assert!(tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await.unwrap().unwrap());
    }
}

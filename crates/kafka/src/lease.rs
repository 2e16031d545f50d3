//! Owning a partition between two rebalances, and giving it up cleanly.
//!
//! Every assignment of a partition starts a new [`Lease`]. Work begun on a
//! record of the partition carries the lease in its [`Ticket`], and work that
//! has side effects outside Kafka (a submit sent to an SMSC, a status event
//! being published) holds a [`Busy`] guard while it runs.
//!
//! When the partition is revoked, the consumer (in its rebalance callback,
//! see [`crate::client::AckContext`]):
//! 1. marks the lease *revoking*: work that has not started its side effects
//!    gives up (a submission still queued is withdrawn, not sent);
//! 2. waits — up to `kafka.revoke_timeout` — until no [`Busy`] guard of the
//!    partition is left, so what was sent gets its outcome recorded and
//!    acknowledged while the partition is still ours;
//! 3. commits the offsets stored so far and marks the lease *released*.
//!
//! Only then does the partition go to its next owner, which resumes at the
//! committed offset and, with the state topics, sees everything recorded:
//! it sends again only what was never sent. An acknowledgement of a released
//! lease (work that overran the wait) is ignored, so it can never store an
//! offset for a later assignment of the same partition.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

static GENERATIONS: AtomicU64 = AtomicU64::new(1);

/// One assignment of one partition.
#[derive(Debug)]
pub struct Lease {
    topic: String,
    partition: i32,
    generation: u64,
    revoking: CancellationToken,
    released: CancellationToken,
    busy: AtomicUsize,
}

impl Lease {
    fn new(topic: &str, partition: i32, revoking: CancellationToken) -> Arc<Lease> {
        Arc::new(Lease {
            topic: topic.to_owned(),
            partition,
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
            revoking,
            released: CancellationToken::new(),
            busy: AtomicUsize::new(0),
        })
    }

    /// A lease that is never revoked, for work outside any consumer group
    /// (tools, tests).
    pub fn detached(topic: &str, partition: i32) -> Arc<Lease> {
        Lease::new(topic, partition, CancellationToken::new())
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn partition(&self) -> i32 {
        self.partition
    }

    /// Distinguishes assignments of the same partition.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Cancelled when the partition starts being revoked: work that has not
    /// begun its side effects stops.
    pub fn revoking(&self) -> &CancellationToken {
        &self.revoking
    }

    /// Cancelled once the partition is gone: nothing more may be recorded for it.
    pub fn released(&self) -> &CancellationToken {
        &self.released
    }

    pub fn is_revoking(&self) -> bool {
        self.revoking.is_cancelled()
    }

    pub fn is_released(&self) -> bool {
        self.released.is_cancelled()
    }

    /// Marks side effects in progress until the guard is dropped; the
    /// partition is not given up while any guard lives (up to the revoke
    /// timeout). Taken even while revoking: work that already sent must finish.
    pub fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }

    /// Guards alive now.
    pub fn busy_count(&self) -> usize {
        self.busy.load(Ordering::Acquire)
    }
}

/// Side effects of one partition's work in progress (see [`Lease::busy`]).
#[derive(Debug)]
pub struct Busy(Arc<Lease>);

impl Busy {
    pub fn lease(&self) -> &Arc<Lease> {
        &self.0
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Work begun on one record: where it came from and under which lease.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub offset: i64,
    pub lease: Arc<Lease>,
}

impl Ticket {
    pub fn topic(&self) -> &str {
        &self.lease.topic
    }

    pub fn partition(&self) -> i32 {
        self.lease.partition
    }
}

/// The current lease of every assigned partition of one consumer.
#[derive(Debug, Default)]
pub struct Leases {
    /// By topic, then partition: looked up for every record, by a borrowed
    /// topic name (a key of `(String, i32)` would take a copy of it).
    current: Mutex<HashMap<String, HashMap<i32, Arc<Lease>>>>,
    /// Every lease's `revoking` is a child of this: cancelled at shutdown.
    all_revoking: CancellationToken,
}

impl Leases {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<i32, Arc<Lease>>>> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a new lease for an assigned partition (releasing a stale one).
    pub fn assign(&self, topic: &str, partition: i32) -> Arc<Lease> {
        let lease = Lease::new(topic, partition, self.all_revoking.child_token());
        if let Some(old) = self.lock().entry(topic.to_owned()).or_default().insert(partition, lease.clone()) {
            old.revoking.cancel();
            old.released.cancel();
        }
        lease
    }

    /// The partition's current lease; a partition seen without an assignment
    /// (a consumer that assigns partitions itself) gets one now.
    pub fn get(&self, topic: &str, partition: i32) -> Arc<Lease> {
        let mut current = self.lock();
        if let Some(lease) = current.get(topic).and_then(|t| t.get(&partition)) {
            return lease.clone();
        }
        let lease = Lease::new(topic, partition, self.all_revoking.child_token());
        current.entry(topic.to_owned()).or_default().insert(partition, lease.clone());
        lease
    }

    /// Takes the leases of revoked partitions out and marks them revoking.
    pub fn revoke(&self, partitions: &[(String, i32)]) -> Vec<Arc<Lease>> {
        let mut current = self.lock();
        let taken: Vec<Arc<Lease>> =
            partitions.iter().filter_map(|(t, p)| current.get_mut(t).and_then(|t| t.remove(p))).collect();
        current.retain(|_, t| !t.is_empty());
        drop(current);
        for lease in &taken {
            lease.revoking.cancel();
        }
        taken
    }

    /// Shutdown: every lease, current and future, is revoking — work that
    /// has not reached the outside stops; what has is left to finish.
    pub fn withdraw_all(&self) {
        self.all_revoking.cancel();
    }

    /// One reader of a shared consumer stops ([`crate::consumer::Reader`]):
    /// the leases of `topic` are revoking — its work that has not reached
    /// the outside stops — but stay current, so a rebalance meanwhile still
    /// waits for the rest.
    pub fn withdraw_topic(&self, topic: &str) {
        for lease in self.lock().get(topic).into_iter().flat_map(|t| t.values()) {
            lease.revoking.cancel();
        }
    }

    /// After [`Leases::withdraw_topic`] and the work it stopped: the
    /// partitions of `topic` still assigned get new leases (the old ones are
    /// released: a late acknowledgement is ignored), for the next reader.
    pub fn renew_topic(&self, topic: &str) {
        let held: Vec<i32> = self.lock().get(topic).map(|t| t.keys().copied().collect()).unwrap_or_default();
        for partition in held {
            self.assign(topic, partition);
        }
    }

    /// Every current lease (at shutdown: revoke them all).
    pub fn all(&self) -> Vec<(String, i32)> {
        self.lock().iter().flat_map(|(t, ps)| ps.keys().map(|p| (t.clone(), *p))).collect()
    }
}

/// Waits until no guard of `leases` is alive or `timeout` passed; true when idle.
///
/// Blocks the calling thread: it is called from the rebalance callback, which
/// librdkafka runs inside the consumer's poll. On a tokio multi-threaded
/// runtime the worker is handed over first (`block_in_place`), so the work
/// being waited for keeps running; on a current-thread runtime that work
/// could not run while this waits, so it does not wait.
pub fn wait_idle(leases: &[Arc<Lease>], timeout: Duration) -> bool {
    let idle = || leases.iter().all(|l| l.busy_count() == 0);
    if idle() {
        return true;
    }
    let wait = || {
        let deadline = Instant::now() + timeout;
        while !idle() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    };
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::CurrentThread) => {
            tracing::debug!("revocation on a current-thread runtime: not waiting for work in progress");
            false
        }
        Ok(_) => tokio::task::block_in_place(wait),
        Err(_) => wait(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_assignment_releases_the_old_lease() {
        let leases = Leases::default();
        let first = leases.assign("q", 0);
        let second = leases.assign("q", 0);
        assert!(first.is_released() && first.is_revoking());
        assert!(!second.is_revoking());
        assert_ne!(first.generation(), second.generation());
        assert_eq!(leases.get("q", 0).generation(), second.generation());
    }

    #[test]
    fn withdrawing_all_marks_every_lease_revoking() {
        let leases = Leases::default();
        let lease = leases.assign("q", 0);
        leases.withdraw_all();
        assert!(lease.is_revoking() && !lease.is_released());
        assert!(leases.get("q", 1).is_revoking(), "also leases taken later");
    }

    #[test]
    fn revoke_marks_revoking_and_forgets() {
        let leases = Leases::default();
        let lease = leases.assign("q", 3);
        let taken = leases.revoke(&[("q".into(), 3), ("q".into(), 4)]);
        assert_eq!(taken.len(), 1);
        assert!(lease.is_revoking() && !lease.is_released());
        assert_ne!(leases.get("q", 3).generation(), lease.generation(), "a fresh lease after revocation");
    }

    #[test]
    fn wait_idle_waits_for_guards_and_gives_up_at_the_timeout() {
        let lease = Lease::detached("q", 0);
        assert!(wait_idle(std::slice::from_ref(&lease), Duration::ZERO));
        let guard = lease.busy();
        assert!(!wait_idle(std::slice::from_ref(&lease), Duration::from_millis(20)));
        let released = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            drop(guard);
        });
        assert!(wait_idle(std::slice::from_ref(&lease), Duration::from_secs(5)));
        released.join().unwrap();
        assert_eq!(lease.busy_count(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_on_a_worker_lets_other_tasks_finish() {
        let lease = Lease::detached("q", 0);
        let guard = lease.busy();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            drop(guard);
        });
        assert!(wait_idle(&[lease], Duration::from_secs(5)));
    }
}

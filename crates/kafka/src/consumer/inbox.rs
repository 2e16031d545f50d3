//! Who is told which partitions a rebalance took away and gave: the
//! consumer's owner, for every topic, and each [`super::Reader`], for its
//! own topic only. Each keeps what it was told until it asks.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

type Partitions = Vec<(String, i32)>;

/// One listener's revoked and assigned partitions, not yet taken.
pub(super) struct Inbox {
    /// `None`: every topic.
    topic: Option<String>,
    revoked: Mutex<Partitions>,
    assigned: Mutex<Partitions>,
}

fn lock(list: &Mutex<Partitions>) -> MutexGuard<'_, Partitions> {
    // Each change is one push or one take: nothing half-done to recover.
    list.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inbox {
    fn wants(&self, topic: &str) -> bool {
        self.topic.as_deref().is_none_or(|t| t == topic)
    }

    pub(super) fn take_revoked(&self) -> Partitions {
        std::mem::take(&mut *lock(&self.revoked))
    }

    pub(super) fn take_assigned(&self) -> Partitions {
        std::mem::take(&mut *lock(&self.assigned))
    }
}

/// Every live inbox of a consumer.
#[derive(Default)]
pub(super) struct Inboxes(Mutex<Vec<Weak<Inbox>>>);

impl Inboxes {
    fn live(&self) -> Vec<Arc<Inbox>> {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|i| i.strong_count() > 0);
        all.iter().filter_map(Weak::upgrade).collect()
    }

    /// A new inbox for `topic` (`None`: every topic), told from now on.
    pub(super) fn register(&self, topic: Option<String>) -> Arc<Inbox> {
        let inbox = Arc::new(Inbox { topic, revoked: Mutex::default(), assigned: Mutex::default() });
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(Arc::downgrade(&inbox));
        inbox
    }

    pub(super) fn assigned(&self, partitions: &[(String, i32)]) {
        for inbox in self.live() {
            lock(&inbox.assigned).extend(partitions.iter().filter(|(t, _)| inbox.wants(t)).cloned());
        }
    }

    /// Tells of `partitions` revoked; an assignment of them not yet taken is void.
    pub(super) fn revoked(&self, partitions: &[(String, i32)]) {
        for inbox in self.live() {
            lock(&inbox.revoked).extend(partitions.iter().filter(|(t, _)| inbox.wants(t)).cloned());
            lock(&inbox.assigned).retain(|k| !partitions.contains(k));
        }
    }
}

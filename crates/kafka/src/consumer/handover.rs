//! Taking a topic over from the group that read it before
//! ([`AckingConsumer::subscribe_after`]): in a rolling update that changes
//! which group reads a topic, members of the old group and of the new one
//! run side by side, and both would work on the same records.
//!
//! So a partition assigned to this group with no committed offset of its
//! own is paused as soon as it is assigned, and a thread of the consumer
//! lists the broker's groups once a second (ListGroups and DescribeGroups,
//! which tansu answers too: one list for every old group waited for). Once
//! the old group has no member left — its
//! last member committed what it finished as it left — the partition is
//! sought to the old group's committed offset (from its beginning when the
//! old group committed none), resumed, and that offset stored as this
//! group's own. A partition this group has committed an offset for is read
//! at once: it was taken over before.
//!
//! Going back (a rollback to the version of the old group) is
//! [`crate::handback`]: with the new group's members stopped, its offsets
//! are copied to the old group and the new group deleted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};

use super::rebalance::AckContext;
#[cfg(doc)]
use super::AckingConsumer;
use super::Shared;

/// A waiting partition, and the assignment it waits for.
type Waiting<'a> = (&'a (String, i32), u64);

/// How often the old groups are looked up while a partition waits.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// The partitions waiting for the group that read them before.
pub(super) struct Pending {
    /// Per partition: the old group, and which assignment it waits for
    /// (a partition revoked and assigned again waits afresh).
    waiting: HashMap<(String, i32), (String, u64)>,
    assignments: u64,
    /// A thread is looking the old groups up.
    looking: bool,
    /// How many wait (`smsgw_partitions_held`).
    held: &'static counters::Gauge,
}

impl Pending {
    pub(super) fn new(group: &str) -> Self {
        Pending { waiting: HashMap::new(), assignments: 0, looking: false, held: counters::partitions_held(group) }
    }

    fn insert(&mut self, key: (String, i32), old: String, assignment: u64) {
        if self.waiting.insert(key, (old, assignment)).is_none() {
            self.held.inc();
        }
    }

    fn remove(&mut self, key: &(String, i32)) {
        if self.waiting.remove(key).is_some() {
            self.held.dec();
        }
    }

    /// The partitions of `topic` that wait for their old group.
    pub(super) fn waits(&self, topic: &str) -> Vec<i32> {
        self.waiting.keys().filter(|(t, _)| t == topic).map(|(_, p)| *p).collect()
    }
}

/// The gauge is the group's, and a process may have several consumers in
/// one group (the senders of network connections and of modems): each
/// adds and takes away its own.
impl Drop for Pending {
    fn drop(&mut self) {
        self.held.add(-(self.waiting.len() as i64));
    }
}

/// After an assignment: pauses the partitions that wait for their old
/// group, and starts the thread that looks it up if none runs.
pub(super) fn hold(shared: &Arc<Shared>, consumer: &BaseConsumer<AckContext>, tpl: &TopicPartitionList) {
    let predecessors = shared.predecessors.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if predecessors.is_empty() {
        return;
    }
    let mut waiting = Vec::new();
    {
        let assignment = shared.assignment();
        for elem in tpl.elements() {
            let key = (elem.topic().to_owned(), elem.partition());
            let own = assignment.get(&key).copied().flatten();
            if let (None, Some(old)) = (own, predecessors.get(elem.topic())) {
                waiting.push((key, old.clone()));
            }
        }
    }
    if waiting.is_empty() {
        return;
    }
    let mut paused = TopicPartitionList::new();
    for ((topic, partition), _) in &waiting {
        paused.add_partition(topic, *partition);
    }
    if let Err(e) = consumer.pause(&paused) {
        tracing::error!(error = %e, "cannot hold back partitions for their old group");
    }
    let mut pending = shared.handovers.lock().unwrap_or_else(|e| e.into_inner());
    pending.assignments += 1;
    let id = pending.assignments;
    for ((topic, partition), old) in waiting {
        tracing::info!(topic, partition, old_group = %old, "partition waits until its old group has no member");
        pending.insert((topic, partition), old, id);
    }
    if !pending.looking {
        pending.looking = true;
        let shared = shared.clone();
        let started = std::thread::Builder::new().name("kafka-handover".into()).spawn(move || look(&shared));
        if let Err(e) = started {
            pending.looking = false;
            tracing::error!(error = %e, "cannot start the handover thread; held partitions wait for the next assignment");
        }
    }
}

/// Revoked partitions wait no more.
pub(super) fn forget(shared: &Shared, partitions: &[(String, i32)]) {
    let mut pending = shared.handovers.lock().unwrap_or_else(|e| e.into_inner());
    for key in partitions {
        pending.remove(key);
    }
}

/// The handover thread: until no partition waits (or the consumer is gone),
/// looks each old group up and starts the partitions it let go.
fn look(shared: &Arc<Shared>) {
    let admin: Option<BaseConsumer> = match shared.admin.create() {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::error!(error = %e, "cannot make the client that looks old groups up");
            None
        }
    };
    // Per old group, how many looks in a row it was missing from the list.
    let mut missing = HashMap::new();
    loop {
        let waiting: Vec<((String, i32), (String, u64))> = {
            let mut pending = shared.handovers.lock().unwrap_or_else(|e| e.into_inner());
            let closing = shared.closing.load(std::sync::atomic::Ordering::SeqCst);
            if pending.waiting.is_empty() || closing || admin.is_none() {
                pending.looking = false;
                return;
            }
            pending.waiting.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let Some(consumer) = shared.me.get().and_then(std::sync::Weak::upgrade) else {
            shared.handovers.lock().unwrap_or_else(|e| e.into_inner()).looking = false;
            return;
        };
        let mut groups: HashMap<&str, Vec<Waiting<'_>>> = HashMap::new();
        for (key, (old, id)) in &waiting {
            groups.entry(old.as_str()).or_default().push((key, *id));
        }
        if let Some(admin) = &admin {
            for (old, partitions, committed) in let_go(admin, shared, groups, &mut missing) {
                start(shared, &consumer, old, &partitions, &committed);
            }
        }
        drop(consumer);
        std::thread::sleep(LOOK_EVERY);
    }
}

/// Looks in a row an old group must be missing from the broker's list,
/// with nothing committed, before a partition waits for it no more: tansu
/// may leave a group out of the list for a moment after its first member
/// joined, before anything is committed.
const MISSING_LOOKS: u32 = 3;

/// Old groups whose committed offsets are read at once: each read is a
/// client of its own (librdkafka reads a group's offsets only as a member
/// of it), tens of milliseconds each, and a sender with 200 connections
/// takes 600 topics over at start-up.
const LOOKUPS_AT_ONCE: usize = 8;

/// An old group, the partitions that wait for it, and its committed offsets
/// of them.
type LetGo<'a> = (&'a str, Vec<Waiting<'a>>, TopicPartitionList);

/// The old groups (of `groups`) that have let their partitions go, with
/// their committed offsets: listed without a member (Empty, or Dead), or
/// missing from the list [`MISSING_LOOKS`] times in a row with nothing
/// committed (they never existed). One list of the broker's groups per
/// look, whatever the number of old groups.
fn let_go<'a>(
    admin: &BaseConsumer,
    shared: &Shared,
    groups: HashMap<&'a str, Vec<Waiting<'a>>>,
    missing: &mut HashMap<String, u32>,
) -> Vec<LetGo<'a>> {
    let olds: Vec<&str> = groups.keys().copied().collect();
    let listing = look_up(admin, &olds);
    let mut asks = Vec::new();
    for (old, partitions) in groups {
        match listing.get(old) {
            None => tracing::debug!(old_group = old, "old group cannot be looked up; asking again"),
            Some(Listed::With { state, members }) if !(*members == 0 && matches!(state.as_str(), "Empty" | "Dead")) => {
                missing.remove(old);
                tracing::debug!(old_group = old, members, state, "old group still read");
            }
            Some(Listed::With { .. }) => {
                missing.remove(old);
                asks.push((old, partitions, true));
            }
            Some(Listed::Missing) => {
                let looks = missing.entry(old.to_owned()).or_default();
                *looks += 1;
                if *looks >= MISSING_LOOKS {
                    asks.push((old, partitions, false));
                } else {
                    tracing::debug!(old_group = old, looks = *looks, "old group not listed; asking again");
                }
            }
        }
    }
    let offsets = committed_of(shared, &asks);
    let mut gone = Vec::new();
    for ((old, partitions, listed), committed) in asks.into_iter().zip(offsets) {
        let Some(committed) = committed else { continue };
        let nothing = committed.elements().iter().all(|e| !matches!(e.offset(), Offset::Offset(_)));
        if !listed && !nothing {
            // Not listed, yet it committed: wait until the broker lists it.
            missing.insert(old.to_owned(), 0);
            tracing::debug!(old_group = old, "old group not listed but committed; asking again");
            continue;
        }
        gone.push((old, partitions, committed));
    }
    gone
}

/// What the broker's list of groups says of an old group.
enum Listed {
    With { state: String, members: usize },
    Missing,
}

/// Each of `olds` as the broker lists it; one left out cannot be looked up
/// now. One list of every group, or, where that fails, one list per old
/// group: tansu 0.6 on SQLite storage cannot describe a group that has
/// members (its stored state does not decode, and it drops the
/// connection), so listing every group fails there as soon as any group
/// has a member, while the list of one group that does not exist answers.
fn look_up<'a>(admin: &BaseConsumer, olds: &[&'a str]) -> HashMap<&'a str, Listed> {
    let listed = |list: &rdkafka::groups::GroupList, old: &str| {
        list.groups()
            .iter()
            .find(|g| g.name() == old)
            .map_or(Listed::Missing, |g| Listed::With { state: g.state().to_owned(), members: g.members().len() })
    };
    match admin.fetch_group_list(None, Duration::from_secs(10)) {
        Ok(list) => return olds.iter().map(|old| (*old, listed(&list, old))).collect(),
        Err(e) => tracing::debug!(error = %e, "cannot list every group; looking each old group up"),
    }
    let mut found = HashMap::new();
    for old in olds {
        match admin.fetch_group_list(Some(old), Duration::from_secs(5)) {
            Ok(list) => {
                found.insert(*old, listed(&list, old));
            }
            Err(e) => tracing::debug!(old_group = old, error = %e, "cannot look the old group up"),
        }
    }
    found
}

/// Each old group's committed offsets of its partitions, read
/// [`LOOKUPS_AT_ONCE`] groups at a time; `None` where they cannot be read
/// (asked again at the next look).
fn committed_of(shared: &Shared, asks: &[(&str, Vec<Waiting<'_>>, bool)]) -> Vec<Option<TopicPartitionList>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let answers: Vec<std::sync::Mutex<Option<TopicPartitionList>>> =
        asks.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..LOOKUPS_AT_ONCE.min(asks.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((old, partitions, _)) = asks.get(i) else { break };
                let answer = committed(shared, old, partitions);
                *answers[i].lock().unwrap_or_else(|e| e.into_inner()) = answer;
            });
        }
    });
    answers.into_iter().map(|a| a.into_inner().unwrap_or_else(|e| e.into_inner())).collect()
}

/// `old`'s committed offsets of `partitions`.
fn committed(shared: &Shared, old: &str, partitions: &[Waiting<'_>]) -> Option<TopicPartitionList> {
    let mut tpl = TopicPartitionList::new();
    for ((topic, partition), _) in partitions {
        tpl.add_partition(topic, *partition);
    }
    let mut lookup = shared.offsets.clone();
    lookup.set("group.id", old);
    match lookup.create::<BaseConsumer>().and_then(|c| c.committed_offsets(tpl, Duration::from_secs(10))) {
        Ok(c) if c.elements().iter().all(|e| e.error().is_ok()) => Some(c),
        Ok(_) => None,
        Err(e) => {
            tracing::debug!(old_group = old, error = %e, "cannot read the old group's offsets; asking again");
            None
        }
    }
}

/// Starts the partitions the old group let go at its committed offsets
/// (`rewind` records early on a quirky broker, like an assignment), unless
/// they were revoked or assigned afresh meanwhile.
fn start(
    shared: &Shared,
    consumer: &StreamConsumer<AckContext>,
    old: &str,
    partitions: &[Waiting<'_>],
    committed: &TopicPartitionList,
) {
    let mut pending = shared.handovers.lock().unwrap_or_else(|e| e.into_inner());
    for ((topic, partition), id) in partitions {
        let key = (topic.clone(), *partition);
        if pending.waiting.get(&key).map(|(_, i)| *i) != Some(*id) {
            continue;
        }
        pending.remove(&key);
        let at = committed.find_partition(topic, *partition).and_then(|e| match e.offset() {
            Offset::Offset(at) => Some(at),
            _ => None,
        });
        let from = match at {
            Some(at) if at > 0 && shared.rewind > 0 => {
                shared.resume_at.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone(), at);
                Offset::Offset((at - shared.rewind).max(0))
            }
            Some(at) => Offset::Offset(at),
            None => Offset::Beginning,
        };
        shared.assignment().insert(key, at);
        let mut tpl = TopicPartitionList::new();
        let started = tpl
            .add_partition_offset(topic, *partition, from)
            .and_then(|()| consumer.seek_partitions(tpl.clone(), Duration::from_secs(10)).map(|_| ()))
            .and_then(|()| consumer.resume(&tpl));
        // Stored (and so committed with the next auto-commit) at once: the
        // partition counts as taken over even if no record follows.
        let mut taken = TopicPartitionList::new();
        let started = started
            .and_then(|()| taken.add_partition_offset(topic, *partition, Offset::Offset(at.unwrap_or(0))))
            .and_then(|()| consumer.store_offsets(&taken));
        match started {
            Ok(()) => {
                tracing::info!(topic, partition, old_group = old, offset = ?at, "partition taken over from its old group")
            }
            Err(e) => tracing::error!(topic, partition, error = %e, "cannot start a partition taken over"),
        }
    }
}

//! The consumer's rebalance callback ([`AckContext`]): an assignment starts
//! each partition a little before its committed offset (see
//! [`crate::quirks`]); a revocation gives the partitions up cleanly (see
//! [`crate::lease`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::{Shared, COMMITTED_LOOKUP};
use crate::lease::wait_idle;

// How far before its committed offset an assigned partition is read again
// (the records before the committed offset are skipped here): tansu 0.6
// answers a fetch from the middle of a record batch with the batches *after*
// it, silently losing the rest of that batch — so a consumer resuming at a
// committed offset inside a batch must start at or before the batch's base.
// 10,000 with `kafka.broker_quirks = "tansu"`, 0 with `"none"`
// ([`crate::quirks::rewind`]).

/// The consumer context: rewinds assigned partitions (see [`crate::quirks`]) and
/// gives revoked ones up cleanly (see [`crate::lease`]).
pub struct AckContext {
    pub(super) shared: Arc<Shared>,
}

impl ClientContext for AckContext {}

impl ConsumerContext for AckContext {
    /// The eager protocol's rebalance (every smsgw consumer uses `range`).
    /// librdkafka calls this inside the consumer's poll, on the task that
    /// reads; the blocking parts hand the tokio worker over first.
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: rdkafka::types::RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        use rdkafka::types::RDKafkaRespErr::{
            RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS,
        };
        match err {
            RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                blocking(|| self.rewind(consumer, tpl));
                let mut assigned = Vec::new();
                for elem in tpl.elements() {
                    self.shared.leases.assign(elem.topic(), elem.partition());
                    assigned.push((elem.topic().to_owned(), elem.partition()));
                }
                self.shared.inboxes.assigned(&assigned);
                if let Err(e) = consumer.assign(tpl) {
                    tracing::error!(error = %e, "cannot take the assigned partitions");
                }
                self.pause_passive(consumer, tpl);
                super::handover::hold(&self.shared, consumer, tpl);
                self.shared.in_group.set(true);
                tracing::info!(partitions = tpl.count(), "partitions assigned");
            }
            RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                let partitions: Vec<(String, i32)> =
                    tpl.elements().iter().map(|e| (e.topic().to_owned(), e.partition())).collect();
                self.shared.in_group.set(self.shared.unsubscribed.load(Ordering::SeqCst));
                let lost = consumer.assignment_lost();
                blocking(|| self.give_up(consumer, &partitions, lost));
                if let Err(e) = consumer.unassign() {
                    tracing::error!(error = %e, "cannot give up the revoked partitions");
                }
                tracing::info!(partitions = tpl.count(), lost, "partitions revoked");
            }
            other => {
                tracing::error!(error = ?other, "rebalance error");
                self.shared.assignment().clear();
                let _ = consumer.unassign();
            }
        }
        self.shared.rebalances.send_modify(|n| *n += 1);
    }
}

/// The committed offsets of `tpl`'s partitions, failing when any partition
/// has an error of its own: librdkafka reports those (a coordinator not
/// yet known again after the broker was away, say) per partition with the
/// offset unset, which would read as "nothing committed" and hand the
/// partition to librdkafka's own start at the exact committed offset —
/// which a broker with the tansu quirks may never answer ([`crate::quirks`]).
fn committed_offsets(
    lookup: &rdkafka::ClientConfig,
    tpl: &TopicPartitionList,
) -> Result<TopicPartitionList, KafkaError> {
    let lookup: BaseConsumer = lookup.create()?;
    let committed = lookup.committed_offsets(tpl.clone(), Duration::from_secs(10))?;
    for elem in committed.elements() {
        elem.error()?;
    }
    Ok(committed)
}

/// Runs `f`, which blocks, without stalling the tokio worker it is called on.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl AckContext {
    /// Pauses the assigned partitions of the topics subscribed to only for
    /// the assignment's layout ([`super::AckingConsumer::subscribe_beside`]).
    fn pause_passive(&self, consumer: &BaseConsumer<Self>, tpl: &TopicPartitionList) {
        let mut passive = TopicPartitionList::new();
        for elem in tpl.elements().iter().filter(|e| self.shared.passive.iter().any(|t| t == e.topic())) {
            passive.add_partition(elem.topic(), elem.partition());
        }
        if passive.count() > 0 {
            if let Err(e) = consumer.pause(&passive) {
                tracing::warn!(error = %e, "cannot pause the partitions of topics not read here");
            }
        }
    }

    /// Revocation: stop what has not reached the outside, wait for what has
    /// (bounded), commit what is done, then forget the partitions.
    fn give_up(&self, consumer: &BaseConsumer<Self>, partitions: &[(String, i32)], lost: bool) {
        let leases = self.shared.leases.revoke(partitions);
        let on_worker = matches!(
            tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()),
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) | Err(_)
        );
        let timeout = if on_worker { self.shared.revoke_timeout } else { Duration::ZERO };
        let busy: usize = leases.iter().map(|l| l.busy_count()).sum();
        if busy > 0 && !wait_idle(&leases, timeout) {
            let left: usize = leases.iter().map(|l| l.busy_count()).sum();
            tracing::warn!(
                busy = left,
                timeout = ?timeout,
                "revoke timeout passed with work in progress; its outcome may be recorded after the next owner starts"
            );
        } else if busy > 0 {
            tracing::info!(busy, "work in progress finished before giving the partitions up");
        }
        if self.shared.closing.load(Ordering::SeqCst) {
            // The revocation of a closing consumer: a synchronous commit here
            // can wait forever on the group being torn down (librdkafka
            // #4041, #4884: calls into the group from this callback while
            // closing hang), and the owner has committed already
            // ([`AckingConsumer::commit_and_close`]). Whatever was stored
            // since goes with an asynchronous commit, which closing waits for.
            if !lost {
                let _ = consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Async);
            }
        } else if !lost {
            // A lost assignment's generation is over: the broker would refuse the commit.
            match consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync) {
                Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
                Err(e) => tracing::warn!(error = %e, "commit before giving partitions up failed"),
            }
        }
        let mut tracker = self.shared.tracker();
        for lease in &leases {
            // Under the tracker lock: an acknowledgement is either before this
            // (and stored above) or sees the lease released.
            lease.released().cancel();
        }
        let mut assignment = self.shared.assignment();
        for (topic, partition) in partitions {
            tracker.forget(topic, *partition);
            assignment.remove(&(topic.clone(), *partition));
        }
        drop(assignment);
        // Told under the tracker lock, like the leases released above; an
        // assignment not yet taken is void now.
        self.shared.inboxes.revoked(partitions);
        drop(tracker);
        super::handover::forget(&self.shared, partitions);
    }

    /// Starts every assigned partition that has a committed offset
    /// `rewind` records earlier, remembering where to resume.
    ///
    /// The committed offsets are asked for until the broker answers (up to
    /// [`COMMITTED_LOOKUP`]); if it never does, the partitions are read from
    /// their beginning — redone, never skipped: resuming "where the group left
    /// off" without the rewind would lose the rest of a batch on tansu.
    fn rewind(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) {
        let started = std::time::Instant::now();
        let mut delay = Duration::from_millis(200);
        let _ = consumer;
        let committed = loop {
            match committed_offsets(&self.shared.offsets, tpl) {
                Ok(c) => break Some(c),
                Err(e) if started.elapsed() < COMMITTED_LOOKUP => {
                    tracing::warn!(error = %e, retry_in = ?delay, "cannot read committed offsets, retrying");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read committed offsets; reading the assigned partitions from their beginning");
                    break None;
                }
            }
        };
        let mut resume_at = self.shared.resume_at.lock().unwrap_or_else(|e| e.into_inner());
        let mut assignment = self.shared.assignment();
        let Some(committed) = committed else {
            for elem in tpl.clone().elements() {
                resume_at.remove(&(elem.topic().to_owned(), elem.partition()));
                assignment.insert((elem.topic().to_owned(), elem.partition()), None);
                let _ = tpl.set_partition_offset(elem.topic(), elem.partition(), Offset::Beginning);
            }
            return;
        };
        for elem in committed.elements() {
            let key = (elem.topic().to_owned(), elem.partition());
            resume_at.remove(&key);
            let from = match elem.offset() {
                Offset::Offset(at) => Some(at),
                _ => None,
            };
            assignment.insert(key.clone(), from);
            tracing::debug!(topic = elem.topic(), partition = elem.partition(), committed = ?elem.offset(), "assigned");
            if let Offset::Offset(at) = elem.offset() {
                if at > 0 && self.shared.rewind > 0 {
                    let from = Offset::Offset((at - self.shared.rewind).max(0));
                    if tpl.set_partition_offset(elem.topic(), elem.partition(), from).is_ok() {
                        resume_at.insert(key, at);
                    }
                }
            }
        }
    }
}

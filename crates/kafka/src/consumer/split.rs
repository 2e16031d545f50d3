//! One consumer for many owners, each reading a topic of its own through
//! partition queues of their own: the senders' lanes, one consumer per lane
//! for every connection of a process instead of one per connection
//! (`docs/architecture.md`, "The senders' consumers").
//!
//! Every partition of a [`Reader`]'s topic is split off the consumer's
//! queue before the consumer subscribes (split then, they stay split while
//! the group takes them away and gives them back:
//! `crates/kafka/tests/partition_queues.rs`). librdkafka then applies its
//! prefetch bound (`queued.min.messages`, `queued.max.messages.kbytes`) to
//! each partition queue on its own: an owner that stops reading (a slow
//! connection) stops its own partitions' fetches and no other's. The
//! consumer's own queue still carries its events (rebalances among them),
//! so a task of the consumer reads it for as long as the consumer lives.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use std::task::Poll;

use futures::StreamExt;
use rdkafka::consumer::stream_consumer::{MessageStream, StreamPartitionQueue};
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::message::BorrowedMessage;
use rdkafka::{Message, Offset, TopicPartitionList};
use runtime::config::KafkaConfig;

use super::inbox::Inbox;
use super::{AckContext, AckingConsumer};
use crate::client::Error;
use crate::lease::{Lease, Ticket};

pub(super) type PartitionQueue = StreamPartitionQueue<AckContext>;

/// Reads one topic of a shared consumer ([`AckingConsumer::reader`]), or
/// all of a consumer that has one owner ([`AckingConsumer::whole`]): what
/// `kafka::dispatch` runs on.
pub struct Reader {
    consumer: Arc<AckingConsumer>,
    /// `None`: every topic, from the consumer's own queue.
    topic: Option<String>,
    queues: Vec<Arc<PartitionQueue>>,
    /// Which queue is asked first next time, in turn.
    turn: AtomicUsize,
    inbox: Arc<Inbox>,
    beat: Arc<counters::health::Beat>,
}

impl AckingConsumer {
    /// A consumer in `group` whose topics are read by [`Reader`]s, one per
    /// topic ([`AckingConsumer::reader`]). It subscribes only when told
    /// ([`AckingConsumer::subscribe_readers`]), after its readers are made.
    pub fn shared(config: &KafkaConfig, group: &str, extra: &[(&str, &str)]) -> Result<Arc<Self>, Error> {
        let made = Arc::new(Self::make(config, group, &[], extra, &[])?);
        // The consumer's own queue: events, and records of partitions not
        // split off (there should be none: every reader's are, before it
        // subscribes). Read for as long as the consumer lives.
        let weak = Arc::downgrade(&made.consumer);
        let group = group.to_owned();
        tokio::spawn(async move {
            let mut warned = std::collections::HashSet::new();
            loop {
                let Some(consumer) = weak.upgrade() else { break };
                match tokio::time::timeout(Duration::from_secs(1), consumer.recv()).await {
                    Err(_) => {}
                    Ok(Ok(m)) => {
                        // Not acknowledged: read again after the next restart.
                        if warned.insert((m.topic().to_owned(), m.partition())) {
                            tracing::error!(
                                %group,
                                topic = m.topic(),
                                partition = m.partition(),
                                "a partition without a reader, added to its topic since start-up (partition counts \
                                 must not change: docs/deploy.md, \"Scaling\"); it is read after the next restart"
                            );
                        }
                    }
                    Ok(Err(e)) => tracing::warn!(%group, error = %e, "consume error"),
                }
            }
        });
        Ok(made)
    }

    /// A reader of `topic` (`partitions` partitions) of this shared
    /// consumer. Its partitions are split off now: make it before the
    /// consumer subscribes to `topic`. A reader made again for a topic
    /// (its owner restarted) takes over the same queues. The queues of a
    /// topic no longer read (its owner removed) stay until
    /// [`AckingConsumer::close_readers`] empties them: dropping a queue
    /// with records in it would keep their partition referenced, and close
    /// would wait for it for ever.
    pub fn reader(self: &Arc<Self>, topic: &str, partitions: i32) -> Reader {
        let mut split = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let queues = (0..partitions)
            .filter_map(|p| {
                let key = (topic.to_owned(), p);
                if let Some(queue) = split.get(&key) {
                    return Some(queue.clone());
                }
                let queue = Arc::new(self.consumer.split_partition_queue(topic, p)?);
                split.insert(key, queue.clone());
                Some(queue)
            })
            .collect();
        drop(split);
        let stale_after = self.shared.revoke_timeout + super::COMMITTED_LOOKUP + Duration::from_secs(30);
        Reader {
            consumer: self.clone(),
            topic: Some(topic.to_owned()),
            queues,
            turn: AtomicUsize::new(0),
            inbox: self.shared.inboxes.register(Some(topic.to_owned())),
            beat: counters::health::beat(format!("kafka group {}: reader of {topic}", self.group), stale_after),
        }
    }

    /// The one reader of a consumer with one owner: every topic, from the
    /// consumer's own queue.
    pub fn whole(self: &Arc<Self>) -> Reader {
        Reader {
            consumer: self.clone(),
            topic: None,
            queues: Vec::new(),
            turn: AtomicUsize::new(0),
            inbox: self.inbox.clone(),
            beat: self.beat.clone(),
        }
    }

    /// Subscribes a shared consumer to `topics`, each with the group that
    /// read it before, if any ([`AckingConsumer::subscribe_after`]); called
    /// again with another list, it replaces the subscription (a rebalance).
    pub fn subscribe_readers(&self, topics: &[(String, Option<String>)]) -> Result<(), Error> {
        {
            let mut predecessors = self.shared.predecessors.lock().unwrap_or_else(|e| e.into_inner());
            predecessors.clear();
            for (topic, old) in topics {
                if let Some(old) = old {
                    predecessors.insert(topic.clone(), old.clone());
                }
            }
        }
        let names: Vec<&str> = topics.iter().map(|(t, _)| t.as_str()).collect();
        self.shared.unsubscribed.store(names.is_empty(), std::sync::atomic::Ordering::SeqCst);
        if names.is_empty() {
            self.consumer.unsubscribe();
            // Nothing to be given: not a reason to be unready.
            self.shared.in_group.set(true);
            return Ok(());
        }
        self.consumer
            .subscribe(&names)
            .map_err(|source| Error::Subscribe { topics: names.iter().map(|t| t.to_string()).collect(), source })
    }

    /// Shutdown of a shared consumer, once its readers are gone and after
    /// [`AckingConsumer::commit_and_close`]: leaves the group, waits (a
    /// while) for the revocation, then empties every partition queue before
    /// dropping it. A record left in a split queue keeps a reference to its
    /// partition, and librdkafka's close waits for those for ever
    /// (rust-rdkafka's drop polls until the consumer is closed).
    pub async fn close_readers(&self) {
        self.consumer.unsubscribe();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !self.shared.assignment().is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let queues: Vec<Arc<PartitionQueue>> =
            self.queues.lock().unwrap_or_else(|e| e.into_inner()).drain().map(|(_, q)| q).collect();
        let mut dropped = 0usize;
        for queue in &queues {
            while let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(20), queue.recv()).await {
                dropped += 1;
            }
        }
        tracing::debug!(group = %self.group, queues = queues.len(), dropped, "partition queues emptied");
    }
}

/// A loop's view of a [`Reader`]'s partition queues ([`Reader::incoming`]):
/// one stream per queue, made once. Asking a queue through a stream made
/// for the one record (`StreamPartitionQueue::recv`) registers a waker slot
/// and frees it again, under a lock each, for every queue on every record;
/// with four partitions that was 3 % of a bench process.
pub struct Incoming<'r> {
    reader: &'r Reader,
    streams: Vec<MessageStream<'r, AckContext>>,
    /// Which queue is asked first next time, in turn: none is starved.
    turn: usize,
}

impl<'r> Incoming<'r> {
    /// The next record, as [`Reader::recv`]. Cancel-safe: a record is taken
    /// off its queue only when it is returned.
    pub async fn recv(&mut self) -> Result<BorrowedMessage<'r>, KafkaError> {
        if self.streams.is_empty() {
            if self.reader.topic.is_some() {
                return std::future::pending().await;
            }
            return self.reader.consumer.recv().await;
        }
        loop {
            let message = std::future::poll_fn(|cx| {
                let n = self.streams.len();
                for i in 0..n {
                    let k = (self.turn + i) % n;
                    if let Poll::Ready(Some(m)) = self.streams[k].poll_next_unpin(cx) {
                        self.turn = (k + 1) % n;
                        return Poll::Ready(m);
                    }
                }
                Poll::Pending
            })
            .await?;
            if !self.reader.consumer.shared.skipped(&message) {
                return Ok(message);
            }
        }
    }
}

impl Reader {
    /// The next record of this reader's topic (of every topic, for a whole
    /// reader), skipping those a rewound partition re-reads before its
    /// committed offset (see [`crate::quirks`]). A loop that reads record
    /// after record reads through [`Reader::incoming`] instead.
    pub async fn recv(&self) -> Result<BorrowedMessage<'_>, KafkaError> {
        self.incoming().recv().await
    }

    /// This reader's queues for a loop that reads them record after record
    /// ([`Incoming`]).
    pub fn incoming(&self) -> Incoming<'_> {
        let streams: Vec<_> = self.queues.iter().map(|q| q.stream()).collect();
        // Each one-off reader starts at the next queue: none is starved.
        let turn = self.turn.fetch_add(1, Ordering::Relaxed) % streams.len().max(1);
        Incoming { reader: self, streams, turn }
    }

    /// The consumer this reads.
    pub fn consumer(&self) -> &Arc<AckingConsumer> {
        &self.consumer
    }

    /// The current lease of a partition (see [`AckingConsumer::lease`]).
    pub fn lease(&self, topic: &str, partition: i32) -> Arc<Lease> {
        self.consumer.lease(topic, partition)
    }

    /// See [`AckingConsumer::begin_under`].
    pub fn begin_under(&self, lease: &Arc<Lease>, offset: i64) -> Option<Ticket> {
        self.consumer.begin_under(lease, offset)
    }

    /// Partitions of this reader's topic revoked since the last call.
    pub fn take_revoked(&self) -> Vec<(String, i32)> {
        self.inbox.take_revoked()
    }

    /// Partitions of this reader's topic assigned since the last call.
    pub fn take_assigned(&self) -> Vec<(String, i32)> {
        self.inbox.take_assigned()
    }

    /// The loop reading this came round (see [`AckingConsumer::beat`]).
    pub fn beat(&self) {
        self.beat.touch();
    }

    /// Its owner stops: work of this reader's partitions that has not
    /// reached the outside stops (see [`crate::lease`]).
    pub fn withdraw_all(&self) {
        match &self.topic {
            Some(topic) => self.consumer.shared.leases.withdraw_topic(topic),
            None => self.consumer.withdraw_all(),
        }
    }

    /// Records begun and not yet acknowledged, of every topic of the consumer.
    pub fn in_flight(&self) -> usize {
        self.consumer.in_flight()
    }

    /// Its owner stopped, and the work it began is done or given up: each
    /// partition of the topic still assigned is read again from its first
    /// record not done (what was given up, and what was received but not
    /// begun), by the next reader of the topic. Nothing for a whole reader:
    /// its consumer closes.
    pub fn close(&self) {
        let Some(topic) = &self.topic else { return };
        let shared = &self.consumer.shared;
        let held: Vec<(i32, Option<i64>)> =
            shared.assignment().iter().filter(|((t, _), _)| t == topic).map(|((_, p), from)| (*p, *from)).collect();
        let waiting = shared.handovers.lock().unwrap_or_else(|e| e.into_inner()).waits(topic);
        let mut tpl = TopicPartitionList::new();
        {
            let mut tracker = shared.tracker();
            let mut resume_at = shared.resume_at.lock().unwrap_or_else(|e| e.into_inner());
            for (partition, from) in held {
                if waiting.contains(&partition) {
                    // Not read yet: it starts when its old group lets go.
                    continue;
                }
                let next = tracker.first_unfinished(topic, partition).or(from);
                tracker.forget(topic, partition);
                let offset = match next {
                    Some(at) if at > 0 && shared.rewind > 0 => {
                        resume_at.insert((topic.clone(), partition), at);
                        Offset::Offset((at - shared.rewind).max(0))
                    }
                    Some(at) => Offset::Offset(at),
                    None => Offset::Beginning,
                };
                if let Err(e) = tpl.add_partition_offset(topic, partition, offset) {
                    tracing::warn!(topic, partition, error = %e, "cannot read a partition again");
                }
            }
        }
        shared.leases.renew_topic(topic);
        if tpl.count() > 0 {
            let consumer = &self.consumer.consumer;
            if let Err(e) = crate::client::blocking(|| consumer.seek_partitions(tpl, Duration::from_secs(10))) {
                tracing::warn!(topic, error = %e, "cannot rewind the partitions of a stopped reader");
            }
        }
    }
}

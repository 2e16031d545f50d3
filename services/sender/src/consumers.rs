//! The senders' consumers: one per priority lane (`{prefix}.senders`,
//! `.senders.high`, `.senders.urgent`) for every connection of the process,
//! each connection reading its own queue topic of the lane through a
//! [`Reader`] of its own (`kafka::consumer::Reader`: partition queues split
//! off, so a slow connection stops its own fetches and no other's).
//!
//! One consumer per connection and lane cost four librdkafka threads and a
//! fetch every `fetch.wait.max.ms` each, busy or idle: at 200 connections,
//! 600 consumers kept most of two cores busy doing nothing. Here a process
//! has three, however many connections it sends for.
//!
//! Senders before these read each connection's lane in a group of its own
//! (`{prefix}.sender.{id}` and `.high`, `.urgent`): each topic is taken over
//! from that group (`AckingConsumer::subscribe_readers`), so in a rolling
//! update no queue is read by an old and a new replica at once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use events::Priority;
use kafka::consumer::Reader;
use kafka::AckingConsumer;
use runtime::config::{connection_sender_group, ConnectionConfig, KafkaConfig};

const LANES: [Priority; 3] = [Priority::Normal, Priority::High, Priority::Urgent];

/// The way back to a release with a group per connection and lane: each of
/// `connections`' queue topics, from its lane consumer's group to the
/// connection's own (`kafka::handback`, `smsgw hand-back`).
pub fn hand_back_moves(kafka: &KafkaConfig, connections: &[ConnectionConfig]) -> Vec<kafka::handback::Move> {
    let mut moves = Vec::new();
    for connection in connections {
        for (lane, topic) in kafka.topics.queues(&connection.id) {
            moves.push(kafka::handback::Move {
                topic,
                from: runtime::config::senders_group(&kafka.group_prefix, lane),
                to: connection_sender_group(&kafka.group_prefix, &connection.id, lane),
            });
        }
    }
    moves
}

/// One lane's consumer and the topics it reads.
struct Lane {
    group: String,
    consumer: Arc<AckingConsumer>,
    /// Each topic read, by connection, with the group that read it before.
    topics: BTreeMap<String, (String, String)>,
    /// What the consumer is subscribed to now (`None`: not yet told).
    subscribed: Option<Vec<String>>,
}

/// The lane consumers of a process.
pub struct Consumers {
    lanes: Mutex<Vec<Lane>>,
    group_prefix: String,
}

fn index(lane: Priority) -> usize {
    crate::lanes::index(lane)
}

impl Consumers {
    /// The three lane consumers, not subscribed yet. Each partition queue
    /// prefetches twice what the busiest connection works on at once.
    pub fn new(kafka: &KafkaConfig, connections: &[ConnectionConfig]) -> Result<Self, kafka::Error> {
        let most = connections.iter().map(ConnectionConfig::in_flight).max().unwrap_or(100);
        let prefetch = kafka::consumer::prefetch(2 * most);
        // Range assignment: partition p of every topic goes to one member.
        let mut extra = vec![("partition.assignment.strategy", "range")];
        extra.extend(prefetch.iter().map(|(k, v)| (*k, v.as_str())));
        let mut lanes = Vec::new();
        for lane in LANES {
            let group = runtime::config::senders_group(&kafka.group_prefix, lane);
            let consumer = AckingConsumer::shared(kafka, &group, &extra)?;
            lanes.push(Lane { group, consumer, topics: BTreeMap::new(), subscribed: None });
        }
        Ok(Consumers { lanes: Mutex::new(lanes), group_prefix: kafka.group_prefix.clone() })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Lane>> {
        self.lanes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The group of `lane`'s consumer.
    pub fn group(&self, lane: Priority) -> String {
        self.lock()[index(lane)].group.clone()
    }

    /// A reader of `connection`'s queue topic of `lane`; the topic is read
    /// once [`Consumers::subscribe`] comes next.
    pub fn reader(&self, lane: Priority, connection: &str, topic: &str, partitions: usize) -> Reader {
        let mut lanes = self.lock();
        let entry = &mut lanes[index(lane)];
        let old = connection_sender_group(&self.group_prefix, connection, lane);
        entry.topics.insert(topic.to_owned(), (connection.to_owned(), old));
        entry.consumer.reader(topic, i32::try_from(partitions).unwrap_or(i32::MAX))
    }

    /// Subscribes each lane's consumer to the topics of its readers, where
    /// they changed (a rebalance of the lane's group).
    pub fn subscribe(&self) -> Result<(), kafka::Error> {
        for lane in self.lock().iter_mut() {
            let wanted: Vec<String> = lane.topics.keys().cloned().collect();
            if lane.subscribed.as_ref() == Some(&wanted) {
                continue;
            }
            let topics: Vec<(String, Option<String>)> =
                lane.topics.iter().map(|(t, (_, old))| (t.clone(), Some(old.clone()))).collect();
            lane.consumer.subscribe_readers(&topics)?;
            tracing::info!(group = %lane.group, topics = wanted.len(), "lane consumer subscribed");
            lane.subscribed = Some(wanted);
        }
        Ok(())
    }

    /// `connection` was removed: its topics are read no more.
    pub fn remove(&self, connection: &str) -> Result<(), kafka::Error> {
        for lane in self.lock().iter_mut() {
            lane.topics.retain(|_, (c, _)| c != connection);
        }
        self.subscribe()
    }

    /// Shutdown, once every connection's sender stopped: final commits, and
    /// the consumers leave their groups.
    pub async fn close(&self) {
        let consumers: Vec<Arc<AckingConsumer>> = self.lock().iter().map(|l| l.consumer.clone()).collect();
        for consumer in consumers {
            consumer.commit_and_close();
            consumer.close_readers().await;
        }
    }
}

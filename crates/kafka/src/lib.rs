//! Kafka plumbing for smsgw: client construction, the at-least-once consumer
//! (offsets stored in order per partition, only after the outcome is recorded),
//! topic creation, W3C trace context in record headers, and how far this
//! process's consumers lag behind their topics ([`lag`]).
//!
//! Not business logic: routing and sending live in the services. Start with
//! [`consumer::AckingConsumer`], [`lease`] (giving partitions up cleanly in a
//! rebalance), [`offsets::OffsetTracker`] and [`producer::Producer`].
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod client;
pub mod consumer;
pub mod dispatch;
pub mod lag;
pub mod lease;
pub mod offsets;
pub mod producer;
pub mod quirks;
pub mod reachable;
pub mod recent;
pub mod restore;
pub mod trace;

pub use client::{check_copartitioned, ensure_topics, producer, watcher, Error, TopicSpec};
pub use consumer::AckingConsumer;
pub use dispatch::{Dispatch, StateTopic};
pub use lease::{Busy, Lease, Ticket};
pub use producer::{publish, Delivery, Outgoing, Producer, PublishError};
pub use rdkafka;
pub use recent::RecentIds;

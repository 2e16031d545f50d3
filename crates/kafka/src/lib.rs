//! Kafka plumbing for smsgw: client construction, the at-least-once consumer
//! (offsets stored in order per partition, only after the outcome is recorded),
//! topic creation, and W3C trace context in record headers.
//!
//! Not business logic: routing and sending live in the services. Start with
//! [`client::AckingConsumer`] and [`offsets::OffsetTracker`].
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod client;
pub mod dispatch;
pub mod offsets;
pub mod publish;
pub mod recent;
pub mod restore;
pub mod trace;

pub use client::{ensure_topics, producer, watcher, AckingConsumer, Error, TopicSpec};
pub use dispatch::{Dispatch, StateTopic};
pub use publish::{publish, Outgoing};
pub use rdkafka;
pub use recent::RecentIds;

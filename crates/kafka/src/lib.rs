//! Kafka plumbing for smsgw: client construction, the at-least-once consumer
//! (offsets stored in order per partition, only after the outcome is recorded),
//! topic creation, W3C trace context in record headers, and how far this
//! process's consumers lag behind their topics ([`lag`]).
//!
//! Not business logic: routing and sending live in the services. Start with
//! [`consumer::AckingConsumer`], [`lease`] (giving partitions up cleanly in a
//! rebalance), [`offsets::OffsetTracker`] and [`producer::Producer`].
//!
//! **Security.** Every client takes the librdkafka properties of
//! `kafka.properties` as they are (`security.protocol = "SASL_SSL"`,
//! `sasl.mechanism`, `sasl.username`, `sasl.password`, `ssl.ca.location`,
//! `ssl.certificate.location`, ...), so TLS and SASL are configured the way
//! librdkafka documents them (its `CONFIGURATION.md`). Before any role
//! starts, [`handshake::check`] connects once and ends start-up with the
//! cause when the TLS handshake or the SASL login is refused; librdkafka
//! alone would retry forever.
//!
//! **Which OpenSSL.** rdkafka's `ssl` feature builds librdkafka against the
//! system's OpenSSL (Debian's libssl-dev and pkg-config at build time, its
//! libssl3 at run time); `ssl-vendored` would compile OpenSSL from source
//! into the binary. The system's, because:
//! - security fixes: OpenSSL has several advisories a year; Debian ships
//!   them as libssl3 updates that reach a host with `apt-get upgrade` and an
//!   image with its next build, without a new smsgw. A vendored copy is
//!   fixed only by a Cargo.lock bump (openssl-src), a rebuild and a release;
//! - cost: the runtime image has libssl3 anyway (`ca-certificates` depends on
//!   `openssl`, which depends on it), so nothing is added there, while a
//!   vendored build adds OpenSSL's compilation (several minutes on 2 cores)
//!   to every clean build, CI's included;
//! - the price: the binary needs libssl3 (OpenSSL 3) on the machine, as it
//!   already needs the glibc it was built against: build and run on one
//!   Debian release (the Dockerfile does).
//!
//! With OpenSSL librdkafka also builds SASL PLAIN, SCRAM-SHA-256/512 and
//! OAUTHBEARER ([`builtin_features`] lists them). Of OAUTHBEARER only
//! librdkafka's unsecured test tokens work here
//! (`enable.sasl.oauthbearer.unsecure.jwt`): tokens from an identity
//! provider need the OIDC method (libcurl, rdkafka's `curl` feature) or a
//! token callback in our client contexts. That and GSSAPI (Kerberos, Cyrus
//! SASL) are left out: they would add libraries to the image for setups
//! nobody has asked for yet.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod client;
pub mod consumer;
pub mod delivery;
pub mod dispatch;
pub mod handback;
pub mod handshake;
pub mod lag;
pub mod lease;
pub mod offsets;
pub mod plain;
pub mod producer;
pub mod quirks;
pub mod reachable;
pub mod reader;
pub mod recent;
pub mod restore;
#[cfg(test)]
mod testing;
pub mod trace;

pub use client::{
    blocking, builtin_features, check_copartitioned, ensure_topics, partition_counts, tail, watcher, Error, TopicSpec,
};
pub use consumer::AckingConsumer;
pub use dispatch::{Dispatch, StateTopic};
pub use lease::{Busy, Lease, Ticket};
pub use plain::{producer, Pending, PlainProducer};
pub use producer::{Delivery, Outgoing, Producer, PublishError};
pub use rdkafka;
pub use recent::RecentIds;

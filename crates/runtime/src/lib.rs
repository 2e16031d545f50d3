//! Process plumbing shared by every smsgw role: configuration, telemetry and shutdown.
//!
//! Not protocol or Kafka code. Start with [`config::Settings`]: every component
//! receives the parts of it that it needs, explicitly, from `main`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod config;
pub mod logfile;
pub mod redact;
pub mod shutdown;
pub mod telemetry;

pub use config::Settings;

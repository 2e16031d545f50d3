//! Process plumbing shared by every smsgw role: configuration, telemetry and shutdown.
//!
//! Not protocol or Kafka code. Start with [`config::Settings`]: every component
//! receives the parts of it that it needs, explicitly, from `main`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod config;
pub mod logfile;
pub mod redact;
pub mod reload;
pub mod shutdown;
pub mod telemetry;

pub use config::Settings;

/// A name for one replica of a role in this process: the host (the pod's
/// name under Kubernetes), the process id and a counter, so two in one
/// process differ. Keys the records a replica writes about itself.
pub fn replica() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "smsgw".into());
    format!("{host}-{}-{}", std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed))
}

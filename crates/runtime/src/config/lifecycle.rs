//! `[lifecycle]`: start-up and shutdown.

use std::time::Duration;

use serde::Deserialize;

/// Start-up and shutdown.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LifecycleConfig {
    /// After SIGTERM, how long work in flight may take to record its outcome
    /// (what has not reached the outside is withdrawn at once). The process
    /// exits at the latest [`LifecycleConfig::EXIT_MARGIN`] after it: keep
    /// the orchestrator's grace period (`terminationGracePeriodSeconds`)
    /// above drain + 10 s.
    #[serde(with = "humantime_serde")]
    pub drain: Duration,
}

impl LifecycleConfig {
    /// Flushing the producers and unbinding after the drain, at most.
    pub const EXIT_MARGIN: Duration = Duration::from_secs(10);
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self { drain: Duration::from_secs(20) }
    }
}

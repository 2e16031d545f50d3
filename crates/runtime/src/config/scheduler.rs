//! `[scheduler]`: holding messages with a future `send_at` until they are
//! due (services/router/src/schedule). The delays of the level topics are
//! fixed in code, not configured: records already written to a level must
//! keep meaning the same delay after a configuration change.

use std::time::Duration;

use serde::Deserialize;

/// How scheduled messages are held and cancelled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerConfig {
    /// Records read ahead per partition of a level topic; a partition whose
    /// read-ahead is full is paused until half of it has left. Bounds the
    /// scheduler's memory, whatever is scheduled however far ahead.
    pub read_ahead: usize,
    /// How long after a cancel's `send_at` the cancel waits for its message
    /// to come due; then, if none came, the cancel is answered REJECTED
    /// `not_waiting`. Longer than the scheduler's lag behind the clock.
    #[serde(with = "humantime_serde")]
    pub cancel_grace: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self { read_ahead: 1000, cancel_grace: Duration::from_secs(60) }
    }
}

impl SchedulerConfig {
    pub(crate) fn validate(&self) -> Result<(), super::ConfigError> {
        if self.read_ahead < 2 {
            return Err(super::invalid("scheduler.read_ahead", "must be at least 2"));
        }
        if self.cancel_grace < Duration::from_secs(1) {
            return Err(super::invalid("scheduler.cancel_grace", "must be at least 1s"));
        }
        Ok(())
    }
}

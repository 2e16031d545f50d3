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
    /// Messages due within this are held in memory until `send_at` (what
    /// they need of the level topics is one or two long hops, and a quarter
    /// of it is the slack the scheduler may lag without sending late).
    /// At least 1.5 s is always held.
    #[serde(with = "humantime_serde")]
    pub hold: Duration,
    /// The most messages held in memory at once: beyond it, messages keep
    /// hopping through the short levels until 1.5 s before `send_at`.
    /// Bounds the hold's memory at any rate of scheduled messages.
    pub max_held: usize,
    /// How long after a cancel's `send_at` the cancel waits for its message
    /// to come due; then, if none came, the cancel is answered REJECTED
    /// `not_waiting`. Longer than the scheduler's lag behind the clock.
    #[serde(with = "humantime_serde")]
    pub cancel_grace: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            read_ahead: 1000,
            hold: Duration::from_secs(60),
            max_held: 100_000,
            cancel_grace: Duration::from_secs(60),
        }
    }
}

impl SchedulerConfig {
    pub(crate) fn validate(&self) -> Result<(), super::ConfigError> {
        if self.read_ahead < 2 {
            return Err(super::invalid("scheduler.read_ahead", "must be at least 2"));
        }
        if self.hold > Duration::from_secs(3600) {
            return Err(super::invalid("scheduler.hold", "must be at most 1h (it is held in memory)"));
        }
        if self.max_held == 0 {
            return Err(super::invalid("scheduler.max_held", "must be at least 1"));
        }
        if self.cancel_grace < Duration::from_secs(1) {
            return Err(super::invalid("scheduler.cancel_grace", "must be at least 1s"));
        }
        Ok(())
    }
}

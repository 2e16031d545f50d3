//! `[tracker]`: delivery-receipt correlation and inbound reassembly limits.

use std::time::Duration;

use serde::Deserialize;

/// Delivery-receipt correlation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrackerConfig {
    /// How long a receipt that arrived before its submit record waits for it;
    /// then it is published as unmatched.
    #[serde(with = "humantime_serde")]
    pub receipt_wait: Duration,
    /// How long a multi-part request waits for every segment's receipt; then
    /// its status is the worst known, missing segments counting as undeliverable.
    #[serde(with = "humantime_serde")]
    pub segment_timeout: Duration,
    /// Receipts held while waiting for their submit record, at most; beyond
    /// it a receipt is published unmatched at once (`smsgw_limit_reached_total`).
    pub max_waiting: usize,
    /// Of those, from one connection at most, so one noisy SMSC cannot push
    /// another connection's receipts out.
    pub max_waiting_per_connection: usize,
    /// Incomplete concatenated inbound messages held per connection, at
    /// most; beyond it that connection's oldest is published incomplete at
    /// once (nothing is dropped; `smsgw_limit_reached_total`).
    pub max_mo_sets_per_connection: usize,
    /// How long the parts of a concatenated inbound message wait for the
    /// rest; then what arrived is published, flagged incomplete.
    #[serde(with = "humantime_serde")]
    pub mo_timeout: Duration,
    /// How long a concluded receipt key is remembered after a restart, to
    /// tell a receipt the SMSC sends again (its acknowledgement was lost)
    /// from one that matches nothing. The matcher's restore starts no further
    /// back than this (or than the oldest submit still awaiting its receipt),
    /// so it reads what is still open, not the whole history of the topic.
    #[serde(with = "humantime_serde")]
    pub duplicate_window: Duration,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            receipt_wait: Duration::from_secs(600),
            duplicate_window: Duration::from_secs(3600),
            segment_timeout: Duration::from_secs(48 * 3600),
            max_waiting: 100_000,
            max_waiting_per_connection: 20_000,
            max_mo_sets_per_connection: 10_000,
            mo_timeout: Duration::from_secs(600),
        }
    }
}

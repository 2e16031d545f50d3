//! Simulator configuration and what the simulator observed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// How message ids are printed in submit_sm_resp and receipts.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IdFormat {
    /// `12345`
    #[default]
    Decimal,
    /// `3039` (lower case hex of the same number)
    Hex,
}

impl IdFormat {
    pub fn format(self, id: u64) -> String {
        match self {
            IdFormat::Decimal => id.to_string(),
            IdFormat::Hex => format!("{id:x}"),
        }
    }
}

/// Simulator behaviour.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Required bind credentials; any are accepted when `None`.
    pub credentials: Option<(String, String)>,
    /// Delay before each submit_sm_resp.
    pub latency: Duration,
    /// Percentage (0-100) of submits answered with ESME_RTHROTTLED.
    pub throttle_percent: u8,
    /// Percentage (0-100) of submits answered with `error_status`.
    pub error_percent: u8,
    /// The command_status used for injected errors.
    pub error_status: u32,
    /// Send delivery receipts: for every submit (`Always`), only when requested, or never.
    pub receipts: Receipts,
    /// Delay between submit and its receipt.
    pub receipt_delay: Duration,
    /// Format of ids in submit_sm_resp.
    pub id_format: IdFormat,
    /// Format of ids in receipts (the `id:` field and `receipted_message_id`).
    pub receipt_id_format: IdFormat,
    /// Keep a [`SubmitRecord`] per accepted or refused submit.
    pub record: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            credentials: None,
            latency: Duration::ZERO,
            throttle_percent: 0,
            error_percent: 0,
            error_status: smpp::status::ESME_RSYSERR,
            receipts: Receipts::Requested,
            receipt_delay: Duration::from_millis(100),
            id_format: IdFormat::Decimal,
            receipt_id_format: IdFormat::Decimal,
            record: true,
        }
    }
}

/// When receipts are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Receipts {
    Never,
    /// When `registered_delivery` asks for one (SMPP 3.4 §5.2.17).
    Requested,
    Always,
}

/// One submit_sm as the simulator saw it.
#[derive(Debug, Clone)]
pub struct SubmitRecord {
    pub at: Instant,
    pub system_id: String,
    pub bind: u64,
    pub source_addr: String,
    pub destination_addr: String,
    pub esm_class: u8,
    pub data_coding: u8,
    pub registered_delivery: u8,
    pub short_message: bytes::Bytes,
    pub tlvs: Vec<smpp::Tlv>,
    /// Empty unless `status` is 0.
    pub message_id: String,
    pub status: u32,
}

/// Counters and records, shared by every session of one simulator.
#[derive(Debug)]
pub struct SimState {
    next_id: AtomicU64,
    next_bind: AtomicU64,
    pub submits_ok: AtomicU64,
    pub submits_refused: AtomicU64,
    pub receipts_sent: AtomicU64,
    pub binds: AtomicU64,
    /// unbind requests received from ESMEs.
    pub unbinds: AtomicU64,
    records: Mutex<Vec<SubmitRecord>>,
    /// Bumped by [`SimState::drop_connections`]; sessions watch it.
    kills: tokio::sync::watch::Sender<u64>,
    /// deliver_sm waiting for, or routed to, receiver binds.
    pub(crate) deliveries: crate::deliver::Registry,
}

impl Default for SimState {
    fn default() -> Self {
        Self {
            next_id: AtomicU64::new(0),
            next_bind: AtomicU64::new(0),
            submits_ok: AtomicU64::new(0),
            submits_refused: AtomicU64::new(0),
            receipts_sent: AtomicU64::new(0),
            binds: AtomicU64::new(0),
            unbinds: AtomicU64::new(0),
            records: Mutex::new(Vec::new()),
            kills: tokio::sync::watch::channel(0).0,
            deliveries: Default::default(),
        }
    }
}

impl SimState {
    pub(crate) fn message_id(&self) -> u64 {
        // Start well above 0 so decimal and hex renderings differ visibly.
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1_000_000
    }

    pub(crate) fn bind_number(&self) -> u64 {
        self.next_bind.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn record(&self, r: SubmitRecord) {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).push(r);
    }

    /// A copy of every recorded submit, in arrival order.
    pub fn submits(&self) -> Vec<SubmitRecord> {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Drops every open session abruptly (no unbind, responses in flight
    /// lost), as a crashing SMSC or a broken network would.
    pub fn drop_connections(&self) {
        self.kills.send_modify(|k| *k += 1);
    }

    pub(crate) fn kill_signal(&self) -> tokio::sync::watch::Receiver<u64> {
        self.kills.subscribe()
    }

    /// Sends a mobile-originated deliver_sm to a receiver bind of `system_id`
    /// (held until one binds). `sm.esm_class` should be 0 (SMPP 3.4 §5.2.12).
    pub fn send_mo(&self, system_id: &str, sm: smpp::Sm) {
        self.deliveries.deliver(crate::deliver::Outgoing { system_id: system_id.to_owned(), sm });
    }

    /// Accepted submits so far.
    pub fn accepted(&self) -> u64 {
        self.submits_ok.load(Ordering::Relaxed)
    }
}

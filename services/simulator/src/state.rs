//! Simulator configuration and what the simulator observed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
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

impl std::str::FromStr for IdFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "decimal" => Ok(IdFormat::Decimal),
            "hex" => Ok(IdFormat::Hex),
            _ => Err("expected decimal or hex".into()),
        }
    }
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
    /// Delay before each submit_sm_resp (UCP: submit ACK/NACK; CIMD2: submit response).
    pub latency: Duration,
    /// Percentage (0-100) of submits answered with ESME_RTHROTTLED (UCP and
    /// CIMD2: their throttling error, see [`crate::errors`]).
    pub throttle_percent: u8,
    /// Percentage (0-100) of submits answered with `error_status`.
    pub error_percent: u8,
    /// The command_status used for injected errors. UCP and CIMD2 translate it
    /// to their own error codes ([`crate::errors`]).
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
    /// UCP only: the alphabet of the octets in AMsg (MT=3), in submits and in
    /// the OT 52 the simulator sends. GSM by default, as Kannel and most
    /// SMSCs use it; the EMI spec says IRA (see `ucp::ira`).
    pub ucp_alphabet: ucp::Alphabet,
    /// Percentage (0-100) of receipts that report the message undelivered
    /// (SMPP `UNDELIV`, UCP Dst 2, CIMD2 status code 3) instead of delivered.
    pub undelivered_percent: u8,
    /// Message ids cycle through this many values (0: never reused), as
    /// SMSCs with small id spaces do: a later message gets an id an earlier
    /// one still awaiting its receipt has.
    pub id_space: u64,
    /// Serve SMPP, UCP and CIMD2 over TLS with this configuration (made by
    /// `tls::server_config` from a certificate, its key and, to require
    /// client certificates, a CA); plain TCP when `None`.
    pub tls: Option<Arc<tls::rustls::ServerConfig>>,
    /// SMPP: binds allowed at once (0: any number), as SMSCs limit an
    /// account's sessions; one more is refused with ESME_RBINDFAIL.
    pub max_binds: u64,
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
            ucp_alphabet: ucp::Alphabet::Gsm,
            undelivered_percent: 0,
            id_space: 0,
            tls: None,
            max_binds: 0,
        }
    }
}

impl SimConfig {
    /// Decides a submit's fate with the configured percentages.
    pub(crate) fn roll(&self) -> Fate {
        let roll: u8 = rand::rng().random_range(0..100);
        if roll < self.throttle_percent {
            Fate::Throttle
        } else if roll < self.throttle_percent.saturating_add(self.error_percent) {
            Fate::Error
        } else {
            Fate::Accept
        }
    }

    /// The next message id number of `state`, within `id_space`.
    pub(crate) fn message_number(&self, state: &SimState) -> u64 {
        let n = state.message_id();
        match self.id_space {
            0 => n,
            space => 1_000_000 + (n - 1_000_000) % space,
        }
    }

    /// Whether a receipt reports delivery (else failure), by `undelivered_percent`.
    pub(crate) fn delivered(&self) -> bool {
        rand::rng().random_range(0..100u8) >= self.undelivered_percent
    }

    /// Whether an accepted submit gets a receipt; `requested` is what the
    /// submit asked for in its own protocol's terms.
    pub(crate) fn wants_receipt(&self, requested: bool) -> bool {
        match self.receipts {
            Receipts::Never => false,
            Receipts::Always => true,
            Receipts::Requested => requested,
        }
    }
}

/// What becomes of one submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    Accept,
    /// Refused as throttled (`throttle_percent`).
    Throttle,
    /// Refused with the injected error (`error_percent`, `error_status`).
    Error,
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

impl std::str::FromStr for Receipts {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "never" => Ok(Receipts::Never),
            "requested" => Ok(Receipts::Requested),
            "always" => Ok(Receipts::Always),
            _ => Err("expected never, requested or always".into()),
        }
    }
}

/// One submit as the simulator saw it. UCP and CIMD2 submits are recorded in
/// the same SMPP shape: `data_coding` 0 with unpacked GSM septets for text,
/// the UDH at the front of `short_message` with `esm_class` 0x40.
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
    /// Empty unless `status` is 0. UCP: `AdC:SCTS` as in the ACK; CIMD2:
    /// `destination:service centre timestamp` as in the submit response.
    pub message_id: String,
    /// The command_status sent; for UCP the NACK error code, for CIMD2 the
    /// 900 error code (0 when accepted).
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
    /// SMPP sessions bound now, the most ever bound at once, and binds
    /// refused for [`SimConfig::max_binds`].
    pub bound_now: AtomicU64,
    pub most_bound: AtomicU64,
    pub binds_refused: AtomicU64,
    /// Set by [`SimState::mute`]: sessions read but answer nothing, as a hung SMSC.
    muted: std::sync::atomic::AtomicBool,
    records: Mutex<Vec<SubmitRecord>>,
    /// Bumped by [`SimState::drop_connections`]; sessions watch it.
    kills: tokio::sync::watch::Sender<u64>,
    /// deliver_sm waiting for, or routed to, receiver binds.
    pub(crate) deliveries: crate::deliver::Registry,
    /// Destination → the last service centre time stamp given to a message
    /// for it (seconds since the epoch), so UCP's and CIMD2's message
    /// identity, destination + time stamp to the second, stays unique.
    last_stamp: Mutex<HashMap<String, u64>>,
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
            bound_now: AtomicU64::new(0),
            most_bound: AtomicU64::new(0),
            binds_refused: AtomicU64::new(0),
            muted: std::sync::atomic::AtomicBool::new(false),
            records: Mutex::new(Vec::new()),
            kills: tokio::sync::watch::channel(0).0,
            deliveries: Default::default(),
            last_stamp: Mutex::new(HashMap::new()),
        }
    }
}

impl SimState {
    pub(crate) fn message_id(&self) -> u64 {
        // Start well above 0 so decimal and hex renderings differ visibly.
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1_000_000
    }

    /// Counts one more session bound, unless `max` (0: no limit) are
    /// bound already: then counts a refusal and says false.
    pub(crate) fn take_bind(&self, max: u64) -> bool {
        let taken =
            self.bound_now.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (max == 0 || n < max).then_some(n + 1));
        match taken {
            Ok(before) => {
                self.most_bound.fetch_max(before + 1, Ordering::SeqCst);
                true
            }
            Err(_) => {
                self.binds_refused.fetch_add(1, Ordering::SeqCst);
                false
            }
        }
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

    /// A service centre time stamp (seconds since the epoch) for a message to
    /// `destination`: now, or one second after the last one given for the
    /// same destination, so (destination, time stamp) names one message — as
    /// an SMSC must for UCP (EMI 4.x §5.3.1, `AdC:SCTS`) and CIMD2 (021 +
    /// 060). A burst to one destination runs ahead of the clock.
    pub(crate) fn service_centre_time(&self, destination: &str) -> u64 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut last = self.last_stamp.lock().unwrap_or_else(|e| e.into_inner());
        if last.len() > 10_000 {
            // Entries at or behind the clock can no longer collide.
            last.retain(|_, t| *t >= now);
        }
        let stamp = last.get(destination).map_or(now, |&t| now.max(t + 1));
        last.insert(destination.to_owned(), stamp);
        stamp
    }

    /// Drops every open session abruptly (no unbind, responses in flight
    /// lost), as a crashing SMSC or a broken network would.
    pub fn drop_connections(&self) {
        self.kills.send_modify(|k| *k += 1);
    }

    /// While `on`, every session (and every new one) reads what arrives and
    /// answers nothing — no responses, no keep-alive answers, no logins — as
    /// an SMSC that hangs with its sockets open.
    pub fn mute(&self, on: bool) {
        self.muted.store(on, Ordering::Relaxed);
    }

    /// True while muted.
    pub fn is_muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }

    pub(crate) fn kill_signal(&self) -> tokio::sync::watch::Receiver<u64> {
        self.kills.subscribe()
    }

    /// Sends a mobile-originated message to a session of `system_id` (held
    /// until one binds or logs in): an SMPP receiver or transceiver bind gets
    /// it as deliver_sm, a UCP session logged in with OAdC `system_id` as OT 52,
    /// a CIMD2 session of user `system_id` as deliver message (20). `sm` is the
    /// canonical form: `esm_class` 0 (SMPP 3.4 §5.2.12) or 0x40 with a UDH in
    /// front, `data_coding` 0 with unpacked GSM septets, 8 for UCS-2, or
    /// another TS 23.038 value for binary.
    pub fn send_mo(&self, system_id: &str, sm: smpp::Sm) {
        self.deliveries.deliver(crate::deliver::Outgoing::new(system_id, crate::deliver::Delivery::Mo(sm)));
    }

    /// Accepted submits so far.
    pub fn accepted(&self) -> u64 {
        self.submits_ok.load(Ordering::Relaxed)
    }
}

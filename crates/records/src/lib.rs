//! Records that smsgw's roles exchange among themselves over Kafka (not a
//! public contract: applications read the Avro events in `schemas/`).
//!
//! - [`SubmitRecord`]: a segment the SMSC accepted, on the compacted
//!   `sms.submits` topic, keyed `{connection}:{id key}` — the tracker's state.
//! - [`ReceiptRecord`]: a delivery receipt as a sender received it, parsed and
//!   protocol-neutral, on `sms.deliver`, keyed like the submit record it answers.
//! - [`Outcome`] on `sms.segments`, keyed by request id, for the finaliser:
//!   one segment's final state ([`SegmentOutcome`]), or a terminal status
//!   decided without a receipt ([`Terminal`]: FAILED, EXPIRED, REJECTED).
//!
//! - [`MoPart`] on `sms.mo-parts`, keyed by [`MoPart::key`]: one part of a
//!   concatenated inbound message, until the tracker has them all.
//! - [`OptOut`] on the compacted `sms.optouts`: who opted out of messages from whom.
//! - [`LinkReport`] on the compacted `sms.links`, keyed `{connection}/{replica}`:
//!   each sender replica's view of each of its connections, every
//!   [`LINK_REPORT_INTERVAL`], for the router's failover and load sharing;
//!   [`links::Links`] is what they add up to.
//!
//! Versioned ([`codec`]): JSON (version 0, easiest to inspect with a console
//! consumer; every field added later must be optional), and for the records
//! written for every message a compact version 1 ([`compact`], Protocol
//! Buffers), chosen by `kafka.compact_records`. Readers take both.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod codec;
mod compact;
pub mod links;

pub use codec::{decode, encode_as, DecodeError, EncodeError, Format, Record};

use serde::{Deserialize, Serialize};

/// A record as JSON. Never an empty payload in place of one that failed:
/// the caller learns why and decides (a FAILED status, a dead letter).
pub fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(record)
}

/// The queue record header with the route the router took (JSON
/// `events::RouteInfo`); the sender copies it onto the request's events.
pub const ROUTE_HEADER: &str = "smsgw-route";

/// The queue record header saying where the request may be moved when its
/// connection stays down (JSON [`Reroute`]); absent: it waits for its connection.
pub const REROUTE_HEADER: &str = "smsgw-reroute";

/// A route's `reroute_after` and the group's other connections, in the
/// order the request may be handed to them (the route's order, starting
/// after the connection that holds it). Travels with the queue record, so
/// the decision taken when it was routed holds wherever it moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reroute {
    /// How long the connection holding the request has had no link before it moves.
    pub after_ms: u64,
    /// Where it may go, first that is up wins.
    pub to: Vec<String>,
}

impl Reroute {
    /// The header for the request once `to` holds it: the other connections,
    /// starting after `to` (so one that is down is tried last, not first).
    pub fn moved_to(&self, from: &str, to: &str) -> Reroute {
        let mut ring: Vec<String> = std::iter::once(from.to_owned()).chain(self.to.iter().cloned()).collect();
        let at = ring.iter().position(|c| c == to).unwrap_or(0);
        ring.rotate_left(at);
        ring.remove(0);
        Reroute { after_ms: self.after_ms, to: ring }
    }
}

/// How often a sender replica reports on each of its connections.
pub const LINK_REPORT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// One sender replica's view of one of its connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkReport {
    pub connection: String,
    /// Which replica reports (host name, process id and a counter).
    pub replica: String,
    /// Binds (SMPP), sessions (UCP, CIMD2) or links (HTTP, modem) up.
    pub binds: u32,
    /// Messages in the connection's queue topic not yet read by this replica.
    pub queue_lag: u64,
    /// Submits sent and not yet answered.
    pub window_in_use: u64,
    /// When the replica made the report (epoch ms).
    pub at: i64,
    /// The replica has stopped: its connection is down as far as it goes.
    #[serde(default)]
    pub stopped: bool,
}

impl LinkReport {
    /// A report of `binds` up, nothing waiting.
    pub fn new(connection: &str, replica: &str, binds: u32, at: i64) -> Self {
        LinkReport {
            connection: connection.into(),
            replica: replica.into(),
            binds,
            queue_lag: 0,
            window_in_use: 0,
            at,
            stopped: false,
        }
    }

    /// The record key: one per connection and replica, so compaction keeps the latest of each.
    pub fn key(&self) -> String {
        format!("{}/{}", self.connection, self.replica)
    }
}

/// A subscriber opting out of (or back in to) messages from a number, on
/// the compacted `sms.optouts`, keyed by [`OptOut::key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOut {
    /// The number the subscriber wrote to (digits, international where known).
    pub number: String,
    /// The subscriber (digits, international where known).
    pub subscriber: String,
    pub opted_out: bool,
    /// The inbound message that said so.
    pub inbound_id: String,
    pub at: i64,
}

impl OptOut {
    pub fn key(&self) -> String {
        format!("{}|{}", self.number, self.subscriber)
    }
}

/// One router replica's count of a tenant's requests on one (UTC) day, on
/// the compacted `sms.quotas`, keyed by [`QuotaCount::key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaCount {
    pub tenant: String,
    /// Days since 1970-01-01, UTC.
    pub day: i64,
    pub replica: String,
    pub count: u64,
}

impl QuotaCount {
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.tenant, self.day, self.replica)
    }
}

/// The key of submit records and receipts: connection id and normalised message id.
pub fn key(connection: &str, id_key: &str) -> String {
    format!("{connection}:{id_key}")
}

/// A segment accepted by the SMSC, remembered until its receipt arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitRecord {
    pub request_id: String,
    /// 1-based segment number and the request's segment count.
    pub segment: u16,
    pub segments: u16,
    pub connection: String,
    /// Every segment's message id, in order (so any segment's receipt can
    /// report the whole request's ids).
    pub message_ids: Vec<String>,
    pub submitted_at: i64,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub metadata: events::Metadata,
    /// W3C trace fields of the request, so the receipt continues its trace.
    #[serde(default)]
    pub trace: Vec<(String, String)>,
    /// The route the request took, for its later events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<events::RouteInfo>,
}

/// A delivery receipt, parsed at the edge so the tracker is protocol-neutral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    pub connection: String,
    /// The message id as the SMSC wrote it in the receipt.
    pub message_id: String,
    /// What the receipt says (`stat` in the record: `DELIVRD`, `UNDELIV`, ...).
    #[serde(rename = "stat")]
    pub state: ReceiptState,
    /// Whether the state is final (an intermediate ENROUTE/ACCEPTD is not).
    pub is_final: bool,
    /// The receipt's `err:` field, when present.
    #[serde(default)]
    pub err: Option<String>,
    /// `network_error_code` TLV as (network type, code).
    #[serde(default)]
    pub network_error: Option<(u8, u16)>,
    /// `done date`, epoch ms (UTC assumed), when present and valid.
    #[serde(default)]
    pub done_at: Option<i64>,
    pub received_at: i64,
}

/// What a [`ReceiptRecord`] says about its segment: the state the SMSC
/// reported, or one of the tracker's stand-ins for a receipt that cannot
/// come. Written as one word (`stat`), as records of older versions have it:
/// the state's Appendix B name, `NONE` or `KEYREUSE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptState {
    /// What the SMSC reported (each link maps its protocol's codes onto it).
    Reported(receipt::FinalState),
    /// No receipt within the tracker's `segment_timeout`.
    Missing,
    /// The SMSC gave the message id to a later message before this one's
    /// receipt came: it can no longer be told apart.
    Collided,
}

impl ReceiptState {
    /// The word in the record and in event texts (`stat:DELIVRD`).
    pub fn stat(self) -> &'static str {
        match self {
            ReceiptState::Reported(state) => state.stat(),
            ReceiptState::Missing => "NONE",
            ReceiptState::Collided => "KEYREUSE",
        }
    }

    /// Reads a record's word; a word no version wrote reads as UNKNOWN.
    pub fn from_stat(stat: &str) -> ReceiptState {
        match stat {
            "NONE" => ReceiptState::Missing,
            "KEYREUSE" => ReceiptState::Collided,
            other => {
                ReceiptState::Reported(receipt::FinalState::from_stat(other).unwrap_or(receipt::FinalState::Unknown))
            }
        }
    }

    /// The status it means for the message: DELIVERED, EXPIRED, or UNDELIVERABLE for the rest.
    pub fn status(self) -> events::Status {
        match self {
            ReceiptState::Reported(receipt::FinalState::Delivered) => events::Status::Delivered,
            ReceiptState::Reported(receipt::FinalState::Expired) => events::Status::Expired,
            _ => events::Status::Undeliverable,
        }
    }
}

impl Serialize for ReceiptState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.stat())
    }
}

impl<'de> Deserialize<'de> for ReceiptState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ReceiptState::from_stat(&String::deserialize(deserializer)?))
    }
}

/// One segment's final state, for aggregation by request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentOutcome {
    pub submit: SubmitRecord,
    pub receipt: ReceiptRecord,
}

/// A terminal status decided by the router or a sender, published by the
/// finaliser so that a request gets exactly one terminal status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terminal {
    pub event: events::StatusEvent,
    /// W3C trace fields of the request.
    #[serde(default)]
    pub trace: Vec<(String, String)>,
}

/// What the finaliser consumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Outcome {
    Segment(SegmentOutcome),
    Terminal(Terminal),
}

impl Outcome {
    pub fn request_id(&self) -> &str {
        match self {
            Outcome::Segment(s) => &s.submit.request_id,
            Outcome::Terminal(t) => &t.event.request_id,
        }
    }
}

/// The header naming a status event's status on the status topic
/// (`SUBMITTED`, `DELIVERED`, ...), so readers can tell terminal statuses
/// without decoding the event.
pub const STATUS_HEADER: &str = "smsgw-status";

/// A marker on the finals topic, keyed by request id: the request has its
/// final event. `floor` is a status-topic offset at or below every final
/// event its writer may still have had in flight without a marker (see
/// `tracker::aggregate`); absent in markers of older versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<i64>,
}

/// A marker on the compacted done topic (`sms.done`), keyed by request id:
/// the request of `connection`'s lane `priority` has its outcome
/// (`status`, a status symbol), or was handed to connection `to`
/// (`status` REROUTED). Markers of the normal lane carry no `priority`, as
/// all did before there were lanes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoneMarker {
    pub connection: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "is_normal")]
    pub priority: events::Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

fn is_normal(priority: &events::Priority) -> bool {
    *priority == events::Priority::Normal
}

/// The header the finaliser puts on every event it publishes: the
/// request's final event (a terminal status, or SUBMITTED for a request that
/// expects no receipt). Its restore finds finalised requests by it, and
/// applications can use it to know a request is over.
pub const FINAL_HEADER: &str = "smsgw-final";

/// How bad a final status is, for "the worst outcome" of a multi-part message.
pub fn severity(status: events::Status) -> u8 {
    match status {
        events::Status::Delivered => 0,
        events::Status::Expired => 1,
        _ => 2,
    }
}

/// One part of a concatenated mobile-originated message, as a sender
/// received it: concatenation info from the UDH (TS 23.040 §9.2.3.24.1/.8) or
/// the SAR TLVs (SMPP 3.4 §5.3.2.22-24), and the user data still encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoPart {
    pub connection: String,
    pub from: String,
    pub to: String,
    /// Concatenation reference, part count and 1-based part number.
    pub reference: u16,
    pub total: u8,
    pub seq: u8,
    pub data_coding: u8,
    /// National language shift tables named in the part's UDH (TS 23.040
    /// §9.2.3.24.15/16) as language ids, locking and single.
    #[serde(default)]
    pub locking_shift: Option<u8>,
    #[serde(default)]
    pub single_shift: Option<u8>,
    /// User data without the UDH.
    pub body: Vec<u8>,
    #[serde(default)]
    pub smsc_timestamp: Option<i64>,
    pub received_at: i64,
}

impl MoPart {
    /// Parts of one message share this key (and so a partition): the
    /// reference is only unique per originator and recipient.
    pub fn key(&self) -> String {
        format!("{}:{}:{}:{}:{}", self.connection, self.from, self.to, self.reference, self.total)
    }
}

#[cfg(test)]
mod tests;

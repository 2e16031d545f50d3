//! Plain Rust domain types, one per Avro record. No Avro in here: decoding
//! (through `apache_avro::types::Value`) lives in `request`, `status` and
//! `inbound`, encoding in `direct_encode`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC (Avro `timestamp-millis`).
pub type EpochMillis = i64;

/// Free-form string key/values, echoed from request to events.
pub type Metadata = BTreeMap<String, String>;

/// Text encoding preference of a send request (Avro enum `io.smsgw.Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// GSM 7-bit when every character fits, UCS-2 otherwise.
    #[default]
    Auto,
    /// GSM 03.38 7-bit default alphabet (with extension table).
    Gsm7,
    /// UCS-2 / UTF-16BE, 70 characters per single SMS.
    Ucs2,
    /// ISO-8859-1 (data_coding 3), for SMSCs that support it.
    Latin1,
    /// Raw bytes from `payload`; no text encoding.
    Binary,
}

impl Encoding {
    /// The `text` crate's name for this preference.
    pub fn preference(self) -> text::Preference {
        match self {
            Encoding::Auto => text::Preference::Auto,
            Encoding::Gsm7 => text::Preference::Gsm7,
            Encoding::Ucs2 => text::Preference::Ucs2,
            Encoding::Latin1 => text::Preference::Latin1,
            Encoding::Binary => text::Preference::Binary,
        }
    }
}

impl Encoding {
    /// The Avro enum symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Encoding::Auto => "AUTO",
            Encoding::Gsm7 => "GSM7",
            Encoding::Ucs2 => "UCS2",
            Encoding::Latin1 => "LATIN1",
            Encoding::Binary => "BINARY",
        }
    }

    /// Position of the symbol in the Avro enum.
    pub(crate) fn index(self) -> u32 {
        self as u32
    }

    pub(crate) fn from_symbol(symbol: &str) -> Option<Encoding> {
        Some(match symbol {
            "AUTO" => Encoding::Auto,
            "GSM7" => Encoding::Gsm7,
            "UCS2" => Encoding::Ucs2,
            "LATIN1" => Encoding::Latin1,
            "BINARY" => Encoding::Binary,
            _ => return None,
        })
    }
}

/// How urgent a request is; higher is sent first (Avro `int`, 0..=2).
///
/// Ordering follows urgency: `Normal < High < Urgent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// 0: bulk and marketing traffic.
    #[default]
    Normal = 0,
    /// 1: notifications and alerts.
    High = 1,
    /// 2: one-time passwords and 2FA codes; overtakes everything else.
    Urgent = 2,
}

impl Priority {
    /// The value on the wire.
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// `None` for values outside 0..=2.
    pub fn from_i32(value: i32) -> Option<Priority> {
        match value {
            0 => Some(Priority::Normal),
            1 => Some(Priority::High),
            2 => Some(Priority::Urgent),
            _ => None,
        }
    }
}

/// A request to send one SMS (`io.smsgw.SendRequest`).
///
/// A value returned by [`crate::decode_request`] has passed [`SendRequest::validate`]:
/// exactly one of `text` / `payload` is set, `payload` implies
/// [`Encoding::Binary`], `data_coding` only accompanies a payload.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SendRequest {
    /// Idempotency key; echoed as `request_id` on every status event.
    pub id: String,
    /// Destination number as given by the producer (normalised by the router).
    pub to: String,
    /// Sender id; `None` lets the route choose.
    pub from: Option<String>,
    /// Message text.
    pub text: Option<String>,
    /// Raw binary payload.
    pub payload: Option<Vec<u8>>,
    /// Data coding for a binary payload; `None` means 8-bit data (0x04).
    pub data_coding: Option<u8>,
    /// Text encoding preference.
    pub encoding: Encoding,
    /// Higher is sent first.
    pub priority: Priority,
    /// Not sent before this instant.
    pub send_at: Option<EpochMillis>,
    /// Not submitted after this instant; passed on as the validity period.
    pub expires_at: Option<EpochMillis>,
    /// Whether to ask the SMSC for a delivery report.
    pub delivery_report: bool,
    /// Route hint: connection or route name.
    pub connection: Option<String>,
    /// Flash SMS (class 0).
    pub flash: bool,
    /// Tenant / account.
    pub tenant: Option<String>,
    /// Echoed on every status event.
    pub metadata: Metadata,
}

/// Lifecycle state of a send request (Avro enum `io.smsgw.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Validated and queued for a connection.
    Accepted,
    /// Every segment acknowledged by the SMSC.
    Submitted,
    /// Delivery report: delivered to the handset. Terminal.
    Delivered,
    /// Delivery report: cannot be delivered. Terminal.
    Undeliverable,
    /// Validity ran out, before submit or at the SMSC. Terminal.
    Expired,
    /// Invalid request, or permanently refused by the SMSC. Terminal.
    Rejected,
    /// Gave up after temporary errors. Terminal.
    Failed,
}

impl Status {
    /// Every status, in Avro symbol order.
    pub const ALL: [Status; 7] = [
        Status::Accepted,
        Status::Submitted,
        Status::Delivered,
        Status::Undeliverable,
        Status::Expired,
        Status::Rejected,
        Status::Failed,
    ];

    /// Whether no further status follows for this request.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Status::Accepted | Status::Submitted)
    }

    /// The Avro enum symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Accepted => "ACCEPTED",
            Status::Submitted => "SUBMITTED",
            Status::Delivered => "DELIVERED",
            Status::Undeliverable => "UNDELIVERABLE",
            Status::Expired => "EXPIRED",
            Status::Rejected => "REJECTED",
            Status::Failed => "FAILED",
        }
    }

    pub(crate) fn index(self) -> u32 {
        self as u32
    }

    pub(crate) fn from_symbol(symbol: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.symbol() == symbol)
    }
}

/// Why a message was rejected, failed or not delivered (Avro record `io.smsgw.Error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// The normalised reason (`throttled`, `invalid_destination`, ...).
    pub code: crate::ErrorCode,
    /// The protocol's own code (SMPP command_status, DLR `err:`, ...).
    pub protocol_code: Option<i32>,
    /// Human-readable detail.
    pub text: String,
}

/// How a request's connection was chosen (Avro record `io.smsgw.Route`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteInfo {
    /// The `[[routes]]` rule that matched; `None` when no rule chose.
    pub id: Option<String>,
    /// Why the message went to another connection than the rule's first
    /// choice, or moved after it was queued (failover, reroute).
    pub reason: Option<String>,
}

/// One step in the lifecycle of a send request (`io.smsgw.StatusEvent`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEvent {
    /// The request's `id`.
    pub request_id: String,
    /// Where the request is now.
    pub status: Status,
    /// Connection it was routed to, once known.
    pub connection: Option<String>,
    /// SMSC message ids, one per segment, in segment order.
    pub message_ids: Vec<String>,
    /// Segment count; 0 before segmentation.
    pub segments: u16,
    /// Reason for a failure status.
    pub error: Option<ErrorInfo>,
    /// When smsgw observed this step.
    pub timestamp: EpochMillis,
    /// When the SMSC acknowledged the submit.
    pub submitted_at: Option<EpochMillis>,
    /// Done date from the delivery report, or when the terminal state was reached.
    pub done_at: Option<EpochMillis>,
    /// Echo of the request's tenant.
    pub tenant: Option<String>,
    /// Echo of the request's metadata.
    pub metadata: Metadata,
    /// The route taken, once routed.
    #[serde(default)]
    pub route: Option<RouteInfo>,
}

impl StatusEvent {
    /// An event with only the required fields set.
    pub fn new(request_id: impl Into<String>, status: Status, timestamp: EpochMillis) -> StatusEvent {
        StatusEvent {
            request_id: request_id.into(),
            status,
            connection: None,
            message_ids: Vec::new(),
            segments: 0,
            error: None,
            timestamp,
            submitted_at: None,
            done_at: None,
            tenant: None,
            metadata: Metadata::new(),
            route: None,
        }
    }
}

/// A mobile-originated message, reassembled (`io.smsgw.InboundMessage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// Unique id assigned by smsgw.
    pub id: String,
    /// Connection it arrived on.
    pub connection: String,
    /// Originator address.
    pub from: String,
    /// Destination address.
    pub to: String,
    /// Decoded text, if the data coding is textual.
    pub text: Option<String>,
    /// Raw user data when binary or undecodable.
    pub payload: Option<Vec<u8>>,
    /// Data coding scheme as received.
    pub data_coding: u8,
    /// Number of segments reassembled.
    pub segments: u16,
    /// Service centre timestamp.
    pub smsc_timestamp: Option<EpochMillis>,
    /// When the last segment was received.
    pub received_at: EpochMillis,
    /// Protocol extras.
    pub metadata: Metadata,
}

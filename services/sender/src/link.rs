//! The contract between a connection's sender and its links to the network,
//! whatever the protocol (SMPP binds, UCP/EMI, CIMD2, HTTP requests; GSM
//! modems plug in the same way).
//!
//! Outbound, a link takes [`Submission`]s — one segment each, already encoded
//! and split by the `text` crate — from the connection's [`crate::pool`] and
//! answers each with an [`Answer`] whose [`Verdict`] the link derives from its
//! protocol's status codes, so retry and failure policy stays protocol-free.
//! Inbound, a link hands every delivery report and mobile-originated message
//! to the sender as an [`Incoming`] with a way to acknowledge it once it is
//! recorded on the broker.

use bytes::Bytes;
use events::ErrorCode;
use receipt::FinalState;
use tokio::sync::oneshot;

/// How an address is numbered (the SMPP TON/NPI pairs, UCP OTON/ONPI, a modem's type of address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// E.164 digits without `+` (TON 1 / NPI 1).
    International,
    /// Digits in the connection's national format (its configured TON/NPI).
    National,
    /// A sender name (TON 5 / NPI 0; UCP OTOA 5039).
    Alphanumeric,
}

/// A source or destination address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Digits (no `+`) or the name.
    pub value: String,
    pub numbering: Numbering,
}

impl Address {
    /// `+digits` is international, digits are national, anything else is a name.
    pub fn parse(s: &str) -> Address {
        match s.strip_prefix('+') {
            Some(d) if !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()) => {
                Address { value: d.to_owned(), numbering: Numbering::International }
            }
            _ if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => {
                Address { value: s.to_owned(), numbering: Numbering::National }
            }
            _ => Address { value: s.to_owned(), numbering: Numbering::Alphanumeric },
        }
    }
}

/// One segment to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// `None` leaves the source to the SMSC.
    pub source: Option<Address>,
    pub destination: Address,
    /// TS 23.038 data coding scheme (SMPP `data_coding` values; 0 = GSM 7-bit).
    pub data_coding: u8,
    /// The complete UDH, UDHL first, when the segment has one.
    pub udh: Option<Bytes>,
    /// The user data after the UDH: unpacked septets for GSM 7-bit, octets otherwise.
    pub payload: Bytes,
    /// `(reference, total, seq)` when parts are tied by SAR parameters instead of a UDH.
    pub sar: Option<(u16, u8, u8)>,
    /// The whole message in one submission; the SMSC splits it (SMPP `message_payload`).
    pub whole: bool,
    /// A delivery report is requested.
    pub receipt: bool,
    /// The request id (with `-N` for segment N of several): stable across
    /// retries, for APIs that take a client reference (HTTP `{reference}`).
    pub reference: String,
    /// The SMSC should stop trying after this instant (epoch ms).
    pub expires_at: Option<i64>,
}

#[cfg(test)]
impl Submission {
    /// The segment the adapters' tests start from: from `ACME` to
    /// +4915112345678, a receipt requested, reference `r`; tests change
    /// what they look at with `..Submission::test(..)`.
    pub(crate) fn test(data_coding: u8, payload: &[u8], udh: Option<&[u8]>) -> Self {
        Submission {
            source: Some(Address::parse("ACME")),
            destination: Address::parse("+4915112345678"),
            data_coding,
            udh: udh.map(Bytes::copy_from_slice),
            payload: Bytes::copy_from_slice(payload),
            sar: None,
            whole: false,
            receipt: true,
            reference: "r".into(),
            expires_at: None,
        }
    }
}

/// True when an SMSC's error text says it is throttling. UCP and CIMD2
/// have no throttling code: SMSCs send a general refusal (UCP EC 04, CIMD2
/// error 9) with text such as `throttling` or `Throttled`, which is the only
/// thing telling it apart.
pub fn says_throttling(text: &str) -> bool {
    text.to_ascii_lowercase().contains("throttl")
}

/// What the sender does about an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// The SMSC wants us slower: pause the connection and retry, not counted as an attempt.
    Throttled,
    /// Worth retrying with backoff, up to `max_retries`.
    Temporary,
    /// Retrying cannot help: the message FAILS.
    Permanent,
}

/// The SMSC's answer to one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub verdict: Verdict,
    /// The SMSC's message id (empty unless accepted).
    pub message_id: String,
    /// The protocol's own status or error code (0 when accepted).
    pub protocol_code: i32,
    /// The normalised error code published in status events (none when accepted).
    pub error_code: Option<ErrorCode>,
    /// The protocol's name for the code, for logs and event texts.
    pub text: String,
}

impl Answer {
    /// An accepted submission.
    pub fn accepted(message_id: String) -> Answer {
        Answer { verdict: Verdict::Accepted, message_id, protocol_code: 0, error_code: None, text: String::new() }
    }

    /// The error code's name; empty when accepted.
    pub fn code(&self) -> &str {
        self.error_code.as_ref().map_or("", ErrorCode::as_str)
    }
}

/// Why a submission got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The link went away with the submission in flight (or before it was sent).
    /// The SMSC may or may not have accepted it.
    #[error("connection lost before a response arrived")]
    ConnectionLost,
    /// No response within `response_timeout`.
    #[error("no response within the response timeout")]
    Timeout,
    /// The submission never reached the SMSC (its link ended first): retry freely.
    #[error("not sent: the link ended before the submission went out")]
    NotSent,
    /// The SMSC rejected the request as a whole (SMPP generic_nack, a CIMD2
    /// NACK or general error response), with the protocol's error code when
    /// it gave one.
    #[error("negative acknowledgement{}", .0.map(|c| format!(" with code {c}")).unwrap_or_default())]
    Nack(Option<i32>),
    /// The message's validity ran out while it waited for a link.
    #[error("expired before it could be submitted")]
    Expired,
    /// The pool is shutting down.
    #[error("connection is shutting down")]
    Closed,
    /// Not sent: its request's partition is being given up in a rebalance,
    /// and the next owner sends it.
    #[error("withdrawn: the request's partition went to another owner before it was sent")]
    Withdrawn,
    /// The link's protocol cannot carry this submission (a character its
    /// alphabet lacks, SAR over a UDH-only protocol): retrying cannot help.
    #[error("{0}")]
    Unsupported(String),
}

/// A delivery report, parsed by the link, protocol-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The message id as the SMSC wrote it in the report.
    pub message_id: String,
    /// The state it reports, mapped from the protocol's own code.
    pub state: FinalState,
    /// Whether the state is final (the link says: a UCP or CIMD2 report
    /// of an unknown state ends the wait, an SMPP UNKNOWN does not).
    pub is_final: bool,
    /// The protocol's error field, when present.
    pub err: Option<String>,
    /// Network error as (network type, code), when present.
    pub network_error: Option<(u8, u16)>,
    /// When the message reached its final state (epoch ms), when known.
    pub done_at: Option<i64>,
}

/// A mobile-originated message (or one part of one) as a link received it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MoUnit {
    pub from: String,
    pub to: String,
    pub data_coding: u8,
    /// The user data starts with a UDH (SMPP UDHI, TP-UDHI).
    pub udhi: bool,
    /// User data, UDH included when `udhi`.
    pub user_data: Bytes,
    /// `(reference, total, seq)` from SAR parameters, when the protocol carries them.
    pub sar: Option<(u16, u8, u8)>,
    /// Service centre timestamp (epoch ms), when the protocol carries one.
    pub smsc_timestamp: Option<i64>,
    /// The text, when the protocol delivers text rather than coded user data
    /// (UCP AMsg, CIMD2 user data): then `user_data` holds only the UDH, if any.
    pub text: Option<String>,
}

/// What a link received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Report(Report),
    Mo(MoUnit),
}

/// Whether the sender recorded an [`Incoming`]: the link answers the SMSC accordingly
/// (a refusal makes the SMSC deliver it again later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    Recorded,
    Refused,
}

/// An [`Incoming`] with the way to acknowledge it.
pub struct Delivered {
    pub incoming: Incoming,
    /// Answered once the record is on the broker; dropped unanswered means refused.
    pub ack: oneshot::Sender<Ack>,
    /// The exchange's span (see [`crate::exchange::delivered`]).
    pub span: tracing::Span,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_read_from_the_text() {
        assert!(says_throttling("Throttling"));
        assert!(says_throttling("request throttled, slow down"));
        assert!(!says_throttling("system error"));
    }

    #[test]
    fn addresses_by_form() {
        assert_eq!(Address::parse("+4915112345678").numbering, Numbering::International);
        assert_eq!(Address::parse("+4915112345678").value, "4915112345678");
        assert_eq!(Address::parse("015112345678").numbering, Numbering::National);
        assert_eq!(Address::parse("ACME").numbering, Numbering::Alphanumeric);
        assert_eq!(Address::parse("+").numbering, Numbering::Alphanumeric);
    }
}

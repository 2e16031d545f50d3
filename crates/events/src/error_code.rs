//! The normalised reasons in status events (`error.code`): one enum from the
//! role that decides a reason to the event that carries it, written as its
//! snake_case name only where it leaves the process (Avro, JSON records).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// Why a request was rejected, failed or not delivered: what an
        /// application may act on. The protocol's own code travels beside it
        /// (`ErrorInfo::protocol_code`).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
            /// A code this version does not know (written by a newer one).
            Other(String),
        }

        impl ErrorCode {
            /// Every code this version writes.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// Its name in events: `invalid_destination`, ...
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                    ErrorCode::Other(name) => name,
                }
            }

            /// The code named `name`; [`ErrorCode::Other`] for a name this version does not know.
            pub fn parse(name: &str) -> ErrorCode {
                match name {
                    $($name => ErrorCode::$variant,)*
                    other => ErrorCode::Other(other.to_owned()),
                }
            }
        }
    };
}

codes! {
    /// The request is malformed (a field missing, too long, of the wrong type).
    InvalidRequest = "invalid_request",
    /// The recipient is not a number that can receive SMS (or the SMSC says so).
    InvalidDestination = "invalid_destination",
    /// The sender address cannot be carried or the SMSC refuses it.
    InvalidSource = "invalid_source",
    /// The text cannot be encoded as asked (or the SMSC refuses it).
    InvalidText = "invalid_text",
    /// A character the chosen encoding lacks.
    UnencodableText = "unencodable_text",
    /// More segments than `max_segments`.
    TooLong = "too_long",
    /// The SMSC refused the message length.
    InvalidLength = "invalid_length",
    /// The SMSC refused the validity period.
    InvalidExpiry = "invalid_expiry",
    /// The recipient is on a block list (or off an allow list).
    Blocked = "blocked",
    /// The recipient opted out of messages from this sender.
    OptedOut = "opted_out",
    /// No route matches, or the connection asked for is not one of the route's.
    NoRoute = "no_route",
    /// The tenant's quota for the day is used up.
    QuotaExceeded = "quota_exceeded",
    /// The request's metadata is over the size limit.
    MetadataTooLarge = "metadata_too_large",
    /// The broker refused the request's queue record.
    QueueRefused = "queue_refused",
    /// A scheduled message was cancelled.
    Cancelled = "cancelled",
    /// A cancellation came after the message was released.
    TooLate = "too_late",
    /// A cancellation named a message that is not waiting.
    NotWaiting = "not_waiting",
    /// The validity ran out before it was sent, or the SMSC reports it expired.
    Expired = "expired",
    /// The SMSC reports the message undeliverable.
    Undeliverable = "undeliverable",
    /// No delivery receipt within the tracker's `segment_timeout`.
    ReceiptTimeout = "receipt_timeout",
    /// The SMSC reused the message id before the receipt came.
    ReceiptKeyCollision = "receipt_key_collision",
    /// The SMSC or API asked us to slow down.
    Throttled = "throttled",
    /// The SMSC or API refused the message or the account.
    RefusedBySmsc = "refused_by_smsc",
    /// The SMSC answered with another error.
    SmscError = "smsc_error",
    /// The connection to the SMSC or API could not be made.
    ConnectionFailed = "connection_failed",
    /// The connection went away after the message was sent: the SMSC may have it.
    ConnectionLost = "connection_lost",
    /// No answer within `response_timeout`: the SMSC may have it.
    ResponseTimeout = "response_timeout",
    /// Accepted without a message id (`missing_message_id = "failed"`).
    NoMessageId = "no_message_id",
    /// The connection's protocol cannot carry the message.
    Unsupported = "unsupported",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares by name, as the code reads in an event (`code == "no_route"`).
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ErrorCode::parse(&String::deserialize(deserializer)?))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_kept() {
        for code in ErrorCode::ALL {
            assert_eq!(&ErrorCode::parse(code.as_str()), code);
        }
        assert_eq!(ErrorCode::parse("from_the_future"), ErrorCode::Other("from_the_future".into()));
        assert_eq!(serde_json::to_string(&ErrorCode::NoRoute).unwrap(), "\"no_route\"");
        let old: ErrorCode = serde_json::from_str("\"invalid_destination\"").unwrap();
        assert_eq!(old, ErrorCode::InvalidDestination);
    }
}

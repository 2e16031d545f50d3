//! The apache-avro encoder (`Value` tree + `to_avro_datum`) that the direct
//! encoder replaced, kept as the oracle: the tests assert that both write the
//! same bytes, and `examples/encode_bench.rs` times one against the other.
//!
//! Hidden from the docs and not part of the API: use [`crate::encode_status`],
//! [`crate::encode_request`] and [`crate::encode_inbound`].
//!
//! Metadata goes through a `HashMap` here, so with more than one entry its
//! order on the wire is arbitrary; the direct encoder writes keys sorted.

use crate::error::EncodeError;
use crate::model::{InboundMessage, SendRequest, StatusEvent};
use crate::schemas::SchemaKind;
use crate::wire::{self, Framing};

/// [`crate::encode_status`] through apache-avro.
pub fn encode_status(event: &StatusEvent, framing: Framing) -> Result<Vec<u8>, EncodeError> {
    wire::encode_avro(SchemaKind::StatusEvent, crate::status::to_value(event), framing)
}

/// [`crate::encode_request`] through apache-avro.
pub fn encode_request(request: &SendRequest, framing: Framing) -> Result<Vec<u8>, EncodeError> {
    wire::encode_avro(SchemaKind::SendRequest, crate::request::to_value(request), framing)
}

/// [`crate::encode_inbound`] through apache-avro.
pub fn encode_inbound(message: &InboundMessage, framing: Framing) -> Result<Vec<u8>, EncodeError> {
    wire::encode_avro(SchemaKind::InboundMessage, crate::inbound::to_value(message), framing)
}

//! smsgw's contracts: the Avro schemas in `schemas/`, the Rust types they map
//! to, and the code that turns Kafka record values into those types and back.
//!
//! **What it is.** Four records — [`SendRequest`] and [`CancelRequest`]
//! (in), [`StatusEvent`] and [`InboundMessage`] (out) — as plain Rust
//! structs, plus:
//! - [`decode_request`]: reads a send request in any accepted format (JSON,
//!   Avro single-object encoding, Confluent wire format), resolves older or
//!   newer Avro writers to the current schema, and validates the content.
//!   [`DecodeError::is_undecodable`] tells the router to dead-letter the record;
//!   otherwise [`DecodeError::request_id`] keys the REJECTED status event;
//! - [`decode_cancel`]: the same for a cancel request;
//! - [`encode_status`] / [`encode_inbound`] (and [`encode_request`] for
//!   producers in tests and benchmarks) under a [`Framing`];
//! - [`schema_json`], [`schema`], [`fingerprint`] for registering schemas.
//!
//! **What it is not.** No Kafka, no registry HTTP client (implement
//! [`SchemaLookup`] on top of one, with a cache), no number normalisation or
//! routing: the router does that. Kafka headers (`traceparent`) are not part of
//! the payload and are handled by the Kafka plumbing.
//!
//! **Where to start.** `schemas/*.avsc` (the source of truth, with field docs),
//! then [`model`] for the types, [`request`] for decoding rules, `wire` for
//! the byte formats, `direct_encode` for how events are written (straight
//! from the structs into the output buffer, no apache-avro `Value`). Schema evolution rules (new fields need defaults; frozen
//! versions in `schemas/history/` stay readable) are enforced by
//! `tests/schema_evolution.rs`.
//!
//! Decoding is safe on arbitrary bytes: lengths inside an Avro body are
//! checked against the bytes present before apache-avro allocates (see
//! `avro_guard`), and nothing panics.

mod avro_guard;
mod avro_value;
mod cancel;
mod direct_encode;
mod error;
mod error_code;
mod inbound;
pub mod model;
#[doc(hidden)]
pub mod reference;
pub mod request;
mod request_json;
mod rfc3339;
mod schemas;
mod status;
mod wire;

pub use cancel::{decode_cancel, encode_cancel, CancelRequest};
pub use error::{DecodeError, EncodeError};
pub use error_code::ErrorCode;
pub use inbound::{decode_inbound, encode_inbound};
pub use model::{
    Encoding, EpochMillis, ErrorInfo, InboundMessage, Metadata, Priority, RouteInfo, SendRequest, Status, StatusEvent,
};
pub use request::{decode_request, encode_request};
pub use schemas::{canonical_form, fingerprint, schema, schema_fingerprint, schema_history, schema_json, SchemaKind};
pub use status::{decode_status, encode_status};
pub use wire::{Framing, SchemaLookup};

/// Re-exported so that [`SchemaLookup`] implementors use the same version.
pub use apache_avro;

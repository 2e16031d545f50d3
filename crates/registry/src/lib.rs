//! A client for the part of the Confluent Schema Registry REST API smsgw
//! uses, and the start-up step that decides how each topic is framed.
//!
//! **What it is.** [`Registry`]: `register` a schema under a subject
//! (`POST /subjects/{subject}/versions`) and fetch a writer schema by id
//! (`GET /schemas/ids/{id}`), with the parsed schemas cached by id. It
//! implements [`events::SchemaLookup`] from that cache, because decoding is
//! synchronous: callers take the id from the record with
//! [`confluent_schema_id`], `prefetch` it, then call `events::decode_request`.
//! [`framings`] registers our schemas under `{topic}-value`
//! (TopicNameStrategy) and returns the [`Framings`] the router and the
//! sender encode with: Confluent wire format when `kafka.schema_registry_url`
//! is set, Avro single-object encoding otherwise.
//!
//! **Security.** `https://` registries are verified by rustls against the
//! system's trust store, or only against the CA certificates of
//! `kafka.schema_registry_ca` (a PEM file, read and checked at start-up).
//! HTTP basic authentication (RFC 7617) takes `kafka.schema_registry_user`
//! and `kafka.schema_registry_password` (from the environment:
//! `SMSGW__KAFKA__SCHEMA_REGISTRY_PASSWORD`) or the user info of the URL,
//! which is taken out of it so that no message or log shows it.
//!
//! **What it is not.** No schema compatibility checks, subject listing,
//! references, Protobuf or JSON Schema; no client certificates or bearer
//! tokens. Retrying is the caller's choice: [`Error::is_transient`] tells a
//! registry that is down from an answer that will not change.
//!
//! **Where to start.** [`Registry::register`] and [`Registry::schema_by_id`]
//! in `client.rs`, then [`framings`]. Tests run against `fake` (the
//! `fake` feature), a hand-written HTTP/1.1 stand-in for the registry.

mod client;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
mod framings;
#[cfg(test)]
mod tests;

pub use client::{subject, Access, Error, Registry};
pub use framings::{framings, Framings};

/// The schema id of a record in Confluent wire format (`0x00`, then the id
/// as 4 bytes big-endian, then the Avro datum); `None` for any other record.
pub fn confluent_schema_id(bytes: &[u8]) -> Option<u32> {
    match bytes {
        [0x00, a, b, c, d, ..] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

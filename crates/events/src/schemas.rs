//! The embedded `.avsc` files, parsed once, and their fingerprints.
//!
//! `schemas/*.avsc` at the repository root are the source of truth; this module
//! only embeds them. `schemas/history/` holds frozen copies of every published
//! version so that single-object messages written with an older schema (whose
//! fingerprint differs from the current one) can still be read.

use std::sync::LazyLock;

use apache_avro::{rabin::Rabin, Schema};

/// Which contract a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    /// `io.smsgw.SendRequest`, consumed from the send topic.
    SendRequest,
    /// `io.smsgw.StatusEvent`, published on the status topic.
    StatusEvent,
    /// `io.smsgw.InboundMessage`, published on the inbound topic.
    InboundMessage,
}

impl SchemaKind {
    /// Every kind, for registering all schemas with a registry.
    pub const ALL: [SchemaKind; 3] = [
        SchemaKind::SendRequest,
        SchemaKind::StatusEvent,
        SchemaKind::InboundMessage,
    ];

    /// The record's full name, e.g. `io.smsgw.SendRequest` (the Confluent subject
    /// under the record-name strategy).
    pub fn full_name(self) -> &'static str {
        match self {
            SchemaKind::SendRequest => "io.smsgw.SendRequest",
            SchemaKind::StatusEvent => "io.smsgw.StatusEvent",
            SchemaKind::InboundMessage => "io.smsgw.InboundMessage",
        }
    }

    fn entry(self) -> &'static Entry {
        match self {
            SchemaKind::SendRequest => &SEND_REQUEST,
            SchemaKind::StatusEvent => &STATUS_EVENT,
            SchemaKind::InboundMessage => &INBOUND_MESSAGE,
        }
    }
}

const SEND_REQUEST_JSON: &str = include_str!("../../../schemas/send_request.avsc");
const STATUS_EVENT_JSON: &str = include_str!("../../../schemas/status_event.avsc");
const INBOUND_MESSAGE_JSON: &str = include_str!("../../../schemas/inbound_message.avsc");

/// Frozen, published versions, oldest first. Append here when a schema changes.
const SEND_REQUEST_HISTORY: &[&str] = &[include_str!("../../../schemas/history/send_request.v1.avsc")];
const STATUS_EVENT_HISTORY: &[&str] = &[include_str!("../../../schemas/history/status_event.v1.avsc")];
const INBOUND_MESSAGE_HISTORY: &[&str] =
    &[include_str!("../../../schemas/history/inbound_message.v1.avsc")];

struct Entry {
    json: &'static str,
    schema: Schema,
    fingerprint: [u8; 8],
    /// Writer schemas accepted in single-object encoding: the current one first,
    /// then every historical version with a different fingerprint.
    writers: Vec<([u8; 8], Schema)>,
}

impl Entry {
    fn load(json: &'static str, history: &[&'static str]) -> Entry {
        let schema = parse_embedded(json);
        let fingerprint = fingerprint(&schema);
        let mut writers = vec![(fingerprint, schema.clone())];
        for old in history {
            let old = parse_embedded(old);
            let fp = self::fingerprint(&old);
            if writers.iter().all(|(known, _)| *known != fp) {
                writers.push((fp, old));
            }
        }
        Entry { json, schema, fingerprint, writers }
    }
}

/// The embedded schemas are compile-time constants checked by this crate's tests,
/// so a parse failure is a build defect, not a runtime condition.
#[allow(clippy::panic)]
fn parse_embedded(json: &str) -> Schema {
    match Schema::parse_str(json) {
        Ok(schema) => schema,
        Err(e) => panic!("embedded avro schema does not parse: {e}"),
    }
}

static SEND_REQUEST: LazyLock<Entry> =
    LazyLock::new(|| Entry::load(SEND_REQUEST_JSON, SEND_REQUEST_HISTORY));
static STATUS_EVENT: LazyLock<Entry> =
    LazyLock::new(|| Entry::load(STATUS_EVENT_JSON, STATUS_EVENT_HISTORY));
static INBOUND_MESSAGE: LazyLock<Entry> =
    LazyLock::new(|| Entry::load(INBOUND_MESSAGE_JSON, INBOUND_MESSAGE_HISTORY));

/// The schema text as embedded from `schemas/`, e.g. to register it with a
/// schema registry.
pub fn schema_json(kind: SchemaKind) -> &'static str {
    kind.entry().json
}

/// The parsed current schema (the reader schema for decoding, the writer schema
/// for encoding).
pub fn schema(kind: SchemaKind) -> &'static Schema {
    &kind.entry().schema
}

/// The historical schema versions embedded from `schemas/history/`, oldest first.
pub fn schema_history(kind: SchemaKind) -> &'static [&'static str] {
    match kind {
        SchemaKind::SendRequest => SEND_REQUEST_HISTORY,
        SchemaKind::StatusEvent => STATUS_EVENT_HISTORY,
        SchemaKind::InboundMessage => INBOUND_MESSAGE_HISTORY,
    }
}

/// The CRC-64-AVRO (Rabin) fingerprint of the current schema's Parsing Canonical
/// Form, little-endian, as it appears in a single-object header.
pub fn schema_fingerprint(kind: SchemaKind) -> [u8; 8] {
    kind.entry().fingerprint
}

/// CRC-64-AVRO (Rabin) fingerprint of `schema`'s Parsing Canonical Form, in the
/// little-endian byte order used by single-object encoding.
pub fn fingerprint(schema: &Schema) -> [u8; 8] {
    let bytes = schema.fingerprint::<Rabin>().bytes;
    let mut out = [0u8; 8];
    // Rabin's output size is 8 bytes by construction (digest OutputSize = U8).
    out.copy_from_slice(&bytes[..8]);
    out
}

/// The writer schema with this single-object fingerprint, and whether it is the
/// current schema (no resolution needed).
pub(crate) fn writer_by_fingerprint(kind: SchemaKind, fp: &[u8; 8]) -> Option<(&'static Schema, bool)> {
    let entry = kind.entry();
    entry
        .writers
        .iter()
        .enumerate()
        .find(|(_, (known, _))| known == fp)
        .map(|(i, (_, schema))| (schema, i == 0))
}

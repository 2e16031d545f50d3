//! The embedded `.avsc` files, parsed once, and their fingerprints.
//!
//! `schemas/*.avsc` at the repository root are the source of truth; this module
//! only embeds them. `schemas/history/` holds frozen copies of every published
//! version so that single-object messages written with an older schema (whose
//! fingerprint differs from the current one) can still be read.

use std::sync::LazyLock;

use apache_avro::headers::HeaderBuilder;
use apache_avro::{GenericSingleObjectReader, Schema};

/// Which contract a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    /// `io.smsgw.SendRequest`, consumed from the send topic.
    SendRequest,
    /// `io.smsgw.StatusEvent`, published on the status topic.
    StatusEvent,
    /// `io.smsgw.InboundMessage`, published on the inbound topic.
    InboundMessage,
    /// `io.smsgw.CancelRequest`, consumed from the cancel topic.
    CancelRequest,
}

impl SchemaKind {
    /// Every kind, for registering all schemas with a registry.
    pub const ALL: [SchemaKind; 4] =
        [SchemaKind::SendRequest, SchemaKind::StatusEvent, SchemaKind::InboundMessage, SchemaKind::CancelRequest];

    /// The record's full name, e.g. `io.smsgw.SendRequest` (the Confluent subject
    /// under the record-name strategy).
    pub fn full_name(self) -> &'static str {
        match self {
            SchemaKind::SendRequest => "io.smsgw.SendRequest",
            SchemaKind::StatusEvent => "io.smsgw.StatusEvent",
            SchemaKind::InboundMessage => "io.smsgw.InboundMessage",
            SchemaKind::CancelRequest => "io.smsgw.CancelRequest",
        }
    }

    fn entry(self) -> &'static Entry {
        match self {
            SchemaKind::SendRequest => &SEND_REQUEST,
            SchemaKind::StatusEvent => &STATUS_EVENT,
            SchemaKind::InboundMessage => &INBOUND_MESSAGE,
            SchemaKind::CancelRequest => &CANCEL_REQUEST,
        }
    }
}

const SEND_REQUEST_JSON: &str = include_str!("../../../schemas/send_request.avsc");
const STATUS_EVENT_JSON: &str = include_str!("../../../schemas/status_event.avsc");
const INBOUND_MESSAGE_JSON: &str = include_str!("../../../schemas/inbound_message.avsc");
const CANCEL_REQUEST_JSON: &str = include_str!("../../../schemas/cancel_request.avsc");

/// Frozen, published versions, oldest first. Append here when a schema changes.
const SEND_REQUEST_HISTORY: &[&str] = &[include_str!("../../../schemas/history/send_request.v1.avsc")];
const STATUS_EVENT_HISTORY: &[&str] = &[
    include_str!("../../../schemas/history/status_event.v1.avsc"),
    include_str!("../../../schemas/history/status_event.v2.avsc"),
];
const INBOUND_MESSAGE_HISTORY: &[&str] = &[include_str!("../../../schemas/history/inbound_message.v1.avsc")];
const CANCEL_REQUEST_HISTORY: &[&str] = &[include_str!("../../../schemas/history/cancel_request.v1.avsc")];

struct Writer {
    fingerprint: [u8; 8],
    schema: Schema,
    /// Same as the current schema: no resolution needed.
    is_current: bool,
}

struct Entry {
    json: &'static str,
    schema: Schema,
    fingerprint: [u8; 8],
    /// Writer schemas accepted in single-object encoding, by fingerprint: the
    /// current one first, then apache-avro's variant fingerprint and every
    /// historical version.
    writers: Vec<Writer>,
    /// Reads a datum written with the current schema, its named types
    /// resolved once here: `apache_avro::from_avro_datum` resolves them for
    /// every datum, which took about half of a request's decoding.
    current: GenericSingleObjectReader,
}

/// No header: [`GenericSingleObjectReader`] then reads a bare datum (ours
/// checks the header itself, in `wire::detect`).
struct Bare;

impl HeaderBuilder for Bare {
    fn build_header(&self) -> Vec<u8> {
        Vec::new()
    }
}

impl Entry {
    // The embedded schemas are checked by this crate's tests (see `parse_embedded`).
    #[allow(clippy::panic)]
    fn load(json: &'static str, history: &[&'static str]) -> Entry {
        let schema = parse_embedded(json);
        let fingerprint = fingerprint(&schema);
        let mut writers: Vec<Writer> = Vec::new();
        let mut add = |fp: [u8; 8], writer: &Schema, is_current: bool| {
            if writers.iter().all(|known| known.fingerprint != fp) {
                writers.push(Writer { fingerprint: fp, schema: writer.clone(), is_current });
            }
        };
        add(fingerprint, &schema, true);
        add(apache_avro_fingerprint(&schema), &schema, true);
        for old in history {
            let old = parse_embedded(old);
            add(self::fingerprint(&old), &old, false);
            add(apache_avro_fingerprint(&old), &old, false);
        }
        let current = match GenericSingleObjectReader::new_with_header_builder(schema.clone(), Bare) {
            Ok(reader) => reader,
            Err(e) => panic!("embedded avro schema does not resolve: {e}"),
        };
        Entry { json, schema, fingerprint, writers, current }
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

static SEND_REQUEST: LazyLock<Entry> = LazyLock::new(|| Entry::load(SEND_REQUEST_JSON, SEND_REQUEST_HISTORY));
static STATUS_EVENT: LazyLock<Entry> = LazyLock::new(|| Entry::load(STATUS_EVENT_JSON, STATUS_EVENT_HISTORY));
static INBOUND_MESSAGE: LazyLock<Entry> = LazyLock::new(|| Entry::load(INBOUND_MESSAGE_JSON, INBOUND_MESSAGE_HISTORY));
static CANCEL_REQUEST: LazyLock<Entry> = LazyLock::new(|| Entry::load(CANCEL_REQUEST_JSON, CANCEL_REQUEST_HISTORY));

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
        SchemaKind::CancelRequest => CANCEL_REQUEST_HISTORY,
    }
}

/// The CRC-64-AVRO (Rabin) fingerprint of the current schema's Parsing Canonical
/// Form, little-endian, as it appears in a single-object header.
pub fn schema_fingerprint(kind: SchemaKind) -> [u8; 8] {
    kind.entry().fingerprint
}

/// CRC-64-AVRO (Rabin) fingerprint of `schema`'s Parsing Canonical Form (as
/// produced by [`canonical_form`]), in the little-endian byte order used by
/// single-object encoding.
pub fn fingerprint(schema: &Schema) -> [u8; 8] {
    rabin(canonical_form(schema).as_bytes())
}

fn rabin(data: &[u8]) -> [u8; 8] {
    // apache-avro's `rabin::Rabin` is only usable through the `digest` traits
    // (not re-exported) or over its own canonical form, which is wrong (see
    // `canonical_form`); the spec's table-driven loop is a dozen lines.
    const EMPTY: u64 = 0xc15d_213a_a4d7_a795;
    static TABLE: LazyLock<[u64; 256]> = LazyLock::new(|| {
        let mut table = [0u64; 256];
        for (i, slot) in (0u64..).zip(table.iter_mut()) {
            let mut fp = i;
            for _ in 0..8 {
                fp = (fp >> 1) ^ (EMPTY & (fp & 1).wrapping_neg());
            }
            *slot = fp;
        }
        table
    });
    let mut fp = EMPTY;
    for &b in data {
        fp = (fp >> 8) ^ TABLE[usize::from((fp as u8) ^ b)];
    }
    fp.to_le_bytes()
}

/// The schema's [Parsing Canonical Form] as the Avro specification defines it.
///
/// apache-avro 0.21's `Schema::canonical_form` strips `logicalType` but leaves
/// `{"type":"long"}` where the specification's [PRIMITIVES] rule requires
/// `"long"`, so its fingerprints differ from every other Avro implementation's
/// (Java, Python, Go) for schemas with logical types — all of ours. This
/// function applies the missing rule. Names and symbols cannot contain `{` or
/// `"`, and docs and defaults are already stripped, so the textual rewrite
/// cannot hit anything but a primitive type object.
///
/// [Parsing Canonical Form]: https://avro.apache.org/docs/current/specification/#parsing-canonical-form-for-schemas
/// [PRIMITIVES]: https://avro.apache.org/docs/current/specification/#transforming-into-parsing-canonical-form
pub fn canonical_form(schema: &Schema) -> String {
    const PRIMITIVES: [&str; 8] = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"];
    let mut form = schema.canonical_form();
    for primitive in PRIMITIVES {
        let object = format!("{{\"type\":\"{primitive}\"}}");
        if form.contains(&object) {
            form = form.replace(&object, &format!("\"{primitive}\""));
        }
    }
    form
}

/// The fingerprint apache-avro 0.21 itself computes (over its unfixed
/// canonical form); accepted on input so that Rust producers using
/// apache-avro's `GenericSingleObjectWriter` are understood too.
fn apache_avro_fingerprint(schema: &Schema) -> [u8; 8] {
    rabin(schema.canonical_form().as_bytes())
}

/// Reads a bare datum written with the current schema of `kind`.
pub(crate) fn current_reader(kind: SchemaKind) -> &'static GenericSingleObjectReader {
    &kind.entry().current
}

/// The writer schema with this single-object fingerprint, and whether it is the
/// current schema (no resolution needed).
pub(crate) fn writer_by_fingerprint(kind: SchemaKind, fp: &[u8; 8]) -> Option<(&'static Schema, bool)> {
    let entry = kind.entry();
    entry.writers.iter().find(|known| known.fingerprint == *fp).map(|known| (&known.schema, known.is_current))
}

//! How a record is written, and read back whichever version of smsgw wrote
//! it. The first byte tells the versions apart:
//!
//! | first byte | version | written by |
//! | --- | --- | --- |
//! | `{` | 0: JSON | every release before the compact form, and now where `kafka.compact_records` is off |
//! | `0x01` | 1: compact ([`crate::compact`], Protocol Buffers) | `kafka.compact_records = true` |
//!
//! Version 1 covers the per-message records. The state records (done and
//! finals markers, link reports, opt-outs, quota counts, the route headers)
//! are few and small: they are JSON only, and read through [`decode`] too.
//!
//! Readers take every version, so a cluster is upgraded in two steps: roll
//! out this release (it reads both, writes JSON), then turn on
//! `compact_records`. A version a reader does not know is an error naming
//! it, never a record silently dropped.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{compact, MoPart, Outcome, ReceiptRecord, SubmitRecord};

/// The encoding a writer uses for the records that have a compact form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Version 0, JSON: what every reader understands.
    #[default]
    Json,
    /// Version 1, compact.
    Compact,
}

impl Format {
    /// [`Format::Compact`] when `compact` (the `kafka.compact_records` setting).
    pub fn compact_if(compact: bool) -> Format {
        if compact {
            Format::Compact
        } else {
            Format::Json
        }
    }
}

/// The first byte of a version 1 record.
const COMPACT_V1: u8 = 0x01;

/// Why a record could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    #[error("cannot encode the record as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot encode the record: {0}")]
    Compact(String),
}

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("empty record")]
    Empty,
    #[error("record version 0 (JSON): {0}")]
    Json(#[from] serde_json::Error),
    #[error("record version 1 (compact): {0}")]
    Compact(String),
    #[error("record of an unknown version (first byte {0:#04x}): written by a newer smsgw?")]
    Version(u8),
}

/// A record the roles exchange: JSON always, and a compact form where it
/// has one (the records written for every message).
pub trait Record: Sized + Serialize + DeserializeOwned {
    /// Its compact body (without the version byte); `None` when it has none.
    fn compact(&self) -> Option<Result<Vec<u8>, String>> {
        None
    }

    /// Reads a compact body.
    fn from_compact(_: &[u8]) -> Result<Self, String> {
        Err("this record has no compact form".into())
    }
}

/// `record` in `format` (JSON for a record without a compact form).
pub fn encode_as<T: Record>(record: &T, format: Format) -> Result<Vec<u8>, EncodeError> {
    if format == Format::Compact {
        if let Some(body) = record.compact() {
            let body = body.map_err(EncodeError::Compact)?;
            let mut out = Vec::with_capacity(body.len() + 1);
            out.push(COMPACT_V1);
            out.extend_from_slice(&body);
            return Ok(out);
        }
    }
    Ok(serde_json::to_vec(record)?)
}

/// A record of any version.
pub fn decode<T: Record>(bytes: &[u8]) -> Result<T, DecodeError> {
    match bytes.split_first() {
        None => Err(DecodeError::Empty),
        Some((&COMPACT_V1, body)) => T::from_compact(body).map_err(DecodeError::Compact),
        Some(_) if bytes.trim_ascii_start().starts_with(b"{") => Ok(serde_json::from_slice(bytes)?),
        Some((&other, _)) => Err(DecodeError::Version(other)),
    }
}

impl Record for SubmitRecord {
    fn compact(&self) -> Option<Result<Vec<u8>, String>> {
        Some(Ok(compact::submit(self)))
    }

    fn from_compact(bytes: &[u8]) -> Result<Self, String> {
        compact::read_submit(bytes)
    }
}

impl Record for ReceiptRecord {
    fn compact(&self) -> Option<Result<Vec<u8>, String>> {
        Some(Ok(compact::receipt(self)))
    }

    fn from_compact(bytes: &[u8]) -> Result<Self, String> {
        compact::read_receipt(bytes)
    }
}

impl Record for Outcome {
    fn compact(&self) -> Option<Result<Vec<u8>, String>> {
        Some(compact::outcome(self))
    }

    fn from_compact(bytes: &[u8]) -> Result<Self, String> {
        compact::read_outcome(bytes)
    }
}

impl Record for MoPart {
    fn compact(&self) -> Option<Result<Vec<u8>, String>> {
        Some(Ok(compact::mo_part(self)))
    }

    fn from_compact(bytes: &[u8]) -> Result<Self, String> {
        compact::read_mo_part(bytes)
    }
}

// The state records: few, small and written as JSON (version 0) only; read
// through [`decode`] all the same, so a version a reader does not know is
// an error naming it.
impl Record for crate::DoneMarker {}
impl Record for crate::LinkReport {}
impl Record for crate::Marker {}
impl Record for crate::OptOut {}
impl Record for crate::QuotaCount {}
impl Record for crate::Reroute {}
impl Record for events::RouteInfo {}

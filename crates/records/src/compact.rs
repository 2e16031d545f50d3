//! Version 1 of the records' encoding: Protocol Buffers (by `prost`'s
//! derive, no `.proto` build step), for the records written once or more per
//! message. Fields are numbered, so a later version adds fields and a reader
//! of this one skips them; a field is never renumbered or reused.
//!
//! A terminal status inside an [`Outcome`] is the event's own Avro
//! single-object encoding (`events::encode_status`), which names its schema
//! by fingerprint: that contract evolves by its own rules (`schemas/`).

use std::collections::BTreeMap;

use prost::Message;

use crate::{MoPart, Outcome, ReceiptRecord, ReceiptState, SegmentOutcome, SubmitRecord, Terminal};

#[derive(Clone, PartialEq, prost::Message)]
struct Pair {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    value: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Route {
    #[prost(string, optional, tag = "1")]
    id: Option<String>,
    #[prost(string, optional, tag = "2")]
    reason: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Submit {
    #[prost(string, tag = "1")]
    request_id: String,
    #[prost(uint32, tag = "2")]
    segment: u32,
    #[prost(uint32, tag = "3")]
    segments: u32,
    #[prost(string, tag = "4")]
    connection: String,
    #[prost(string, repeated, tag = "5")]
    message_ids: Vec<String>,
    #[prost(int64, tag = "6")]
    submitted_at: i64,
    #[prost(string, optional, tag = "7")]
    tenant: Option<String>,
    #[prost(btree_map = "string, string", tag = "8")]
    metadata: BTreeMap<String, String>,
    #[prost(message, repeated, tag = "9")]
    trace: Vec<Pair>,
    #[prost(message, optional, tag = "10")]
    route: Option<Route>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Receipt {
    #[prost(string, tag = "1")]
    connection: String,
    #[prost(string, tag = "2")]
    message_id: String,
    /// The state's word, as [`ReceiptState::stat`] writes it.
    #[prost(string, tag = "3")]
    stat: String,
    #[prost(bool, tag = "4")]
    is_final: bool,
    #[prost(string, optional, tag = "5")]
    err: Option<String>,
    /// Network type and code of a `network_error_code`, when there was one.
    #[prost(uint32, optional, tag = "6")]
    network_type: Option<u32>,
    #[prost(uint32, optional, tag = "7")]
    network_code: Option<u32>,
    #[prost(int64, optional, tag = "8")]
    done_at: Option<i64>,
    #[prost(int64, tag = "9")]
    received_at: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Segment {
    #[prost(message, optional, tag = "1")]
    submit: Option<Submit>,
    #[prost(message, optional, tag = "2")]
    receipt: Option<Receipt>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Final {
    /// The status event, Avro single-object encoded.
    #[prost(bytes = "vec", tag = "1")]
    event: Vec<u8>,
    #[prost(message, repeated, tag = "2")]
    trace: Vec<Pair>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct OutcomeV1 {
    #[prost(oneof = "Which", tags = "1, 2")]
    which: Option<Which>,
}

// Built and dropped once per record: boxing the larger variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, prost::Oneof)]
enum Which {
    #[prost(message, tag = "1")]
    Segment(Segment),
    #[prost(message, tag = "2")]
    Terminal(Final),
}

#[derive(Clone, PartialEq, prost::Message)]
struct Part {
    #[prost(string, tag = "1")]
    connection: String,
    #[prost(string, tag = "2")]
    from: String,
    #[prost(string, tag = "3")]
    to: String,
    #[prost(uint32, tag = "4")]
    reference: u32,
    #[prost(uint32, tag = "5")]
    total: u32,
    #[prost(uint32, tag = "6")]
    seq: u32,
    #[prost(uint32, tag = "7")]
    data_coding: u32,
    #[prost(uint32, optional, tag = "8")]
    locking_shift: Option<u32>,
    #[prost(uint32, optional, tag = "9")]
    single_shift: Option<u32>,
    #[prost(bytes = "vec", tag = "10")]
    body: Vec<u8>,
    #[prost(int64, optional, tag = "11")]
    smsc_timestamp: Option<i64>,
    #[prost(int64, tag = "12")]
    received_at: i64,
}

/// Why a version 1 record could not be read.
pub(crate) fn invalid(what: &str, why: impl std::fmt::Display) -> String {
    format!("{what}: {why}")
}

fn narrow<T: TryFrom<u32>>(value: u32, what: &str) -> Result<T, String> {
    T::try_from(value).map_err(|_| invalid(what, format!("{value} out of range")))
}

fn pairs(trace: &[(String, String)]) -> Vec<Pair> {
    trace.iter().map(|(name, value)| Pair { name: name.clone(), value: value.clone() }).collect()
}

fn unpair(trace: Vec<Pair>) -> Vec<(String, String)> {
    trace.into_iter().map(|p| (p.name, p.value)).collect()
}

fn submit_out(r: &SubmitRecord) -> Submit {
    Submit {
        request_id: r.request_id.clone(),
        segment: r.segment.into(),
        segments: r.segments.into(),
        connection: r.connection.clone(),
        message_ids: r.message_ids.clone(),
        submitted_at: r.submitted_at,
        tenant: r.tenant.clone(),
        metadata: r.metadata.clone(),
        trace: pairs(&r.trace),
        route: r.route.as_ref().map(|route| Route { id: route.id.clone(), reason: route.reason.clone() }),
    }
}

fn submit_in(m: Submit) -> Result<SubmitRecord, String> {
    Ok(SubmitRecord {
        request_id: m.request_id,
        segment: narrow(m.segment, "segment")?,
        segments: narrow(m.segments, "segments")?,
        connection: m.connection,
        message_ids: m.message_ids,
        submitted_at: m.submitted_at,
        tenant: m.tenant,
        metadata: m.metadata,
        trace: unpair(m.trace),
        route: m.route.map(|r| events::RouteInfo { id: r.id, reason: r.reason }),
    })
}

fn receipt_out(r: &ReceiptRecord) -> Receipt {
    Receipt {
        connection: r.connection.clone(),
        message_id: r.message_id.clone(),
        stat: r.state.stat().to_owned(),
        is_final: r.is_final,
        err: r.err.clone(),
        network_type: r.network_error.map(|(t, _)| t.into()),
        network_code: r.network_error.map(|(_, c)| c.into()),
        done_at: r.done_at,
        received_at: r.received_at,
    }
}

fn receipt_in(m: Receipt) -> Result<ReceiptRecord, String> {
    let network_error = match (m.network_type, m.network_code) {
        (Some(t), Some(c)) => Some((narrow(t, "network_type")?, narrow(c, "network_code")?)),
        _ => None,
    };
    Ok(ReceiptRecord {
        connection: m.connection,
        message_id: m.message_id,
        state: ReceiptState::from_stat(&m.stat),
        is_final: m.is_final,
        err: m.err,
        network_error,
        done_at: m.done_at,
        received_at: m.received_at,
    })
}

pub(crate) fn submit(r: &SubmitRecord) -> Vec<u8> {
    submit_out(r).encode_to_vec()
}

pub(crate) fn read_submit(bytes: &[u8]) -> Result<SubmitRecord, String> {
    submit_in(Submit::decode(bytes).map_err(|e| invalid("submit record", e))?)
}

pub(crate) fn receipt(r: &ReceiptRecord) -> Vec<u8> {
    receipt_out(r).encode_to_vec()
}

pub(crate) fn read_receipt(bytes: &[u8]) -> Result<ReceiptRecord, String> {
    receipt_in(Receipt::decode(bytes).map_err(|e| invalid("receipt record", e))?)
}

pub(crate) fn outcome(o: &Outcome) -> Result<Vec<u8>, String> {
    let which = match o {
        Outcome::Segment(s) => {
            Which::Segment(Segment { submit: Some(submit_out(&s.submit)), receipt: Some(receipt_out(&s.receipt)) })
        }
        Outcome::Terminal(t) => Which::Terminal(Final {
            event: events::encode_status(&t.event, events::Framing::SingleObject)
                .map_err(|e| invalid("terminal status", e))?,
            trace: pairs(&t.trace),
        }),
    };
    Ok(OutcomeV1 { which: Some(which) }.encode_to_vec())
}

pub(crate) fn read_outcome(bytes: &[u8]) -> Result<Outcome, String> {
    match OutcomeV1::decode(bytes).map_err(|e| invalid("outcome", e))?.which {
        Some(Which::Segment(Segment { submit: Some(submit), receipt: Some(receipt) })) => {
            Ok(Outcome::Segment(SegmentOutcome { submit: submit_in(submit)?, receipt: receipt_in(receipt)? }))
        }
        Some(Which::Terminal(f)) => Ok(Outcome::Terminal(Terminal {
            event: events::decode_status(&f.event, None).map_err(|e| invalid("terminal status", e))?,
            trace: unpair(f.trace),
        })),
        Some(Which::Segment(_)) => Err(invalid("outcome", "a segment without its submit or receipt")),
        None => Err(invalid("outcome", "neither a segment nor a terminal status")),
    }
}

pub(crate) fn mo_part(p: &MoPart) -> Vec<u8> {
    Part {
        connection: p.connection.clone(),
        from: p.from.clone(),
        to: p.to.clone(),
        reference: p.reference.into(),
        total: p.total.into(),
        seq: p.seq.into(),
        data_coding: p.data_coding.into(),
        locking_shift: p.locking_shift.map(u32::from),
        single_shift: p.single_shift.map(u32::from),
        body: p.body.clone(),
        smsc_timestamp: p.smsc_timestamp,
        received_at: p.received_at,
    }
    .encode_to_vec()
}

pub(crate) fn read_mo_part(bytes: &[u8]) -> Result<MoPart, String> {
    let m = Part::decode(bytes).map_err(|e| invalid("inbound part", e))?;
    Ok(MoPart {
        connection: m.connection,
        from: m.from,
        to: m.to,
        reference: narrow(m.reference, "reference")?,
        total: narrow(m.total, "total")?,
        seq: narrow(m.seq, "seq")?,
        data_coding: narrow(m.data_coding, "data_coding")?,
        locking_shift: m.locking_shift.map(|v| narrow(v, "locking_shift")).transpose()?,
        single_shift: m.single_shift.map(|v| narrow(v, "single_shift")).transpose()?,
        body: m.body,
        smsc_timestamp: m.smsc_timestamp,
        received_at: m.received_at,
    })
}

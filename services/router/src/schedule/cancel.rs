//! Cancel requests: what every scheduler replica knows of them, and the
//! rules that answer each one exactly once (through the finaliser).
//!
//! A cancel (`schemas/cancel_request.avsc`, JSON or Avro like a send
//! request) names the message to cancel (`request_id`), carries an id of
//! its own (`id`, the key of its answer on the status topic) and the
//! `send_at` the message was scheduled for. It is published on
//! `kafka.topics.cancel`, keyed by `request_id`. Every replica reads the
//! whole topic (no group) into [`Cancels`]; memory grows with cancels
//! within `kafka.id_retention`, never with messages scheduled.
//!
//! - written at or after its `send_at`: too late, answered REJECTED
//!   `too_late` at once; it cancels nothing;
//! - otherwise it stands: the message, whenever it comes due, ends REJECTED
//!   `cancelled` and the cancel DELIVERED (it was carried out);
//! - if no message came due by `send_at` + `scheduler.cancel_grace`, the
//!   cancel is answered REJECTED `not_waiting`.
//!
//! Why the cancel carries `send_at`: with memory that does not grow with
//! what is scheduled there is no index of waiting ids, so "no such message"
//! can only be told by its time passing. Every answer goes through the
//! finaliser, so a cancel gets one answer however many replicas give it,
//! and a message that already had its terminal status keeps it.

use std::collections::HashMap;
use std::sync::Mutex;

pub use events::CancelRequest;
use events::SchemaLookup;

/// What reading one record of the cancel topic gives.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// Stands until its message comes due or its grace passes.
    Stands(CancelRequest),
    /// Written at or after its `send_at`: answer REJECTED `too_late`.
    TooLate(CancelRequest),
    /// Not a cancel; `Some(id)` when it has an id to answer REJECTED `invalid_request` under.
    Invalid { id: Option<String>, reason: String },
}

/// Judges one record of the cancel topic written at `written_at` (its
/// timestamp): by the record alone, so every replica judges it the same.
/// JSON or Avro (`events::decode_cancel`); `registry` supplies the writer
/// schemas of Confluent-framed ones.
pub fn read(value: &[u8], written_at: i64, registry: Option<&dyn SchemaLookup>) -> Read {
    let fits = |id: &str| id.len() <= crate::decide::MAX_ID_BYTES;
    match events::decode_cancel(value, registry) {
        Ok(c) if !fits(&c.id) => Read::Invalid { id: None, reason: "id: too long".into() },
        Ok(c) if written_at >= c.send_at => Read::TooLate(c),
        Ok(c) => Read::Stands(c),
        Err(e) => {
            let id = e.request_id().filter(|id| fits(id)).map(str::to_owned);
            Read::Invalid { id, reason: format!("not a cancel request: {e}") }
        }
    }
}

/// A cancel that stands.
#[derive(Debug, Clone)]
pub struct Standing {
    pub request: CancelRequest,
    /// The cancel record's timestamp, for forgetting it after `id_retention`.
    pub written_at: i64,
    /// Its trace headers, carried onto its answer.
    pub trace: Vec<(String, String)>,
    /// Answered already by this process (carried out, or `not_waiting`).
    answered: bool,
}

/// The standing cancels, by the id of the message they cancel.
pub struct Cancels {
    by_target: Mutex<HashMap<String, Standing>>,
    retention_ms: i64,
    grace_ms: i64,
}

impl Cancels {
    pub fn new(retention_ms: i64, grace_ms: i64) -> Self {
        Cancels { by_target: Mutex::new(HashMap::new()), retention_ms, grace_ms }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Standing>> {
        self.by_target.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a standing cancel (a later one for the same message replaces it).
    pub fn stand(&self, request: CancelRequest, written_at: i64, trace: Vec<(String, String)>) {
        let target = request.request_id.clone();
        self.lock().insert(target, Standing { request, written_at, trace, answered: false });
    }

    /// The message `request_id` came due: the cancel that stands for it, if
    /// any. It stays (a copy of the message released again after a crash is
    /// cancelled too) but is not answered `not_waiting` any more.
    pub fn on_due(&self, request_id: &str) -> Option<Standing> {
        let mut all = self.lock();
        let standing = all.get_mut(request_id)?;
        standing.answered = true;
        Some(standing.clone())
    }

    /// Cancels whose message did not come due within their grace, counted
    /// from `send_at` or from `started` (this process's start: a message
    /// that came due while no scheduler ran is still coming), now answered;
    /// and forgets cancels older than the retention.
    pub fn overdue(&self, now: i64, started: i64) -> Vec<Standing> {
        let mut all = self.lock();
        all.retain(|_, s| s.written_at.saturating_add(self.retention_ms) > now);
        let mut due = Vec::new();
        for standing in all.values_mut() {
            let from = standing.request.send_at.max(started);
            if !standing.answered && from.saturating_add(self.grace_ms) <= now {
                standing.answered = true;
                due.push(standing.clone());
            }
        }
        due
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancel(id: &str, target: &str, send_at: i64) -> CancelRequest {
        CancelRequest { id: id.into(), request_id: target.into(), send_at }
    }

    #[test]
    fn a_cancel_is_judged_by_its_own_record() {
        let json = br#"{"id":"c-1","request_id":"r-1","send_at":5000}"#;
        assert_eq!(read(json, 4999, None), Read::Stands(cancel("c-1", "r-1", 5000)));
        assert_eq!(read(json, 5000, None), Read::TooLate(cancel("c-1", "r-1", 5000)));
        let avro = events::encode_cancel(&cancel("c-1", "r-1", 5000), events::Framing::SingleObject).unwrap();
        assert_eq!(read(&avro, 4999, None), Read::Stands(cancel("c-1", "r-1", 5000)));
        let missing = br#"{"id":"c-2","request_id":"r"}"#;
        assert!(matches!(read(missing, 0, None), Read::Invalid { id: Some(i), .. } if i == "c-2"));
        let empty = br#"{"id":"","request_id":"r","send_at":1}"#;
        assert!(matches!(read(empty, 0, None), Read::Invalid { id: None, .. }));
        assert!(matches!(read(b"garbage", 0, None), Read::Invalid { id: None, .. }));
        let long = format!(r#"{{"id":"{}","request_id":"r"}}"#, "x".repeat(crate::decide::MAX_ID_BYTES + 1));
        assert!(matches!(read(long.as_bytes(), 0, None), Read::Invalid { id: None, .. }));
    }

    #[test]
    fn a_standing_cancel_is_carried_out_or_answered_after_its_grace() {
        let cancels = Cancels::new(1_000_000, 100);
        cancels.stand(cancel("c-1", "r-1", 5000), 1000, vec![]);
        cancels.stand(cancel("c-2", "r-2", 5000), 1000, vec![]);
        assert!(cancels.on_due("r-3").is_none());
        assert!(cancels.overdue(5099, 0).is_empty(), "within the grace");
        assert_eq!(cancels.on_due("r-1").map(|s| s.request.id), Some("c-1".into()));
        let overdue = cancels.overdue(5100, 0);
        assert_eq!(overdue.iter().map(|s| s.request.id.as_str()).collect::<Vec<_>>(), ["c-2"]);
        assert!(cancels.overdue(9000, 0).is_empty(), "answered once");
        // A copy released again after a crash is still cancelled.
        assert!(cancels.on_due("r-1").is_some());
    }

    #[test]
    fn the_grace_counts_from_the_start_after_a_restart_and_old_cancels_go() {
        let cancels = Cancels::new(10_000, 100);
        cancels.stand(cancel("c-1", "r-1", 5000), 1000, vec![]);
        assert!(cancels.overdue(6000, 8000).is_empty(), "started after send_at: its message may still come");
        assert_eq!(cancels.overdue(8100, 8000).len(), 1);
        assert_eq!(cancels.overdue(11_000, 8000).len(), 0);
        assert!(cancels.is_empty(), "forgotten after the retention");
    }
}

//! Status events from receipts: pure functions from submit records and
//! receipt records to the event the application sees.

use std::collections::BTreeMap;

use events::{ErrorCode, ErrorInfo, Status, StatusEvent};
use records::{severity, ReceiptRecord, ReceiptState, SegmentOutcome, SubmitRecord};

/// Metadata key listing each segment's receipt state (`1:DELIVRD,2:UNDELIV`).
pub const SEGMENT_STATES: &str = "smsgw.segment_states";
/// Metadata key marking a receipt that matched no submitted message.
pub const UNMATCHED: &str = "smsgw.unmatched";

fn error_of(receipt: &ReceiptRecord, status: Status) -> Option<ErrorInfo> {
    if status == Status::Delivered {
        return None;
    }
    match receipt.state {
        ReceiptState::Missing => {
            return Some(ErrorInfo {
                code: ErrorCode::ReceiptTimeout,
                protocol_code: None,
                text: "no delivery receipt within the tracker's segment_timeout".into(),
            })
        }
        ReceiptState::Collided => {
            return Some(ErrorInfo {
                code: ErrorCode::ReceiptKeyCollision,
                protocol_code: None,
                text: format!(
                    "the SMSC gave message id {} to a later message before this one's receipt came: its receipt can no longer be told apart",
                    receipt.message_id
                ),
            })
        }
        ReceiptState::Reported(_) => {}
    }
    let code = match status {
        Status::Expired => ErrorCode::Expired,
        _ => ErrorCode::Undeliverable,
    };
    let protocol_code = receipt.err.as_deref().and_then(|e| e.trim().parse::<i32>().ok()).filter(|c| *c != 0);
    let mut text = format!("stat:{}", receipt.state.stat());
    if let Some(err) = &receipt.err {
        text.push_str(&format!(" err:{err}"));
    }
    if let Some((network, code)) = receipt.network_error {
        text.push_str(&format!(" network_error:{network}/{code}"));
    }
    Some(ErrorInfo { code, protocol_code, text })
}

/// The final status of a single-segment request from its receipt (or a
/// stand-in: [`missing_receipt`], [`collided_receipt`]).
pub fn single(submit: &SubmitRecord, receipt: &ReceiptRecord, now: i64) -> StatusEvent {
    aggregate(&[SegmentOutcome { submit: submit.clone(), receipt: receipt.clone() }], submit.segments, now)
}

/// The final status of a request from its segments' outcomes: DELIVERED only
/// when every segment is, otherwise the worst; segments without a receipt
/// (`total` larger than the outcomes) count as undeliverable.
pub fn aggregate(outcomes: &[SegmentOutcome], total: u16, now: i64) -> StatusEvent {
    let first = &outcomes[0].submit;
    let by_segment: BTreeMap<u16, &SegmentOutcome> = outcomes.iter().map(|o| (o.submit.segment, o)).collect();
    let mut worst: Option<(Status, Option<ErrorInfo>)> = None;
    let mut states = Vec::new();
    for seg in 1..=total {
        let (status, error, state) = match by_segment.get(&seg) {
            Some(o) => {
                let status = o.receipt.state.status();
                (status, error_of(&o.receipt, status), o.receipt.state.stat())
            }
            None => (
                Status::Undeliverable,
                Some(ErrorInfo {
                    code: ErrorCode::ReceiptTimeout,
                    protocol_code: None,
                    text: format!("no receipt for segment {seg} of {total}"),
                }),
                ReceiptState::Missing.stat(),
            ),
        };
        states.push(format!("{seg}:{state}"));
        if worst.as_ref().is_none_or(|(w, _)| severity(status) > severity(*w)) {
            worst = Some((status, error));
        }
    }
    let (status, error) = worst.unwrap_or((Status::Undeliverable, None));
    let mut ev = StatusEvent::new(first.request_id.clone(), status, now);
    ev.connection = Some(first.connection.clone());
    ev.message_ids = first.message_ids.clone();
    ev.segments = total;
    ev.error = error;
    ev.submitted_at = Some(first.submitted_at);
    ev.done_at = Some(outcomes.iter().map(|o| o.receipt.done_at.unwrap_or(o.receipt.received_at)).max().unwrap_or(now));
    ev.tenant = first.tenant.clone();
    ev.route = first.route.clone();
    ev.metadata = first.metadata.clone();
    if total > 1 {
        ev.metadata.insert(SEGMENT_STATES.into(), states.join(","));
    }
    ev
}

/// A stand-in receipt for a segment whose receipt key the SMSC gave to a
/// later message before this one's receipt came (`KEYREUSE` counts as
/// undeliverable, code `receipt_key_collision`).
pub fn collided_receipt(submit: &SubmitRecord, now: i64) -> ReceiptRecord {
    ReceiptRecord { state: ReceiptState::Collided, ..missing_receipt(submit, now) }
}

/// A stand-in receipt for a segment whose receipt never came, so stage 2
/// can finish the request (`NONE` counts as undeliverable).
pub fn missing_receipt(submit: &SubmitRecord, now: i64) -> ReceiptRecord {
    ReceiptRecord {
        connection: submit.connection.clone(),
        message_id: submit.message_ids.get(usize::from(submit.segment.saturating_sub(1))).cloned().unwrap_or_default(),
        state: ReceiptState::Missing,
        is_final: true,
        err: None,
        network_error: None,
        done_at: None,
        received_at: now,
    }
}

/// An event for a receipt no submitted message matches: never dropped.
pub fn unmatched(receipt: &ReceiptRecord, now: i64) -> StatusEvent {
    let status = receipt.state.status();
    let mut ev = StatusEvent::new(String::new(), status, now);
    ev.connection = Some(receipt.connection.clone());
    ev.message_ids = vec![receipt.message_id.clone()];
    ev.error = error_of(receipt, status);
    ev.done_at = Some(receipt.done_at.unwrap_or(receipt.received_at));
    ev.metadata.insert(UNMATCHED.into(), "true".into());
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submit(segment: u16, segments: u16) -> SubmitRecord {
        SubmitRecord {
            request_id: "r-1".into(),
            segment,
            segments,
            connection: "c".into(),
            message_ids: (1..=segments).map(|i| format!("m{i}")).collect(),
            submitted_at: 10,
            tenant: Some("t".into()),
            metadata: [("k".to_string(), "v".to_string())].into(),
            trace: Vec::new(),
            route: Some(events::RouteInfo { id: Some("de".into()), reason: None }),
        }
    }

    fn receipt(stat: &str, err: Option<&str>) -> ReceiptRecord {
        ReceiptRecord {
            connection: "c".into(),
            message_id: "m1".into(),
            state: ReceiptState::from_stat(stat),
            is_final: true,
            err: err.map(Into::into),
            network_error: None,
            done_at: Some(20),
            received_at: 30,
        }
    }

    #[test]
    fn delivered_single() {
        let ev = single(&submit(1, 1), &receipt("DELIVRD", Some("000")), 99);
        assert_eq!(ev.status, Status::Delivered);
        assert_eq!(ev.request_id, "r-1");
        assert_eq!(ev.error, None);
        assert_eq!(ev.done_at, Some(20));
        assert_eq!(ev.metadata.get("k").map(String::as_str), Some("v"));
        assert!(!ev.metadata.contains_key(SEGMENT_STATES));
        assert_eq!(ev.route.and_then(|r| r.id).as_deref(), Some("de"), "the route travels to the receipt's event");
    }

    #[test]
    fn undeliverable_keeps_the_error_code() {
        let ev = single(&submit(1, 1), &receipt("UNDELIV", Some("034")), 99);
        assert_eq!(ev.status, Status::Undeliverable);
        let error = ev.error.unwrap();
        assert_eq!(error.protocol_code, Some(34));
        assert!(error.text.contains("UNDELIV"));
    }

    #[test]
    fn multipart_is_delivered_only_when_all_segments_are() {
        let all = [
            SegmentOutcome { submit: submit(1, 2), receipt: receipt("DELIVRD", None) },
            SegmentOutcome { submit: submit(2, 2), receipt: receipt("DELIVRD", None) },
        ];
        assert_eq!(aggregate(&all, 2, 0).status, Status::Delivered);
        let mixed = [
            SegmentOutcome { submit: submit(1, 3), receipt: receipt("DELIVRD", None) },
            SegmentOutcome { submit: submit(2, 3), receipt: receipt("EXPIRED", None) },
            SegmentOutcome { submit: submit(3, 3), receipt: receipt("DELIVRD", None) },
        ];
        let ev = aggregate(&mixed, 3, 0);
        assert_eq!(ev.status, Status::Expired);
        assert_eq!(ev.metadata[SEGMENT_STATES], "1:DELIVRD,2:EXPIRED,3:DELIVRD");
        assert_eq!(ev.message_ids, vec!["m1", "m2", "m3"]);
    }

    #[test]
    fn missing_segments_are_undeliverable() {
        let partial = [SegmentOutcome { submit: submit(2, 2), receipt: receipt("DELIVRD", None) }];
        let ev = aggregate(&partial, 2, 0);
        assert_eq!(ev.status, Status::Undeliverable);
        assert_eq!(ev.error.unwrap().code.as_str(), "receipt_timeout");
    }

    #[test]
    fn missing_receipts_end_the_request() {
        let ev = single(&submit(1, 1), &missing_receipt(&submit(1, 1), 50), 50);
        assert_eq!(ev.status, Status::Undeliverable);
        assert_eq!(ev.error.unwrap().code.as_str(), "receipt_timeout");
        let ev = single(&submit(1, 1), &collided_receipt(&submit(1, 1), 50), 50);
        assert_eq!(ev.status, Status::Undeliverable);
        assert_eq!(ev.error.unwrap().code.as_str(), "receipt_key_collision");
        let stand_in = missing_receipt(&submit(2, 2), 50);
        assert_eq!(stand_in.message_id, "m2");
        assert_eq!(stand_in.state.status(), Status::Undeliverable);
    }

    #[test]
    fn unmatched_receipts_are_marked() {
        let ev = unmatched(&receipt("DELIVRD", None), 5);
        assert_eq!(ev.request_id, "");
        assert_eq!(ev.metadata[UNMATCHED], "true");
        assert_eq!(ev.message_ids, vec!["m1"]);
    }
}

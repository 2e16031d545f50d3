//! The retry policy: sending one request through a connection, every
//! segment submitted, with throttling and temporary errors retried, and
//! exactly one outcome returned.
//!
//! A submit whose answer never came (response timeout, connection lost after
//! it went out) may be at the SMSC: it is not sent again unless the
//! connection says that is safe (`resend_unanswered`); the request ends
//! FAILED with code `response_timeout` or `connection_lost` instead.

use std::time::{Duration, Instant};

use events::{ErrorCode, ErrorInfo, Priority, SendRequest, Status, StatusEvent};
use tokio_util::sync::CancellationToken;

use crate::link::{Answer, Submission, SubmitError, Verdict};
use crate::pool::Pool;

/// How sending one request ended.
#[derive(Debug)]
pub enum Outcome {
    /// A status event to publish (SUBMITTED, FAILED or EXPIRED).
    Done(Box<StatusEvent>),
    /// The connection is shutting down, or the request's partition is being
    /// given up before anything of it was sent: leave the request
    /// unacknowledged so it is redone (after restart, or by the next owner).
    Interrupted,
}

/// The instant `expires_at` (epoch ms) corresponds to.
fn deadline(expires_at: Option<i64>) -> Option<Instant> {
    let left = expires_at? - timing::now_ms();
    Some(Instant::now() + Duration::from_millis(left.max(0) as u64))
}

/// Submits `segments` of `request` in order, in the pool's `lane`. Until
/// the first segment is accepted, cancelling `withdraw` stops it (nothing
/// reached the SMSC); after that the request is finished, so that no
/// segment is sent twice.
pub async fn send(
    pool: &Pool,
    lane: Priority,
    request: &SendRequest,
    segments: Vec<Submission>,
    withdraw: &CancellationToken,
) -> Outcome {
    let config = pool.config();
    let deadline = deadline(request.expires_at);
    let total = segments.len();
    let mut ids = Vec::with_capacity(total);
    let event = |status: Status, ids: Vec<String>, error: Option<ErrorInfo>| {
        let now = timing::now_ms();
        let mut ev = StatusEvent::new(request.id.clone(), status, now);
        ev.connection = Some(config.id.clone());
        ev.segments = total as u16;
        ev.message_ids = ids;
        ev.error = error;
        ev.tenant = request.tenant.clone();
        ev.metadata = request.metadata.clone();
        if status == Status::Submitted {
            ev.submitted_at = Some(now);
        } else {
            ev.done_at = Some(now);
        }
        Outcome::Done(Box::new(ev))
    };
    let connection = config.id.as_str();
    for segment in segments {
        let mut attempts = 0u32;
        // The last attempt that left got no response: the SMSC may have it, so sending again may duplicate.
        let mut response_lost = false;
        loop {
            let cancel = ids.is_empty().then(|| withdraw.clone());
            let result = pool.submit(lane, segment.clone(), deadline, cancel).await;
            if let Some(name) = result_name(&result) {
                counters::submits(connection, name).inc();
                if response_lost && name != "not_sent" {
                    counters::resubmits(connection).inc();
                    response_lost = false;
                }
            }
            let failure = match result {
                Ok(answer) => match answer.verdict {
                    Verdict::Accepted => {
                        ids.push(answer.message_id);
                        break;
                    }
                    Verdict::Throttled => {
                        // The pool already paused the connection; retrying is not an attempt.
                        tracing::debug!(status = %answer.text, "throttled, retrying");
                        continue;
                    }
                    Verdict::Temporary => answer_error(&answer),
                    Verdict::Permanent => return event(Status::Failed, ids, Some(answer_error(&answer))),
                },
                Err(SubmitError::Expired) => {
                    let error =
                        error_info(ErrorCode::Expired, None, "validity ran out before the message could be submitted");
                    return event(Status::Expired, ids, Some(error));
                }
                Err(SubmitError::Closed | SubmitError::Withdrawn) => return Outcome::Interrupted,
                Err(SubmitError::Unsupported(reason)) => {
                    return event(Status::Failed, ids, Some(error_info(ErrorCode::Unsupported, None, &reason)));
                }
                Err(SubmitError::NotSent) => {
                    // Another bind (or this one, reconnected) takes it; not an attempt.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
                Err(e @ (SubmitError::ConnectionLost | SubmitError::Timeout)) => {
                    let code =
                        if e == SubmitError::Timeout { ErrorCode::ResponseTimeout } else { ErrorCode::ConnectionLost };
                    if !config.resend_unanswered {
                        let text = format!("{e}; the SMSC may have accepted it, so it is not sent again");
                        return event(Status::Failed, ids, Some(error_info(code.clone(), None, &text)));
                    }
                    response_lost = true;
                    error_info(code, None, &e.to_string())
                }
                Err(e @ SubmitError::Nack(code)) => error_info(ErrorCode::SmscError, code, &e.to_string()),
            };
            attempts += 1;
            if attempts > config.max_retries {
                return event(Status::Failed, ids, Some(failure));
            }
            let delay = retry_delay(attempts);
            tracing::info!(attempt = attempts, code = %failure.code, retry_in = ?delay, "temporary error, retrying");
            if ids.is_empty() {
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = withdraw.cancelled() => return Outcome::Interrupted,
                }
            } else {
                tokio::time::sleep(delay).await;
            }
        }
    }
    event(Status::Submitted, ids, None)
}

/// The `result` label of `smsgw_submits_total` for one attempt; None when no
/// submission was attempted (expired while queued, shutting down).
fn result_name(result: &Result<Answer, SubmitError>) -> Option<&'static str> {
    Some(match result {
        Ok(answer) => match answer.verdict {
            Verdict::Accepted => "ok",
            Verdict::Throttled => "throttled",
            Verdict::Temporary => "temporary",
            Verdict::Permanent => "permanent",
        },
        Err(SubmitError::Timeout) => "timeout",
        Err(SubmitError::ConnectionLost) => "connection_lost",
        Err(SubmitError::NotSent) => "not_sent",
        // The SMSC could not make sense of it: retried like a temporary error status.
        Err(SubmitError::Nack(_)) => "temporary",
        Err(SubmitError::Expired | SubmitError::Closed | SubmitError::Withdrawn | SubmitError::Unsupported(_)) => {
            return None
        }
    })
}

fn answer_error(answer: &Answer) -> ErrorInfo {
    ErrorInfo {
        code: answer.error_code.clone().unwrap_or(ErrorCode::SmscError),
        protocol_code: Some(answer.protocol_code),
        text: answer.text.clone(),
    }
}

fn error_info(code: ErrorCode, protocol_code: Option<i32>, text: &str) -> ErrorInfo {
    ErrorInfo { code, protocol_code, text: text.into() }
}

/// 200 ms, 400 ms, ... capped at 10 s.
fn retry_delay(attempt: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << attempt.min(7))).min(Duration::from_secs(10))
}

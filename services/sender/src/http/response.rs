//! What an HTTP API's response means for the submission, sans IO: a success
//! status with the message id (by JSON pointer or regex) is accepted; 429 is
//! throttling (with `Retry-After` as the pause); 5xx and 408 are worth
//! retrying; anything else is permanent, with the error text the mapping finds.

use std::time::Duration;

use events::ErrorCode;
use regex_lite::Regex;
use runtime::config::HttpConfig;

use crate::link::{Answer, Verdict};

/// The longest `Retry-After` honoured: a provider's typo must not stall a
/// connection for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Error texts in answers are cut to this many characters.
const MAX_TEXT: usize = 200;

/// Where a value is found in a response body.
#[derive(Debug, Clone)]
enum Extract {
    /// RFC 6901 pointer into a JSON body.
    Pointer(String),
    /// The first capture group.
    Regex(Regex),
    /// The whole body, trimmed.
    Body,
}

impl Extract {
    fn new(pointer: Option<&str>, regex: Option<&str>) -> Result<Extract, String> {
        Ok(match (pointer, regex) {
            (Some(p), _) => Extract::Pointer(p.to_owned()),
            (None, Some(r)) => Extract::Regex(Regex::new(r).map_err(|e| e.to_string())?),
            (None, None) => Extract::Body,
        })
    }

    fn find(&self, body: &[u8]) -> Option<String> {
        let found = match self {
            Extract::Pointer(p) => match serde_json::from_slice::<serde_json::Value>(body).ok()?.pointer(p)? {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return None,
            },
            Extract::Regex(re) => re.captures(&String::from_utf8_lossy(body))?.get(1)?.as_str().to_owned(),
            Extract::Body => String::from_utf8_lossy(body).trim().to_owned(),
        };
        Some(found).filter(|s| !s.is_empty())
    }
}

/// A connection's response mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Empty: any 2xx.
    success: Vec<u16>,
    message_id: Extract,
    error_text: Extract,
}

/// What the link does with one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub answer: Answer,
    /// Pause the connection this long (a 429's `Retry-After`).
    pub pause: Option<Duration>,
}

impl Mapping {
    pub fn new(config: &HttpConfig) -> Result<Mapping, String> {
        Ok(Mapping {
            success: config.success_status.clone(),
            message_id: Extract::new(config.message_id.as_deref(), config.message_id_regex.as_deref())?,
            error_text: Extract::new(config.error_text.as_deref(), config.error_text_regex.as_deref())?,
        })
    }

    fn is_success(&self, status: u16) -> bool {
        if self.success.is_empty() {
            (200..300).contains(&status)
        } else {
            self.success.contains(&status)
        }
    }

    /// Maps a response: its status, `Retry-After` header and body.
    pub fn map(&self, status: u16, retry_after: Option<&str>, body: &[u8]) -> Mapped {
        if self.is_success(status) {
            let id = self.message_id.find(body).unwrap_or_else(|| {
                // Accepted all the same (as Kannel does): sending again could
                // deliver it twice. Only its receipt cannot be matched.
                tracing::warn!(status, "success response without a message id");
                String::new()
            });
            return Mapped { answer: Answer::accepted(id), pause: None };
        }
        let (verdict, error_code, pause) = match status {
            429 => (Verdict::Throttled, ErrorCode::Throttled, retry_after.and_then(retry_after_delay)),
            408 | 500..=599 => (Verdict::Temporary, ErrorCode::SmscError, None),
            _ => (Verdict::Permanent, ErrorCode::RefusedBySmsc, None),
        };
        let reason = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
        let mut text = format!("HTTP {status} {reason}").trim_end().to_owned();
        if let Some(error) = self.error_text.find(body).or_else(|| Extract::Body.find(body)) {
            text = format!("{text}: {}", error.chars().take(MAX_TEXT).collect::<String>());
        }
        Mapped {
            answer: Answer {
                verdict,
                message_id: String::new(),
                protocol_code: status.into(),
                error_code: Some(error_code),
                text,
            },
            pause,
        }
    }
}

/// A `Retry-After` of delay-seconds (RFC 9110 §10.2.3), at most [`MAX_RETRY_AFTER`].
/// An HTTP-date is not read: the connection's `throttle_pause` applies then.
pub fn retry_after_delay(value: &str) -> Option<Duration> {
    let seconds: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(extra: &str) -> Mapping {
        let settings = runtime::Settings::from_toml(&format!(
            "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"c\"\nprotocol = \"http\"\nurl = \"http://h/s\"\n{extra}\n"
        ))
        .unwrap();
        Mapping::new(settings.connections[0].http().unwrap()).unwrap()
    }

    #[test]
    fn message_id_by_json_pointer() {
        let m = mapping("message_id = \"/messages/0/id\"");
        let body = br#"{"messages":[{"id":"abc-1","status":0}]}"#;
        assert_eq!(m.map(200, None, body), Mapped { answer: Answer::accepted("abc-1".into()), pause: None });
        assert_eq!(m.map(201, None, br#"{"messages":[{"id":12345}]}"#).answer, Answer::accepted("12345".into()));
        let missing = m.map(202, None, b"not json");
        assert_eq!((missing.answer.verdict, missing.answer.message_id.as_str()), (Verdict::Accepted, ""));
    }

    #[test]
    fn message_id_by_regex_and_whole_body() {
        let m = mapping(r#"message_id_regex = 'OK: id=(\w+)'"#);
        assert_eq!(m.map(200, None, b"OK: id=77ab\n").answer.message_id, "77ab");
        assert_eq!(mapping("").map(200, None, b"  4242\n").answer.message_id, "4242", "no mapping: the body is the id");
    }

    #[test]
    fn success_status_list() {
        let m = mapping("success_status = [202]\nmessage_id = \"/id\"");
        assert_eq!(m.map(202, None, br#"{"id":"x"}"#).answer.verdict, Verdict::Accepted);
        let other = m.map(200, None, br#"{"id":"x"}"#).answer;
        assert_eq!((other.verdict, other.protocol_code), (Verdict::Permanent, 200), "200 is not success here");
    }

    #[test]
    fn status_classes() {
        let m = mapping("message_id = \"/id\"\nerror_text = \"/error/message\"");
        let bad = m.map(400, None, br#"{"error":{"message":"invalid destination"}}"#);
        assert_eq!(bad.answer.verdict, Verdict::Permanent);
        assert_eq!(bad.answer.protocol_code, 400);
        assert_eq!(bad.answer.code(), "refused_by_smsc");
        assert_eq!(bad.answer.text, "HTTP 400 Bad Request: invalid destination");
        assert_eq!(m.map(401, None, b"").answer.text, "HTTP 401 Unauthorized");
        for status in [500, 502, 503, 504, 408] {
            let a = m.map(status, None, b"<html>down</html>").answer;
            assert_eq!((a.verdict, a.code()), (Verdict::Temporary, "smsc_error"), "{status}");
            assert!(a.text.ends_with(": <html>down</html>"), "no pointer match: the body is the text: {}", a.text);
        }
        assert_eq!(m.map(302, None, b"").answer.verdict, Verdict::Permanent, "redirects are not followed");
        assert_eq!(m.map(404, None, &[b'x'; 1000]).answer.text.len(), "HTTP 404 Not Found: ".len() + 200);
    }

    #[test]
    fn error_text_by_regex() {
        let m = mapping(r#"error_text_regex = 'ERR \d+: (.*)'"#);
        assert_eq!(m.map(422, None, b"ERR 17: no route").answer.text, "HTTP 422 Unprocessable Entity: no route");
    }

    #[test]
    fn throttling_with_retry_after() {
        let m = mapping("");
        let t = m.map(429, Some("3"), b"slow down");
        assert_eq!(
            (t.answer.verdict, t.answer.code(), t.pause),
            (Verdict::Throttled, "throttled", Some(Duration::from_secs(3)))
        );
        assert_eq!(m.map(429, None, b"").pause, None, "the connection's throttle_pause applies");
        assert_eq!(m.map(429, Some("Wed, 21 Oct 2026 07:28:00 GMT"), b"").pause, None);
        assert_eq!(m.map(429, Some("86400"), b"").pause, Some(MAX_RETRY_AFTER));
        assert_eq!(m.map(503, Some("3"), b"").pause, None, "only 429 pauses");
    }
}

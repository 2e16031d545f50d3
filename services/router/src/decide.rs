//! What to do with one record from `sms.send`: a pure function of the bytes,
//! the writer schemas at hand, the clock and the routing table, so every
//! branch is unit-tested.

use events::{DecodeError, ErrorCode, ErrorInfo, RouteInfo, SchemaLookup, SendRequest, StatusEvent};
use text::SplitOptions;

use crate::matcher::Facts;
use crate::number;
use crate::optouts;
use crate::route::Routes;

/// The router's verdict on one record.
#[derive(Debug)]
pub enum Decision {
    /// Not decodable at all: to the dead-letter topic with this reason.
    DeadLetter { reason: String },
    /// A terminal status event (REJECTED or EXPIRED) instead of sending.
    Refuse(Box<StatusEvent>),
    /// Send through `connection`, chosen by `route`; `request.to` is normalised.
    Queue {
        connection: String,
        route: RouteInfo,
        request: Box<SendRequest>,
        segments: usize,
        /// Where it may move if `connection` stays down.
        reroute: Option<records::Reroute>,
    },
    /// Valid and routable, but due later: hold it until `send_at` (epoch ms),
    /// then decide it again (`crate::schedule`).
    Schedule { request_id: String, send_at: i64 },
}

/// Longest request id and tenant: they key records and travel on every event.
pub const MAX_ID_BYTES: usize = 256;

/// What bounds a request's size beyond its text.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// See `router.max_metadata_bytes`.
    pub max_metadata_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_metadata_bytes: 4096 }
    }
}

/// Validates and routes one record value. `registry` resolves Confluent
/// schema ids to writer schemas (already fetched: this does no I/O);
/// `split` gives the chosen connection's splitting options, so the segment
/// count and the limit are the ones that connection will send.
pub fn decide(
    value: &[u8],
    registry: Option<&dyn SchemaLookup>,
    now_ms: i64,
    routes: &Routes,
    split: &dyn Fn(&str) -> SplitOptions,
    limits: Limits,
) -> Decision {
    let mut request = match events::decode_request(value, registry) {
        Ok(r) => r,
        Err(e) => return refuse_undecoded(e, now_ms),
    };
    if request.id.len() > MAX_ID_BYTES {
        return Decision::DeadLetter { reason: format!("id: longer than {MAX_ID_BYTES} bytes") };
    }
    let metadata_bytes: usize = request.metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if metadata_bytes > limits.max_metadata_bytes {
        // Not echoed: the event would be as large as the request.
        request.metadata.clear();
        let mut ev = StatusEvent::new(request.id.clone(), events::Status::Rejected, now_ms);
        ev.error = Some(ErrorInfo {
            code: ErrorCode::MetadataTooLarge,
            protocol_code: None,
            text: format!("metadata: {metadata_bytes} bytes, more than the {} allowed", limits.max_metadata_bytes),
        });
        ev.tenant = request.tenant.clone().filter(|t| t.len() <= MAX_ID_BYTES);
        return Decision::Refuse(Box::new(ev));
    }
    let request = request;
    let refuse = |code: ErrorCode, text: String| {
        let mut ev = StatusEvent::new(request.id.clone(), events::Status::Rejected, now_ms);
        ev.error = Some(ErrorInfo { code, protocol_code: None, text });
        ev.tenant = request.tenant.clone().filter(|t| t.len() <= MAX_ID_BYTES);
        ev.metadata = request.metadata.clone();
        ev.connection = request.connection.clone();
        Decision::Refuse(Box::new(ev))
    };
    if request.tenant.as_ref().is_some_and(|t| t.len() > MAX_ID_BYTES) {
        return refuse(ErrorCode::InvalidRequest, format!("tenant: longer than {MAX_ID_BYTES} bytes"));
    }
    let to = match number::normalise(&request.to) {
        Ok(n) => number::with_country(n, routes.default_country()),
        Err(reason) => return refuse(ErrorCode::InvalidDestination, format!("to: {reason}")),
    };
    if let Err(reason) = routes.lists.check(&to, request.tenant.as_deref()) {
        return refuse(ErrorCode::Blocked, format!("to: {reason}"));
    }
    let facts = Facts::new(&to, request.from.as_deref(), request.tenant.as_deref(), &request.metadata, request.flash);
    let picked = routes.pick(&request.id, request.connection.as_deref(), &facts, now_ms);
    let (connection, route, sender, reroute) = match picked {
        Ok(picked) => (picked.connection, picked.route, picked.sender, picked.reroute),
        Err(e) => return refuse(ErrorCode::NoRoute, e.to_string()),
    };
    // Counted, not split: the sender splits it for its SMSC (the count is
    // what `split` would make, `text::count`'s tests say).
    let opts = split(&connection);
    let counted = match (&request.text, &request.payload) {
        (Some(t), _) => text::count(t, request.encoding.preference(), &opts),
        (None, Some(p)) => text::split_binary(p, &opts).map(|m| m.segments.len()),
        (None, None) => return refuse(ErrorCode::InvalidRequest, "text: one of text and payload is required".into()),
    };
    let segments = match counted {
        Ok(n) => n,
        Err(e @ text::TextError::Unencodable { .. }) => return refuse(ErrorCode::UnencodableText, e.to_string()),
        Err(e @ text::TextError::TooManySegments { .. }) => return refuse(ErrorCode::TooLong, e.to_string()),
        Err(e) => return refuse(ErrorCode::InvalidText, e.to_string()),
    };
    if request.expires_at.is_some_and(|t| t <= now_ms) {
        let mut ev = StatusEvent::new(request.id.clone(), events::Status::Expired, now_ms);
        ev.error = Some(ErrorInfo {
            code: ErrorCode::Expired,
            protocol_code: None,
            text: "expires_at passed before routing".into(),
        });
        ev.tenant = request.tenant.clone();
        ev.metadata = request.metadata.clone();
        ev.done_at = Some(now_ms);
        return Decision::Refuse(Box::new(ev));
    }
    let from = sender.as_deref().or(request.from.as_deref());
    if let Some(number) = from.and_then(|f| optouts::comparable(f, routes.default_country())) {
        if routes.optouts.contains(&number, to.digits()) {
            return refuse(ErrorCode::OptedOut, "the recipient opted out of messages from this sender".into());
        }
    }
    if let Some(send_at) = request.send_at.filter(|t| *t > now_ms) {
        // Checked in full now, so a request that can never be sent is refused
        // at once rather than when due; decided again at `send_at`.
        return Decision::Schedule { request_id: request.id, send_at };
    }
    let mut request = request;
    request.to = to.to_string();
    if sender.is_some() {
        request.from = sender;
    }
    request.connection = Some(connection.clone());
    Decision::Queue { connection, route, request: Box::new(request), segments, reroute }
}

fn refuse_undecoded(e: DecodeError, now_ms: i64) -> Decision {
    // Without a request id there is nothing to key a status event on.
    match e.request_id() {
        Some(id) if !e.is_undecodable() => {
            let mut ev = StatusEvent::new(id, events::Status::Rejected, now_ms);
            ev.error = Some(ErrorInfo { code: ErrorCode::InvalidRequest, protocol_code: None, text: e.to_string() });
            Decision::Refuse(Box::new(ev))
        }
        _ => Decision::DeadLetter { reason: e.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use events::Status;
    use std::sync::Arc;

    fn routes() -> Routes {
        let connections = ["sim", "other"]
            .map(|c| {
                format!(
                    "[[connections]]\nid = \"{c}\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n"
                )
            })
            .concat();
        let toml = format!("[kafka]\nbrokers = \"x:1\"\n[router]\ndefault_connection = \"sim\"\n{connections}");
        Routes::new(&runtime::Settings::from_toml(&toml).unwrap(), Arc::new(records::links::Links::new(0)))
    }

    fn max(n: usize) -> impl Fn(&str) -> SplitOptions {
        move |_| SplitOptions { max_segments: n, ..SplitOptions::default() }
    }

    fn status_of(d: Decision) -> StatusEvent {
        match d {
            Decision::Refuse(ev) => *ev,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn metadata_is_bounded_and_not_echoed_when_too_large() {
        let big = "x".repeat(5000);
        let json = format!(r#"{{"id":"r-m","to":"+4915112345678","text":"hi","metadata":{{"k":"{big}"}}}}"#);
        let ev = status_of(decide(json.as_bytes(), None, 0, &routes(), &max(10), Limits::default()));
        assert_eq!(ev.error.as_ref().map(|e| e.code.as_str()), Some("metadata_too_large"));
        assert!(ev.metadata.is_empty(), "the rejection must not carry the oversized metadata");
        let small = r#"{"id":"r-s","to":"+4915112345678","text":"hi","metadata":{"k":"v"}}"#;
        let limits = Limits { max_metadata_bytes: 1 };
        assert!(matches!(decide(small.as_bytes(), None, 0, &routes(), &max(10), limits), Decision::Refuse(_)));
        assert!(matches!(
            decide(small.as_bytes(), None, 0, &routes(), &max(10), Limits::default()),
            Decision::Queue { .. }
        ));
    }

    #[test]
    fn an_overlong_id_is_dead_lettered() {
        let json = format!(r#"{{"id":"{}","to":"+4915112345678","text":"hi"}}"#, "i".repeat(300));
        assert!(matches!(
            decide(json.as_bytes(), None, 0, &routes(), &max(10), Limits::default()),
            Decision::DeadLetter { .. }
        ));
    }

    #[test]
    fn valid_request_is_queued_normalised() {
        let d = decide(
            br#"{"id":"r-1","to":"+49 151 12345678","from":"ACME","text":"Your code is 123456"}"#,
            None,
            0,
            &routes(),
            &max(10),
            Limits::default(),
        );
        match d {
            Decision::Queue { connection, route, request, segments, .. } => {
                assert_eq!(connection, "sim");
                assert_eq!(route.id.as_deref(), Some("default"));
                assert_eq!(request.to, "+4915112345678");
                assert_eq!(request.connection.as_deref(), Some("sim"));
                assert_eq!(segments, 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_destination_is_rejected_with_reason() {
        let ev = status_of(decide(
            br#"{"id":"r-2","to":"hello","text":"x","metadata":{"k":"v"}}"#,
            None,
            5,
            &routes(),
            &max(10),
            Limits::default(),
        ));
        assert_eq!(ev.status, Status::Rejected);
        assert_eq!(ev.request_id, "r-2");
        assert_eq!(ev.error.as_ref().map(|e| e.code.as_str()), Some("invalid_destination"));
        assert_eq!(ev.metadata.get("k").map(String::as_str), Some("v"), "metadata echoed");
    }

    #[test]
    fn unknown_hint_unencodable_and_too_long_are_rejected() {
        let r = routes();
        let code = |json: &str| {
            status_of(decide(json.as_bytes(), None, 0, &r, &max(3), Limits::default()))
                .error
                .map(|e| e.code.as_str().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(code(r#"{"id":"a","to":"+4915112345678","text":"x","connection":"nope"}"#), "no_route");
        assert_eq!(code(r#"{"id":"b","to":"+4915112345678","text":"日本","encoding":"gsm7"}"#), "unencodable_text");
        let long = "x".repeat(153 * 3 + 1);
        assert_eq!(code(&format!(r#"{{"id":"c","to":"+4915112345678","text":"{long}"}}"#)), "too_long");
    }

    #[test]
    fn block_lists_reject_before_routing() {
        let connections =
            "[[connections]]\nid = \"sim\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n";
        let lists = "[[lists]]\nkind = \"block\"\nto = \"+4915112345678\"\n";
        let toml = format!("[kafka]\nbrokers = \"x:1\"\n[router]\ndefault_country = \"DE\"\n{connections}{lists}");
        let r = Routes::new(&runtime::Settings::from_toml(&toml).unwrap(), Arc::new(records::links::Links::new(0)));
        for to in ["+4915112345678", "015112345678"] {
            let json = format!(r#"{{"id":"b","to":"{to}","text":"x"}}"#);
            let ev = status_of(decide(json.as_bytes(), None, 0, &r, &max(10), Limits::default()));
            assert_eq!(ev.error.map(|e| e.code.as_str().to_owned()).as_deref(), Some("blocked"), "{to}");
        }
        let json = r#"{"id":"b","to":"+4915112345679","text":"x"}"#;
        assert!(matches!(decide(json.as_bytes(), None, 0, &r, &max(10), Limits::default()), Decision::Queue { .. }));
    }

    #[test]
    fn opted_out_recipients_are_refused_for_that_sender_only() {
        let r = routes();
        r.optouts.apply(optouts::Change {
            number: "4930555777".into(),
            subscriber: "4915112345678".into(),
            opted_out: true,
            inbound_id: "mo".into(),
            at: 0,
        });
        let code = |from: &str| match decide(
            format!(r#"{{"id":"o","to":"+4915112345678","from":"{from}","text":"x"}}"#).as_bytes(),
            None,
            0,
            &r,
            &max(10),
            Limits::default(),
        ) {
            Decision::Refuse(ev) => ev.error.map(|e| e.code.as_str().to_owned()).unwrap_or_default(),
            _ => "queued".into(),
        };
        assert_eq!(code("+4930555777"), "opted_out");
        assert_eq!(code("004930555777"), "opted_out", "any spelling of the number");
        assert_eq!(code("+4930555778"), "queued", "another sender");
        assert_eq!(code("ACME"), "queued", "alphanumeric");
    }

    #[test]
    fn missing_text_rejected_but_keyed_by_id() {
        let ev = status_of(decide(
            br#"{"id":"r-3","to":"+4915112345678"}"#,
            None,
            0,
            &routes(),
            &max(10),
            Limits::default(),
        ));
        assert_eq!(ev.request_id, "r-3");
        assert_eq!(ev.status, Status::Rejected);
    }

    #[test]
    fn expired_before_routing() {
        let ev = status_of(decide(
            br#"{"id":"r-4","to":"+4915112345678","text":"x","expires_at":1000}"#,
            None,
            2000,
            &routes(),
            &max(10),
            Limits::default(),
        ));
        assert_eq!(ev.status, Status::Expired);
    }

    #[test]
    fn a_future_send_at_is_scheduled_after_full_validation() {
        let r = routes();
        let decide_at = |json: &str, now: i64| decide(json.as_bytes(), None, now, &r, &max(10), Limits::default());
        let later = r#"{"id":"s-1","to":"+4915112345678","text":"x","send_at":5000}"#;
        assert!(
            matches!(decide_at(later, 4999), Decision::Schedule { request_id, send_at: 5000 } if request_id == "s-1")
        );
        assert!(matches!(decide_at(later, 5000), Decision::Queue { .. }), "due: sent at once");
        let invalid = r#"{"id":"s-2","to":"hello","text":"x","send_at":5000}"#;
        assert!(matches!(decide_at(invalid, 0), Decision::Refuse(_)), "refused now, not when due");
        let no_route = r#"{"id":"s-3","to":"+4915112345678","text":"x","send_at":5000,"connection":"nope"}"#;
        assert!(matches!(decide_at(no_route, 0), Decision::Refuse(_)));
        // Expiring when it is due: scheduled, and EXPIRED when decided at send_at.
        let expiring = r#"{"id":"s-4","to":"+4915112345678","text":"x","send_at":5000,"expires_at":5000}"#;
        assert!(matches!(decide_at(expiring, 0), Decision::Schedule { .. }));
        assert_eq!(status_of(decide_at(expiring, 5000)).status, Status::Expired);
    }

    /// A registry that knows one id, for the current SendRequest schema.
    struct OneSchema(u32);

    impl SchemaLookup for OneSchema {
        fn schema_by_id(&self, id: u32) -> Option<events::apache_avro::Schema> {
            (id == self.0).then(|| events::schema(events::SchemaKind::SendRequest).clone())
        }
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn confluent_ids_resolve_through_the_registry() {
        let request =
            SendRequest { id: "r-5".into(), to: "+4915112345678".into(), text: Some("x".into()), ..Default::default() };
        let bytes = events::encode_request(&request, events::Framing::Confluent { schema_id: 5 }).unwrap();
        assert!(matches!(
            decide(&bytes, Some(&OneSchema(5)), 0, &routes(), &max(10), Limits::default()),
            Decision::Queue { .. }
        ));
        assert!(
            matches!(
                decide(&bytes, Some(&OneSchema(6)), 0, &routes(), &max(10), Limits::default()),
                Decision::DeadLetter { .. }
            ),
            "unknown id"
        );
    }

    #[test]
    fn garbage_goes_to_dead_letter() {
        for bytes in [&b""[..], b"\xff\x00garbage", b"{not json", b"\xc3\x01\x00\x00"] {
            assert!(
                matches!(decide(bytes, None, 0, &routes(), &max(10), Limits::default()), Decision::DeadLetter { .. }),
                "{bytes:?}"
            );
        }
    }
}

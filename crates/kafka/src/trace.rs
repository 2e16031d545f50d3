//! W3C trace context (`traceparent`, `tracestate`) carried in Kafka headers,
//! and the spans of the OpenTelemetry semantic conventions for messaging
//! (<https://opentelemetry.io/docs/specs/semconv/messaging/kafka/>).
//!
//! - Consuming: [`process_span`] — `process {topic}`, kind consumer, a child
//!   of the trace in the record's headers.
//! - Publishing: a record that carries a trace gets a `send {topic}` span
//!   (kind producer, [`send_span`]) as a child of *that* trace — so the
//!   tracker's final event lands in the request's trace even though it is
//!   decided while handling a receipt — linked to the work that publishes it
//!   when that is another trace; the record then carries the send span's
//!   context, so its consumer's `process` span is the send span's child.
//!   Records without a trace (state, markers, fences) get no span.
//!
//! The spans of single exchanges (`send`, and the sender's `submit` and
//! `receipt`) are at debug level: the OpenTelemetry layer, installed only
//! when spans are exported, takes them; the logs at info do not pay for
//! formatting them. `process` spans are at info, so log lines about a record
//! name it.
//!
//! Message keys are recorded (`messaging.kafka.message.key`) only where the
//! caller knows the key is an id (masked where an SMSC's id may embed a number): some topics are keyed by phone numbers
//! (inbound messages, their parts; a client's own send-request keys), which
//! never go into a span.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use rdkafka::message::{BorrowedHeaders, Header, Headers, Message, OwnedHeaders, OwnedMessage};
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct HeaderExtractor<'a>(&'a BorrowedHeaders);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|h| h.key.eq_ignore_ascii_case(key))
            .and_then(|h| h.value)
            .and_then(|v| std::str::from_utf8(v).ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|h| h.key).collect()
    }
}

/// Reads fields collected by [`PairInjector`].
struct PairExtractor<'a>(&'a [(String, String)]);

impl Extractor for PairExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// Collects injected fields as (key, value) pairs.
#[derive(Default)]
struct PairInjector(Vec<(String, String)>);

impl Injector for PairInjector {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_owned(), value));
    }
}

/// The remote trace context in these headers (an empty context when absent or malformed).
pub fn extract(headers: Option<&BorrowedHeaders>) -> opentelemetry::Context {
    match headers {
        Some(h) => TraceContextPropagator::new().extract(&HeaderExtractor(h)),
        None => opentelemetry::Context::new(),
    }
}

/// Makes `span` a child of the trace in `headers`, if they carry one. Call
/// before the span is first entered (tracing-opentelemetry fixes the trace id then).
pub fn adopt(span: &tracing::Span, headers: Option<&BorrowedHeaders>) {
    let cx = extract(headers);
    if cx.span().span_context().is_valid() {
        let _ = span.set_parent(cx);
    }
}

/// The trace headers (`traceparent`, `tracestate`) of `span`, as (key, value)
/// pairs; `incoming` (the fields the work arrived with) when the span has no
/// valid context, e.g. when no OpenTelemetry layer is installed — the trace
/// must travel either way.
pub fn fields_of(span: &tracing::Span, incoming: &[(String, String)]) -> Vec<(String, String)> {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return incoming.to_vec();
    }
    let mut injector = PairInjector::default();
    TraceContextPropagator::new().inject_context(&cx, &mut injector);
    // An empty `tracestate` is legal but noise in every record's headers.
    injector.0.retain(|(_, v)| !v.is_empty());
    injector.0
}

fn is_trace_field(key: &str) -> bool {
    key.eq_ignore_ascii_case("traceparent") || key.eq_ignore_ascii_case("tracestate")
}

/// Whether the record's key goes into its span (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The key is an id (request id): recorded.
    Record,
    /// The key may embed a phone number (a connection and an SMSC message
    /// id such as UCP's `AdC:SCTS`): recorded with its digit runs masked.
    Masked,
    /// The key may be a phone number or the client's own: left out.
    Omit,
}

/// The span of processing one consumed record: `process {topic}`, kind
/// consumer, with the messaging attributes of the record and of the
/// consumer `group`, a child of the trace the record carries.
pub fn process_span(message: &OwnedMessage, group: &str, key: Key) -> tracing::Span {
    let topic = message.topic();
    let span = tracing::info_span!(
        "process",
        "otel.name" = %format_args!("process {topic}"),
        "otel.kind" = "consumer",
        "messaging.system" = "kafka",
        "messaging.operation.name" = "process",
        "messaging.operation.type" = "process",
        "messaging.destination.name" = topic,
        "messaging.destination.partition.id" = %message.partition(),
        "messaging.kafka.offset" = message.offset(),
        "messaging.consumer.group.name" = group,
        "messaging.kafka.message.key" = Empty,
        "smsgw.route" = Empty,
        "smsgw.connection" = Empty,
    );
    if let Some(k) = message.key().and_then(|k| std::str::from_utf8(k).ok()) {
        match key {
            Key::Record => {
                span.record("messaging.kafka.message.key", k);
            }
            Key::Masked => {
                span.record("messaging.kafka.message.key", runtime::redact::digits(k));
            }
            Key::Omit => {}
        }
    }
    adopt(&span, message.headers().map(|h| h.as_borrowed()));
    span
}

/// For a record to `topic` whose `headers` carry a trace: the span of
/// publishing it (`send {topic}`, kind producer; record where it landed with
/// [`sent`]) as a child of that trace, linked to the current span when that
/// belongs to another trace, and the headers with the trace moved on to the
/// send span. `None` for a record without a trace, or without an
/// OpenTelemetry layer (the headers then travel as they are).
pub fn send_span(topic: &str, headers: &OwnedHeaders) -> Option<(tracing::Span, OwnedHeaders)> {
    if !headers.iter().any(|h| is_trace_field(h.key)) {
        return None;
    }
    let span = tracing::debug_span!(
        "send",
        "otel.name" = %format_args!("send {topic}"),
        "otel.kind" = "producer",
        "messaging.system" = "kafka",
        "messaging.operation.name" = "send",
        "messaging.operation.type" = "send",
        "messaging.destination.name" = topic,
        "messaging.destination.partition.id" = Empty,
        "messaging.kafka.offset" = Empty,
        "otel.status_code" = Empty,
        "error.type" = Empty,
    );
    if span.is_disabled() {
        return None;
    }
    let parent = extract(Some(headers.as_borrowed()));
    let parent_trace = parent.span().span_context().trace_id();
    let current = tracing::Span::current().context();
    let current = current.span().span_context().clone();
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
        if current.is_valid() && current.trace_id() != parent_trace {
            span.add_link(current);
        }
    }
    let fields = fields_of(&span, &[]);
    if fields.is_empty() {
        return None;
    }
    let kept = headers.iter().filter(|h| !is_trace_field(h.key));
    let others = kept.fold(OwnedHeaders::new(), |acc, h| acc.insert(Header { key: h.key, value: h.value }));
    Some((span, with_fields(others, &fields)))
}

/// A span continuing the trace in `fields` (from [`fields_of`]): for work
/// decided later than the record that carries its trace, such as a receipt
/// that waited for its submit record. Its publishes are linked to it.
pub fn resumed(fields: &[(String, String)]) -> tracing::Span {
    let span = tracing::debug_span!("resume");
    let cx = TraceContextPropagator::new().extract(&PairExtractor(fields));
    if cx.span().span_context().is_valid() {
        let _ = span.set_parent(cx);
    }
    span
}

/// Makes `span` the root of a trace of its own, whatever span it was created
/// in (for work that does not belong to the long-lived span around it, such
/// as a report an SMSC delivers on a link). Call before it is first entered.
pub fn new_trace(span: &tracing::Span) {
    let _ = span.set_parent(opentelemetry::Context::new());
}

/// Records on a [`send_span`] where the record landed, or why it did not.
pub fn sent(span: &tracing::Span, landed: Result<(i32, i64), &str>) {
    match landed {
        Ok((partition, offset)) => {
            span.record("messaging.destination.partition.id", tracing::field::display(partition));
            span.record("messaging.kafka.offset", offset);
        }
        Err(error_type) => {
            span.record("otel.status_code", "ERROR");
            span.record("error.type", error_type);
        }
    }
}

/// The W3C trace fields present in `headers`, to carry along with the work.
pub fn incoming_fields(headers: Option<&BorrowedHeaders>) -> Vec<(String, String)> {
    let Some(headers) = headers else { return Vec::new() };
    headers
        .iter()
        .filter(|h| is_trace_field(h.key))
        .filter_map(|h| Some((h.key.to_ascii_lowercase(), std::str::from_utf8(h.value?).ok()?.to_owned())))
        .collect()
}

/// Adds `fields` to `headers`.
pub fn with_fields(mut headers: OwnedHeaders, fields: &[(String, String)]) -> OwnedHeaders {
    for (key, value) in fields {
        headers = headers.insert(Header { key, value: Some(value.as_bytes()) });
    }
    headers
}

/// The value of header `key` as UTF-8, if present.
pub fn header_str<'a>(headers: Option<&'a BorrowedHeaders>, key: &str) -> Option<&'a str> {
    headers?.iter().find(|h| h.key == key).and_then(|h| h.value).and_then(|v| std::str::from_utf8(v).ok())
}

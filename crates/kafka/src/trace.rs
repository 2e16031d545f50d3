//! W3C trace context (`traceparent`, `tracestate`) carried in Kafka headers.
//!
//! Read from a request's headers, set as the parent of the span that handles
//! it, and written from the current span into every record smsgw publishes.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use rdkafka::message::{BorrowedHeaders, Header, Headers, OwnedHeaders};
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
    use opentelemetry::trace::TraceContextExt;
    if cx.span().span_context().is_valid() {
        let _ = span.set_parent(cx);
    }
}

/// The trace headers (`traceparent`, `tracestate`) of `span`, as (key, value)
/// pairs; `incoming` (the fields the work arrived with) when the span has no
/// valid context, e.g. when no OpenTelemetry layer is installed — the trace
/// must travel either way.
pub fn fields_of(span: &tracing::Span, incoming: &[(String, String)]) -> Vec<(String, String)> {
    use opentelemetry::trace::TraceContextExt;
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

/// The W3C trace fields present in `headers`, to carry along with the work.
pub fn incoming_fields(headers: Option<&BorrowedHeaders>) -> Vec<(String, String)> {
    let Some(headers) = headers else { return Vec::new() };
    headers
        .iter()
        .filter(|h| h.key.eq_ignore_ascii_case("traceparent") || h.key.eq_ignore_ascii_case("tracestate"))
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

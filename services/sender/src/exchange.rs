//! One exchange with the SMSC as an operator sees it: a span per submit and
//! its answer, and per report or message the SMSC delivers and our
//! acknowledgement; for submits also the latency histogram and the window
//! in use. Every link (framed protocols, HTTP, modems) goes through here, so
//! the spans and metrics are the same whatever the protocol.
//!
//! The spans carry the connection, protocol, sequence number (SMPP
//! sequence_number, UCP TRN, CIMD2 packet number), message id (its digit
//! runs masked: UCP, CIMD2 and modem ids embed the recipient's number;
//! `runtime::redact`) and outcome — never the message text or a phone number. A submit's span is a child of
//! the request's `process` span (its trace); what the SMSC delivers starts a
//! trace of its own (the SMSC carries no trace context), which the tracker
//! links to the request's trace when the receipt matches (see
//! `kafka::trace::send_span`).

use std::time::Instant;

use runtime::config::{ConnectionConfig, Protocol};
use tokio::sync::oneshot;
use tracing::field::Empty;

use crate::link::{Ack, Answer, Delivered, Incoming, SubmitError, Verdict};
use crate::queue::Submit;

type Reply = oneshot::Sender<Result<Answer, SubmitError>>;

/// A submission written to the SMSC and waiting for its answer. Answer it
/// with [`InFlight::answer`]; dropped unanswered, its caller sees
/// [`SubmitError::NotSent`].
pub struct InFlight {
    reply: Option<Reply>,
    span: tracing::Span,
    at: Instant,
    window: &'static counters::Gauge,
    latency: &'static counters::Histogram,
}

impl InFlight {
    /// `submit` goes out now, under `sequence` when the protocol numbers its frames.
    pub fn new(submit: Submit, config: &ConnectionConfig, sequence: Option<u32>) -> InFlight {
        let span = tracing::debug_span!(
            parent: &submit.parent,
            "submit",
            "otel.name" = %format_args!("submit {}", config.id),
            "otel.kind" = "client",
            "smsgw.connection" = %config.id,
            "smsgw.protocol" = config.protocol().name(),
            "smsgw.sequence_number" = Empty,
            "smsgw.message_id" = Empty,
            "smsgw.outcome" = Empty,
            "smsgw.protocol_code" = Empty,
            "otel.status_code" = Empty,
        );
        if let Some(sequence) = sequence {
            span.record("smsgw.sequence_number", sequence);
        }
        if let Some(to) = runtime::redact::number(&submit.submission.destination.value) {
            tracing::debug!(connection = %config.id, %to, "submit sent (telemetry.log_numbers)");
        }
        let window = counters::window_in_use(&config.id);
        window.inc();
        let latency = counters::submit_latency(&config.id);
        InFlight { reply: Some(submit.reply), span, at: Instant::now(), window, latency }
    }

    /// The SMSC's answer (or why none came) goes to the caller.
    pub fn answer(mut self, result: Result<Answer, SubmitError>) {
        let outcome = match &result {
            Ok(answer) => {
                self.latency.observe(self.at.elapsed());
                if !answer.message_id.is_empty() {
                    self.span.record("smsgw.message_id", runtime::redact::digits(&answer.message_id));
                }
                self.span.record("smsgw.protocol_code", answer.protocol_code);
                match answer.verdict {
                    Verdict::Accepted => "accepted",
                    Verdict::Throttled => "throttled",
                    Verdict::Temporary => "temporary",
                    Verdict::Permanent => "permanent",
                }
            }
            Err(SubmitError::Nack(code)) => {
                self.latency.observe(self.at.elapsed());
                if let Some(code) = code {
                    self.span.record("smsgw.protocol_code", code);
                }
                "nack"
            }
            Err(SubmitError::Timeout) => "timeout",
            Err(SubmitError::ConnectionLost) => "connection_lost",
            Err(_) => "not_sent",
        };
        self.span.record("smsgw.outcome", outcome);
        if outcome != "accepted" {
            self.span.record("otel.status_code", "ERROR");
        }
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(result);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.window.dec();
    }
}

/// What an SMSC delivered, with its span (a trace of its own), for
/// [`crate::inbound`]; the second half is where the acknowledgement comes.
pub fn delivered(
    connection: &str,
    protocol: Protocol,
    incoming: Incoming,
    sequence: Option<u32>,
) -> (Delivered, oneshot::Receiver<Ack>) {
    // Ids that embed the recipient's number (UCP, CIMD2, modems) are masked.
    let (kind, message_id) = match &incoming {
        Incoming::Report(r) => ("receipt", Some(runtime::redact::digits(&r.message_id))),
        Incoming::Mo(_) => ("message", None),
    };
    let span = tracing::debug_span!(
        "deliver",
        "otel.name" = %format_args!("{kind} {connection}"),
        "otel.kind" = "server",
        "smsgw.connection" = connection,
        "smsgw.protocol" = protocol.name(),
        "smsgw.sequence_number" = Empty,
        "smsgw.message_id" = message_id.as_deref(),
        "smsgw.outcome" = Empty,
        "otel.status_code" = Empty,
    );
    // A root: the link's own span lives as long as the connection.
    kafka::trace::new_trace(&span);
    if let Some(sequence) = sequence {
        span.record("smsgw.sequence_number", sequence);
    }
    let (ack, answer) = oneshot::channel();
    (Delivered { incoming, ack, span }, answer)
}

/// Records on a delivery's span how it was acknowledged (the span ends when dropped).
pub fn acknowledged(span: &tracing::Span, ack: Ack) {
    let outcome = match ack {
        Ack::Recorded => "recorded",
        Ack::Refused => "refused",
    };
    span.record("smsgw.outcome", outcome);
    if ack == Ack::Refused {
        span.record("otel.status_code", "ERROR");
    }
}

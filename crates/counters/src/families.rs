//! What smsgw counts. One static per family, one accessor each; [`render`]
//! lists them all. Label values other than `connection` come from the fixed
//! sets documented on each accessor.

use crate::family::{Counter, Family, Gauge, Seconds};
use crate::histogram::Histogram;

static REQUESTS: Family<Counter, 1> =
    Family::new("smsgw_requests_total", "Requests the router has decided on, by outcome.", ["status"]);
static SUBMITS: Family<Counter, 2> =
    Family::new("smsgw_submits_total", "submit_sm attempts by outcome.", ["connection", "result"]);
static RESUBMITS: Family<Counter, 1> = Family::new(
    "smsgw_resubmits_total",
    "submit_sm sent again after the response to an earlier attempt was lost (possible duplicates at the SMSC).",
    ["connection"],
);
static DUPLICATES_SKIPPED: Family<Counter, 1> = Family::new(
    "smsgw_duplicates_skipped_total",
    "Queue records not sent because their request id was already sent or being sent.",
    ["connection"],
);
static CONFIG_RELOADS: Family<Counter, 1> = Family::new(
    "smsgw_config_reloads_total",
    "Configuration reloads (SIGHUP or the file changed), by result: `applied`, or `refused` (it did not load or validate; the running one is kept).",
    ["result"],
);
static CONFIG_HELD: Family<Gauge, 0> = Family::new(
    "smsgw_config_held",
    "1 while a reloaded configuration that validated is held back for its Kafka topics (the broker unreachable, or a new connection's queue topics with another partition count than the done topic's) and tried again; the running one is kept meanwhile.",
    [],
);
static REROUTED: Family<Counter, 2> = Family::new(
    "smsgw_rerouted_total",
    "Queued requests handed to another connection of their route because theirs had no link for the route's reroute_after.",
    ["connection", "to"],
);
static OUTCOMES: Family<Counter, 2> =
    Family::new("smsgw_outcomes_total", "Status events published by the sender.", ["connection", "status"]);
static BINDS: Family<Gauge, 1> = Family::new(
    "smsgw_binds",
    "Binds or links currently up (SMPP, UCP and CIMD2 binds, HTTP clients, modems).",
    ["connection"],
);
/// Upper bounds of the submit latency buckets, in seconds: a healthy SMSC
/// answers within tens of milliseconds, a loaded one or an HTTP API in
/// hundreds, a struggling one in seconds; 30 s is past most response timeouts.
pub const SUBMIT_LATENCY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
static SUBMIT_LATENCY: Family<Histogram, 1> = Family::with_config(
    "smsgw_submit_latency_seconds",
    "Time from a submission written to the SMSC (SMPP/UCP/CIMD2 submit, HTTP request, AT+CMGS) to its answer, whatever the answer; submissions never answered are not observed.",
    ["connection"],
    SUBMIT_LATENCY_BUCKETS,
);
static WINDOW_IN_USE: Family<Gauge, 1> = Family::new(
    "smsgw_window_in_use",
    "Submissions sent and awaiting their answer, over the connection's binds or links (at most binds x window).",
    ["connection"],
);
static QUEUE_LAG: Family<Gauge, 1> = Family::new(
    "smsgw_queue_lag",
    "Records on the connection's queue topics (every priority lane) that this process has not taken up yet, over the partitions assigned to it: log end minus position, every 5 s.",
    ["connection"],
);
static BUILD_INFO: Family<Gauge, 1> =
    Family::new("smsgw_build_info", "Always 1; the running smsgw's version in its label.", ["version"]);
static RECEIPTS: Family<Counter, 2> =
    Family::new("smsgw_receipts_total", "Delivery receipts seen by the tracker, by result.", ["connection", "result"]);
static RECEIPTS_WAITING: Family<Gauge, 0> =
    Family::new("smsgw_receipts_waiting", "Receipts waiting for their submit record.", []);
static RECEIPT_TIMEOUTS: Family<Counter, 0> = Family::new(
    "smsgw_receipt_timeouts_total",
    "Submitted segments whose receipt did not come within segment_timeout.",
    [],
);
static FINALS: Family<Counter, 1> = Family::new(
    "smsgw_finals_total",
    "Terminal outcomes reaching the finaliser: `published` (the request's one terminal status) or `duplicate` (it had one already: a redo after a crash, or a re-sent copy's receipt).",
    ["result"],
);
static MO_PARTS: Family<Counter, 1> = Family::new(
    "smsgw_mo_parts_total",
    "Parts of concatenated inbound messages at the tracker, by result: `complete` (published in a whole message), `incomplete` (published after mo_timeout without the rest), `duplicate` (a part number seen before in the same message).",
    ["result"],
);
static MO_PARTS_WAITING: Family<Gauge, 0> =
    Family::new("smsgw_mo_parts_waiting", "Parts of concatenated inbound messages waiting for the rest.", []);
static IDS_REMEMBERED: Family<Gauge, 1> = Family::new(
    "smsgw_ids_remembered",
    "Request ids a connection's sender remembers as done (its idempotency set, kafka.id_retention).",
    ["connection"],
);
static LIMIT_REACHED: Family<Counter, 2> = Family::new(
    "smsgw_limit_reached_total",
    "Untrusted input refused or cut short by a memory bound, by limit (receipts_waiting, mo_sets) and connection.",
    ["limit", "connection"],
);
static MODEM_SIGNAL: Family<Gauge, 1> = Family::new(
    "smsgw_modem_signal",
    "A modem's signal quality, AT+CSQ <rssi> (TS 27.007 §8.5: 0-31, 99 unknown).",
    ["connection"],
);
static MODEM_REGISTRATION: Family<Gauge, 1> = Family::new(
    "smsgw_modem_registration",
    "A modem's network registration, AT+CREG? <stat> (TS 27.007 §7.2: 1 home, 5 roaming, others not registered).",
    ["connection"],
);
static RECORDS_REFUSED: Family<Counter, 1> = Family::new(
    "smsgw_records_refused_total",
    "Records the broker refused for good (too large, not authorised), noted on the dead-letter topic instead, by the topic they were for.",
    ["topic"],
);
static KEY_COLLISIONS: Family<Counter, 1> = Family::new(
    "smsgw_receipt_key_collisions_total",
    "Submit records whose receipt key (connection + message id) was still open for another segment: the SMSC reused a message id. The earlier segment ends with code receipt_key_collision.",
    ["connection"],
);
static RESTORE: Family<Seconds, 1> = Family::new(
    "smsgw_restore_seconds",
    "How long the last restore of a tracker stage's partition took (state read up to its fence, plus the stage's own restore step).",
    ["stage"],
);
static LINK_FAILURES: Family<Counter, 2> = Family::new(
    "smsgw_link_failures_total",
    "SMPP, UCP and CIMD2 connection attempts that failed, and open links lost, by reason: connect, tls, login, lost.",
    ["connection", "reason"],
);
static CALLBACKS_REFUSED: Family<Counter, 2> = Family::new(
    "smsgw_callbacks_refused_total",
    "HTTP callbacks refused before they were read, by reason: connections (over callback_max_connections), rate (over callback_max_rate, answered 429), unauthorised (missing or wrong callback_token).",
    ["connection", "reason"],
);
static SCHEDULED: Family<Counter, 1> = Family::new(
    "smsgw_scheduled_total",
    "Scheduled messages at the scheduler, by event: `scheduled` (a router wrote a new one to a level), `hop` (moved to a shorter level), `released` (due: back on the send topic), `cancelled`.",
    ["event"],
);
static SCHEDULED_HELD: Family<Gauge, 0> = Family::new(
    "smsgw_scheduled_held",
    "Scheduled messages held in memory because they are due within the next 1.5 s.",
    [],
);
static PARTITIONS_HELD: Family<Gauge, 1> = Family::new(
    "smsgw_partitions_held",
    "Partitions assigned to a group but not read until the group that read them before has no member left \
     (a rolling update from per-connection sender groups), by group.",
    ["group"],
);
static SCHEDULED_READ_AHEAD: Family<Gauge, 0> = Family::new(
    "smsgw_scheduled_read_ahead",
    "Records read from the delay-level topics and waiting for their gate (at most scheduler.read_ahead per partition).",
    [],
);
static CANCELS: Family<Counter, 1> = Family::new(
    "smsgw_cancels_total",
    "Cancel requests answered by this process, by result: `cancelled`, `too_late`, `not_waiting`, `invalid` (the finaliser keeps one answer per cancel id).",
    ["result"],
);
static INBOUND: Family<Counter, 2> =
    Family::new("smsgw_inbound_total", "deliver_sm received, by kind.", ["connection", "kind"]);

/// Router decisions. `status`: `queued`, `rejected`, `expired`, `dead_lettered`,
/// `failed` (a decoded request that could not be re-encoded; should never happen).
pub fn requests(status: &'static str) -> &'static Counter {
    REQUESTS.with([status])
}

/// One submit_sm attempt. `result`: `ok`, `throttled`, `temporary` (a retryable
/// error status or generic_nack), `permanent`, `timeout`, `connection_lost`, `not_sent`.
pub fn submits(connection: &str, result: &'static str) -> &'static Counter {
    SUBMITS.with([connection, result])
}

/// A submit_sm sent again after an attempt ended `timeout` or `connection_lost`.
pub fn resubmits(connection: &str) -> &'static Counter {
    RESUBMITS.with([connection])
}

/// A queue record skipped because its request id already has an outcome or is in progress.
pub fn duplicates_skipped(connection: &str) -> &'static Counter {
    DUPLICATES_SKIPPED.with([connection])
}

/// A configuration reload: `applied` or `refused`.
pub fn config_reloads(result: &'static str) -> &'static Counter {
    CONFIG_RELOADS.with([result])
}

/// Whether a reloaded configuration waits for its topics (1) or not (0).
pub fn config_held() -> &'static Gauge {
    CONFIG_HELD.with([])
}

/// A queued request of `connection` handed to connection `to` (reroute_after).
pub fn rerouted(connection: &str, to: &str) -> &'static Counter {
    REROUTED.with([connection, to])
}

/// A status event the sender published. `status`: the StatusEvent symbol (`SUBMITTED`, `FAILED`, ...).
pub fn outcomes(connection: &str, status: &'static str) -> &'static Counter {
    OUTCOMES.with([connection, status])
}

/// Binds of `connection` currently bound.
pub fn binds(connection: &str) -> &'static Gauge {
    BINDS.with([connection])
}

/// How long `connection`'s SMSC took to answer a submission: observed once
/// per answer (any answer: ok, an error, throttled), from the moment the
/// submission was written (PDU sent, HTTP request sent, AT+CMGS issued).
/// Timeouts and connections lost before the answer are not observed (they
/// are `submits` results).
pub fn submit_latency(connection: &str) -> &'static Histogram {
    SUBMIT_LATENCY.with([connection])
}

/// Submissions of `connection` written and awaiting their answer, summed
/// over its binds or links: `inc` when one is written, `dec` when its answer
/// comes or it is given up (timeout, connection lost).
pub fn window_in_use(connection: &str) -> &'static Gauge {
    WINDOW_IN_USE.with([connection])
}

/// Records of `connection`'s queue topics (all lanes) this process has not taken up yet
/// (set by `kafka::lag::watch`).
pub fn queue_lag(connection: &str) -> &'static Gauge {
    QUEUE_LAG.with([connection])
}

/// A receipt in the tracker. `result`: `matched` (a final receipt met its submit
/// record, at once or after waiting), `waiting` (it arrived before its submit
/// record; counted again later as `matched` or `unmatched`), `unmatched`,
/// `intermediate` (not final, e.g. ENROUTE), `undecodable`.
pub fn receipts(connection: &str, result: &'static str) -> &'static Counter {
    RECEIPTS.with([connection, result])
}

/// Receipts now waiting for their submit record.
pub fn receipts_waiting() -> &'static Gauge {
    RECEIPTS_WAITING.with([])
}

/// A submitted segment whose receipt never came (it ends UNDELIVERABLE, `receipt_timeout`).
pub fn receipt_timeouts() -> &'static Counter {
    RECEIPT_TIMEOUTS.with([])
}

/// A failed connection attempt of an SMPP, UCP or CIMD2 link, or an open
/// one lost. `reason`: `connect` (TCP connect failed or timed out), `tls`
/// (the TLS handshake failed or timed out: an untrusted certificate, a wrong
/// name, no common protocol; or TLS refused the session later, e.g. the
/// SMSC's alert for a missing client certificate), `login` (the session ended before it was open:
/// bind or login refused, closed by the SMSC, no answer), `lost` (an open
/// session ended by anything but our shutdown).
pub fn link_failures(connection: &str, reason: &'static str) -> &'static Counter {
    LINK_FAILURES.with([connection, reason])
}

/// A callback refused by the listener's protections. `reason`: `connections`,
/// `rate`, `unauthorised`.
pub fn callbacks_refused(connection: &str, reason: &'static str) -> &'static Counter {
    CALLBACKS_REFUSED.with([connection, reason])
}

/// A deliver_sm received. `kind`: `mo` or `receipt`.
pub fn inbound(connection: &str, kind: &'static str) -> &'static Counter {
    INBOUND.with([connection, kind])
}

/// An outcome at the finaliser. `result`: `published` or `duplicate`.
pub fn finals(result: &'static str) -> &'static Counter {
    FINALS.with([result])
}

/// Parts of concatenated inbound messages. `result`: `complete`, `incomplete`, `duplicate`.
pub fn mo_parts(result: &'static str) -> &'static Counter {
    MO_PARTS.with([result])
}

/// Parts of concatenated inbound messages waiting for the rest.
pub fn mo_parts_waiting() -> &'static Gauge {
    MO_PARTS_WAITING.with([])
}

/// A record the broker refused for good, noted on the dead-letter topic.
pub fn records_refused(topic: &str) -> &'static Counter {
    RECORDS_REFUSED.with([topic])
}

/// A receipt key reused by the SMSC while the earlier segment was still open.
pub fn key_collisions(connection: &str) -> &'static Counter {
    KEY_COLLISIONS.with([connection])
}

/// How long the last restore took. `stage`: `matcher`, `finaliser`, `reassembler`.
pub fn restore_seconds(stage: &'static str) -> &'static Seconds {
    RESTORE.with([stage])
}

/// Request ids a connection's sender remembers as done (its idempotency
/// set, bounded by `kafka.id_retention`; each connection keeps only its own).
pub fn ids_remembered(connection: &str) -> &'static Gauge {
    IDS_REMEMBERED.with([connection])
}

/// Untrusted input refused or cut short by a memory bound. `limit`:
/// `receipts_waiting` (a receipt published unmatched at once: its
/// connection's `tracker.max_waiting_per_connection`, or `max_waiting`, was
/// reached), `mo_sets` (a connection's oldest incomplete inbound message
/// published early: `tracker.max_mo_sets_per_connection`).
pub fn limit_reached(limit: &'static str, connection: &str) -> &'static Counter {
    LIMIT_REACHED.with([limit, connection])
}

/// A modem's last signal quality (`AT+CSQ` rssi).
pub fn modem_signal(connection: &str) -> &'static Gauge {
    MODEM_SIGNAL.with([connection])
}

/// A modem's last registration status (`AT+CREG?` stat).
pub fn modem_registration(connection: &str) -> &'static Gauge {
    MODEM_REGISTRATION.with([connection])
}

/// `smsgw_build_info{version}`: set to 1 once at start-up.
pub fn build_info(version: &'static str) -> &'static Gauge {
    BUILD_INFO.with([version])
}

/// A scheduled message's step. `event`: `scheduled`, `hop`, `released`, `cancelled`.
pub fn scheduled(event: &'static str) -> &'static Counter {
    SCHEDULED.with([event])
}

/// Scheduled messages held in memory until their `send_at`.
pub fn scheduled_held() -> &'static Gauge {
    SCHEDULED_HELD.with([])
}

/// Partitions of `group` held back for the group that read them before.
pub fn partitions_held(group: &str) -> &'static Gauge {
    PARTITIONS_HELD.with([group])
}

/// Level records read ahead, waiting for their gate.
pub fn scheduled_read_ahead() -> &'static Gauge {
    SCHEDULED_READ_AHEAD.with([])
}

/// A cancel answered. `result`: `cancelled`, `too_late`, `not_waiting`, `invalid`.
pub fn cancels(result: &'static str) -> &'static Counter {
    CANCELS.with([result])
}

/// Every family in the Prometheus text exposition format 0.0.4.
pub fn render() -> String {
    let mut out = String::new();
    BUILD_INFO.render(&mut out);
    REQUESTS.render(&mut out);
    SUBMITS.render(&mut out);
    RESUBMITS.render(&mut out);
    DUPLICATES_SKIPPED.render(&mut out);
    REROUTED.render(&mut out);
    CONFIG_RELOADS.render(&mut out);
    CONFIG_HELD.render(&mut out);
    OUTCOMES.render(&mut out);
    BINDS.render(&mut out);
    LINK_FAILURES.render(&mut out);
    WINDOW_IN_USE.render(&mut out);
    SUBMIT_LATENCY.render(&mut out);
    QUEUE_LAG.render(&mut out);
    RECEIPTS.render(&mut out);
    FINALS.render(&mut out);
    RECEIPTS_WAITING.render(&mut out);
    RECEIPT_TIMEOUTS.render(&mut out);
    INBOUND.render(&mut out);
    CALLBACKS_REFUSED.render(&mut out);
    RECORDS_REFUSED.render(&mut out);
    KEY_COLLISIONS.render(&mut out);
    RESTORE.render(&mut out);
    MO_PARTS.render(&mut out);
    MO_PARTS_WAITING.render(&mut out);
    LIMIT_REACHED.render(&mut out);
    IDS_REMEMBERED.render(&mut out);
    SCHEDULED.render(&mut out);
    SCHEDULED_HELD.render(&mut out);
    PARTITIONS_HELD.render(&mut out);
    SCHEDULED_READ_AHEAD.render(&mut out);
    CANCELS.render(&mut out);
    MODEM_SIGNAL.render(&mut out);
    MODEM_REGISTRATION.render(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn submit_latency_buckets_are_valid() {
        assert!(crate::histogram::valid_bounds(SUBMIT_LATENCY_BUCKETS));
    }

    #[test]
    fn restore_is_exposed_in_seconds() {
        restore_seconds("families-test").set(Duration::from_millis(1500));
        assert!(render().contains("smsgw_restore_seconds{stage=\"families-test\"} 1.5\n"));
        restore_seconds("families-test").set(Duration::from_millis(250));
        assert!(render().contains("smsgw_restore_seconds{stage=\"families-test\"} 0.25\n"));
    }
}

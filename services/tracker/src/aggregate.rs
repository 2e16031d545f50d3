//! Stage 2, the finaliser: the one place a request's *final event* is
//! published, so that a request gets exactly one, whatever crashed, was
//! redone or changed owner.
//!
//! A final event is a terminal status (DELIVERED, UNDELIVERABLE, EXPIRED,
//! FAILED, REJECTED), or the SUBMITTED of a request that expects no receipt.
//! The finaliser consumes outcomes keyed by request id (work): segment
//! outcomes from stage 1 (one per segment; a request of several waits for
//! all of them, or for `segment_timeout`) and final events decided by the
//! router or a sender. Its state is the compacted marker topic
//! (`kafka.topics.finals`, co-partitioned and read in the same consumer
//! group) plus the tail of the status topic; an outcome for a request that
//! already has its final event is a duplicate and is only counted.
//!
//! Order per request: publish the event (header `smsgw-final`), write its
//! marker, then acknowledge the outcomes. A crash between the event and the
//! marker leaves an event without a marker; the restore finds it in the
//! status topic's tail. Where that tail starts is written down, not guessed
//! from clocks: every marker carries a *floor*, a status-topic offset at or
//! below every final event this owner may still have in flight without a
//! marker (the lowest end of the status partition seen when any outcome
//! still pending was begun). A restore reads the markers to a fence, then the
//! status partition from the last marker's floor to its end, and writes the
//! markers found missing, so the next restore need not look further back.
//! See `docs/tracker.md`.

mod floors;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use events::Framing;
use futures::future::BoxFuture;
use kafka::rdkafka::message::{Message, OwnedMessage};
use kafka::recent::RecentIds;
use kafka::{Delivery, Ticket};
use records::{Marker, Outcome, SegmentOutcome};

use crate::outcome;
use crate::stage::{Effect, Found, Now, Out, Publish, Stage};

/// Reads partition p of the status topic from a floor (or, without one, from
/// a while back) to its end: the requests with a final event there.
pub type Restorer = Arc<dyn Fn(i32, Option<i64>) -> BoxFuture<'static, Found> + Send + Sync>;

/// What the finaliser is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    pub segment_timeout: Duration,
    pub id_retention: Duration,
    pub status_topic: String,
    pub finals_topic: String,
    pub framing: Framing,
}

impl Config {
    pub fn new(settings: &runtime::Settings, framing: Framing) -> Config {
        Config {
            segment_timeout: settings.tracker.segment_timeout,
            id_retention: settings.kafka.id_retention,
            status_topic: settings.kafka.topics.status.clone(),
            finals_topic: settings.kafka.topics.finals.clone(),
            framing,
        }
    }
}

struct Partial {
    total: u16,
    outcomes: BTreeMap<u16, SegmentOutcome>,
    partition: i32,
    tickets: Vec<Ticket>,
    since: Instant,
    floor: i64,
}

/// One partition's state.
struct Part {
    finalised: RecentIds,
    /// The floor of the last marker read (`None`: none read, or an old one without).
    last_floor: Option<i64>,
    /// Every final event published from now on lands at or after this
    /// status-topic offset; `None` until the restore found the end.
    status_end: Option<i64>,
}

/// Stage 2.
pub struct Finaliser {
    config: Config,
    restorer: Restorer,
    parts: HashMap<i32, Part>,
    partial: HashMap<String, Partial>,
    /// Final events being published: tag → (partition, floor).
    in_flight: HashMap<u64, (i32, i64)>,
    /// The floors of `partial` and `in_flight`.
    floors: floors::Floors,
    next_tag: u64,
}

impl Finaliser {
    pub fn new(config: Config, restorer: Restorer) -> Finaliser {
        Finaliser {
            config,
            restorer,
            parts: HashMap::new(),
            partial: HashMap::new(),
            in_flight: HashMap::new(),
            floors: floors::Floors::default(),
            next_tag: 0,
        }
    }

    fn part(&mut self, partition: i32) -> &mut Part {
        let retention = self.config.id_retention;
        self.parts.entry(partition).or_insert_with(|| Part {
            finalised: RecentIds::new(retention),
            last_floor: None,
            status_end: None,
        })
    }

    /// The floor a marker written now carries: at or below every final event
    /// of the partition that may still be published without its marker.
    fn floor(&self, partition: i32) -> i64 {
        let end = self.parts.get(&partition).and_then(|p| p.status_end).unwrap_or(0);
        self.floors.lowest(partition).map_or(end, |lowest| lowest.min(end))
    }

    /// Takes a request waiting for segments out of `partial`.
    fn take_partial(&mut self, id: &str) -> Option<Partial> {
        let p = self.partial.remove(id)?;
        self.floors.release(p.partition, p.floor);
        Some(p)
    }

    /// Publishes the final event, then its marker, then acknowledges.
    fn publish(
        &mut self,
        partition: i32,
        event: events::StatusEvent,
        trace: Vec<(String, String)>,
        tickets: Vec<Ticket>,
        floor: i64,
    ) -> Effect {
        counters::finals("published").inc();
        let payload = match events::encode_status(&event, self.config.framing) {
            Ok(payload) => payload,
            Err(e) => {
                // Cannot happen for events built here; the marker still ends the request.
                tracing::error!(error = %e, request_id = %event.request_id, "cannot encode the final event");
                let records =
                    self.marker(&event.request_id, event.status.symbol(), self.floor(partition)).into_iter().collect();
                return Effect::Publish(Publish { partition, records, acks: tickets, tag: None, cause: Vec::new() });
            }
        };
        let tag = self.next_tag;
        self.next_tag += 1;
        self.in_flight.insert(tag, (partition, floor));
        self.floors.hold(partition, floor);
        let final_event = Out::new(&self.config.status_topic, &event.request_id, payload)
            .headers(&trace)
            .header(records::STATUS_HEADER, event.status.symbol())
            .header(records::FINAL_HEADER, "true");
        let marker = self.marker(&event.request_id, event.status.symbol(), self.floor(partition));
        let records = std::iter::once(final_event).chain(marker).collect();
        Effect::Publish(Publish { partition, records, acks: tickets, tag: Some(tag), cause: Vec::new() })
    }

    /// A marker record; `None` if it cannot be encoded (then the restore
    /// finds the final event in the status tail instead).
    fn marker(&self, request_id: &str, status: &str, floor: i64) -> Option<Out> {
        let marker = Marker { status: status.to_owned(), floor: Some(floor) };
        match records::encode(&marker) {
            Ok(payload) => Some(Out::new(&self.config.finals_topic, request_id, payload)),
            Err(e) => {
                tracing::error!(error = %e, %request_id, "cannot encode a marker");
                None
            }
        }
    }

    fn finish(&mut self, p: Partial) -> Effect {
        let outcomes: Vec<SegmentOutcome> = p.outcomes.into_values().collect();
        let now = timing::now_ms();
        let event = match outcomes.as_slice() {
            [only] if p.total == 1 => outcome::single(&only.submit, &only.receipt, now),
            _ => outcome::aggregate(&outcomes, p.total, now),
        };
        let trace = outcomes.first().map(|o| o.submit.trace.clone()).unwrap_or_default();
        self.publish(p.partition, event, trace, p.tickets, p.floor)
    }
}

impl Stage for Finaliser {
    fn state(&mut self, message: &OwnedMessage, now: Now) -> Vec<Effect> {
        let Some(key) = message.key().map(|k| String::from_utf8_lossy(k).into_owned()) else { return Vec::new() };
        let at = message.timestamp().to_millis().unwrap_or(now.ms);
        let part = self.part(message.partition());
        match message.payload() {
            Some(bytes) => {
                part.finalised.insert(key, at);
                part.last_floor = records::decode::<Marker>(bytes).ok().and_then(|m| m.floor);
            }
            None => part.finalised.remove(&key),
        }
        Vec::new()
    }

    fn caught_up(&mut self, partition: i32, _now: Now) -> Vec<Effect> {
        let floor = self.part(partition).last_floor;
        vec![Effect::Restore { partition, job: (self.restorer)(partition, floor) }]
    }

    fn restored(&mut self, partition: i32, found: Found, now: Now) -> Vec<Effect> {
        let mut repairs = Vec::new();
        let part = self.part(partition);
        part.status_end = Some(part.status_end.unwrap_or(0).max(found.end));
        for key in found.keys {
            if !part.finalised.contains(&key, now.ms) {
                part.finalised.insert(key.clone(), now.ms);
                repairs.push(key);
            }
        }
        tracing::debug!(
            partition,
            finalised = part.finalised.len(),
            repaired = repairs.len(),
            "finaliser partition restored"
        );
        if repairs.is_empty() {
            return Vec::new();
        }
        // Final events whose marker a crash prevented: markers now, so the
        // next restore finds them without reading this far back.
        let records = repairs.iter().filter_map(|id| self.marker(id, "FINAL", found.end)).collect();
        vec![Effect::Publish(Publish { partition, records, acks: Vec::new(), tag: None, cause: Vec::new() })]
    }

    fn work(&mut self, message: &OwnedMessage, ticket: Ticket, now: Now) -> Vec<Effect> {
        let partition = message.partition();
        let outcome = match message.payload().map(records::decode::<Outcome>) {
            Some(Ok(o)) => o,
            _ => {
                tracing::warn!(partition, offset = message.offset(), "undecodable outcome record skipped");
                return vec![Effect::Ack(vec![ticket])];
            }
        };
        let id = outcome.request_id().to_owned();
        if self.part(partition).finalised.contains(&id, now.ms) {
            tracing::debug!(request_id = %id, "request already has its final event; outcome skipped");
            counters::finals("duplicate").inc();
            return vec![Effect::Ack(vec![ticket])];
        }
        let end = self.part(partition).status_end.unwrap_or(0);
        match outcome {
            Outcome::Terminal(t) => {
                self.part(partition).finalised.insert(id.clone(), now.ms);
                // Segments seen so far are moot; their records go with this one.
                let (mut tickets, floor) =
                    self.take_partial(&id).map_or((Vec::new(), end), |p| (p.tickets, p.floor.min(end)));
                tickets.push(ticket);
                vec![self.publish(partition, t.event, t.trace, tickets, floor)]
            }
            Outcome::Segment(segment) => {
                let floors = &mut self.floors;
                let entry = self.partial.entry(id.clone()).or_insert_with(|| {
                    floors.hold(partition, end);
                    Partial {
                        total: segment.submit.segments.max(1),
                        outcomes: BTreeMap::new(),
                        partition,
                        tickets: Vec::new(),
                        since: now.at,
                        floor: end,
                    }
                });
                entry.tickets.push(ticket);
                // A repeated segment (a receipt re-read after a restart) keeps the first outcome.
                entry.outcomes.entry(segment.submit.segment).or_insert(segment);
                if entry.outcomes.len() < usize::from(entry.total) {
                    return Vec::new();
                }
                let Some(p) = self.take_partial(&id) else { return Vec::new() };
                self.part(partition).finalised.insert(id, now.ms);
                vec![self.finish(p)]
            }
        }
    }

    /// Ends requests whose segments did not all come within `segment_timeout`.
    fn tick(&mut self, now: Now) -> Vec<Effect> {
        let timeout = self.config.segment_timeout;
        let expired: Vec<String> = self
            .partial
            .iter()
            .filter(|(_, p)| now.at.duration_since(p.since) >= timeout)
            .map(|(k, _)| k.clone())
            .collect();
        let mut effects = Vec::new();
        for id in expired {
            if let Some(p) = self.take_partial(&id) {
                tracing::warn!(request_id = %id, have = p.outcomes.len(), total = p.total, "segment receipts timed out");
                self.part(p.partition).finalised.insert(id, now.ms);
                effects.push(self.finish(p));
            }
        }
        effects
    }

    fn revoked(&mut self, partition: i32) {
        self.partial.retain(|_, p| p.partition != partition);
        self.parts.remove(&partition);
        self.in_flight.retain(|_, (p, _)| *p != partition);
        self.floors.forget(partition);
    }

    fn published(&mut self, tag: u64, deliveries: &[Option<Delivery>]) {
        let Some((partition, floor)) = self.in_flight.remove(&tag) else { return };
        self.floors.release(partition, floor);
        // The final event went first: anything published from now on lands after it.
        if let (Some(Some(event)), Some(part)) = (deliveries.first(), self.parts.get_mut(&partition)) {
            part.status_end = Some(part.status_end.unwrap_or(0).max(event.offset + 1));
        }
    }
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;

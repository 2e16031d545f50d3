//! Reassembly of concatenated inbound messages: the parts of one message, in
//! whatever order and on whatever bind or replica they arrived, meet here and
//! leave as one InboundMessage on the inbound topic.
//!
//! Senders publish each part ([`records::MoPart`]) keyed by connection,
//! addresses, reference and part count, so every part of a message is in one
//! partition of `kafka.topics.mo_parts` and so on one tracker. Parts stay
//! unacknowledged until their message is published: a restart re-reads them,
//! nothing is lost. A set still incomplete after `tracker.mo_timeout` is
//! published as what arrived, flagged `incomplete` in its metadata — never
//! dropped.
//!
//! A connection holds at most `tracker.max_mo_sets_per_connection`
//! incomplete messages: a new one beyond that publishes the connection's
//! oldest as it is (incomplete), so a flood of unfinished parts from one SMSC
//! cannot grow memory without bound, and costs no other connection anything.
//!
//! The message id is derived from the first part's partition and offset, so a
//! message published again after a crash (its parts were re-read) has the
//! same id and consumers can drop the copy.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use events::{Framing, InboundMessage};
use kafka::rdkafka::message::{Message, OwnedMessage};
use kafka::Ticket;
use records::MoPart;
use text::{Language, Shift};

use crate::stage::{Effect, Now, Out, Publish, Stage};

/// The parts of one message seen so far.
struct Set {
    connection: String,
    total: u8,
    parts: BTreeMap<u8, MoPart>,
    partition: i32,
    /// Every record of the set, duplicates included, to acknowledge at the end.
    tickets: Vec<Ticket>,
    since: Instant,
}

/// The third stage.
pub struct Reassembler {
    timeout: Duration,
    /// Incomplete sets per connection, at most.
    max_sets: usize,
    /// Incomplete sets per connection now.
    per_connection: HashMap<String, usize>,
    inbound_topic: String,
    framing: Framing,
    sets: HashMap<String, Set>,
}

impl Reassembler {
    /// Parts wait `timeout` for the rest; messages go to `inbound_topic`.
    pub fn new(timeout: Duration, max_sets: usize, inbound_topic: String, framing: Framing) -> Reassembler {
        let per_connection = HashMap::new();
        Reassembler { timeout, max_sets, per_connection, inbound_topic, framing, sets: HashMap::new() }
    }

    /// Takes set `key` out (published or revoked).
    fn take(&mut self, key: &str) -> Option<Set> {
        let set = self.sets.remove(key)?;
        counters::mo_parts_waiting().add(-(set.parts.len() as i64));
        if let Some(n) = self.per_connection.get_mut(&set.connection) {
            *n -= 1;
            if *n == 0 {
                self.per_connection.remove(&set.connection);
            }
        }
        Some(set)
    }

    /// Room for one more set of `connection`: its oldest goes out
    /// incomplete when it holds `max_sets` already.
    fn make_room(&mut self, connection: &str) -> Option<Effect> {
        if self.per_connection.get(connection).copied().unwrap_or(0) < self.max_sets {
            return None;
        }
        let oldest = self.sets.iter().filter(|(_, s)| s.connection == connection).min_by_key(|(_, s)| s.since);
        let key = oldest.map(|(k, _)| k.clone())?;
        let set = self.take(&key)?;
        tracing::warn!(%connection, max = self.max_sets, "too many incomplete inbound messages; publishing the oldest as it is");
        counters::limit_reached("mo_sets", connection).inc();
        counters::mo_parts("incomplete").add(set.parts.len() as u64);
        Some(self.publish(set, false))
    }

    fn publish(&self, set: Set, complete: bool) -> Effect {
        let first = set.tickets.iter().map(|t| t.offset).min().unwrap_or_default();
        let connection = set.parts.values().next().map_or("", |p| p.connection.as_str());
        let id = format!("{connection}-p{}-o{first}", set.partition);
        let message = assemble(id, set.total, &set.parts, complete);
        let records = match events::encode_inbound(&message, self.framing) {
            Ok(payload) => vec![Out::new(&self.inbound_topic, &message.from, payload)],
            Err(e) => {
                tracing::error!(error = %e, "cannot encode a reassembled inbound message; parts acknowledged");
                Vec::new()
            }
        };
        Effect::Publish(Publish { partition: set.partition, records, acks: set.tickets, tag: None, cause: Vec::new() })
    }
}

impl Stage for Reassembler {
    fn work(&mut self, message: &OwnedMessage, ticket: Ticket, now: Now) -> Vec<Effect> {
        let (partition, offset) = (message.partition(), message.offset());
        let part = match message.payload().map(records::decode::<MoPart>) {
            Some(Ok(p)) if p.total > 1 && (1..=p.total).contains(&p.seq) => p,
            _ => {
                tracing::warn!(partition, offset, "undecodable inbound part record skipped");
                return vec![Effect::Ack(vec![ticket])];
            }
        };
        let key = part.key();
        let mut effects = Vec::new();
        if !self.sets.contains_key(&key) {
            effects.extend(self.make_room(&part.connection));
            *self.per_connection.entry(part.connection.clone()).or_default() += 1;
        }
        let set = self.sets.entry(key.clone()).or_insert_with(|| Set {
            connection: part.connection.clone(),
            total: part.total,
            parts: BTreeMap::new(),
            partition,
            tickets: Vec::new(),
            since: now.at,
        });
        set.tickets.push(ticket);
        match set.parts.entry(part.seq) {
            // The SMSC delivered this part again (its response was lost): keep the first.
            std::collections::btree_map::Entry::Occupied(_) => counters::mo_parts("duplicate").inc(),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(part);
                counters::mo_parts_waiting().inc();
            }
        }
        if set.parts.len() < usize::from(set.total) {
            return effects;
        }
        let Some(set) = self.take(&key) else { return effects };
        counters::mo_parts("complete").add(set.parts.len() as u64);
        effects.push(self.publish(set, true));
        effects
    }

    fn tick(&mut self, now: Now) -> Vec<Effect> {
        let expired: Vec<String> = self
            .sets
            .iter()
            .filter(|(_, s)| now.at.duration_since(s.since) >= self.timeout)
            .map(|(k, _)| k.clone())
            .collect();
        let mut effects = Vec::new();
        for key in expired {
            if let Some(set) = self.take(&key) {
                tracing::warn!(connection = %set.connection, have = set.parts.len(), total = set.total, "inbound message incomplete after mo_timeout; publishing what arrived");
                counters::mo_parts("incomplete").add(set.parts.len() as u64);
                effects.push(self.publish(set, false));
            }
        }
        effects
    }

    /// A revoked partition's sets are re-read by its new owner.
    fn revoked(&mut self, partition: i32) {
        let theirs: Vec<String> =
            self.sets.iter().filter(|(_, s)| s.partition == partition).map(|(k, _)| k.clone()).collect();
        for key in theirs {
            self.take(&key);
        }
    }
}

/// One message from its parts (in part order). Parts with the same data
/// coding and tables are joined before decoding, so a character split across
/// two parts by the sending phone (a UTF-16 surrogate pair) comes out whole;
/// otherwise each part is decoded on its own. Missing parts are listed in
/// `metadata.missing_parts` and the message is flagged `incomplete`.
pub fn assemble(id: String, total: u8, parts: &BTreeMap<u8, MoPart>, complete: bool) -> InboundMessage {
    let mut metadata = events::Metadata::new();
    let first = parts.values().next();
    let same = |p: &MoPart| {
        first.is_some_and(|f| {
            (f.data_coding, f.locking_shift, f.single_shift) == (p.data_coding, p.locking_shift, p.single_shift)
        })
    };
    let shift = |p: &MoPart| Shift {
        locking: p.locking_shift.and_then(Language::from_id),
        single: p.single_shift.and_then(Language::from_id),
    };
    let (text, payload) = if parts.values().all(same) {
        let body: Vec<u8> = parts.values().flat_map(|p| p.body.iter().copied()).collect();
        let decoded = first.map(|f| text::decode::decode_with(f.data_coding, shift(f), &body));
        match decoded.and_then(|d| d.text) {
            Some(t) => (Some(t), None),
            None => (None, Some(body)),
        }
    } else {
        let mut text = String::new();
        for p in parts.values() {
            text.push_str(&text::decode::decode_with(p.data_coding, shift(p), &p.body).text.unwrap_or_default());
        }
        metadata.insert("mixed_data_coding".into(), "true".into());
        (Some(text), None)
    };
    if let Some(f) = first {
        metadata.insert("concat".into(), format!("{}/{}", f.reference, total));
    }
    if !complete {
        metadata.insert("incomplete".into(), "true".into());
        let missing: Vec<String> = (1..=total).filter(|s| !parts.contains_key(s)).map(|s| s.to_string()).collect();
        metadata.insert("missing_parts".into(), missing.join(","));
    }
    let last = parts.values().max_by_key(|p| p.received_at);
    InboundMessage {
        id,
        connection: first.map(|p| p.connection.clone()).unwrap_or_default(),
        from: first.map(|p| p.from.clone()).unwrap_or_default(),
        to: first.map(|p| p.to.clone()).unwrap_or_default(),
        text,
        payload,
        data_coding: first.map_or(0, |p| p.data_coding),
        segments: parts.len() as u16,
        smsc_timestamp: first.and_then(|p| p.smsc_timestamp),
        received_at: last.map_or(0, |p| p.received_at),
        metadata,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(seq: u8, data_coding: u8, body: &[u8]) -> MoPart {
        MoPart {
            connection: "c".into(),
            from: "4911".into(),
            to: "1234".into(),
            reference: 42,
            total: 3,
            seq,
            data_coding,
            locking_shift: None,
            single_shift: None,
            body: body.to_vec(),
            smsc_timestamp: None,
            received_at: i64::from(seq) * 10,
        }
    }

    /// The first part of message `reference` from `connection`, as a record.
    fn first_part(connection: &str, reference: u16, offset: i64) -> (OwnedMessage, Ticket) {
        let mut p = part(1, 0, b"x");
        (p.connection, p.reference) = (connection.into(), reference);
        let message = OwnedMessage::new(
            Some(serde_json::to_vec(&p).unwrap()),
            Some(p.key().into_bytes()),
            "sms.mo-parts".into(),
            kafka::rdkafka::Timestamp::CreateTime(1),
            0,
            offset,
            None,
        );
        (message, Ticket { offset, lease: kafka::lease::Lease::detached("sms.mo-parts", 0) })
    }

    #[test]
    fn a_connection_over_its_bound_publishes_its_oldest_set_early_and_others_are_untouched() {
        let t = Instant::now();
        let mut r = Reassembler::new(Duration::from_secs(600), 2, "sms.inbound".into(), Framing::SingleObject);
        let mut work = |connection: &str, reference: u16, offset: i64, secs: u64| {
            let (message, ticket) = first_part(connection, reference, offset);
            r.work(&message, ticket, Now { at: t + Duration::from_secs(secs), ms: 0 })
        };
        assert!(work("noisy", 1, 0, 0).is_empty());
        assert!(work("calm", 9, 1, 1).is_empty());
        assert!(work("noisy", 2, 2, 2).is_empty());
        let before = counters::limit_reached("mo_sets", "noisy").get();
        // A third incomplete message from "noisy": its oldest (reference 1) goes out as it is.
        let effects = work("noisy", 3, 3, 3);
        let [Effect::Publish(p)] = effects.as_slice() else { panic!("one publish: {effects:?}") };
        assert_eq!(p.acks.iter().map(|t| t.offset).collect::<Vec<_>>(), [0], "the oldest set's part");
        let message = events::decode_inbound(p.records[0].payload.as_deref().unwrap(), None).unwrap();
        assert_eq!(message.metadata.get("incomplete").map(String::as_str), Some("true"));
        assert_eq!(counters::limit_reached("mo_sets", "noisy").get(), before + 1);
        // "calm" keeps its set: another of its own fits.
        assert!(work("calm", 10, 4, 4).is_empty());
    }

    fn set(parts: Vec<MoPart>) -> BTreeMap<u8, MoPart> {
        parts.into_iter().map(|p| (p.seq, p)).collect()
    }

    #[test]
    fn parts_join_in_order_whatever_order_they_came() {
        let parts = set(vec![part(3, 0, b" three"), part(1, 0, b"one"), part(2, 0, b" two")]);
        let m = assemble("id".into(), 3, &parts, true);
        assert_eq!(m.text.as_deref(), Some("one two three"));
        assert_eq!(m.segments, 3);
        assert_eq!(m.received_at, 30, "when the last part arrived");
        assert!(!m.metadata.contains_key("incomplete"));
        assert_eq!(m.metadata.get("concat").map(String::as_str), Some("42/3"));
    }

    #[test]
    fn a_surrogate_pair_split_across_parts_comes_out_whole() {
        let utf16 = text::ucs2::encode("ab😀");
        let parts = set(vec![part(1, 8, &utf16[..6]), part(2, 8, &utf16[6..]), part(3, 8, &text::ucs2::encode("!"))]);
        assert_eq!(assemble("id".into(), 3, &parts, true).text.as_deref(), Some("ab😀!"));
    }

    #[test]
    fn incomplete_sets_say_what_is_missing() {
        let parts = set(vec![part(1, 0, b"one"), part(3, 0, b" three")]);
        let m = assemble("id".into(), 3, &parts, false);
        assert_eq!(m.text.as_deref(), Some("one three"));
        assert_eq!(m.segments, 2);
        assert_eq!(m.metadata.get("incomplete").map(String::as_str), Some("true"));
        assert_eq!(m.metadata.get("missing_parts").map(String::as_str), Some("2"));
    }

    #[test]
    fn mixed_codings_decode_part_by_part_and_binary_stays_bytes() {
        let parts = set(vec![part(1, 0, b"Gr"), part(2, 3, b"\xfc\xdf"), part(3, 8, &text::ucs2::encode("e"))]);
        let m = assemble("id".into(), 3, &parts, true);
        assert_eq!(m.text.as_deref(), Some("Grüße"));
        let binary = set(vec![part(1, 4, &[0, 1]), part(2, 4, &[2]), part(3, 4, &[3])]);
        let m = assemble("id".into(), 3, &binary, true);
        assert_eq!((m.text, m.payload), (None, Some(vec![0, 1, 2, 3])));
    }

    #[test]
    fn national_tables_of_the_parts_are_used() {
        let mut p = part(1, 0, &[0x1B, 0x47]);
        p.single_shift = Some(Language::Turkish.id());
        let mut q = part(2, 0, b"!");
        q.single_shift = Some(Language::Turkish.id());
        let m = assemble("id".into(), 2, &set(vec![p, q]), true);
        assert_eq!(m.text.as_deref(), Some("Ğ!"));
    }
}

//! What the matcher does with each record it reads and each tick: the
//! [`Stage`] side of [`Matcher`], driven by `crate::stage::run`.

use super::*;

impl Stage for Matcher {
    fn state(&mut self, message: &OwnedMessage, now: Now) -> Vec<Effect> {
        let (partition, offset) = (message.partition(), message.offset());
        let checkpoint = self.checkpoints.entry(partition).or_default();
        checkpoint.next = checkpoint.next.max(offset + 1);
        checkpoint.sample(message.timestamp().to_millis().unwrap_or(now.ms), offset);
        let Some(key) = message.key().map(|k| String::from_utf8_lossy(k).into_owned()) else {
            tracing::warn!(partition, offset, "submit record without a key ignored");
            return Vec::new();
        };
        match message.payload() {
            None => {
                let segment = message.headers().and_then(|h| {
                    h.iter()
                        .find(|h| h.key == SEGMENT_HEADER)
                        .and_then(|h| h.value)
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                });
                self.tombstone(&key, segment)
            }
            Some(bytes) => match records::decode::<SubmitRecord>(bytes) {
                Ok(record) => self.submit_record(key, record, partition, offset),
                Err(e) => {
                    tracing::warn!(error = %e, partition, offset, "undecodable submit record ignored");
                    Vec::new()
                }
            },
        }
    }

    fn caught_up(&mut self, partition: i32, _now: Now) -> Vec<Effect> {
        self.restored.insert(partition);
        tracing::debug!(partition, open = self.open_count(), "submit records restored");
        Vec::new()
    }

    fn work(&mut self, message: &OwnedMessage, ticket: Ticket, now: Now) -> Vec<Effect> {
        let receipt = match message.payload().map(records::decode::<ReceiptRecord>) {
            Some(Ok(r)) => r,
            other => {
                tracing::warn!(error = ?other.and_then(|r| r.err()).map(|e| e.to_string()), "undecodable receipt record skipped");
                // Not even the connection is known for sure; the key's prefix could be anything.
                counters::receipts("unknown", "undecodable").inc();
                return vec![Effect::Ack(vec![ticket])];
            }
        };
        let Some(key) = message.key().map(|k| String::from_utf8_lossy(k).into_owned()) else {
            return vec![self.unmatched(&receipt, ticket, now)];
        };
        if !receipt.is_final {
            // Intermediate notifications (ENROUTE, ACCEPTD) change nothing yet.
            counters::receipts(&receipt.connection, "intermediate").inc();
            return vec![Effect::Ack(vec![ticket])];
        }
        if let Some(open) = self.remove(&key) {
            counters::receipts(&receipt.connection, "matched").inc();
            return vec![self.conclude(&key, open, receipt, vec![ticket], true)];
        }
        if self.concluded.contains(&key) {
            return vec![Self::duplicate(&receipt, ticket)];
        }
        let held = self.waiting_by_connection.get(&receipt.connection).copied().unwrap_or(0);
        if self.waiting_count >= self.config.max_waiting || held >= self.config.max_waiting_per_connection {
            tracing::warn!(
                connection = %receipt.connection,
                held,
                "too many receipts waiting for their submit record; publishing as unmatched"
            );
            counters::limit_reached("receipts_waiting", &receipt.connection).inc();
            return vec![self.unmatched(&receipt, ticket, now)];
        }
        self.waiting_count += 1;
        *self.waiting_by_connection.entry(receipt.connection.clone()).or_default() += 1;
        counters::receipts(&receipt.connection, "waiting").inc();
        counters::receipts_waiting().inc();
        // Its processing's trace (the record's own without an OpenTelemetry layer).
        let incoming = kafka::trace::incoming_fields(message.headers().map(|h| h.as_borrowed()));
        let trace = kafka::trace::fields_of(&tracing::Span::current(), &incoming);
        self.waiting.entry(key).or_default().push(Waiting { receipt, ticket, since: now.at, trace });
        Vec::new()
    }

    fn tick(&mut self, now: Now) -> Vec<Effect> {
        let mut effects = Vec::new();
        // Receipts that waited long enough for their submit record.
        let wait = self.config.receipt_wait;
        let mut expired = Vec::new();
        self.waiting.retain(|key, list| {
            let (old, young): (Vec<_>, Vec<_>) = list.drain(..).partition(|w| now.at.duration_since(w.since) >= wait);
            expired.extend(old.into_iter().map(|w| (key.clone(), w)));
            *list = young;
            !list.is_empty()
        });
        for (_, w) in &expired {
            self.unwait(std::slice::from_ref(w));
        }
        for (key, w) in expired {
            if self.concluded.contains(&key) {
                effects.push(Self::duplicate(&w.receipt, w.ticket));
            } else {
                tracing::warn!(connection = %w.receipt.connection, "receipt matched no submitted message");
                effects.push(self.unmatched(&w.receipt, w.ticket, now));
            }
        }
        // Segments whose receipt never came, in restored partitions only.
        if self.last_scan.is_none_or(|t| now.at.duration_since(t) >= self.scan_every()) {
            self.last_scan = Some(now.at);
            let cutoff = now.ms - self.config.segment_timeout.as_millis() as i64;
            let stale: Vec<String> = self
                .open
                .iter()
                .filter(|(_, o)| o.record.submitted_at < cutoff && self.restored.contains(&o.partition))
                .map(|(k, _)| k.clone())
                .collect();
            for key in stale {
                if let Some(open) = self.remove(&key) {
                    tracing::info!(request_id = %open.record.request_id, "no receipt within segment_timeout");
                    counters::receipt_timeouts().inc();
                    let stand_in = outcome::missing_receipt(&open.record, now.ms);
                    effects.push(self.conclude(&key, open, stand_in, Vec::new(), true));
                }
            }
        }
        // Where the next restore of each restored partition may start.
        let window = self.config.duplicate_window;
        for partition in self.restored.clone() {
            let Some(checkpoint) = self.checkpoints.get_mut(&partition) else { continue };
            let offset = checkpoint.offset(now.ms, window);
            if checkpoint.stored != Some(offset) {
                checkpoint.stored = Some(offset);
                effects.push(Effect::Checkpoint { partition, offset });
            }
        }
        effects
    }

    fn revoked(&mut self, partition: i32) {
        let keys: Vec<String> =
            self.open.iter().filter(|(_, o)| o.partition == partition).map(|(k, _)| k.clone()).collect();
        for key in keys {
            self.open.remove(&key);
        }
        self.checkpoints.remove(&partition);
        let mut gone = Vec::new();
        self.waiting.retain(|_, list| {
            let (theirs, kept): (Vec<_>, Vec<_>) = list.drain(..).partition(|w| w.ticket.partition() == partition);
            gone.extend(theirs);
            *list = kept;
            !list.is_empty()
        });
        self.unwait(&gone);
        self.restored.remove(&partition);
    }
}

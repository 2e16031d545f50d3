//! Per-tenant quotas (`[[quotas]]`), for the gateway as a whole however many
//! router replicas share `sms.send`:
//!
//! - `per_second`: each replica holds requests back to its share of the
//!   rate — the share of `sms.send`'s partitions it is assigned, re-read
//!   every second (requests are keyed by id, so partitions carry even shares).
//! - `per_day` (UTC): each replica counts what it queued per tenant and day
//!   and reports the count every second on the compacted `sms.quotas`; every
//!   replica reads all reports (to their end before it routes, so a restart
//!   forgets nothing) and refuses a request once the day's total is reached.
//!   Replicas learn each other's counts within about a second, so at a
//!   tenant's full rate several replicas may pass the limit by that second's
//!   worth of their shares.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota as Rate, RateLimiter};
use kafka::rdkafka::message::{Message, OwnedHeaders, OwnedMessage};
use kafka::{AckingConsumer, Outgoing, Producer};
use records::QuotaCount;
use runtime::config::{KafkaConfig, Quota};
use tokio_util::sync::CancellationToken;

const DAY_MS: i64 = 86_400_000;

#[derive(Default)]
struct Counts {
    /// This replica's count per day, and whether it changed since reported.
    own: HashMap<i64, (u64, bool)>,
    /// The other replicas' latest reports: (day, replica) → count.
    others: HashMap<(i64, String), u64>,
}

struct Tenant {
    quota: Quota,
    limiter: Mutex<Option<(u32, Arc<DefaultDirectRateLimiter>)>>,
    counts: Mutex<Counts>,
}

/// Every tenant's quota and what counts against it.
pub struct Quotas {
    tenants: HashMap<String, Tenant>,
    replica: String,
    /// Thousandths of `sms.send`'s partitions this replica holds.
    share: std::sync::atomic::AtomicU32,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Quotas {
    pub fn new(quotas: &[Quota]) -> Self {
        Quotas {
            tenants: quotas
                .iter()
                .map(|q| {
                    let tenant = Tenant { quota: q.clone(), limiter: Mutex::default(), counts: Mutex::default() };
                    (q.tenant.clone(), tenant)
                })
                .collect(),
            replica: runtime::replica(),
            share: std::sync::atomic::AtomicU32::new(1000),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tenants.is_empty()
    }

    /// Sets this replica's share of the partitions (`held` of `total`).
    pub fn set_share(&self, held: usize, total: usize) {
        let share = (held * 1000).checked_div(total).map_or(1000, |s| s.min(1000) as u32);
        self.share.store(share, std::sync::atomic::Ordering::Relaxed);
    }

    /// Takes one of the tenant's requests for today (UTC) at `now`: `Err`
    /// with the limit when today's total over every replica has reached it.
    /// Counted at once, so requests routed side by side cannot all pass;
    /// [`Quotas::give_back`] when the request is not queued after all.
    pub fn take(&self, tenant: Option<&str>, now: i64) -> Result<(), u64> {
        let Some(t) = tenant.and_then(|t| self.tenants.get(t)) else { return Ok(()) };
        let day = now.div_euclid(DAY_MS);
        let mut counts = lock(&t.counts);
        if let Some(limit) = t.quota.per_day {
            let others: u64 = counts.others.iter().filter(|((d, _), _)| *d == day).map(|(_, n)| n).sum();
            let own = counts.own.get(&day).map_or(0, |(n, _)| *n);
            if own + others >= limit {
                return Err(limit);
            }
        }
        let own = counts.own.entry(day).or_default();
        *own = (own.0 + 1, true);
        Ok(())
    }

    /// Returns a request [`Quotas::take`] counted but that was not queued.
    pub fn give_back(&self, tenant: Option<&str>, now: i64) {
        let Some(t) = tenant.and_then(|t| self.tenants.get(t)) else { return };
        if let Some(own) = lock(&t.counts).own.get_mut(&now.div_euclid(DAY_MS)) {
            *own = (own.0.saturating_sub(1), true);
        }
    }

    /// Waits for the tenant's per-second rate (this replica's share of it);
    /// false when `shutdown` came first.
    pub async fn hold(&self, tenant: Option<&str>, shutdown: &CancellationToken) -> bool {
        let Some(t) = tenant.and_then(|t| self.tenants.get(t)) else { return true };
        let Some(per_second) = t.quota.per_second else { return true };
        let share = self.share.load(std::sync::atomic::Ordering::Relaxed);
        let rate = (u64::from(per_second) * u64::from(share) / 1000).max(1) as u32;
        let limiter = {
            let mut current = lock(&t.limiter);
            match current.as_ref() {
                Some((r, limiter)) if *r == rate => limiter.clone(),
                _ => {
                    let quota =
                        Rate::per_second(NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN)).allow_burst(NonZeroU32::MIN);
                    let limiter = Arc::new(RateLimiter::direct(quota));
                    *current = Some((rate, limiter.clone()));
                    limiter
                }
            }
        };
        tokio::select! {
            _ = limiter.until_ready() => true,
            _ = shutdown.cancelled() => false,
        }
    }

    fn on_record(&self, m: &OwnedMessage) {
        let Ok(report) = records::decode::<QuotaCount>(m.payload().unwrap_or_default()) else {
            tracing::warn!(offset = m.offset(), "not a quota count; skipped");
            return;
        };
        let Some(t) = self.tenants.get(&report.tenant) else { return };
        let mut counts = lock(&t.counts);
        if report.replica == self.replica {
            // A replica that comes back under its old name (a StatefulSet
            // pod, pid 1 in its container) carries on from its own count.
            let own = counts.own.entry(report.day).or_default();
            own.0 = own.0.max(report.count);
            return;
        }
        let count = counts.others.entry((report.day, report.replica)).or_default();
        *count = (*count).max(report.count);
    }

    /// Reads every replica's counts to their end (false: shutdown first),
    /// then reports this replica's every second and follows the share of
    /// `sms.send` that `consumer` holds, until `shutdown`.
    pub async fn start(
        self: &Arc<Self>,
        kafka: &KafkaConfig,
        consumer: &Arc<AckingConsumer>,
        producer: Producer,
        shutdown: CancellationToken,
    ) -> Result<bool, kafka::Error> {
        if self.is_empty() {
            return Ok(true);
        }
        let quotas = self.clone();
        let on_record = move |m: &OwnedMessage| quotas.on_record(m);
        if !kafka::restore::follow(kafka, &kafka.topics.quotas, producer.clone(), shutdown.clone(), on_record).await? {
            return Ok(false);
        }
        let total = kafka::partition_counts(kafka, &[&kafka.topics.send]).await?[0].1;
        let (quotas, send, topic) = (self.clone(), kafka.topics.send.clone(), kafka.topics.quotas.clone());
        let consumer = consumer.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = every.tick() => {}
                }
                quotas.set_share(consumer.positions(&send).len(), total);
                quotas.report(&producer, &topic).await;
            }
            quotas.report(&producer, &topic).await;
        });
        Ok(true)
    }

    /// Publishes this replica's counts that changed; yesterday's go too, until they stop changing.
    async fn report(&self, producer: &Producer, topic: &str) {
        for (tenant, t) in &self.tenants {
            let changed: Vec<(i64, u64)> = {
                let mut counts = lock(&t.counts);
                counts
                    .own
                    .iter_mut()
                    .filter(|(_, (_, c))| *c)
                    .map(|(day, (n, c))| {
                        *c = false;
                        (*day, *n)
                    })
                    .collect()
            };
            for (day, count) in changed {
                let record = QuotaCount { tenant: tenant.clone(), day, replica: self.replica.clone(), count };
                let Ok(payload) = records::encode(&record) else { continue };
                let key = record.key();
                let out = Outgoing { topic, key: &key, payload: &payload, headers: OwnedHeaders::new() };
                if producer.publish(out).await.is_err() {
                    // Reported again next time.
                    if let Some(own) = lock(&t.counts).own.get_mut(&day) {
                        own.1 = true;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotas(per_day: u64) -> Quotas {
        Quotas::new(&[Quota { tenant: "acme".into(), per_second: None, per_day: Some(per_day) }])
    }

    #[test]
    fn the_day_counts_every_replica_and_starts_over() {
        let q = quotas(5);
        let now = 3 * DAY_MS + 1000;
        for _ in 0..3 {
            assert_eq!(q.take(Some("acme"), now), Ok(()));
        }
        q.on_record(&report("r2", 2));
        assert_eq!(q.take(Some("acme"), now), Err(5), "3 here and 2 on another replica");
        q.give_back(Some("acme"), now);
        assert_eq!(q.take(Some("acme"), now), Ok(()), "one given back");
        assert_eq!(q.take(Some("acme"), now), Err(5));
        assert_eq!(q.take(Some("acme"), now + DAY_MS), Ok(()), "a new day");
        assert_eq!(q.take(Some("other"), now), Ok(()), "no quota");
        assert_eq!(q.take(None, now), Ok(()));
    }

    fn report(replica: &str, count: u64) -> OwnedMessage {
        let record = QuotaCount { tenant: "acme".into(), day: 3, replica: replica.into(), count };
        OwnedMessage::new(
            Some(serde_json::to_vec(&record).unwrap()),
            None,
            "sms.quotas".into(),
            kafka::rdkafka::Timestamp::NotAvailable,
            0,
            0,
            None,
        )
    }

    #[test]
    fn a_replica_back_under_its_old_name_carries_on_from_its_count() {
        let q = quotas(5);
        let now = 3 * DAY_MS + 1000;
        q.on_record(&report(&q.replica.clone(), 4));
        assert_eq!(q.take(Some("acme"), now), Ok(()), "4 of 5 before the restart");
        assert_eq!(q.take(Some("acme"), now), Err(5));
    }

    #[tokio::test]
    async fn per_second_is_this_replicas_share() {
        let q = Quotas::new(&[Quota { tenant: "acme".into(), per_second: Some(20), per_day: None }]);
        q.set_share(1, 2);
        let start = tokio::time::Instant::now();
        let shutdown = CancellationToken::new();
        for _ in 0..6 {
            assert!(q.hold(Some("acme"), &shutdown).await);
        }
        // 10 per second here: 6 take at least half a second.
        assert!(start.elapsed() >= Duration::from_millis(450), "{:?}", start.elapsed());
        assert!(q.hold(Some("other"), &shutdown).await, "no quota, no wait");
    }
}

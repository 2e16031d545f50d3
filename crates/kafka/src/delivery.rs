//! The librdkafka producer under [`crate::Producer`], with a thread of its
//! own that serves the delivery reports (each report completes the publish
//! that waits for it).
//!
//! Not rust-rdkafka's `FutureProducer`: its thread (`ThreadedProducer`)
//! calls `BaseProducer::poll(100 ms)` in a loop, and that poll waits for
//! the next report with the time left converted to whole milliseconds. Less
//! than a millisecond before each round ends that is 0: librdkafka returns
//! at once, and the loop spins until the round is over. One spin of up to
//! a millisecond every 100 ms, busy or idle, made 39 of an idle gateway's
//! 48 ms of CPU a second (its four producers; measured per thread from
//! `/proc`). librdkafka fixed the same rounding in its own main loop
//! (confluentinc/librdkafka#4671). Here a round lasts [`ROUND`], so the
//! spin is a tenth of what it was, in safe code: waking the thread on each
//! report (`rd_kafka_queue_cb_event_enable`) would take `unsafe`, which this
//! workspace forbids.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::FromClientConfigAndContext;
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer as _, ProducerContext, PurgeConfig};
use rdkafka::{ClientConfig, ClientContext};
use tokio::sync::oneshot;

/// How long one poll waits for reports. Also how long a dropped producer's
/// thread may take to notice and let the producer go.
const ROUND: Duration = Duration::from_secs(1);

/// Where a record landed, or why it did not (with the record, for a retry).
pub type Outcome = Result<(i32, i64), (KafkaError, OwnedMessage)>;

/// The context: `C`'s, plus completing each record's publish.
pub struct Reports<C> {
    inner: C,
}

impl<C: ClientContext> ClientContext for Reports<C> {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        self.inner.log(level, fac, message);
    }

    fn stats_raw(&self, statistics: &[u8]) {
        self.inner.stats_raw(statistics);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.inner.error(error, reason);
    }
}

impl<C: ClientContext> ProducerContext for Reports<C> {
    type DeliveryOpaque = Box<oneshot::Sender<Outcome>>;

    fn delivery(&self, result: &DeliveryResult<'_>, done: Self::DeliveryOpaque) {
        let outcome = match result {
            Ok(m) => Ok((m.partition(), m.offset())),
            Err((e, m)) => Err((e.clone(), m.detach())),
        };
        // The publish may have stopped waiting: nothing to tell then.
        let _ = done.send(outcome);
    }
}

/// A record to send: its outcome comes on the receiver of the sender inside.
pub type Record<'a> = BaseRecord<'a, str, [u8], Box<oneshot::Sender<Outcome>>>;

/// A producer whose thread serves its delivery reports until it is dropped.
pub struct DeliveryProducer<C: ClientContext + 'static> {
    base: Arc<BaseProducer<Reports<C>>>,
    stop: Arc<AtomicBool>,
}

impl<C: ClientContext + 'static> DeliveryProducer<C> {
    /// The producer of `config` with `context`, and its thread.
    pub fn new(config: &ClientConfig, context: C) -> KafkaResult<Self> {
        let base = Arc::new(BaseProducer::from_config_and_context(config, Reports { inner: context })?);
        let stop = Arc::new(AtomicBool::new(false));
        let (serving, stopped) = (base.clone(), stop.clone());
        std::thread::Builder::new()
            .name("kafka-reports".into())
            .spawn(move || {
                // The producer goes with the thread: a dropped producer's
                // reports still come within a round, and its own drop
                // (purge, then a last flush) runs here.
                while !stopped.load(Ordering::Relaxed) {
                    serving.poll(ROUND);
                }
            })
            .map_err(|e| KafkaError::ClientCreation(format!("cannot start the delivery report thread: {e}")))?;
        Ok(DeliveryProducer { base, stop })
    }

    /// The producer itself: `send` a [`Record`] through it.
    pub fn base(&self) -> &BaseProducer<Reports<C>> {
        &self.base
    }

    /// Waits up to `timeout` for every queued record's report.
    pub fn flush(&self, timeout: Duration) -> KafkaResult<()> {
        self.base.flush(timeout)
    }

    /// Ends the records librdkafka holds: their reports come at once, failed.
    pub fn purge(&self, flags: PurgeConfig) {
        self.base.purge(flags);
    }
}

impl<C: ClientContext + 'static> Drop for DeliveryProducer<C> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

//! The tracker role: correlates delivery receipts with the requests they
//! answer, publishes every request's one final event, and reassembles
//! concatenated inbound messages.
//!
//! Three stages, each partitioned so that everything it must see together is
//! on one replica: [`matcher`] (by connection + message id: receipts meet
//! their submit records), [`aggregate`] (the finaliser, by request id:
//! segments of one request meet, and the final event is published once) and
//! [`reassemble`] (by connection, addresses and reference: parts of one
//! inbound message meet). Each stage is a state machine without I/O (record
//! in, effects out, time passed in), driven by one loop, [`stage`], which
//! restores every stage the same way: state read from Kafka up to a fence
//! before any work of the partition is decided. See `docs/tracker.md`.
//! Start with [`stage`], then [`outcome`] (pure), then the stages.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod aggregate;
pub mod finals;
pub mod matcher;
pub mod outcome;
pub mod reassemble;
pub mod stage;

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use kafka::trace::Key;
use kafka::{AckingConsumer, Producer};
use runtime::Settings;
use tokio_util::sync::CancellationToken;

/// Tracker start-up errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Kafka(#[from] kafka::Error),
    #[error("schema registry: {0}")]
    Registry(#[from] registry::Error),
    #[error("a tracker stage panicked: {0}")]
    Panicked(String),
}

/// The tracker, built: the three stages with their consumers and the
/// producer they share, nothing running yet.
pub struct Tracker {
    shutdown: CancellationToken,
    producer: Producer,
    matcher: (matcher::Matcher, stage::Wiring),
    finaliser: (aggregate::Finaliser, stage::Wiring),
    reassembler: (reassemble::Reassembler, stage::Wiring),
}

impl Tracker {
    /// Builds the three stages: checks that the topics each reads together
    /// are co-partitioned, creates the Kafka clients and the registry's
    /// framings, so that what the configuration can make fail fails before
    /// any role of the process runs.
    pub async fn build(settings: Arc<Settings>, shutdown: CancellationToken) -> Result<Self, Error> {
        build(settings, shutdown).await
    }

    /// Runs the three stages until `shutdown`, each on a task of its own.
    pub async fn run(self) -> Result<(), Error> {
        run(self).await
    }
}

/// [`Tracker::build`].
async fn build(settings: Arc<Settings>, shutdown: CancellationToken) -> Result<Tracker, Error> {
    let kafka = &settings.kafka;
    let topics = &kafka.topics;
    kafka::check_copartitioned(kafka, &[&topics.deliver, &topics.submits]).await?;
    kafka::check_copartitioned(kafka, &[&topics.outcomes, &topics.finals, &topics.status]).await?;
    let producer = Producer::new(kafka, shutdown.clone(), settings.lifecycle.drain)?;
    let registry = registry::Registry::from_config(kafka)?;
    let framings = registry::framings(&settings, registry.as_ref()).await?;
    let range = [("partition.assignment.strategy", "range")];
    let group = |stage: &str| format!("{}.{stage}", kafka.group_prefix);
    // Keys of inbound message parts hold phone numbers: not in spans; receipt
    // keys hold message ids, which may embed one: masked.
    let wiring = |name, group: String, work: &str, state: Option<&str>, consumer: AckingConsumer| stage::Wiring {
        name,
        consumer: Arc::new(consumer),
        group,
        key: if work == topics.mo_parts {
            Key::Omit
        } else if work == topics.deliver {
            Key::Masked
        } else {
            Key::Record
        },
        producer: producer.clone(),
        work_topic: work.to_owned(),
        state_topic: state.map(str::to_owned),
        dead_letter: topics.dead_letter.clone(),
    };

    let consumer =
        AckingConsumer::subscribe_with(kafka, &group("tracker"), &[&topics.submits, &topics.deliver], &range)?;
    let matcher = matcher::Matcher::new(matcher::Config::new(&settings, framings.status));
    let matcher = (matcher, wiring("matcher", group("tracker"), &topics.deliver, Some(&topics.submits), consumer));

    let consumer =
        AckingConsumer::subscribe_with(kafka, &group("tracker.segments"), &[&topics.outcomes, &topics.finals], &range)?;
    let restore_config = kafka.clone();
    let restorer: aggregate::Restorer =
        Arc::new(move |partition, floor| finals::status_tail(restore_config.clone(), partition, floor).boxed());
    let finaliser = aggregate::Finaliser::new(aggregate::Config::new(&settings, framings.status), restorer);
    let finaliser =
        (finaliser, wiring("finaliser", group("tracker.segments"), &topics.outcomes, Some(&topics.finals), consumer));

    let consumer = AckingConsumer::subscribe(kafka, &group("tracker.mo-parts"), &[&topics.mo_parts])?;
    let reassembler = reassemble::Reassembler::new(
        settings.tracker.mo_timeout,
        settings.tracker.max_mo_sets_per_connection,
        topics.inbound.clone(),
        framings.inbound,
    );
    let reassembler = (reassembler, wiring("reassembler", group("tracker.mo-parts"), &topics.mo_parts, None, consumer));
    Ok(Tracker { shutdown, producer, matcher, finaliser, reassembler })
}

/// [`Tracker::run`].
async fn run(built: Tracker) -> Result<(), Error> {
    let Tracker { shutdown, producer, matcher, finaliser, reassembler } = built;
    let matcher = tokio::spawn(stage::run(matcher.0, matcher.1, shutdown.clone()));
    let finaliser = tokio::spawn(stage::run(finaliser.0, finaliser.1, shutdown.clone()));
    let reassembler = tokio::spawn(stage::run(reassembler.0, reassembler.1, shutdown.clone()));

    tracing::info!("tracker started");
    // A stage that panics stops the others at once, and the process ends non-zero.
    let watched = |stage: tokio::task::JoinHandle<()>| {
        let shutdown = shutdown.clone();
        async move {
            let joined = stage.await;
            if let Err(e) = &joined {
                tracing::error!(error = %e, "tracker stage panicked");
                shutdown.cancel();
            }
            joined.map_err(|e| Error::Panicked(e.to_string()))
        }
    };
    let (m, f, r) = tokio::join!(watched(matcher), watched(finaliser), watched(reassembler));
    producer.flush(Duration::from_secs(10));
    tracing::info!("tracker stopped");
    producer.check()?;
    m.and(f).and(r)
}

//! The tracker role: correlates delivery receipts with the requests they
//! answer and publishes the final status (DELIVERED, UNDELIVERABLE, EXPIRED).
//!
//! Two stages, each partitioned so that everything it must see together is
//! on one replica: [`matcher`] (by connection + message id: receipts meet
//! their submit records) and [`aggregate`] (by request id: segments of one
//! request meet). State lives in Kafka — the compacted submit-record topic
//! and un-acknowledged segment records — and is rebuilt from it on start.
//! See `docs/tracker.md`. Start with [`outcome`] (pure), then [`matcher`].
//! [`reassemble`] joins the parts of concatenated inbound messages the same
//! way (partitioned by connection, addresses and reference).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod aggregate;
pub mod finals;
pub mod matcher;
pub mod outcome;
pub mod reassemble;

use std::sync::Arc;

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
}

/// Runs both stages until `shutdown`.
pub async fn run(settings: Arc<Settings>, shutdown: CancellationToken) -> Result<(), Error> {
    let producer = kafka::producer(&settings.kafka)?;
    let registry = registry::Registry::from_config(&settings.kafka)?;
    let framings = registry::framings(&settings, registry.as_ref()).await?;
    let matcher = matcher::run(settings.clone(), producer.clone(), framings.status, shutdown.clone());
    let segments = aggregate::run(settings.clone(), producer.clone(), framings.status, shutdown.clone());
    let parts = reassemble::run(settings.clone(), producer.clone(), framings.inbound, shutdown.clone());
    let (m, s, p) = tokio::join!(matcher, segments, parts);
    if m.is_err() || s.is_err() || p.is_err() {
        shutdown.cancel();
    }
    use kafka::rdkafka::producer::Producer;
    let _ = producer.flush(std::time::Duration::from_secs(10));
    m?;
    s?;
    p?;
    Ok(())
}

//! Readiness: is the broker reachable? Asked every few seconds with a
//! metadata request of its own client, so the answer does not depend on
//! traffic (an idle gateway whose broker went away is not ready either).

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use runtime::config::KafkaConfig;
use tokio_util::sync::CancellationToken;

use crate::client::{base_config, Error};

/// How often the broker is asked, and how long an answer may take.
const EVERY: Duration = Duration::from_secs(3);

/// Keeps the readiness check "kafka: broker reachable" current until `shutdown`.
pub fn watch(config: &KafkaConfig, shutdown: CancellationToken) -> Result<(), Error> {
    let client: BaseConsumer = base_config(config).create().map_err(Error::Create)?;
    let client = std::sync::Arc::new(client);
    let check = counters::health::check("kafka: broker reachable", false);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        let mut was = None;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => {}
            }
            let asking = client.clone();
            let answer = tokio::task::spawn_blocking(move || asking.fetch_metadata(None, EVERY)).await;
            let reachable = matches!(answer, Ok(Ok(ref m)) if !m.brokers().is_empty());
            if was != Some(reachable) {
                match &answer {
                    Ok(Err(e)) if was.is_some() => tracing::warn!(error = %e, "broker not reachable"),
                    _ if reachable && was.is_some() => tracing::info!("broker reachable again"),
                    _ => {}
                }
                was = Some(reachable);
            }
            check.set(reachable);
        }
    });
    Ok(())
}

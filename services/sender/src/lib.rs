//! The sender role: one sender per connection. Each consumes its own queue
//! topic (so one slow connection never blocks another), submits through a
//! [`pool`] of links (SMPP binds, HTTP clients, ...) under the connection's throughput
//! limit and window, retries throttling and temporary errors, publishes the
//! outcome as a status event, and acknowledges the queue record only after that.
//!
//! It also takes what the links receive: inbound messages and delivery
//! reports are published before the SMSC gets its acknowledgement.
//!
//! Start with [`connection::run`], then [`link`] (the contract every
//! protocol implements), [`message::send`] (retry policy), [`driver`] (one link's socket task)
//! and [`smpp::bind`] (the SMPP session as a driver protocol).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod cimd2;
pub mod connection;
pub mod done;
pub mod driver;
pub mod http;
pub mod inbound;
pub mod link;
pub mod message;
pub mod modem;
pub mod pool;
pub mod prepare;
pub mod reference;
pub mod smpp;
pub mod ucp;

use std::sync::Arc;

use runtime::Settings;
use tokio_util::sync::CancellationToken;

/// Sender start-up errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Kafka(#[from] kafka::Error),
    #[error("schema registry: {0}")]
    Registry(#[from] registry::Error),
}

/// Which connections a process sends for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connections {
    All,
    /// Every connection but modems (the sender role on servers).
    Network,
    /// Only modems (the modem host role, on the machines the modems are plugged into).
    Modems,
}

impl Connections {
    fn takes(self, config: &runtime::config::ConnectionConfig) -> bool {
        let modem = config.protocol == runtime::config::Protocol::Modem;
        match self {
            Connections::All => true,
            Connections::Network => !modem,
            Connections::Modems => modem,
        }
    }
}

/// Runs a sender for every configured connection of `which` until `shutdown`.
pub async fn run(settings: Arc<Settings>, which: Connections, shutdown: CancellationToken) -> Result<(), Error> {
    let producer = kafka::Producer::new(&settings.kafka, shutdown.clone(), connection::DRAIN)?;
    // One registry client (and schema cache) for every connection.
    let registry = registry::Registry::from_config(&settings.kafka)?.map(Arc::new);
    let framings = registry::framings(&settings, registry.as_deref()).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for config in settings.connections.iter().filter(|c| which.takes(c)).cloned() {
        let span = tracing::info_span!("connection", connection = %config.id);
        tasks.spawn(tracing::Instrument::instrument(
            connection::run(
                settings.clone(),
                config,
                producer.clone(),
                registry.clone(),
                framings.clone(),
                shutdown.clone(),
            ),
            span,
        ));
    }
    let mut result = Ok(());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "connection sender failed");
                shutdown.cancel();
                result = Err(e.into());
            }
            Err(e) => tracing::error!(error = %e, "connection sender panicked"),
        }
    }
    producer.flush(std::time::Duration::from_secs(10));
    producer.check()?;
    result
}

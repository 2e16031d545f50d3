//! The `smsgw` binary's logic: running roles in one process, the simulator,
//! and the small Kafka tools (`send`, `watch`, `bench`) that make smsgw usable
//! where Debian's `kcat` cannot talk to the broker.
//!
//! `main.rs` only parses the command line, initialises telemetry and calls
//! in here, so tests run the whole gateway in-process with [`run_roles`].

pub mod bench;
pub mod bench_kannel;
pub mod cli;
pub mod tools;

use std::sync::Arc;

use runtime::Settings;
use tokio_util::sync::CancellationToken;

/// A part of the gateway that can run alone or together with the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Every role in this process.
    All,
    /// Validation and routing of `sms.send` into per-connection queues.
    Router,
    /// One sender per configured connection.
    Sender,
    /// Delivery-receipt correlation.
    Tracker,
}

/// Errors running the gateway.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Kafka(#[from] kafka::Error),
    #[error(transparent)]
    Router(#[from] router::Error),
    #[error(transparent)]
    Sender(#[from] sender::Error),
    #[error(transparent)]
    Tracker(#[from] tracker::Error),
}

/// Every topic the given settings use, for creation at start-up.
pub fn topics(settings: &Settings) -> Vec<String> {
    let t = &settings.kafka.topics;
    let mut topics = vec![
        t.send.clone(),
        t.status.clone(),
        t.inbound.clone(),
        t.dead_letter.clone(),
        t.deliver.clone(),
        t.submits.clone(),
        t.segments.clone(),
    ];
    topics.extend(settings.connections.iter().map(|c| t.queue(&c.id)));
    topics
}

/// Creates the topics and runs `roles` until `shutdown`, then drains.
pub async fn run_roles(settings: Arc<Settings>, role: Role, shutdown: CancellationToken) -> Result<(), Error> {
    kafka::ensure_topics(&settings.kafka, &topics(&settings), settings.kafka.partitions).await?;
    let router = matches!(role, Role::All | Role::Router);
    let sender = matches!(role, Role::All | Role::Sender);
    let tracker = matches!(role, Role::All | Role::Tracker);
    let r = async {
        if router {
            router::run(settings.clone(), shutdown.clone()).await?;
        }
        Ok::<(), Error>(())
    };
    let s = async {
        if sender {
            sender::run(settings.clone(), shutdown.clone()).await?;
        }
        Ok::<(), Error>(())
    };
    let t = async {
        if tracker {
            tracker::run(settings.clone(), shutdown.clone()).await?;
        }
        Ok::<(), Error>(())
    };
    let (r, s, t) = tokio::join!(r, s, t);
    if r.is_err() || s.is_err() || t.is_err() {
        shutdown.cancel();
    }
    r.and(s).and(t)
}

//! Link reports: every [`LINK_REPORT_INTERVAL`], this replica tells the
//! routers, on the compacted links topic, how each of its connections is
//! doing (binds up, queue lag, window in use), so that they can fail over
//! from a connection that is down and send to the least loaded one. The last
//! report, at shutdown, says the replica stopped.

use std::sync::Arc;

use kafka::rdkafka::message::OwnedHeaders;
use kafka::{Outgoing, Producer};
use records::{LinkReport, LINK_REPORT_INTERVAL};
use runtime::Settings;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Reports on `connections` (as they are at each report) until `shutdown`, then once more as stopped.
pub(crate) fn start(
    settings: Arc<Settings>,
    producer: Producer,
    connections: Arc<std::sync::Mutex<Vec<String>>>,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    let replica = runtime::replica();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(LINK_REPORT_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => publish(&settings, &producer, &now(&connections), &replica, false).await,
            }
        }
        publish(&settings, &producer, &now(&connections), &replica, true).await;
    })
}

/// The connections this process sends for now (they change with reloads).
fn now(connections: &std::sync::Mutex<Vec<String>>) -> Vec<String> {
    connections.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

async fn publish(settings: &Settings, producer: &Producer, connections: &[String], replica: &str, stopped: bool) {
    let topic = &settings.kafka.topics.links;
    let at = timing::now_ms();
    for connection in connections {
        let report = LinkReport {
            connection: connection.clone(),
            replica: replica.to_owned(),
            binds: u32::try_from(counters::binds(connection).get()).unwrap_or(0),
            queue_lag: u64::try_from(counters::queue_lag(connection).get()).unwrap_or(0),
            window_in_use: u64::try_from(counters::window_in_use(connection).get()).unwrap_or(0),
            at,
            stopped,
        };
        let Ok(payload) = records::encode(&report) else { continue };
        let key = report.key();
        let out = Outgoing { topic, key: &key, payload: &payload, headers: OwnedHeaders::new() };
        if let Err(e) = producer.publish(out).await {
            // The next report says it again; routing goes on with what it knows.
            tracing::debug!(error = %e, "link report not published");
        }
    }
}

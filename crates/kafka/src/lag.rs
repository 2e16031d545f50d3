//! Queue lag: how many records of a topic wait for this process. Over the
//! topic's partitions assigned to this process's consumers, the log end
//! minus where the consumer stands ([`AckingConsumer::positions`]: after
//! the last record taken up, or the committed offset before any), never
//! below zero; kept in a gauge every few seconds.
//!
//! The log end is asked of the partition's leader (ListOffsets, one small
//! request per assigned partition and round, from a client of its own).
//! librdkafka's cached watermarks would need no request, but the Rust
//! binding reaches them only through its statistics, which are handed over
//! while the consumer is polled — and a sender whose handlers are all busy
//! (exactly when its queue grows) does not poll.
//!
//! On tansu 0.6 the end it reports is the last *batch's* base offset + 1
//! (`docs/tracker.md`, quirk 2), so there the lag is short by up to the rest
//! of the newest batch: a lower bound. On Kafka it is exact.
//!
//! [`AckingConsumer::positions`]: crate::AckingConsumer::positions

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaResult;
use runtime::config::KafkaConfig;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::client::{base_config, Error};
use crate::consumer::positions_of;

/// How often the gauges are brought up to date.
const EVERY: Duration = Duration::from_secs(5);
/// How long one round may wait for the broker's answers.
const ASK_TIMEOUT: Duration = Duration::from_secs(3);

/// Records from `position` to the log end `high`; `low` (the log start)
/// stands in for an unknown position. Never negative: a reported end short
/// of what was read (tansu) is no lag.
pub fn partition_lag(low: i64, high: i64, position: Option<i64>) -> i64 {
    (high - position.unwrap_or(low)).max(0)
}

/// Keeps each gauge set to the lag of its topics (summed: a connection's
/// priority lanes) until `shutdown`. A round the broker does not answer
/// leaves the gauge as it was (a stale value rather than a false zero).
pub fn watch(
    config: &KafkaConfig,
    gauges: Vec<(Vec<String>, &'static counters::Gauge)>,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    if gauges.is_empty() {
        return Ok(());
    }
    let client: BaseConsumer = base_config(config).create().map_err(Error::Create)?;
    let client = Arc::new(client);
    let task = async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => {}
            }
            for (topics, gauge) in &gauges {
                let asked: Vec<_> = topics.iter().map(|t| (t.clone(), positions_of(t))).collect();
                let asking = client.clone();
                let ask = tokio::task::spawn_blocking(move || {
                    asked
                        .iter()
                        .map(|(topic, positions)| lag(&asking, topic, positions, ASK_TIMEOUT))
                        .sum::<KafkaResult<i64>>()
                });
                let answer = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    answer = ask => answer,
                };
                match answer {
                    Ok(Ok(lag)) => {
                        gauge.set(lag);
                        if std::mem::take(&mut failing) {
                            tracing::info!("queue lag known again");
                        }
                    }
                    Ok(Err(e)) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "cannot read the queue's log end; queue lag not updated");
                    }
                    Ok(Err(_)) => {}
                    Err(e) => tracing::error!(error = %e, "queue lag task failed"),
                }
            }
        }
    };
    tokio::spawn(task.instrument(tracing::info_span!("queue_lag")));
    Ok(())
}

/// The lag of `topic` at `positions` (partition, position); blocks on the broker.
fn lag(client: &BaseConsumer, topic: &str, positions: &[(i32, Option<i64>)], timeout: Duration) -> KafkaResult<i64> {
    let deadline = Instant::now() + timeout;
    let mut total = 0;
    for &(partition, position) in positions {
        let left = deadline.saturating_duration_since(Instant::now());
        let (low, high) = client.fetch_watermarks(topic, partition, left)?;
        total += partition_lag(low, high, position);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

    #[test]
    fn lag_is_end_minus_position_and_never_negative() {
        assert_eq!(partition_lag(0, 10, Some(4)), 6);
        assert_eq!(partition_lag(3, 10, None), 7, "nothing committed: from the log start");
        assert_eq!(partition_lag(0, 10, Some(10)), 0);
        assert_eq!(partition_lag(0, 8, Some(10)), 0, "an end reported short (tansu) is no lag");
    }

    /// Against librdkafka's mock cluster (Kafka-like watermarks): the lag of
    /// two partitions at different positions, one never read.
    #[test]
    fn lag_sums_the_partitions_asked_for() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("q", 2, 1).unwrap();
        let config = KafkaConfig::new(cluster.bootstrap_servers());
        let producer: BaseProducer = base_config(&config).create().unwrap();
        for (partition, n) in [(0, 5), (1, 3)] {
            for _ in 0..n {
                producer.send(BaseRecord::<(), [u8]>::to("q").partition(partition).payload(b"x")).unwrap();
            }
        }
        producer.flush(Duration::from_secs(10)).unwrap();
        let client: BaseConsumer = base_config(&config).create().unwrap();
        let timeout = Duration::from_secs(10);
        assert_eq!(lag(&client, "q", &[(0, Some(2)), (1, None)], timeout).unwrap(), 3 + 3);
        assert_eq!(lag(&client, "q", &[(1, Some(3))], timeout).unwrap(), 0);
        assert_eq!(lag(&client, "q", &[], timeout).unwrap(), 0);
    }

    /// A group member's positions: what it took up (begun), the log start
    /// for a partition with nothing taken and nothing committed; none once
    /// it leaves.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn positions_follow_what_the_consumer_takes_up() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("lag-q", 2, 1).unwrap();
        let mut config = KafkaConfig::new(cluster.bootstrap_servers());
        config.broker_quirks = runtime::config::BrokerQuirks::None;
        // The mock cluster, like Kafka, refuses sessions under 6 s.
        config.session_timeout = Duration::from_secs(6);
        let producer: BaseProducer = base_config(&config).create().unwrap();
        for (partition, n) in [(0, 4), (1, 2)] {
            for _ in 0..n {
                producer.send(BaseRecord::<(), [u8]>::to("lag-q").partition(partition).payload(b"x")).unwrap();
            }
        }
        producer.flush(Duration::from_secs(10)).unwrap();
        let client: BaseConsumer = base_config(&config).create().unwrap();
        let timeout = Duration::from_secs(10);
        assert!(positions_of("lag-q").is_empty(), "no consumer of the topic yet");

        let consumer = crate::AckingConsumer::subscribe(&config, "lag-test", &["lag-q"]).unwrap();
        let mut taken = Vec::new();
        for _ in 0..3 {
            let m = tokio::time::timeout(Duration::from_secs(30), consumer.recv()).await.unwrap().unwrap();
            use rdkafka::Message;
            taken.push(consumer.begin(m.topic(), m.partition(), m.offset()));
        }
        let mut positions = consumer.positions("lag-q");
        positions.sort();
        assert_eq!(positions.len(), 2, "both partitions assigned: {positions:?}");
        let mut expected: Vec<(i32, Option<i64>)> = [0, 1]
            .into_iter()
            .map(|p| (p, taken.iter().filter(|t| t.partition() == p).map(|t| t.offset + 1).max()))
            .collect();
        expected.sort();
        assert_eq!(positions, expected);
        assert_eq!(lag(&client, "lag-q", &positions_of("lag-q"), timeout).unwrap(), 6 - 3);
        assert!(consumer.positions("other").is_empty());

        consumer.commit_and_close();
        assert!(positions_of("lag-q").is_empty(), "a consumer that left holds no partitions");
    }
}

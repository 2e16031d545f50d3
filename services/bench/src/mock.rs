//! `--brokers mock`: the run's broker is librdkafka's own mock cluster,
//! in this process, on a 127.0.0.1 port of its own.
//!
//! It is there to read the latency figures against a broker that answers a
//! fetch as soon as it holds records for it, as Kafka does (Kafka even wakes
//! a waiting fetch when a record arrives; the mock answers a fetch that
//! finds nothing after `fetch.wait.max.ms`, `rdkafka_mock_handlers.c`).
//! tansu 0.6, the test broker, holds every fetch to its full wait, records
//! or not (`tansu-storage` 0.6.0, `service/fetch.rs`: the loop sleeps the
//! remaining wait after reading, before it looks at what it read), so on
//! tansu each hop costs the wait and more. The mock keeps everything in
//! memory and is no broker to measure CPU or throughput against: its work
//! counts as the bench process's. Nor does it keep everything: each
//! partition holds at most 5 MB or 100,000 records (`rdkafka_mock.c`,
//! `max_size`, `max_cnt`) and drops its oldest beyond, so a backlog larger
//! than that (100,000 requests produced at once to one partition) loses
//! records, and the run then fails with "only N of M requests"; steady
//! rates and bursts within the bound measure fine.
//!
//! The mock has no CreateTopics: the run's topics are made here, through
//! the mock's own API ([`create_topics`]), and smsgw, finding them there,
//! asks for none (`kafka::ensure_topics`). Nor has it ListGroups, which a
//! sender's lane consumer asks before it takes a queue over from the
//! connection's group of old (`kafka::consumer::handover`): the lane groups
//! start with offset 0 committed on every queue ([`commit_start`]), as
//! after a takeover, and read at once.

use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

use kafka::rdkafka::mocking::MockCluster;

/// The broker list that stands for the mock cluster.
pub const MOCK: &str = "mock";

/// The process's mock cluster, once started: its address, and the way to
/// the thread that owns it (the rdkafka handle may not leave its thread).
static RUNNING: OnceLock<(String, Sender<Create>)> = OnceLock::new();

/// Topics to create, partitions each, and where the outcome goes.
type Create = (Vec<String>, i32, Sender<Result<(), String>>);

/// If `brokers` is [`MOCK`], starts a one-broker mock cluster (once per
/// process, kept until it exits) and puts its address in `brokers`.
pub fn resolve(brokers: &mut String) -> anyhow::Result<()> {
    if brokers != MOCK {
        return Ok(());
    }
    if RUNNING.get().is_none() {
        let (started, address) = channel();
        let (requests, queue) = channel::<Create>();
        std::thread::Builder::new().name("mock-cluster".into()).spawn(move || {
            let cluster = match MockCluster::new(1) {
                Ok(cluster) => cluster,
                Err(e) => return started.send(Err(e.to_string())).unwrap_or(()),
            };
            let _ = started.send(Ok(cluster.bootstrap_servers()));
            for (topics, partitions, reply) in queue {
                let made = topics.iter().try_for_each(|t| cluster.create_topic(t, partitions, 1));
                let _ = reply.send(made.map_err(|e| e.to_string()));
            }
        })?;
        let address = address.recv()?.map_err(anyhow::Error::msg)?;
        let _ = RUNNING.set((address, requests));
    }
    *brokers = RUNNING.get().map(|(address, _)| address.clone()).unwrap_or_default();
    Ok(())
}

/// Creates `topics` with `partitions` partitions each when `brokers` is the
/// mock cluster's; does nothing otherwise (smsgw creates its own).
pub fn create_topics<'a>(
    brokers: &str,
    topics: impl IntoIterator<Item = &'a str>,
    partitions: i32,
) -> anyhow::Result<()> {
    let Some((_, requests)) = RUNNING.get().filter(|(address, _)| address == brokers) else {
        return Ok(());
    };
    let (reply, outcome) = channel();
    let topics = topics.into_iter().map(str::to_owned).collect();
    requests.send((topics, partitions, reply))?;
    outcome.recv()?.map_err(|e| anyhow::anyhow!("mock cluster: cannot create a topic: {e}"))
}

/// Commits offset 0 for `group` on every partition of `topics` when
/// `brokers` is the mock cluster's; does nothing otherwise.
pub fn commit_start(brokers: &str, group: &str, topics: &[String], partitions: i32) -> anyhow::Result<()> {
    use kafka::rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
    if RUNNING.get().is_none_or(|(address, _)| address != brokers) {
        return Ok(());
    }
    let consumer: BaseConsumer = kafka::rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()?;
    let mut start = kafka::rdkafka::TopicPartitionList::new();
    for topic in topics {
        for partition in 0..partitions {
            start.add_partition_offset(topic, partition, kafka::rdkafka::Offset::Offset(0))?;
        }
    }
    consumer.commit(&start, CommitMode::Sync)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_mock_starts_a_cluster_and_only_it_gets_topics() {
        let mut brokers = "127.0.0.1:9092".to_owned();
        resolve(&mut brokers).unwrap();
        assert_eq!(brokers, "127.0.0.1:9092");
        create_topics(&brokers, ["t"], 2).unwrap();
        let mut brokers = MOCK.to_owned();
        resolve(&mut brokers).unwrap();
        assert!(brokers.contains(':') && brokers != MOCK, "{brokers}");
        create_topics(&brokers, ["t"], 2).unwrap();
        let consumer: kafka::rdkafka::consumer::BaseConsumer =
            kafka::rdkafka::ClientConfig::new().set("bootstrap.servers", &brokers).create().unwrap();
        use kafka::rdkafka::consumer::Consumer;
        let metadata = consumer.fetch_metadata(Some("t"), std::time::Duration::from_secs(10)).unwrap();
        assert_eq!(metadata.topics()[0].partitions().len(), 2);
    }
}

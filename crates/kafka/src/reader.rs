//! One reader of a partitioned state topic for every owner in the process
//! that needs some of its partitions.
//!
//! The senders' done markers are one topic co-partitioned with every
//! connection's queue topics. When each consumer of a queue read its
//! partitions of that topic itself, every marker was fetched and decoded
//! once per connection and lane in the process: 600 times with 200
//! connections. A [`PartitionReader`] reads each partition once, from the
//! beginning, for as long as some owner holds it ([`PartitionReader::hold`],
//! counted), and hands every record to one function that routes it.
//!
//! It never joins a group: which partitions it reads follows what the
//! owners' own consumers were assigned. Whether an owner has read a
//! partition far enough is still the owner's fence ([`crate::restore`]):
//! the fence is a record like any other, read here after everything
//! written before it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{Offset, TopicPartitionList};
use runtime::config::KafkaConfig;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::client::base_config;
use crate::Error;

enum Command {
    Hold(i32),
    Release(i32),
    /// Read every partition held from its beginning again.
    Replay,
}

/// Reads the partitions of one topic that owners hold; see the module.
#[derive(Clone)]
pub struct PartitionReader {
    commands: mpsc::UnboundedSender<Command>,
}

/// What the reader hands over, in the order it happened.
pub trait Routes: Send + 'static {
    /// A record of a partition being read.
    fn record(&mut self, message: &OwnedMessage);
    /// Partition `p` is no longer read (no owner holds it): its state goes.
    fn dropped(&mut self, partition: i32);
}

impl PartitionReader {
    /// Starts reading `topic` for owners in this process, with `group` as
    /// the client's group id (never joined, never committed to).
    pub fn start(
        config: &KafkaConfig,
        group: &str,
        topic: &str,
        routes: impl Routes,
        shutdown: CancellationToken,
    ) -> Result<Self, Error> {
        let mut cc = base_config(config);
        cc.set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", crate::client::fetch_wait_ms(config));
        let consumer: StreamConsumer = cc.create().map_err(Error::Create)?;
        let (commands, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(consumer, topic.to_owned(), rx, routes, shutdown));
        Ok(Self { commands })
    }

    /// An owner holds partition `p`: it is read (from its beginning, if it
    /// was not read already) until every owner has released it.
    pub fn hold(&self, partition: i32) {
        let _ = self.commands.send(Command::Hold(partition));
    }

    /// An owner gave partition `p` up.
    pub fn release(&self, partition: i32) {
        let _ = self.commands.send(Command::Release(partition));
    }

    /// Reads every held partition from its beginning again: for owners that
    /// begin routing records only now (a connection added by a reload).
    pub fn replay(&self) {
        let _ = self.commands.send(Command::Replay);
    }
}

async fn run(
    consumer: StreamConsumer,
    topic: String,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut routes: impl Routes,
    shutdown: CancellationToken,
) {
    let mut holders: HashMap<i32, usize> = HashMap::new();
    // What librdkafka was told: a record of any other partition is stale.
    let mut reading: HashSet<i32> = HashSet::new();
    // Liveness (`/healthz`): owners wait for this loop to read their fences.
    let beat = counters::health::beat(format!("kafka reader {topic}: read loop"), Duration::from_secs(60));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let received = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            // Before the records, or a steady stream would starve it.
            _ = tick.tick() => {
                beat.touch();
                continue;
            }
            command = commands.recv() => {
                let Some(command) = command else { break };
                apply(&consumer, &topic, command, &mut holders, &mut reading, &mut routes);
                continue;
            }
            m = consumer.recv() => m,
        };
        match received {
            Ok(m) if reading.contains(&m.partition()) => routes.record(&m.detach()),
            Ok(_) => {}
            Err(e) => tracing::warn!(%topic, error = %e, "reading"),
        }
    }
}

fn apply(
    consumer: &StreamConsumer,
    topic: &str,
    command: Command,
    holders: &mut HashMap<i32, usize>,
    reading: &mut HashSet<i32>,
    routes: &mut impl Routes,
) {
    let one = |p: i32, offset: Offset| {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, p, offset).map(|_| tpl)
    };
    match command {
        Command::Hold(p) => {
            let count = holders.entry(p).or_default();
            *count += 1;
            if *count == 1 {
                match one(p, Offset::Beginning).and_then(|tpl| consumer.incremental_assign(&tpl)) {
                    Ok(()) => {
                        reading.insert(p);
                    }
                    Err(e) => tracing::error!(%topic, partition = p, error = %e, "cannot read the partition"),
                }
            }
        }
        Command::Release(p) => {
            let Some(count) = holders.get_mut(&p) else { return };
            *count -= 1;
            if *count > 0 {
                return;
            }
            holders.remove(&p);
            if reading.remove(&p) {
                if let Err(e) = one(p, Offset::Invalid).and_then(|tpl| consumer.incremental_unassign(&tpl)) {
                    tracing::warn!(%topic, partition = p, error = %e, "cannot stop reading the partition");
                }
            }
            routes.dropped(p);
        }
        Command::Replay => {
            for p in reading.iter() {
                let seek = || consumer.seek(topic, *p, Offset::Beginning, Duration::from_secs(10));
                if let Err(e) = crate::client::blocking(seek) {
                    tracing::error!(%topic, partition = p, error = %e, "cannot read the partition again");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

    use super::*;

    enum Seen {
        Record(i32, String),
        Dropped(i32),
    }

    struct Channel(mpsc::UnboundedSender<Seen>);

    impl Routes for Channel {
        fn record(&mut self, m: &OwnedMessage) {
            let payload = String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned();
            let _ = self.0.send(Seen::Record(m.partition(), payload));
        }
        fn dropped(&mut self, partition: i32) {
            let _ = self.0.send(Seen::Dropped(partition));
        }
    }

    async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
        tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.unwrap().unwrap()
    }

    async fn records(rx: &mut mpsc::UnboundedReceiver<Seen>, n: usize) -> Vec<(i32, String)> {
        let mut got = Vec::new();
        while got.len() < n {
            match next(rx).await {
                Seen::Record(p, v) => got.push((p, v)),
                Seen::Dropped(p) => panic!("partition {p} dropped while reading"),
            }
        }
        got
    }

    /// Only held partitions are read, each once however many hold it, from
    /// the beginning; the last release drops it; a replay reads it again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_what_is_held_once_and_drops_what_is_released() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("state", 2, 1).unwrap();
        let config = KafkaConfig::new(cluster.bootstrap_servers());
        let producer: BaseProducer = base_config(&config).create().unwrap();
        for (p, v) in [(0, "a0"), (1, "b0"), (0, "a1")] {
            producer.send(BaseRecord::<(), str>::to("state").partition(p).payload(v)).unwrap();
        }
        producer.flush(Duration::from_secs(10)).unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let reader = PartitionReader::start(&config, "reader-test", "state", Channel(tx), shutdown.clone()).unwrap();

        reader.hold(0);
        reader.hold(0);
        assert_eq!(records(&mut rx, 2).await, [(0, "a0".into()), (0, "a1".into())]);
        reader.release(0);
        reader.hold(1);
        assert_eq!(records(&mut rx, 1).await, [(1, "b0".into())], "partition 0 still held once: not dropped");
        reader.release(0);
        assert!(matches!(next(&mut rx).await, Seen::Dropped(0)));

        producer.send(BaseRecord::<(), str>::to("state").partition(1).payload("b1")).unwrap();
        producer.flush(Duration::from_secs(10)).unwrap();
        assert_eq!(records(&mut rx, 1).await, [(1, "b1".into())], "followed as it grows");
        reader.replay();
        assert_eq!(records(&mut rx, 2).await, [(1, "b0".into()), (1, "b1".into())], "read again from the start");
        shutdown.cancel();
    }
}

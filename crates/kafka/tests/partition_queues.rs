//! What the planned shared lane consumer relies on in librdkafka
//! (`docs/architecture.md`, "What is not built yet", 1): with split
//! partition queues, the prefetch bound applies to each partition, so a
//! partition nobody reads (a slow connection's) stops being fetched at the
//! bound while the others keep flowing. On one shared queue the bound is
//! the queue's, and one backlog would stop every partition's fetches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kafka::rdkafka::config::ClientConfig;
use kafka::rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use kafka::rdkafka::mocking::MockCluster;
use kafka::rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use kafka::rdkafka::statistics::Statistics;
use kafka::rdkafka::{ClientContext, Message, Offset, TopicPartitionList};

/// Keeps librdkafka's latest statistics: how many records each partition's
/// fetch queue holds.
#[derive(Default, Clone)]
struct Stats(Arc<Mutex<Option<Statistics>>>);

impl ClientContext for Stats {
    fn stats(&self, statistics: Statistics) {
        *self.0.lock().unwrap() = Some(statistics);
    }
}

impl ConsumerContext for Stats {}

impl Stats {
    fn queued(&self, topic: &str, partition: i32) -> Option<i64> {
        let stats = self.0.lock().unwrap();
        Some(stats.as_ref()?.topics.get(topic)?.partitions.get(&partition)?.fetchq_cnt)
    }
}

fn produce(producer: &BaseProducer, partition: i32, n: usize) {
    let payload = [b'x'; 100];
    for _ in 0..n {
        while producer.send(BaseRecord::<(), [u8]>::to("q").partition(partition).payload(&payload[..])).is_err() {
            producer.poll(Duration::from_millis(10));
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unread_partition_stops_at_its_bound_and_the_others_flow() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("q", 2, 1).unwrap();
    let servers = cluster.bootstrap_servers();
    // Small batches: a fetch returns whole batches, however large.
    let producer: BaseProducer =
        ClientConfig::new().set("bootstrap.servers", &servers).set("batch.num.messages", "100").create().unwrap();
    const BACKLOG: usize = 5_000;
    produce(&producer, 0, BACKLOG);

    let stats = Stats::default();
    let consumer: Arc<StreamConsumer<Stats>> = Arc::new(
        ClientConfig::new()
            .set("bootstrap.servers", &servers)
            .set("group.id", "partition-queues")
            .set("enable.auto.commit", "false")
            .set("queued.min.messages", "50")
            .set("fetch.message.max.bytes", "65536")
            .set("fetch.max.bytes", "65536")
            .set("message.max.bytes", "65536")
            .set("fetch.queue.backoff.ms", "10")
            .set("fetch.wait.max.ms", "50")
            .set("statistics.interval.ms", "100")
            .create_with_context(stats.clone())
            .unwrap(),
    );
    let mut assignment = TopicPartitionList::new();
    for p in 0..2 {
        assignment.add_partition_offset("q", p, Offset::Beginning).unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let slow = consumer.split_partition_queue("q", 0).unwrap();
    let busy = consumer.split_partition_queue("q", 1).unwrap();
    // The main queue still carries events (statistics among them).
    let events = tokio::spawn({
        let consumer = consumer.clone();
        async move {
            loop {
                match consumer.recv().await {
                    Ok(m) => panic!("a record on the main queue: partition {} offset {}", m.partition(), m.offset()),
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        }
    });

    // Partition 0 is read once and then left alone, like a connection
    // whose handlers are all busy.
    assert_eq!(slow.recv().await.unwrap().offset(), 0);
    // Partition 1 still flows, record by record as it comes.
    for round in 0..3 {
        produce(&producer, 1, 200);
        for i in 0..200 {
            let m = tokio::time::timeout(Duration::from_secs(10), busy.recv()).await;
            let m = m.unwrap_or_else(|_| panic!("partition 1 stalled at record {i} of round {round}")).unwrap();
            assert_eq!(m.offset(), (round * 200 + i) as i64);
        }
    }
    // Partition 0 was fetched up to its own bound only, far short of its backlog.
    let deadline = Instant::now() + Duration::from_secs(10);
    let queued = loop {
        if let Some(n) = stats.queued("q", 0).filter(|n| *n > 0) {
            break n;
        }
        assert!(Instant::now() < deadline, "no statistics for partition 0");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let queued = stats.queued("q", 0).unwrap_or(queued);
    eprintln!("partition 0: {queued} records queued");
    assert!(queued < 2_000, "partition 0 prefetched {queued} of its {BACKLOG} records");
    // And nothing of it is lost: read on, it all comes, in order.
    for offset in 1..BACKLOG as i64 {
        let m = tokio::time::timeout(Duration::from_secs(10), slow.recv()).await.unwrap().unwrap();
        assert_eq!(m.offset(), offset);
    }
    assert!(!events.is_finished(), "{:?}", events.await);
    events.abort();
}

/// A consumer whose partition queues were split once, before it subscribed:
/// do its records still come on them after the group assigns the
/// partitions, takes them away and gives them back?
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_split_before_subscribing_survive_rebalances() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("g", 2, 1).unwrap();
    let servers = cluster.bootstrap_servers();
    let producer: BaseProducer = ClientConfig::new().set("bootstrap.servers", &servers).create().unwrap();
    let member = |name: &str| -> Arc<StreamConsumer<Stats>> {
        Arc::new(
            ClientConfig::new()
                .set("bootstrap.servers", &servers)
                .set("group.id", "split-early")
                .set("client.id", name)
                .set("enable.auto.commit", "true")
                .set("auto.commit.interval.ms", "100")
                .set("auto.offset.reset", "earliest")
                .set("session.timeout.ms", "6000")
                .set("heartbeat.interval.ms", "500")
                .set("fetch.wait.max.ms", "50")
                .set("partition.assignment.strategy", "range")
                .create_with_context(Stats::default())
                .unwrap(),
        )
    };
    let first = member("first");
    let queues = [first.split_partition_queue("g", 0).unwrap(), first.split_partition_queue("g", 1).unwrap()];
    first.subscribe(&["g"]).unwrap();
    let on_main = Arc::new(Mutex::new(Vec::new()));
    let pump = |consumer: Arc<StreamConsumer<Stats>>| {
        let on_main = on_main.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(m) = consumer.recv().await {
                    on_main.lock().unwrap().push((m.partition(), m.offset()));
                }
            }
        })
    };
    let first_pump = pump(first.clone());
    // Alone: both partitions come on their queues.
    produce_to(&producer, "g", 0, 10);
    produce_to(&producer, "g", 1, 10);
    assert_eq!(read_n(&queues[0], 10).await, (0..10).collect::<Vec<_>>(), "partition 0, first assignment");
    assert_eq!(read_n(&queues[1], 10).await, (0..10).collect::<Vec<_>>(), "partition 1, first assignment");
    // A second member joins: partition 1 goes to it.
    let second = member("second");
    second.subscribe(&["g"]).unwrap();
    let second_pump = pump(second.clone());
    tokio::time::sleep(Duration::from_secs(8)).await;
    let taken = second.assignment().unwrap();
    assert_eq!(taken.elements().iter().map(|e| e.partition()).collect::<Vec<_>>(), [1], "the second member's share");
    produce_to(&producer, "g", 0, 10);
    // From the committed offset: what the last auto-commit before the
    // rebalance left out comes again first.
    let after = read_until(&queues[0], 19).await;
    assert!(after.ends_with(&(10..20).collect::<Vec<_>>()), "partition 0 after the rebalance: {after:?}");
    // It leaves the group: partition 1 comes back, on its queue, from where the second left it.
    second.unsubscribe();
    tokio::time::sleep(Duration::from_secs(8)).await;
    produce_to(&producer, "g", 1, 10);
    let after = read_until(&queues[1], 19).await;
    eprintln!("partition 1 after it came back: {after:?}; on the main queue: {:?}", on_main.lock().unwrap());
    assert!(after.ends_with(&(10..20).collect::<Vec<_>>()), "partition 1 after it came back: {after:?}");
    // Closing a member of a group of the mock cluster can hang (librdkafka
    // 2.12): the consumers are left to the end of the process.
    first_pump.abort();
    second_pump.abort();
    std::mem::forget((queues, first, second));
}

fn produce_to(producer: &BaseProducer, topic: &str, partition: i32, n: usize) {
    for _ in 0..n {
        while producer.send(BaseRecord::<(), [u8]>::to(topic).partition(partition).payload(&b"x"[..])).is_err() {
            producer.poll(Duration::from_millis(10));
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

async fn read_n(queue: &kafka::rdkafka::consumer::stream_consumer::StreamPartitionQueue<Stats>, n: usize) -> Vec<i64> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(Duration::from_secs(15), queue.recv()).await {
            Ok(Ok(m)) => got.push(m.offset()),
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => break,
        }
    }
    got
}

/// Reads until offset `last` comes (or nothing comes for 15 s).
async fn read_until(
    queue: &kafka::rdkafka::consumer::stream_consumer::StreamPartitionQueue<Stats>,
    last: i64,
) -> Vec<i64> {
    let mut got = Vec::new();
    while got.last() != Some(&last) {
        match tokio::time::timeout(Duration::from_secs(15), queue.recv()).await {
            Ok(Ok(m)) => got.push(m.offset()),
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => break,
        }
    }
    got
}

//! What this crate's unit tests share.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::OwnedMessage;

/// The first `n` records of `topic` on the brokers at `bootstrap`, read by
/// a consumer of their own from the beginning; fails after 20 s.
pub(crate) fn read(bootstrap: &str, topic: &str, n: usize) -> Vec<OwnedMessage> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "check")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut read = Vec::with_capacity(n);
    while read.len() < n {
        assert!(Instant::now() < deadline, "{} of {n} records of {topic} came", read.len());
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            read.push(m.detach());
        }
    }
    read
}

//! Pausing one partition and resuming it later, for an owner that reads
//! ahead only so far (the scheduler: a level partition whose read-ahead is
//! full waits, without holding more of it in memory).
//!
//! librdkafka drops what it fetched of a partition when it is paused and
//! fetches again from the offset after the last record handed out. On
//! tansu 0.6 that may be a fetch from inside a record batch, which loses
//! the rest of the batch ([`crate::quirks`]); an assignment therefore starts
//! 10,000 records early. A partition paused and resumed often cannot afford
//! that each time, so its writer caps its batches (the scheduler's level
//! topics: `batch.num.messages`) and the resume starts that many records
//! early, skipping what lies before the offset asked for.

use std::time::Duration;

use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};

use super::AckingConsumer;

impl AckingConsumer {
    /// Stops fetching partition `partition` of `topic`; records of it that
    /// were fetched but not yet received are dropped (read again on resume).
    pub fn pause(&self, topic: &str, partition: i32) -> Result<(), KafkaError> {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(topic, partition);
        self.consumer.pause(&tpl)
    }

    /// Fetches a paused partition again, from `next` on: records before it
    /// are not received again. `max_batch`: the most records its writers put
    /// in one batch (how far back a quirky broker must be read from).
    pub fn resume(&self, topic: &str, partition: i32, next: i64, max_batch: i64) -> Result<(), KafkaError> {
        let from = (next - max_batch.min(self.shared.rewind)).max(0);
        if from < next {
            let mut resume_at = self.shared.resume_at.lock().unwrap_or_else(|e| e.into_inner());
            resume_at.insert((topic.to_owned(), partition), next);
        }
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(from))?;
        self.consumer.seek_partitions(tpl.clone(), Duration::from_secs(10))?;
        self.consumer.resume(&tpl)
    }
}

//! Pausing one partition and resuming it later, for an owner that reads
//! ahead only so far (the scheduler: a level partition whose read-ahead is
//! full waits, without holding more of it in memory).
//!
//! librdkafka drops what it fetched of a partition when it is paused and
//! fetches again from the offset after the last record handed out. On
//! tansu 0.6 that is a fetch from inside a record batch unless every batch
//! holds one record, and it loses the rest of the batch ([`crate::quirks`]).
//! Seeking back by the assignment's rewind on every resume would read up to
//! 10,000 records again each time, so a topic that is paused and resumed
//! often is written one record per batch (the scheduler's level topics:
//! `batch.num.messages=1`) and resumed exactly where it stopped. Should the
//! first record after a resume still come past that offset (a batch of
//! several records, on a quirky broker), the partition is read again from
//! the rewind before it ([`AckingConsumer::recv`] drops that record), so
//! nothing is skipped either way.

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
    /// are not received again.
    pub fn resume(&self, topic: &str, partition: i32, next: i64) -> Result<(), KafkaError> {
        if self.shared.rewind > 0 {
            self.shared.resumed().insert((topic.to_owned(), partition), next);
        }
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(next))?;
        self.consumer.seek_partitions(tpl.clone(), Duration::from_secs(10))?;
        self.consumer.resume(&tpl)
    }

    /// The first record after a resume at `next` came at `offset`: true
    /// when records were lost in between (a fetch from inside a batch), after
    /// seeking back by the rewind so that they are read again.
    pub(super) fn lost_after_resume(&self, topic: &str, partition: i32, offset: i64) -> bool {
        let key = (topic.to_owned(), partition);
        let Some(next) = self.shared.resumed().remove(&key) else { return false };
        if offset <= next {
            return false;
        }
        tracing::info!(topic, partition, next, offset, "resumed inside a record batch; reading it again");
        let from = (next - self.shared.rewind).max(0);
        self.shared.resume_at.lock().unwrap_or_else(|e| e.into_inner()).insert(key, next);
        let mut tpl = TopicPartitionList::new();
        let seek = tpl
            .add_partition_offset(topic, partition, Offset::Offset(from))
            .and_then(|()| self.consumer.seek_partitions(tpl.clone(), Duration::from_secs(10)).map(|_| ()));
        if let Err(e) = seek {
            tracing::error!(topic, partition, error = %e, "cannot read a resumed partition again");
        }
        true
    }
}

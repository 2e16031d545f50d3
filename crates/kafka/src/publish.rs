//! Producing a record and waiting until the broker has it, retrying until it
//! does: an outcome that is not durably recorded must not let an offset pass.

use std::time::Duration;

use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;

/// A record to publish.
pub struct Outgoing<'a> {
    pub topic: &'a str,
    pub key: &'a str,
    pub payload: &'a [u8],
    pub headers: OwnedHeaders,
}

/// Publishes `record`, retrying with backoff until the broker acknowledges it.
/// Returns `(partition, offset)`.
///
/// librdkafka already retries within `message.timeout.ms`; this loop covers
/// the case where even that runs out (broker down for minutes): the work
/// waits rather than being acknowledged without its outcome recorded.
pub async fn publish(producer: &FutureProducer, record: Outgoing<'_>) -> (i32, i64) {
    let mut delay = Duration::from_millis(100);
    loop {
        let future =
            FutureRecord::to(record.topic).key(record.key).payload(record.payload).headers(record.headers.clone());
        match producer.send(future, Timeout::Never).await {
            Ok(delivery) => return (delivery.partition, delivery.offset),
            Err((e, _)) => {
                tracing::warn!(topic = record.topic, error = %e, retry_in = ?delay, "publish failed, retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

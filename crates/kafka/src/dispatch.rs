//! The at-least-once consume loop shared by every role: read a record, run
//! its handler on a task of its own (bounded in number), and acknowledge the
//! record when the handler says its outcome is recorded.
//!
//! Reading stops at shutdown; in-flight handlers are given `drain` to finish.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::message::{Message, OwnedMessage};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::{trace, AckingConsumer};

/// How a dispatch loop runs.
#[derive(Debug, Clone, Copy)]
pub struct Dispatch {
    /// Handlers running at once; reading pauses while all are busy.
    pub max_in_flight: usize,
    /// How long in-flight handlers may take after shutdown.
    pub drain: Duration,
}

/// A compacted topic read alongside the work topic, never acknowledged (so
/// it is re-read from the beginning on every assignment): its records feed
/// the owner's state through `on_record` instead of becoming tasks.
pub struct StateTopic<'a> {
    pub topic: &'a str,
    pub on_record: &'a (dyn Fn(&OwnedMessage) + Sync),
}

/// Runs `handle` for every record of `consumer` until `shutdown`.
///
/// `span` names the task of one record; the record's W3C trace context is
/// made its parent before it is entered. A handler returns `true` when the
/// record's outcome is durably recorded (its offset may then be stored), or
/// `false` to leave it for a redo after restart.
///
/// Returns the task tracker, closed, once every handler finished or `drain`
/// passed — a caller with more to shut down (binds) waits on it again after.
pub async fn run<S, H, F>(
    consumer: Arc<AckingConsumer>,
    config: Dispatch,
    shutdown: &CancellationToken,
    state: Option<StateTopic<'_>>,
    span: S,
    handle: H,
) -> TaskTracker
where
    S: Fn(&OwnedMessage) -> tracing::Span,
    H: Fn(OwnedMessage) -> F,
    F: Future<Output = (OwnedMessage, bool)> + Send + 'static,
{
    let tasks = TaskTracker::new();
    let permits = Arc::new(Semaphore::new(config.max_in_flight));
    loop {
        let permit = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let received = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            m = consumer.consumer().recv() => m,
        };
        let message = match received {
            Ok(m) => m.detach(),
            Err(e) => {
                tracing::warn!(error = %e, "consume error");
                continue;
            }
        };
        if let Some(state) = &state {
            if message.topic() == state.topic {
                (state.on_record)(&message);
                continue;
            }
        }
        consumer.begin(message.topic(), message.partition(), message.offset());
        let task_span = span(&message);
        // The parent must be set before the span is first entered.
        trace::adopt(&task_span, message.headers().map(|h| h.as_borrowed()));
        let consumer = consumer.clone();
        let work = handle(message);
        tasks.spawn(
            async move {
                let (message, done) = work.await;
                if done {
                    consumer.ack(message.topic(), message.partition(), message.offset());
                }
                drop(permit);
            }
            .instrument(task_span),
        );
    }
    tasks.close();
    if tokio::time::timeout(config.drain, tasks.wait()).await.is_err() {
        tracing::warn!(in_flight = consumer.in_flight(), "drain deadline passed with records in flight");
    }
    tasks
}

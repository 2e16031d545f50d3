//! Issue 10, scenario 2: topics read together by key must have the same
//! partition count, or a request's marker, status and outcomes land in
//! different partition numbers and a finaliser can publish a second final
//! event. The gateway refuses to start, naming the topics and their counts,
//! instead of running that way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use smsgw_tests::{settings, Broker};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn co_partitioned_topics_with_different_counts_stop_start_up_with_a_clear_error() {
    for (role, odd) in [(smsgw::Role::Tracker, "sms.finals"), (smsgw::Role::Sender, "sms.done")] {
        let broker = Broker::start();
        let settings = settings(&broker, 1, "");
        let mut topics = smsgw::topics(&settings);
        let (odd_one, rest): (Vec<_>, Vec<_>) = topics.drain(..).partition(|t| t.name == odd);
        kafka::ensure_topics(&settings.kafka, &rest, 2).await.unwrap();
        kafka::ensure_topics(&settings.kafka, &odd_one, 3).await.unwrap();
        let run = smsgw::run_roles(Arc::new(settings), role, CancellationToken::new());
        let result = tokio::time::timeout(Duration::from_secs(60), run).await.expect("fails at start-up, not later");
        let error = result.expect_err("refuses to run").to_string();
        eprintln!("{role:?}: {error}");
        assert!(error.contains("partition count") && error.contains(&format!("{odd}: 3")), "{error}");
    }
}

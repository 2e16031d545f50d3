//! Issue 10: the tansu workarounds apply only where the broker needs them.
//! `kafka.broker_quirks = "auto"` probes the broker at start-up: tansu 0.6
//! reports a log end short of a batch's last record, so it is found to need
//! them (librdkafka's mock cluster, which behaves like Kafka, is found not
//! to: `kafka::quirks` unit tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use runtime::config::BrokerQuirks;
use smsgw_tests::{settings, Broker};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tansu_is_probed_as_needing_its_workarounds() {
    let broker = Broker::start();
    let settings = settings(&broker, 1, "");
    kafka::ensure_topics(&settings.kafka, &smsgw::topics(&settings), 2).await.unwrap();
    assert!(kafka::quirks::probe(&settings.kafka, &settings.kafka.topics.done).await.unwrap());
    let resolved = kafka::quirks::resolve(&settings.kafka, &settings.kafka.topics.done).await.unwrap();
    assert_eq!(resolved.broker_quirks, BrokerQuirks::Tansu);
}

/// Every replica probes at start-up, all on the same partition: a probe's
/// log end then lies past its batch on tansu too, and the second symptom
/// decides. (Two gateways once probed side by side found no quirks, and a
/// consumer resuming inside a batch waited for ever.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_side_by_side_still_find_the_quirks() {
    let broker = Broker::start();
    let settings = settings(&broker, 1, "");
    kafka::ensure_topics(&settings.kafka, &smsgw::topics(&settings), 2).await.unwrap();
    let probe = || kafka::quirks::probe(&settings.kafka, &settings.kafka.topics.done);
    for round in 0..3 {
        let found = futures::future::join_all((0..4).map(|_| probe())).await;
        for quirky in found {
            assert!(quirky.unwrap(), "round {round}: a probe beside others missed the quirks");
        }
    }
}

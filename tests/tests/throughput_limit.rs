//! `max_tps = 50` over 2 binds: the SMSC never sees more than 50 submits in
//! any one-second window, and 500 messages take at least 9 s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, settings, status_events, watch, Broker, Gateway, Sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_tps_is_respected_across_binds() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let settings = settings(&broker, sim.port, "binds = 2\nwindow = 10\nmax_tps = 50");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);

    let n = 500;
    let producer = kafka::producer(&kafka).unwrap();
    for i in 0..n {
        let body = format!(r#"{{"id":"t-{i}","to":"+4915100{i:05}","text":"rate {i}"}}"#);
        producer
            .publish(kafka::Outgoing {
                topic: &topics.send,
                key: &format!("t-{i}"),
                payload: body.as_bytes(),
                headers: OwnedHeaders::new(),
            })
            .await
            .unwrap();
    }
    let events = status_events(&collect(&status, Duration::from_secs(120), |m| m.len() >= n).await);
    assert_eq!(events.len(), n);
    assert!(events.iter().all(|e| e.status == Status::Submitted));

    let mut times: Vec<_> = sim.state.submits().iter().filter(|s| s.status == 0).map(|s| s.at).collect();
    times.sort();
    assert_eq!(times.len(), n);
    let binds: std::collections::BTreeSet<_> = sim.state.submits().iter().map(|s| s.bind).collect();
    assert_eq!(binds.len(), 2, "both binds carried traffic");
    let span = *times.last().unwrap() - times[0];
    assert!(span >= Duration::from_secs(9), "500 messages at 50/s took only {span:?}");
    // Sliding one-second windows over the SMSC's arrival times.
    let mut worst = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= Duration::from_secs(1) {
            start += 1;
        }
        worst = worst.max(end - start + 1);
    }
    assert!(worst <= 50, "{worst} submits within one second");
    gateway.stop().await;
}

//! ESME_RTHROTTLED for 30 % of submits: every message still ends SUBMITTED.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::{collect, settings, status_events, watch, Broker, Gateway, Sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_submits_are_retried_not_failed() {
    let broker = Broker::start();
    let sim = Sim::start(SimConfig { throttle_percent: 30, ..SimConfig::default() }).await;
    let settings = settings(&broker, sim.port, "binds = 2\nthrottle_pause = \"10ms\"");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);

    let n = 300;
    let producer = kafka::producer(&kafka).unwrap();
    for i in 0..n {
        // Every fifth message is long (3 segments), so segments are retried too.
        let text = if i % 5 == 0 { "long ".repeat(80) } else { format!("short {i}") };
        let body = serde_json::json!({"id": format!("th-{i}"), "to": format!("+4915100{i:05}"), "text": text});
        producer
            .publish(kafka::Outgoing {
                topic: &topics.send,
                key: &format!("th-{i}"),
                payload: body.to_string().as_bytes(),
                headers: OwnedHeaders::new(),
            })
            .await
            .unwrap();
    }
    let events = status_events(&collect(&status, Duration::from_secs(120), |m| m.len() >= n).await);
    assert_eq!(events.len(), n);
    let failed: Vec<_> = events.iter().filter(|e| e.status != Status::Submitted).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let refused = sim.state.submits().iter().filter(|s| s.status == 0x58).count();
    assert!(refused > 50, "the simulator throttled {refused} submits");
    for e in events.iter().filter(|e| e.segments == 3) {
        assert_eq!(e.message_ids.len(), 3);
    }
    gateway.stop().await;
}

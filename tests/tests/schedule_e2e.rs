//! Scheduled messages (`send_at`): near ones go out at their time, not
//! before; one due days ahead waits in its level topic, not in memory; one
//! that expires when it is due ends EXPIRED and is never sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::Message;
use simulator::SimConfig;
use smsgw_tests::schedule::{assert_on_time, finals_for, now_ms, only_final, request, send, submits_of};
use smsgw_tests::{collect, publish_requests, settings, watch, Broker, Gateway, Sim};

const NEAR: usize = 40;
const DAY_MS: i64 = 24 * 3600 * 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_messages_go_out_at_send_at_and_far_ones_wait_in_kafka() {
    smsgw_tests::init_logs();
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let settings = settings(&broker, sim.port, "");
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    // Every role has joined its group before the clock starts.
    send(&kafka, &topics.send, "warm", &request("warm", 999, 0, "")).await;
    assert!(finals_for(&status, &["warm".into()], Duration::from_secs(60)).await.contains_key("warm"));

    let start = now_ms();
    let near: Vec<(String, usize, i64)> =
        (0..NEAR).map(|n| (format!("near-{n}"), n, start + 3000 + 100 * n as i64)).collect();
    // Due in 4 s but valid only until then: EXPIRED when due, never sent.
    let expiring = start + 4000;
    let far_at = start + 3 * DAY_MS;
    let mut bodies: Vec<(String, String)> =
        near.iter().map(|(id, n, send_at)| (id.clone(), request(id, *n, *send_at, ""))).collect();
    bodies.push(("exp".into(), request("exp", 100, expiring, &format!(r#","expires_at":{expiring}"#))));
    bodies.push(("far".into(), request("far", 101, far_at, "")));
    publish_requests(&kafka, &topics.send, bodies.len(), |i| bodies[i].clone()).await;
    assert!(now_ms() < start + 2000, "published in time for the first send_at");

    let mut ids: Vec<String> = near.iter().map(|(id, _, _)| id.clone()).collect();
    ids.push("exp".into());
    let finals = finals_for(&status, &ids, Duration::from_secs(90)).await;
    for (id, n, send_at) in &near {
        assert_on_time(only_final(&finals, id), *send_at, 3000);
        assert_eq!(submits_of(&sim.state, *n), 1, "{id} sent once");
    }
    let exp = only_final(&finals, "exp");
    assert_eq!(exp.status, Status::Expired, "{exp:?}");
    assert!(exp.timestamp >= expiring, "expired when due, not when scheduled");
    assert_eq!(submits_of(&sim.state, 100), 0, "an expired message is not sent");

    // The far one: no status, not sent, not held in memory, and on the broker in the 1d level.
    assert!(!finals.contains_key("far"));
    assert_eq!(submits_of(&sim.state, 101), 0);
    assert_eq!(counters::scheduled_held().get(), 0, "nothing held once the near ones are out");
    assert!(counters::scheduled_read_ahead().get() <= 1, "only the far record is read ahead");
    let day = watch(&kafka, &topics.scheduled("1d"));
    let waiting = collect(&day, Duration::from_secs(20), |ms| ms.iter().any(|m| m.key() == Some(b"far"))).await;
    assert!(waiting.iter().any(|m| m.key() == Some(b"far")), "the far message waits in sms.scheduled.1d");
    assert!(counters::scheduled("released").get() > NEAR as u64, "the near ones and the expiring one");
    gateway.stop().await;
}

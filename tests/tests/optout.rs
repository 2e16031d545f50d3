//! Issue 13, opt-outs and block lists: a subscriber's STOP (an MO through the
//! SMSC simulator) refuses later requests from that number to them with
//! `opted_out` — from that number only, and still after a restart of the
//! gateway — until their START; a destination on a block list is REJECTED
//! `blocked`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use events::Status;
use kafka::rdkafka::message::{Message, OwnedHeaders};
use runtime::config::KafkaConfig;
use simulator::SimConfig;
use smsgw_tests::{collect, produce, settings, status_events, watch, Broker, Gateway, Sim};

const OURS: &str = "+4930555777";
const SUBSCRIBER: &str = "+4917612398765";

async fn request(kafka: &KafkaConfig, topic: &str, id: &str, from: &str, to: &str) {
    let body = serde_json::json!({"id": id, "from": from, "to": to, "text": "offer"});
    produce(kafka, topic, id, body.to_string().as_bytes(), OwnedHeaders::new()).await;
}

/// The subscriber writes `text` to our number.
fn mo(sim: &Sim, text: &str) {
    let sm = smpp::Sm {
        source_addr_ton: 1,
        source_addr: SUBSCRIBER[1..].into(),
        dest_addr_ton: 1,
        destination_addr: OURS[1..].into(),
        short_message: text.as_bytes().to_vec().into(),
        ..smpp::Sm::default()
    };
    sim.state.send_mo("smsgw", sm);
}

/// The status (and error code) of request `id`.
async fn outcome(status: &kafka::rdkafka::consumer::StreamConsumer, id: &str) -> (Status, String) {
    let found = |m: &[kafka::rdkafka::message::OwnedMessage]| status_events(m).iter().any(|e| e.request_id == id);
    let events = status_events(&collect(status, Duration::from_secs(60), found).await);
    let e = events.iter().find(|e| e.request_id == id).unwrap_or_else(|| panic!("no status for {id}"));
    (e.status, e.error.as_ref().map(|e| e.code.as_str().to_owned()).unwrap_or_default())
}

/// Waits for the next opt-out change on the topic (fences are other records).
async fn change(optouts: &kafka::rdkafka::consumer::StreamConsumer) {
    let real = |m: &[kafka::rdkafka::message::OwnedMessage]| m.iter().any(|r| r.key() != Some(b"smsgw.restore-fence"));
    assert!(!collect(optouts, Duration::from_secs(30), real).await.is_empty(), "an opt-out change");
    tokio::time::sleep(Duration::from_millis(500)).await; // the router's follower applies it
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_refuses_that_sender_until_start_across_restarts() {
    let sim = Sim::start(SimConfig::default()).await;
    let broker = Broker::start();
    let mut config = settings(&broker, sim.port, "");
    let extra = runtime::Settings::from_toml(
        "[kafka]\nbrokers = \"x:1\"\n[[lists]]\nkind = \"block\"\nto_prefix = \"+4915100\"\n",
    )
    .unwrap();
    config.lists = extra.lists;
    config.router.default_country = Some("DE".into());
    let topics = config.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(config.clone()).await;
    let status = watch(&kafka, &topics.status);
    let optouts = watch(&kafka, &topics.optouts);

    request(&kafka, &topics.send, "before", OURS, SUBSCRIBER).await;
    assert_eq!(outcome(&status, "before").await.0, Status::Submitted);
    request(&kafka, &topics.send, "blocked", OURS, "+4915100123456").await;
    assert_eq!(outcome(&status, "blocked").await, (Status::Rejected, "blocked".into()));

    mo(&sim, " Stop! ");
    change(&optouts).await;
    request(&kafka, &topics.send, "after-stop", OURS, SUBSCRIBER).await;
    assert_eq!(outcome(&status, "after-stop").await, (Status::Rejected, "opted_out".into()));
    request(&kafka, &topics.send, "national", "030555777", "0176 12398765").await;
    assert_eq!(outcome(&status, "national").await, (Status::Rejected, "opted_out".into()), "any spelling");
    request(&kafka, &topics.send, "other-sender", "+4930555778", SUBSCRIBER).await;
    assert_eq!(outcome(&status, "other-sender").await.0, Status::Submitted, "only from the number they wrote to");

    // A new gateway reads the opt-outs back before it routes anything.
    gateway.stop().await;
    let gateway = Gateway::start(config).await;
    request(&kafka, &topics.send, "after-restart", OURS, SUBSCRIBER).await;
    assert_eq!(outcome(&status, "after-restart").await, (Status::Rejected, "opted_out".into()));

    mo(&sim, "start");
    change(&optouts).await;
    request(&kafka, &topics.send, "after-start", OURS, SUBSCRIBER).await;
    assert_eq!(outcome(&status, "after-start").await.0, Status::Submitted);
    gateway.stop().await;
}

//! Cancelling scheduled messages: a cancel in time ends the message
//! REJECTED `cancelled` (never sent) and is answered DELIVERED; a cancel
//! after the message went out is answered REJECTED `too_late` and the
//! message keeps its one final status; a cancel naming no waiting message is
//! answered REJECTED `not_waiting` once its send_at and grace have passed.
//! Cancels in JSON and in Avro (single-object and Confluent framing) alike.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use events::{Framing, Status};
use kafka::rdkafka::message::OwnedHeaders;
use simulator::SimConfig;
use smsgw_tests::schedule::{
    assert_on_time, avro_cancel, cancel, finals_for, now_ms, only_final, request, send, submits_of,
};
use smsgw_tests::{collect, header, produce, settings, status_events, watch, Broker, Gateway, Sim};

fn code(ev: &events::StatusEvent) -> Option<&str> {
    ev.error.as_ref().map(|e| e.code.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_in_time_too_late_and_for_nothing() {
    smsgw_tests::init_logs();
    let broker = Broker::start();
    let sim = Sim::start(SimConfig::default()).await;
    let mut settings = settings(&broker, sim.port, "");
    settings.scheduler.cancel_grace = Duration::from_secs(2);
    let topics = settings.kafka.topics.clone();
    let kafka = broker.kafka_config();
    let gateway = Gateway::start(settings).await;
    let status = watch(&kafka, &topics.status);
    send(&kafka, &topics.send, "warm", &request("warm", 999, 0, "")).await;
    assert!(finals_for(&status, &["warm".into()], Duration::from_secs(60)).await.contains_key("warm"));

    let start = now_ms();
    let (doomed_at, kept_at) = (start + 8000, start + 3000);
    send(&kafka, &topics.send, "doomed", &request("doomed", 1, doomed_at, "")).await;
    send(&kafka, &topics.send, "kept", &request("kept", 2, kept_at, "")).await;
    // In time: written long before the message's send_at (Avro, single-object).
    let doomed_cancel = avro_cancel("c-doomed", "doomed", doomed_at, Framing::SingleObject);
    produce(&kafka, &topics.cancel, "doomed", &doomed_cancel, OwnedHeaders::new()).await;
    // Naming nothing that waits: answered after its send_at and the grace (Avro, Confluent framing).
    let ghost_cancel = avro_cancel("c-ghost", "ghost", start + 6000, Framing::Confluent { schema_id: 1 });
    produce(&kafka, &topics.cancel, "ghost", &ghost_cancel, OwnedHeaders::new()).await;

    let first = ["kept", "doomed", "c-doomed", "c-ghost"].map(String::from);
    let finals = finals_for(&status, &first, Duration::from_secs(60)).await;
    assert_on_time(only_final(&finals, "kept"), kept_at, 5000);
    let doomed = only_final(&finals, "doomed");
    assert_eq!((doomed.status, code(doomed)), (Status::Rejected, Some("cancelled")), "{doomed:?}");
    assert!(doomed.timestamp >= doomed_at, "cancelled when it came due");
    let answer = only_final(&finals, "c-doomed");
    assert_eq!(answer.status, Status::Delivered, "the cancel was carried out: {answer:?}");
    assert_eq!(answer.metadata.get("smsgw.cancel_of").map(String::as_str), Some("doomed"));
    let ghost = only_final(&finals, "c-ghost");
    assert_eq!((ghost.status, code(ghost)), (Status::Rejected, Some("not_waiting")), "{ghost:?}");
    assert!(ghost.timestamp >= start + 6000 + 2000, "answered after send_at + grace");

    // Too late: the message already went out.
    send(&kafka, &topics.cancel, "kept", &cancel("c-late", "kept", kept_at)).await;
    let late = finals_for(&status, &["c-late".into()], Duration::from_secs(30)).await;
    let answer = only_final(&late, "c-late");
    assert_eq!((answer.status, code(answer)), (Status::Rejected, Some("too_late")), "{answer:?}");
    assert_eq!(answer.metadata.get("smsgw.cancel_of").map(String::as_str), Some("kept"));

    // Settle, then: every id has exactly one final event, and the cancelled one was never sent.
    let rest = collect(&status, Duration::from_secs(5), |_| false).await;
    let all: Vec<_> = [finals.into_values().flatten().collect::<Vec<_>>(), late.into_values().flatten().collect()]
        .concat()
        .into_iter()
        .chain(status_events(&rest.iter().filter(|m| header(m, "smsgw-final").is_some()).cloned().collect::<Vec<_>>()))
        .collect();
    for id in ["kept", "doomed", "c-doomed", "c-ghost", "c-late"] {
        assert_eq!(all.iter().filter(|e| e.request_id == id).count(), 1, "{id}: one final event");
    }
    assert_eq!(submits_of(&sim.state, 1), 0, "a cancelled message is never sent");
    assert_eq!(submits_of(&sim.state, 2), 1);
    gateway.stop().await;
}

use super::*;

#[test]
fn a_moved_request_may_go_on_to_the_others_and_back() {
    let reroute = Reroute { after_ms: 60_000, to: vec!["b".into(), "c".into(), "d".into()] };
    assert_eq!(reroute.moved_to("a", "b").to, ["c", "d", "a"]);
    assert_eq!(reroute.moved_to("a", "c").to, ["d", "a", "b"], "skipped b is tried after the others");
    let json = encode(&reroute).unwrap();
    assert_eq!(serde_json::from_slice::<Reroute>(&json).unwrap(), reroute);
}

#[test]
fn records_round_trip_as_json() {
    let submit = SubmitRecord {
        request_id: "r".into(),
        segment: 1,
        segments: 2,
        connection: "c".into(),
        message_ids: vec!["a".into(), "b".into()],
        submitted_at: 5,
        tenant: None,
        metadata: Default::default(),
        trace: vec![("traceparent".into(), "00-x".into())],
        route: Some(events::RouteInfo { id: Some("de".into()), reason: Some("failover".into()) }),
    };
    let json = serde_json::to_vec(&submit).unwrap_or_default();
    assert_eq!(serde_json::from_slice::<SubmitRecord>(&json).ok(), Some(submit));
    // Optional fields may be missing (older writers).
    let minimal = r#"{"connection":"c","message_id":"1","stat":"DELIVRD","is_final":true,"received_at":1}"#;
    assert!(serde_json::from_str::<ReceiptRecord>(minimal).is_ok());
}

#[test]
fn worst_status_wins() {
    let status_of = |stat: &str| ReceiptState::from_stat(stat).status();
    assert_eq!(status_of("DELIVRD"), events::Status::Delivered);
    assert_eq!(status_of("UNDELIV"), events::Status::Undeliverable);
    assert!(severity(status_of("REJECTD")) > severity(status_of("EXPIRED")));
}

#[test]
fn receipt_states_read_as_older_versions_wrote_them() {
    for (stat, state) in [
        ("DELIVRD", ReceiptState::Reported(receipt::FinalState::Delivered)),
        ("UNDELIV", ReceiptState::Reported(receipt::FinalState::Undeliverable)),
        ("ENROUTE", ReceiptState::Reported(receipt::FinalState::Enroute)),
        ("NONE", ReceiptState::Missing),
        ("KEYREUSE", ReceiptState::Collided),
    ] {
        let json = format!(r#"{{"connection":"c","message_id":"1","stat":"{stat}","is_final":true,"received_at":1}}"#);
        let record: ReceiptRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(record.state, state);
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            json.replace(r#","received_at":1}"#, r#","err":null,"network_error":null,"done_at":null,"received_at":1}"#)
        );
    }
    let odd: ReceiptRecord =
        serde_json::from_str(r#"{"connection":"c","message_id":"1","stat":"BOGUS","is_final":true,"received_at":1}"#)
            .unwrap();
    assert_eq!(
        odd.state.status(),
        events::Status::Undeliverable,
        "a word no version wrote counts as undeliverable, as before"
    );
}

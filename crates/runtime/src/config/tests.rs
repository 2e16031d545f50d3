use super::*;

const MINIMAL: &str = r#"
    [kafka]
    brokers = "127.0.0.1:9092"

    [router]
    default_connection = "sim"

    [[connections]]
    id = "sim"
    protocol = "smpp"
    host = "127.0.0.1"
    port = 2775
    system_id = "smsgw"
    password = "secret"
    max_tps = 50
    response_timeout = "3s"
"#;

fn error_of(text: &str) -> String {
    match Settings::from_toml(text) {
        Ok(_) => panic!("config was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_outcomes_topic_is_read_by_its_old_key_too() {
    let s = Settings::from_toml(&format!("{MINIMAL}\n[kafka.topics]\nsegments = \"old.outcomes\"\n")).unwrap();
    assert_eq!(s.kafka.topics.outcomes, "old.outcomes");
    let s = Settings::from_toml(&format!("{MINIMAL}\n[kafka.topics]\noutcomes = \"new.outcomes\"\n")).unwrap();
    assert_eq!(s.kafka.topics.outcomes, "new.outcomes");
    assert_eq!(Settings::from_toml(MINIMAL).unwrap().kafka.topics.outcomes, "sms.segments", "the topic keeps its name");
}

#[test]
fn minimal_config_gets_defaults() {
    let s = Settings::from_toml(MINIMAL).unwrap();
    assert_eq!(s.kafka.topics.send, "sms.send");
    assert_eq!(s.kafka.topics.queue("sim"), "sms.queue.sim");
    let c = &s.connections[0];
    assert!(matches!(&c.link, Link::Smpp(_, smpp) if smpp.bind == BindType::Transceiver));
    assert_eq!(c.window, 10);
    assert_eq!(c.response_timeout, Duration::from_secs(3));
    assert_eq!(c.max_tps, 50);
}

#[test]
fn example_config_is_valid() {
    let s = Settings::from_toml(include_str!("../../../../config/smsgw.example.toml")).unwrap();
    assert_eq!(s.connections[0].binds, 2);
    assert_eq!(s.router.default_connection.as_deref(), Some("sim"));
    let api = s.connection("api").unwrap();
    assert_eq!((api.protocol(), api.concat()), (Protocol::Http, text::Concat::Payload));
    assert_eq!(api.http().unwrap().callback_listen, Some("127.0.0.1:8081".parse().unwrap()));
}

#[test]
fn metrics_listen_is_off_by_default_and_parses() {
    assert_eq!(Settings::from_toml(MINIMAL).unwrap().telemetry.metrics_listen, None);
    let s = Settings::from_toml(&format!("[telemetry]\nmetrics_listen = \"127.0.0.1:9464\"\n{MINIMAL}")).unwrap();
    assert_eq!(s.telemetry.metrics_listen, Some("127.0.0.1:9464".parse().unwrap()));
    let err = error_of(&format!("[telemetry]\nmetrics_listen = \"localhost\"\n{MINIMAL}"));
    assert!(err.contains("metrics_listen"), "{err}");
}

#[test]
fn id_retention_defaults_to_a_week_and_is_checked() {
    assert_eq!(Settings::from_toml(MINIMAL).unwrap().kafka.id_retention, Duration::from_secs(604_800));
    let with =
        |v: &str| MINIMAL.replace("brokers = \"127.0.0.1:9092\"", &format!("brokers = \"b:9092\"\nid_retention = {v}"));
    assert_eq!(Settings::from_toml(&with("\"2h\"")).unwrap().kafka.id_retention, Duration::from_secs(7200));
    assert!(error_of(&with("\"0s\"")).contains("kafka.id_retention"));
    assert!(error_of(&with("\"forever\"")).contains("id_retention"));
}

#[test]
fn protocol_limits_name_their_key() {
    let ucp = MINIMAL.replace("protocol = \"smpp\"", "protocol = \"ucp\"");
    assert_eq!(Settings::from_toml(&ucp).unwrap().connections[0].protocol(), Protocol::Ucp);
    assert!(error_of(&ucp.replace("max_tps = 50", "max_tps = 50\nconcat = \"sar\"")).contains("connections[0].concat"));
    let cimd2 = MINIMAL.replace("protocol = \"smpp\"", "protocol = \"cimd2\"");
    assert!(Settings::from_toml(&cimd2.replace("password = \"secret\"", "password = \"longer-than-8\"")).is_ok());
    assert!(error_of(&MINIMAL.replace("protocol = \"smpp\"", "protocol = \"x25\"")).contains("protocol"));
}

#[test]
fn modems_need_a_device_not_a_host() {
    let modem = MINIMAL
        .replace("protocol = \"smpp\"", "protocol = \"modem\"")
        .replace("host = \"127.0.0.1\"", "")
        .replace("port = 2775", "")
        .replace("system_id = \"smsgw\"", "");
    let e = error_of(&modem);
    assert!(e.contains("`password` is not a key of protocol modem") && e.contains("connections[0]"), "{e}");
    let modem = modem.replace("password = \"secret\"", "");
    assert!(error_of(&modem).contains("connections[0].device"));
    let s = Settings::from_toml(&modem.replace("max_tps = 50", "max_tps = 50\ndevice = \"/dev/ttyUSB0\"")).unwrap();
    assert_eq!((s.connections[0].protocol(), s.connections[0].modem().unwrap().baud), (Protocol::Modem, 115_200));
    let bad_pin = modem.replace("max_tps = 50", "max_tps = 50\ndevice = \"/dev/x\"\npin = \"12a4\"");
    assert!(error_of(&bad_pin).contains("connections[0].pin"));
    let no_host = MINIMAL.replace("host = \"127.0.0.1\"", "");
    assert!(error_of(&no_host).contains("connections[0].host"));
}

#[test]
fn unknown_key_is_named() {
    let err = error_of(&MINIMAL.replace("max_tps = 50", "max_tsp = 50"));
    assert!(err.contains("max_tsp"), "{err}");
}

#[test]
fn bad_values_name_their_key() {
    assert!(error_of(&MINIMAL.replace("port = 2775", "port = 0")).contains("connections[0].port"));
    assert!(error_of(&MINIMAL.replace("default_connection = \"sim\"", "default_connection = \"nope\""))
        .contains("router.default_connection"));
    assert!(error_of(&MINIMAL.replace("response_timeout = \"3s\"", "response_timeout = \"soon\""))
        .contains("response_timeout"));
}

#[test]
fn environment_overrides_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smsgw.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    // Only this test touches this variable name.
    std::env::set_var("SMSGW__KAFKA__GROUP_PREFIX", "from-env");
    let s = Settings::load(&path).unwrap();
    std::env::remove_var("SMSGW__KAFKA__GROUP_PREFIX");
    assert_eq!(s.kafka.group_prefix, "from-env");
}

#[test]
fn in_flight_follows_what_the_links_hold_unless_set() {
    let with = |extra: &str| Settings::from_toml(&format!("{MINIMAL}{extra}\n")).unwrap().connections[0].in_flight();
    // 1 bind × window 10: 30, raised to the floor.
    assert_eq!(with(""), 100);
    assert_eq!(with("binds = 2\nwindow = 200"), 1200);
    assert_eq!(with("binds = 2\nwindow = 200\nmax_in_flight = 5"), 5);
    assert!(error_of(&format!("{MINIMAL}max_in_flight = 0\n")).contains("max_in_flight"));
}

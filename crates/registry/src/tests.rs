#![allow(clippy::unwrap_used, clippy::expect_used)]

use events::{Framing, SchemaKind, SchemaLookup};

use crate::fake::{older_send_request, older_send_request_schema, FakeRegistry};
use crate::{confluent_schema_id, framings, Access, Framings, Registry};

#[test]
fn confluent_header_id() {
    assert_eq!(confluent_schema_id(&[0, 0, 0, 1, 2, 9]), Some(258));
    assert_eq!(confluent_schema_id(&[0, 0, 0, 0, 7]), Some(7), "an empty datum still has an id");
    assert_eq!(confluent_schema_id(&[0, 0, 0, 1]), None, "truncated header");
    assert_eq!(confluent_schema_id(b"{\"id\":1}"), None);
    assert_eq!(confluent_schema_id(&[0xC3, 0x01, 0, 0, 0, 0]), None);
}

#[test]
fn bad_urls_are_refused() {
    for url in ["not a url", "ftp://registry", "mailto:x@y"] {
        assert!(Registry::new(url).is_err(), "{url}");
    }
    assert!(Registry::new("http://registry:8081/prefix/").is_ok());
    assert!(Registry::new("https://registry:8081").is_ok());
}

#[test]
fn a_ca_file_is_checked_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let access = |ca: &std::path::Path| Access { ca: Some(ca.to_owned()), basic: None };
    let missing = dir.path().join("missing.pem");
    let error = Registry::with_access("https://registry:8081", access(&missing)).unwrap_err().to_string();
    assert!(error.starts_with("kafka.schema_registry_ca ") && error.contains("missing.pem"), "{error}");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let error = Registry::with_access("https://registry:8081", access(&empty)).unwrap_err().to_string();
    assert!(error.contains("no PEM certificate"), "{error}");
    let error = Registry::with_access("http://registry:8081", access(&empty)).unwrap_err().to_string();
    assert!(error.contains("must be https"), "{error}");
}

#[tokio::test]
async fn basic_authentication_from_the_settings_or_the_url() {
    let fake = FakeRegistry::start().await;
    fake.require_basic("reg-user", "p@ss:w0rd");
    let schema = events::schema_json(SchemaKind::StatusEvent);

    let anonymous = Registry::new(&fake.url).unwrap();
    let refused = anonymous.register("s-value", schema).await.unwrap_err();
    assert!(refused.to_string().contains("401") && !refused.is_transient(), "{refused}");
    assert_eq!(fake.unauthorized(), 1);

    let basic = Some(("reg-user".to_owned(), runtime::config::Secret::new("p@ss:w0rd")));
    let configured = Registry::with_access(&fake.url, Access { ca: None, basic }).unwrap();
    configured.register("s-value", schema).await.unwrap();

    let host = fake.url.trim_start_matches("http://");
    let in_url = Registry::new(&format!("http://reg-user:p%40ss%3Aw0rd@{host}")).unwrap();
    in_url.register("s-value", schema).await.unwrap();
    assert_eq!(fake.unauthorized(), 1, "both authenticated");
    // The password never shows: not in the URL kept, nor in its Debug.
    assert_eq!(in_url.url(), format!("{}/", fake.url));
    assert!(!format!("{in_url:?}").contains("w0rd"));

    let wrong = Registry::new(&format!("http://reg-user:wr0ng-pa55@{host}")).unwrap();
    let error = wrong.register("s-value", schema).await.unwrap_err().to_string();
    assert!(error.contains("401") && !error.contains("wr0ng-pa55"), "{error}");
    let both = Access { ca: None, basic: Some(("x".into(), runtime::config::Secret::new("y"))) };
    let error = Registry::with_access(&format!("http://reg-user:wr0ng-pa55@{host}"), both).unwrap_err().to_string();
    assert!(error.contains("credentials both") && !error.contains("wr0ng-pa55"), "{error}");
}

#[tokio::test]
async fn register_is_idempotent_per_schema() {
    let fake = FakeRegistry::start().await;
    let registry = Registry::new(&fake.url).unwrap();
    let status = registry.register("sms.status-value", events::schema_json(SchemaKind::StatusEvent)).await.unwrap();
    let again = registry.register("other-value", events::schema_json(SchemaKind::StatusEvent)).await.unwrap();
    let inbound = registry.register_value("sms.inbound", SchemaKind::InboundMessage).await.unwrap();
    assert_eq!(status, again);
    assert_eq!(fake.subject_id("sms.status-value"), Some(status));
    assert_eq!(inbound, Framing::Confluent { schema_id: fake.subject_id("sms.inbound-value").unwrap() });
    assert_ne!(inbound, Framing::Confluent { schema_id: status });
}

#[tokio::test]
async fn schemas_are_fetched_once_and_decode_older_writers() {
    let fake = FakeRegistry::start().await;
    let id = fake.add(&older_send_request_schema());
    let registry = Registry::new(&fake.url).unwrap();
    let bytes = older_send_request(id, "r-1", "+4915112345678", "hello");
    assert_eq!(confluent_schema_id(&bytes), Some(id));

    assert!(SchemaLookup::schema_by_id(&registry, id).is_none(), "lookup reads the cache only");
    registry.prefetch(id).await.unwrap();
    registry.prefetch(id).await.unwrap();
    assert_eq!(fake.lookups(), 1, "cached after the first fetch");

    let request = events::decode_request(&bytes, Some(&registry)).unwrap();
    assert_eq!((request.id.as_str(), request.text.as_deref()), ("r-1", Some("hello")));
    assert!(request.tenant.is_none() && request.metadata.is_empty(), "defaults for fields the writer lacked");
}

#[tokio::test]
async fn errors_say_whether_to_retry() {
    let fake = FakeRegistry::start().await;
    let registry = Registry::new(&fake.url).unwrap();
    let unknown = registry.prefetch(4242).await.unwrap_err();
    assert!(!unknown.is_transient(), "{unknown}");
    assert!(unknown.to_string().contains("404"), "{unknown}");

    fake.set_unavailable(true);
    let down = registry.register("s-value", "\"string\"").await.unwrap_err();
    assert!(down.is_transient(), "{down}");
    fake.set_unavailable(false);
    assert!(registry.register("s-value", "\"string\"").await.is_ok());

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let nobody = Registry::new(&format!("http://{closed}")).unwrap();
    let refused = nobody.prefetch(1).await.unwrap_err();
    assert!(refused.is_transient(), "{refused}");
}

#[tokio::test]
async fn not_avro_is_a_final_error() {
    let fake = FakeRegistry::start().await;
    let id = fake.add(r#"{"type": "no such type"}"#);
    let registry = Registry::new(&fake.url).unwrap();
    let err = registry.prefetch(id).await.unwrap_err();
    assert!(!err.is_transient(), "{err}");
}

#[tokio::test]
async fn framings_with_and_without_registry() {
    let settings = runtime::Settings::from_toml(
        r#"
        [kafka]
        brokers = "127.0.0.1:9092"
        [[connections]]
        id = "a"
        protocol = "smpp"
        host = "127.0.0.1"
        port = 2775
        system_id = "x"
        password = "y"
        "#,
    )
    .unwrap();
    assert_eq!(framings(&settings, None).await.unwrap(), Framings::single_object());

    let fake = FakeRegistry::start().await;
    let registry = Registry::new(&fake.url).unwrap();
    let f = framings(&settings, Some(&registry)).await.unwrap();
    let id = |subject: &str| Framing::Confluent { schema_id: fake.subject_id(subject).unwrap() };
    assert_eq!(f.status, id("sms.status-value"));
    assert_eq!(f.inbound, id("sms.inbound-value"));
    assert_eq!(f.queue("a"), id("sms.queue.a-value"));
    for lane in ["sms.queue.a.high-value", "sms.queue.a.urgent-value"] {
        assert!(fake.subject_id(lane).is_some(), "{lane} registered");
    }
    assert_eq!(f.queue("unknown"), Framing::SingleObject);

    fake.set_unavailable(true);
    assert!(framings(&settings, Some(&registry)).await.is_err());
}

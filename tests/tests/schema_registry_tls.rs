//! Issue 12: the Schema Registry client over `https://` with a CA of its
//! own (`kafka.schema_registry_ca`) and basic authentication, against the
//! fake registry behind Debian's `stunnel4`; a registry whose certificate
//! the configured CA did not sign is refused with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use events::SchemaKind;
use registry::fake::FakeRegistry;
use registry::Registry;
use runtime::config::KafkaConfig;
use smsgw_tests::tls::{Certs, Stunnel};

const PASSWORD: &str = "reg-Pa55word";

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap()
}

/// `[kafka]` settings for the registry behind `terminator`, trusting `ca`.
fn kafka(terminator: &Stunnel, ca: &std::path::Path) -> KafkaConfig {
    let mut kafka = KafkaConfig::new("127.0.0.1:9092");
    kafka.schema_registry_url = Some(format!("https://127.0.0.1:{}", terminator.port));
    kafka.schema_registry_ca = Some(ca.to_owned());
    kafka.schema_registry_user = Some("smsgw".into());
    kafka.schema_registry_password = Some(runtime::config::Secret::new(PASSWORD));
    kafka
}

#[tokio::test]
async fn registers_over_https_with_its_own_ca_and_basic_authentication() {
    let certs = Certs::generate();
    let fake = FakeRegistry::start().await;
    fake.require_basic("smsgw", PASSWORD);
    let terminator = Stunnel::start(&certs, port_of(&fake.url));

    let registry = Registry::from_config(&kafka(&terminator, &certs.ca)).unwrap().unwrap();
    let framing = registry.register_value("sms.status", SchemaKind::StatusEvent).await.unwrap();
    let id = fake.subject_id("sms.status-value").expect("registered through TLS");
    assert_eq!(framing, events::Framing::Confluent { schema_id: id });
    registry.prefetch(id).await.unwrap();
    assert_eq!(fake.unauthorized(), 0, "every request carried the credentials");

    // Without the credentials the same registry refuses.
    let mut anonymous = kafka(&terminator, &certs.ca);
    anonymous.schema_registry_user = None;
    anonymous.schema_registry_password = None;
    let refused = Registry::from_config(&anonymous).unwrap().unwrap().prefetch(id).await.unwrap_err();
    assert!(refused.to_string().contains("401"), "{refused}");
}

#[tokio::test]
async fn a_certificate_the_configured_ca_did_not_sign_is_refused() {
    let certs = Certs::generate();
    let fake = FakeRegistry::start().await;
    let terminator = Stunnel::start(&certs, port_of(&fake.url));

    let registry = Registry::from_config(&kafka(&terminator, &certs.other_ca)).unwrap().unwrap();
    let error = registry.register_value("sms.status", SchemaKind::StatusEvent).await.unwrap_err().to_string();
    assert!(error.contains("invalid peer certificate") && error.contains("UnknownIssuer"), "{error}");
    assert!(!error.contains(PASSWORD), "{error}");
    assert_eq!(fake.subject_id("sms.status-value"), None, "nothing reached the registry");
}

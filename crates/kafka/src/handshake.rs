//! The start-up handshake: one client connects to the brokers with the
//! configured security (`security.protocol`, `ssl.*`, `sasl.*` in
//! `kafka.properties`) before any role starts, and a TLS or SASL failure ends
//! start-up with librdkafka's reason.
//!
//! Why: librdkafka treats a failed TLS handshake or a refused SASL login as
//! a broker being down. Every client retries on its own, forever, with a
//! log line now and then, and the process looks alive while it can never
//! work. A certificate the trust store does not know or a wrong password
//! does not heal by waiting, so the process ends (non-zero) and says why.
//!
//! How: librdkafka reports these as global errors with the codes
//! `RD_KAFKA_RESP_ERR__SSL` and `RD_KAFKA_RESP_ERR__AUTHENTICATION`
//! (librdkafka's `rdkafka.h`), delivered to the client's error callback
//! when the client is polled. A producer is used because rdkafka hands its
//! error events to [`ClientContext::error`] with the reason text (a
//! consumer returns only the code). A connection closed during the TLS
//! handshake is reported as a transport error (librdkafka's
//! `rdkafka_ssl.c`: most likely a plaintext listener, but a broker going
//! down looks the same), so it ends start-up only when it is still the last
//! word after [`WAIT`]. Brokers that do not answer at all are not this
//! check's business: after [`WAIT`] start-up goes on, and the steps after it
//! (topic creation) report what they find.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer as _, ProducerContext};
use rdkafka::ClientContext;
use runtime::config::KafkaConfig;

use crate::client::{base_config, Error};

/// How long the check waits for the brokers' first answer or refusal. A
/// TLS handshake or SASL exchange that fails does so within a round trip or
/// two, well inside this.
pub const WAIT: Duration = Duration::from_secs(15);

/// How the brokers turned the client away.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// The TLS handshake failed (untrusted or mismatched certificate, no
    /// common protocol, TLS spoken to a plaintext port...).
    Tls(String),
    /// SASL failed (wrong credentials, a mechanism the broker does not offer).
    Authentication(String),
}

impl Refusal {
    fn into_error(self) -> Error {
        match self {
            Refusal::Tls(reason) => Error::Tls(reason),
            Refusal::Authentication(reason) => Error::Authentication(reason),
        }
    }
}

/// Keeps the first refusal librdkafka reports, and the last other error.
#[derive(Default, Clone)]
struct Watch {
    refusal: Arc<Mutex<Option<Refusal>>>,
    last: Arc<Mutex<Option<String>>>,
}

impl Watch {
    fn refusal(&self) -> Option<Refusal> {
        self.refusal.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn last(&self) -> Option<String> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl ClientContext for Watch {
    fn error(&self, error: KafkaError, reason: &str) {
        let refusal = match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::SSL) => Refusal::Tls(reason.to_owned()),
            Some(
                RDKafkaErrorCode::Authentication
                | RDKafkaErrorCode::SaslAuthenticationFailed
                | RDKafkaErrorCode::UnsupportedSASLMechanism
                | RDKafkaErrorCode::IllegalSASLState,
            ) => Refusal::Authentication(reason.to_owned()),
            // "1/1 brokers are down" follows the reason and says less.
            Some(RDKafkaErrorCode::AllBrokersDown) => return,
            _ => {
                tracing::debug!(%error, reason, "kafka start-up check");
                *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(reason.to_owned());
                return;
            }
        };
        self.refusal.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(refusal);
    }
}

/// Nothing is produced: the producer is only the client whose `poll` hands
/// error events to [`Watch::error`].
impl ProducerContext for Watch {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

/// Connects once with `config`'s security settings: `Ok` when the brokers
/// answered a metadata request (or did not answer within [`WAIT`]), an
/// error naming the cause when they refused the TLS handshake or the SASL
/// login.
pub async fn check(config: &KafkaConfig) -> Result<(), Error> {
    let config = config.clone();
    tokio::task::spawn_blocking(move || check_blocking(&config, WAIT))
        .await
        .map_err(|e| Error::Create(KafkaError::ClientCreation(e.to_string())))?
}

/// [`check`] on the calling thread, waiting at most `wait`.
pub fn check_blocking(config: &KafkaConfig, wait: Duration) -> Result<(), Error> {
    let watch = Watch::default();
    let producer: BaseProducer<Watch> =
        base_config(config).create_with_context(watch.clone()).map_err(Error::Create)?;
    let deadline = Instant::now() + wait;
    loop {
        let answer = producer.client().fetch_metadata(None, Duration::from_millis(500));
        // Serves the error events raised meanwhile (the context's `error`).
        producer.poll(Duration::from_millis(100));
        if let Some(refusal) = watch.refusal() {
            return Err(refusal.into_error());
        }
        if matches!(answer, Ok(ref metadata) if !metadata.brokers().is_empty()) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let last = watch.last();
            // librdkafka names the state a connection was lost in.
            let in_handshake = |r: &&str| r.contains("SSL handshake failed") || r.contains("state SSL_HANDSHAKE");
            if let Some(reason) = last.as_deref().filter(in_handshake) {
                return Err(Error::Tls(reason.to_owned()));
            }
            let reason = last.or_else(|| answer.err().map(|e| e.to_string())).unwrap_or_default();
            tracing::warn!(brokers = %config.brokers, reason, "kafka brokers not answering yet; going on");
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::mocking::MockCluster;

    #[test]
    fn a_broker_that_answers_passes() {
        let cluster = MockCluster::new(1).unwrap();
        let config = KafkaConfig::new(cluster.bootstrap_servers());
        check_blocking(&config, Duration::from_secs(10)).unwrap();
    }

    /// TLS spoken to a plaintext listener: the broker hangs up in the
    /// handshake, which is still the last word when the wait is over.
    #[test]
    fn tls_to_a_plaintext_broker_is_refused_after_the_wait() {
        let cluster = MockCluster::new(1).unwrap();
        let mut config = KafkaConfig::new(cluster.bootstrap_servers());
        config.properties.insert("security.protocol".into(), "SSL".into());
        let error = check_blocking(&config, Duration::from_secs(3)).unwrap_err();
        assert!(matches!(error, Error::Tls(_)), "{error}");
        assert!(error.to_string().contains("SSL_HANDSHAKE"), "{error}");
    }

    /// Nobody listening is not a refusal: start-up goes on after the wait.
    #[test]
    fn no_broker_is_not_a_refusal() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let config = KafkaConfig::new(closed.to_string());
        check_blocking(&config, Duration::from_secs(2)).unwrap();
    }
}

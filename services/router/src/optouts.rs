//! Opt-outs. An inbound message whose whole text is a stop keyword opts its
//! sender (the subscriber) out of messages from the number it wrote to; a
//! start keyword opts back in. None of the SMSC protocols does this for the
//! gateway; carriers and regulators (the CTIA in the US, Ofcom's PhonepayPlus
//! code in the UK) expect it of whoever sends.
//!
//! - The listener (one per router group, over `sms.inbound`) writes each
//!   change to the compacted `sms.optouts`, keyed `{number}|{subscriber}`.
//! - Every router replica follows that topic from its beginning into a set,
//!   and routes nothing before it has read it to the end (a fence per
//!   partition, `kafka::restore`): a restarted router must not forget a STOP.
//!
//! Numbers are compared in international form where `router.default_country`
//! or a leading `+`/`00` makes one; alphanumeric senders cannot be answered,
//! so they have no opt-outs.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use events::SchemaLookup;
use kafka::rdkafka::message::{Message, OwnedHeaders, OwnedMessage};
use kafka::{trace, AckingConsumer, Outgoing, Producer};
use phonenumber::country::Id;
use registry::Registry;
use runtime::config::{KafkaConfig, OptOutConfig};
use tokio_util::sync::CancellationToken;

use crate::number;

pub use records::OptOut as Change;

/// A number as opt-outs compare it: its digits, in international form where
/// `country` makes one; `None` for an alphanumeric sender.
pub fn comparable(n: &str, country: Option<Id>) -> Option<String> {
    let parsed = number::normalise(n).ok()?;
    Some(number::with_country(parsed, country).digits().to_owned())
}

/// A number from an SMSC as opt-outs compare it. SMSCs give international
/// numbers without their `+` (the TON says it, and the inbound record does
/// not keep it), so digits that make a valid E.164 number are taken as one;
/// others are national ([`comparable`]).
pub fn comparable_inbound(n: &str, country: Option<Id>) -> Option<String> {
    let digits = number::normalise(n).ok()?.digits().to_owned();
    let e164 = phonenumber::parse(None, format!("+{digits}")).ok().filter(phonenumber::is_valid);
    match e164 {
        Some(_) if !digits.starts_with('0') => Some(digits),
        _ => comparable(n, country),
    }
}

/// What an inbound text says: `Some(true)` stop, `Some(false)` start.
pub fn keyword(text: &str, config: &OptOutConfig) -> Option<bool> {
    let word = text.trim().trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace()).to_uppercase();
    let is = |list: &[String]| list.iter().any(|k| k.to_uppercase() == word);
    if is(&config.stop_keywords) {
        Some(true)
    } else if is(&config.start_keywords) {
        Some(false)
    } else {
        None
    }
}

/// The opt-outs every replica knows.
#[derive(Default)]
pub struct OptOuts {
    pairs: RwLock<HashSet<(String, String)>>,
}

impl OptOuts {
    /// True when `subscriber` opted out of messages from `number` (both comparable).
    pub fn contains(&self, number: &str, subscriber: &str) -> bool {
        let pairs = self.pairs.read().unwrap_or_else(|e| e.into_inner());
        !pairs.is_empty() && pairs.contains(&(number.to_owned(), subscriber.to_owned()))
    }

    pub fn apply(&self, change: Change) {
        let mut pairs = self.pairs.write().unwrap_or_else(|e| e.into_inner());
        if change.opted_out {
            pairs.insert((change.number, change.subscriber));
        } else {
            pairs.remove(&(change.number, change.subscriber));
        }
    }

    /// Follows the opt-out topic until `shutdown`; returns once it has been
    /// read to its end (false: shutdown came first).
    pub async fn follow(
        self: &Arc<Self>,
        kafka: &KafkaConfig,
        producer: Producer,
        shutdown: CancellationToken,
    ) -> Result<bool, kafka::Error> {
        let optouts = self.clone();
        let on_record = move |m: &OwnedMessage| match records::decode::<Change>(m.payload().unwrap_or_default()) {
            Ok(change) => optouts.apply(change),
            Err(e) => tracing::warn!(error = %e, offset = m.offset(), "not an opt-out record; skipped"),
        };
        kafka::restore::follow(kafka, &kafka.topics.optouts, producer, shutdown, on_record).await
    }
}

/// Watches `sms.inbound` for keywords until `shutdown`, writing each change
/// to the opt-out topic; an inbound record is acknowledged once its change is
/// on the broker.
pub async fn listen(
    kafka: KafkaConfig,
    config: OptOutConfig,
    country: Option<Id>,
    producer: Producer,
    registry: Option<Arc<Registry>>,
    shutdown: CancellationToken,
) -> Result<(), kafka::Error> {
    let group = format!("{}.router.optouts", kafka.group_prefix);
    let consumer = Arc::new(AckingConsumer::subscribe(&kafka, &group, &[&kafka.topics.inbound])?);
    let topic = kafka.topics.optouts.clone();
    let dispatch = kafka::Dispatch { max_in_flight: 1000, drain: std::time::Duration::from_secs(5) };
    let span = |m: &OwnedMessage| trace::process_span(m, &group, trace::Key::Omit);
    let stop = shutdown.clone();
    let handle = |message: OwnedMessage, _lease| {
        let (producer, registry, config, topic) = (producer.clone(), registry.clone(), config.clone(), topic.clone());
        let stop = stop.clone();
        async move {
            let value = message.payload().unwrap_or_default();
            if let (Some(r), Some(id)) = (&registry, registry::confluent_schema_id(value)) {
                if !r.prefetch_with_retry(id, &stop).await {
                    return (message, false);
                }
            }
            let lookup = registry.as_deref().map(|r| r as &dyn SchemaLookup);
            let Ok(inbound) = events::decode_inbound(value, lookup) else { return (message, true) };
            let change = inbound.text.as_deref().and_then(|t| keyword(t, &config)).and_then(|opted_out| {
                Some(Change {
                    number: comparable_inbound(&inbound.to, country)?,
                    subscriber: comparable_inbound(&inbound.from, country)?,
                    opted_out,
                    inbound_id: inbound.id.clone(),
                    at: timing::now_ms(),
                })
            });
            let Some(change) = change else { return (message, true) };
            tracing::info!(opted_out = change.opted_out, inbound = %change.inbound_id, "opt-out keyword");
            let payload = records::encode(&change).unwrap_or_default();
            let key = change.key();
            let out = Outgoing { topic: &topic, key: &key, payload: &payload, headers: OwnedHeaders::new() };
            let recorded = producer.publish(out).await.is_ok();
            (message, recorded)
        }
    };
    let tasks = kafka::dispatch::run(&consumer.whole(), dispatch, &shutdown, None, span, handle).await;
    tasks.wait().await;
    consumer.commit_and_close();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_any_case_and_punctuation() {
        let config = OptOutConfig::default();
        for stop in ["STOP", "stop", " Stop! ", "unsubscribe.", "Arrêt", "STOPP"] {
            assert_eq!(keyword(stop, &config), Some(true), "{stop}");
        }
        for start in ["START", "start", "Unstop"] {
            assert_eq!(keyword(start, &config), Some(false), "{start}");
        }
        for other in ["please stop", "STOP IT", "", "hello"] {
            assert_eq!(keyword(other, &config), None, "{other}");
        }
    }

    #[test]
    fn comparable_numbers() {
        assert_eq!(comparable("+49 30 555777", None).as_deref(), Some("4930555777"));
        assert_eq!(comparable("017612398765", Some(Id::DE)).as_deref(), Some("4917612398765"));
        assert_eq!(comparable("22333", Some(Id::DE)).as_deref(), Some("22333"));
        // SMSCs give international numbers without the `+` (TON 1 apart).
        let inbound = |n| comparable_inbound(n, Some(Id::DE));
        assert_eq!(inbound("4917612398765").as_deref(), Some("4917612398765"));
        assert_eq!(inbound("447400123456").as_deref(), Some("447400123456"));
        assert_eq!(inbound("017612398765").as_deref(), Some("4917612398765"), "national");
        assert_eq!(inbound("22333").as_deref(), Some("22333"), "a short code");
        assert_eq!(comparable("ACME", None), None, "an alphanumeric sender has no opt-outs");
    }

    #[test]
    fn stop_then_start() {
        let o = OptOuts::default();
        let change = |opted_out| Change {
            number: "4930555777".into(),
            subscriber: "4917612398765".into(),
            opted_out,
            inbound_id: "mo".into(),
            at: 0,
        };
        o.apply(change(true));
        assert!(o.contains("4930555777", "4917612398765"));
        assert!(!o.contains("4930555778", "4917612398765"), "only that number");
        o.apply(change(false));
        assert!(!o.contains("4930555777", "4917612398765"));
    }
}

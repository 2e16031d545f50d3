//! Recording a request's outcome: its submit records and status event, or
//! its final event, and the done marker that says it has one.

use events::{ErrorCode, Status};
use kafka::rdkafka::message::OwnedHeaders;
use kafka::{Outgoing, PublishError};
use runtime::config::MissingMessageId;

use super::{Worker, NO_RECEIPT};

impl Worker {
    /// Publishes an outcome: a SUBMITTED that waits for its receipt goes on
    /// the status topic after its submit records; every other outcome is the
    /// request's final event and goes to the finaliser.
    pub(super) async fn record(
        &self,
        ev: &mut events::StatusEvent,
        receipt_wanted: bool,
        trace_fields: &[(String, String)],
    ) -> Result<(), PublishError> {
        if ev.status == Status::Submitted && receipt_wanted {
            let untrackable = if ev.message_ids.iter().any(String::is_empty) {
                Some("no_message_id")
            } else {
                // Before SUBMITTED: the tracker must know a segment before its receipt can match.
                match self.remember_submits(ev, trace_fields).await {
                    Ok(()) => None,
                    Err(PublishError::Rejected(reason)) => {
                        tracing::error!(%reason, "submit record refused; the request cannot be tracked");
                        Some("record_refused")
                    }
                    Err(e) => return Err(e),
                }
            };
            match untrackable {
                None => {
                    let topic = &self.settings.kafka.topics.status;
                    let published =
                        status::publish_status(&self.producer, topic, self.framings.status, ev, trace_fields);
                    return match published.await {
                        Ok(_) | Err(PublishError::Rejected(_)) => Ok(()),
                        Err(e) => Err(e),
                    };
                }
                Some(why) if why == "no_message_id" && self.config.missing_message_id == MissingMessageId::Failed => {
                    tracing::warn!(
                        "submit accepted without a message id: the request FAILS (missing_message_id = failed)"
                    );
                    ev.status = Status::Failed;
                    ev.done_at = Some(timing::now_ms());
                    ev.error = Some(events::ErrorInfo {
                        code: ErrorCode::NoMessageId,
                        protocol_code: None,
                        text: "the SMSC accepted the message without a message id: no delivery report can be matched"
                            .into(),
                    });
                }
                Some(why) => {
                    tracing::warn!(why, "submitted, but no delivery report can be matched: SUBMITTED is final");
                    ev.metadata.insert(NO_RECEIPT.into(), why.into());
                }
            }
        }
        status::publish_final(&self.producer, &self.settings.kafka, ev, trace_fields).await
    }

    /// Records that `id` has an outcome (compacted done topic, keyed by request id).
    pub(super) async fn mark_done(&self, id: &str, status: Status) -> Result<(), PublishError> {
        let topic = &self.settings.kafka.topics.done;
        let payload = crate::done::marker(&self.config.id, self.lane, status.symbol());
        let out = Outgoing { topic, key: id, payload: payload.as_bytes(), headers: OwnedHeaders::new() };
        self.producer.publish(out).await.map(|_| ())
    }

    /// Publishes one submit record per segment (compacted topic, keyed by
    /// connection and normalised message id), all at once.
    async fn remember_submits(
        &self,
        ev: &events::StatusEvent,
        trace_fields: &[(String, String)],
    ) -> Result<(), PublishError> {
        let topic = &self.settings.kafka.topics.submits;
        let publishes = ev.message_ids.iter().enumerate().map(|(i, id)| {
            let record = records::SubmitRecord {
                request_id: ev.request_id.clone(),
                segment: i as u16 + 1,
                segments: ev.segments,
                connection: self.config.id.clone(),
                message_ids: ev.message_ids.clone(),
                submitted_at: ev.submitted_at.unwrap_or(ev.timestamp),
                tenant: ev.tenant.clone(),
                metadata: ev.metadata.clone(),
                trace: trace_fields.to_vec(),
                route: ev.route.clone(),
            };
            let key = records::key(&self.config.id, &self.config.dlr_id_format.submit_key(id));
            async move {
                let format = records::Format::compact_if(self.settings.kafka.compact_records);
                let payload = records::encode_as(&record, format).map_err(|e| PublishError::Rejected(e.to_string()))?;
                let out = Outgoing { topic, key: &key, payload: &payload, headers: OwnedHeaders::new() };
                self.producer.publish(out).await.map(|_| ())
            }
        });
        futures::future::join_all(publishes).await.into_iter().collect()
    }
}

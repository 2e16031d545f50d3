//! Moving a request off a connection that stays down (`reroute_after`,
//! `docs/architecture.md`): when to move, where, and the hand-over that
//! never loses or doubles it.

use std::time::Duration;

use kafka::rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use kafka::{trace, Outgoing, PublishError};
use records::Reroute;

use super::Worker;

impl Worker {
    /// The connection a request with `reroute` should move to now: this
    /// replica has had no link for `reroute_after`, and the first of the
    /// route's other connections that has one (as its senders report).
    pub(super) fn move_target(&self, reroute: &Reroute) -> Option<String> {
        let down = self.pool.down_for()?;
        if down < Duration::from_millis(reroute.after_ms) {
            return None;
        }
        let now = timing::now_ms();
        reroute.to.iter().find(|c| self.links.down_for(c, now).is_none()).cloned()
    }

    /// Waits until a request with `reroute` should move, and says where.
    pub(super) async fn wait_to_move(&self, reroute: &Reroute) -> String {
        loop {
            self.pool.down_at_least(Duration::from_millis(reroute.after_ms)).await;
            if let Some(to) = self.move_target(reroute) {
                return to;
            }
            // Every other connection is down too: it waits here, and looks again.
            tokio::time::sleep(records::LINK_REPORT_INTERVAL).await;
        }
    }

    /// Hands `request` (queue record `message`) over to connection `to`:
    /// first the done marker naming `to` (a redo hands it over again, never
    /// sends it here), then the record on `to`'s queue with the route's
    /// reason saying why it moved. `to`'s sender skips a copy it has already.
    pub(super) async fn hand_over(
        &self,
        mut request: events::SendRequest,
        message: &OwnedMessage,
        to: &str,
        reroute: Option<&Reroute>,
        trace_fields: &[(String, String)],
    ) -> Result<(), PublishError> {
        let (id, from) = (request.id.clone(), self.config.id.as_str());
        let topics = &self.settings.kafka.topics;
        let marker = crate::done::moved_marker(from, self.lane, to);
        let out = Outgoing { topic: &topics.done, key: &id, payload: marker.as_bytes(), headers: OwnedHeaders::new() };
        self.producer.publish(out).await?;
        if let Some(set) = self.done.set(self.lane) {
            set.moved(message.partition(), &id, to);
        }
        // A crash here leaves the marker without the move: the redo moves it.
        runtime::shutdown::fault_point(&format!("hand_over:{from}"));
        let down = self.pool.down_for().unwrap_or_default().as_secs();
        let why = format!("rerouted from {from}: no link for {down}s");
        let mut route = route_of(message).unwrap_or_default();
        route.reason = Some(match route.reason {
            Some(earlier) => format!("{earlier}; {why}"),
            None => why.clone(),
        });
        request.connection = Some(to.to_owned());
        let payload = events::encode_request(&request, self.framings.queue(to))
            .map_err(|e| PublishError::Rejected(format!("cannot encode the queue record: {e}")))?;
        let route_json = records::encode(&route).unwrap_or_default();
        let mut headers = trace::with_fields(OwnedHeaders::new(), trace_fields)
            .insert(Header { key: records::ROUTE_HEADER, value: Some(&route_json) });
        let onward = reroute.map(|r| records::encode(&r.moved_to(from, to)).unwrap_or_default());
        if let Some(onward) = &onward {
            headers = headers.insert(Header { key: records::REROUTE_HEADER, value: Some(onward) });
        }
        let topic = topics.queue_for(to, request.priority);
        self.producer.publish(Outgoing { topic: &topic, key: &id, payload: &payload, headers }).await?;
        tracing::info!(request_id = %id, %to, reason = %why, "handed over to another connection of the route");
        counters::rerouted(from, to).inc();
        Ok(())
    }
}

/// Where a queue record may move if this connection stays down (its `smsgw-reroute` header).
pub(super) fn reroute_of(message: &OwnedMessage) -> Option<Reroute> {
    let headers = message.headers()?;
    let value = headers.iter().find(|h| h.key == records::REROUTE_HEADER)?.value?;
    records::decode(value).ok()
}

/// The route the router took for a queue record (its `smsgw-route` header); `None` from older routers.
pub(super) fn route_of(message: &OwnedMessage) -> Option<events::RouteInfo> {
    let headers = message.headers()?;
    let value = headers.iter().find(|h| h.key == records::ROUTE_HEADER)?.value?;
    records::decode(value).ok()
}

//! What the HTTP simulator posts to the gateway: a delivery report
//! `{"id", "status": "delivered"}` to `{callback}/dlr` after `receipt_delay`,
//! and each inbound message queued with [`crate::SimState::send_mo`] as
//! `{"from", "to", "text"}` to `{callback}/mo`. Anything but a 2xx is tried
//! again later, as providers do, until the simulator stops.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;
use tracing::Instrument;

use super::Shared;
use crate::deliver::{Delivery, Outgoing, Protocol};

/// Pause between attempts at a callback the gateway did not take.
const RETRY: Duration = Duration::from_millis(500);

/// Posts `body` to `{callback}{path}` until the gateway answers 2xx; false if
/// the simulator stops first (or has no callback URL).
async fn post(shared: &Shared, path: &str, body: &Value) -> bool {
    let Some(base) = &shared.options.callback else { return false };
    let url = format!("{}{path}", base.trim_end_matches('/'));
    loop {
        let mut request = shared.client.post(&url).json(body);
        if let Some(token) = &shared.options.callback_token {
            request = request.bearer_auth(token);
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) => tracing::debug!(status = %r.status(), %url, "callback refused; trying again"),
            Err(e) => tracing::debug!(error = %e, %url, "callback failed; trying again"),
        }
        tokio::select! {
            _ = shared.shutdown.cancelled() => return false,
            _ = tokio::time::sleep(RETRY) => {}
        }
    }
}

/// Reports message `id` delivered after the receipt delay.
pub(crate) fn schedule_receipt(shared: Arc<Shared>, id: String) {
    if shared.options.callback.is_none() {
        return;
    }
    tokio::spawn(
        async move {
            tokio::time::sleep(shared.config.receipt_delay).await;
            if post(&shared, "/dlr", &json!({ "id": id, "status": "delivered" })).await {
                shared.state.receipts_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        .in_current_span(),
    );
}

/// Takes the inbound messages queued for the front-end's system id and
/// posts each to `{callback}/mo`, one at a time, in order.
pub(crate) async fn forward_mo(shared: Arc<Shared>) {
    if shared.options.callback.is_none() {
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    let system_id = shared.options.system_id.clone();
    // Bind numbers of SMPP sessions start at 1; 0 is this front-end.
    shared.state.deliveries.add_receiver(&system_id, 0, Protocol::Http, tx);
    loop {
        let out = tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            out = rx.recv() => match out {
                Some(o) => o,
                None => break,
            },
        };
        let Delivery::Mo(sm) = &out.delivery else { continue };
        let decoded = text::decode::decode_user_data(sm.data_coding, &sm.short_message, sm.esm_class & 0x40 != 0);
        let text = decoded.ok().and_then(|(_, d)| d.text).unwrap_or_default();
        let body = json!({ "from": sm.source_addr, "to": sm.destination_addr, "text": text });
        if !post(&shared, "/mo", &body).await {
            // Stopping: keep it for whoever takes this system id next.
            shared.state.deliveries.deliver(out);
            break;
        }
        shared.state.receipts_sent.fetch_add(1, Ordering::Relaxed);
    }
    shared.state.deliveries.remove_receiver(&system_id, 0);
    while let Ok(out) = rx.try_recv() {
        shared.state.deliveries.deliver(out);
    }
}

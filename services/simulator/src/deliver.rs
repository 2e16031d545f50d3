//! Routing of what the SMSC sends on its own (receipts and mobile-originated
//! messages) to the sessions of a system_id, round robin, held until one
//! binds or logs in — as a real SMSC keeps messages for an absent client.
//!
//! Protocol-neutral: a mobile-originated message travels in the canonical
//! SMPP form ([`Delivery::Mo`]) and each front-end converts it; a receipt is
//! already in the form of the protocol its submit came in, and only a session
//! of that protocol takes it.

use std::collections::HashMap;
use std::sync::Mutex;

use smpp::Sm;
use tokio::sync::mpsc;

/// The front-end a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Smpp,
    Ucp,
    Cimd2,
    /// The HTTP API front-end: mobile-originated messages only (its reports go by callback).
    Http,
}

/// Something to send to a client.
#[derive(Debug, Clone)]
pub(crate) enum Delivery {
    /// A mobile-originated message, canonical form (see [`crate::SimState::send_mo`]).
    Mo(Sm),
    /// An SMPP delivery receipt (deliver_sm, `esm_class` 0x04).
    SmppReceipt(Sm),
    /// A UCP OT 53 delivery notification (boxed: 33 string fields).
    UcpNotification(Box<ucp::Sm>),
    /// A CIMD2 deliver status report (23).
    Cimd2Report(cimd2::DeliverStatusReport),
}

impl Delivery {
    /// The only protocol that can carry it; `None` for any.
    fn protocol(&self) -> Option<Protocol> {
        match self {
            Delivery::Mo(_) => None,
            Delivery::SmppReceipt(_) => Some(Protocol::Smpp),
            Delivery::UcpNotification(_) => Some(Protocol::Ucp),
            Delivery::Cimd2Report(_) => Some(Protocol::Cimd2),
        }
    }

    fn fits(&self, protocol: Protocol) -> bool {
        self.protocol().is_none_or(|p| p == protocol)
    }
}

/// A delivery waiting for a session of its system_id.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub system_id: String,
    pub delivery: Delivery,
}

impl Outgoing {
    pub(crate) fn new(system_id: &str, delivery: Delivery) -> Self {
        Self { system_id: system_id.to_owned(), delivery }
    }
}

struct Receiver {
    session: u64,
    protocol: Protocol,
    tx: mpsc::UnboundedSender<Outgoing>,
}

#[derive(Default)]
pub(crate) struct Registry {
    inner: Mutex<RegistryInner>,
}

#[derive(Default)]
struct RegistryInner {
    /// system_id → sessions that can receive.
    receivers: HashMap<String, Vec<Receiver>>,
    /// system_id → deliveries waiting for a session.
    pending: HashMap<String, Vec<Outgoing>>,
    round_robin: usize,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, RegistryInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers session `session` of `system_id`, and hands it what was
    /// waiting for its protocol.
    pub(crate) fn add_receiver(
        &self,
        system_id: &str,
        session: u64,
        protocol: Protocol,
        tx: mpsc::UnboundedSender<Outgoing>,
    ) {
        let mut inner = self.lock();
        if let Some(waiting) = inner.pending.remove(system_id) {
            let (fit, rest): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|o| o.delivery.fits(protocol));
            for out in fit {
                let _ = tx.send(out);
            }
            if !rest.is_empty() {
                inner.pending.insert(system_id.to_owned(), rest);
            }
        }
        inner.receivers.entry(system_id.to_owned()).or_default().push(Receiver { session, protocol, tx });
    }

    pub(crate) fn remove_receiver(&self, system_id: &str, session: u64) {
        if let Some(list) = self.lock().receivers.get_mut(system_id) {
            list.retain(|r| r.session != session);
        }
    }

    /// Hands `out` to a session of its system_id that speaks a protocol able
    /// to carry it, or keeps it until one comes.
    pub(crate) fn deliver(&self, out: Outgoing) {
        let mut inner = self.lock();
        inner.round_robin = inner.round_robin.wrapping_add(1);
        let rr = inner.round_robin;
        let mut out = out;
        if let Some(list) = inner.receivers.get_mut(&out.system_id) {
            list.retain(|r| !r.tx.is_closed());
            let n = list.len();
            for i in 0..n {
                let r = &list[(rr + i) % n];
                if !out.delivery.fits(r.protocol) {
                    continue;
                }
                match r.tx.send(out) {
                    Ok(()) => return,
                    Err(mpsc::error::SendError(back)) => out = back,
                }
            }
        }
        inner.pending.entry(out.system_id.clone()).or_default().push(out);
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Registry").field("pending", &inner.pending.values().map(Vec::len).sum::<usize>()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_wait_for_their_protocol_and_mo_goes_to_any() {
        let registry = Registry::default();
        let (ucp_tx, mut ucp_rx) = mpsc::unbounded_channel();
        registry.add_receiver("acct", 1, Protocol::Ucp, ucp_tx);

        registry.deliver(Outgoing::new("acct", Delivery::SmppReceipt(Sm::default())));
        assert!(ucp_rx.try_recv().is_err(), "an SMPP receipt is not for a UCP session");
        registry.deliver(Outgoing::new("acct", Delivery::Mo(Sm::default())));
        assert!(matches!(ucp_rx.try_recv().map(|o| o.delivery), Ok(Delivery::Mo(_))));

        let (smpp_tx, mut smpp_rx) = mpsc::unbounded_channel();
        registry.add_receiver("acct", 2, Protocol::Smpp, smpp_tx);
        assert!(matches!(smpp_rx.try_recv().map(|o| o.delivery), Ok(Delivery::SmppReceipt(_))));

        registry.deliver(Outgoing::new("acct", Delivery::Cimd2Report(Default::default())));
        assert!(ucp_rx.try_recv().is_err() && smpp_rx.try_recv().is_err());
        let (cimd2_tx, mut cimd2_rx) = mpsc::unbounded_channel();
        registry.add_receiver("acct", 3, Protocol::Cimd2, cimd2_tx);
        assert!(matches!(cimd2_rx.try_recv().map(|o| o.delivery), Ok(Delivery::Cimd2Report(_))));
    }
}

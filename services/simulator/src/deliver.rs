//! Routing of deliver_sm (receipts and mobile-originated messages) to the
//! receiver or transceiver binds of a system_id, round robin, held until one
//! binds — as a real SMSC keeps messages for an absent ESME.

use std::collections::HashMap;
use std::sync::Mutex;

use smpp::Sm;
use tokio::sync::mpsc;

/// A deliver_sm waiting for a receiver bind of its system_id.
#[derive(Clone)]
pub(crate) struct Outgoing {
    pub system_id: String,
    pub sm: Sm,
}

#[derive(Default)]
pub(crate) struct Registry {
    inner: Mutex<RegistryInner>,
}

#[derive(Default)]
struct RegistryInner {
    /// system_id → sessions that can receive deliver_sm.
    receivers: HashMap<String, Vec<(u64, mpsc::UnboundedSender<Outgoing>)>>,
    /// system_id → deliver_sm waiting for a receiver.
    pending: HashMap<String, Vec<Outgoing>>,
    round_robin: usize,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, RegistryInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add_receiver(&self, system_id: &str, bind: u64, tx: mpsc::UnboundedSender<Outgoing>) {
        let mut inner = self.lock();
        for out in inner.pending.remove(system_id).unwrap_or_default() {
            let _ = tx.send(out);
        }
        inner.receivers.entry(system_id.to_owned()).or_default().push((bind, tx));
    }

    pub(crate) fn remove_receiver(&self, system_id: &str, bind: u64) {
        if let Some(list) = self.lock().receivers.get_mut(system_id) {
            list.retain(|(b, _)| *b != bind);
        }
    }

    /// Hands `out` to a receiver of its system_id, or keeps it until one binds.
    pub(crate) fn deliver(&self, out: Outgoing) {
        let mut inner = self.lock();
        inner.round_robin = inner.round_robin.wrapping_add(1);
        let rr = inner.round_robin;
        let mut out = Some(out);
        if let Some(list) = inner.receivers.get_mut(&out.as_ref().map(|o| o.system_id.clone()).unwrap_or_default()) {
            list.retain(|(_, tx)| !tx.is_closed());
            let n = list.len();
            for i in 0..n {
                let (_, tx) = &list[(rr + i) % n];
                match tx.send(out.take().expect_taken()) {
                    Ok(()) => return,
                    Err(mpsc::error::SendError(back)) => out = Some(back),
                }
            }
        }
        if let Some(out) = out {
            inner.pending.entry(out.system_id.clone()).or_default().push(out);
        }
    }
}

/// `Option::take` on a value known to be present; keeps the loop above readable.
trait ExpectTaken<T> {
    fn expect_taken(self) -> T;
}
impl<T> ExpectTaken<T> for Option<T> {
    #[allow(clippy::expect_used)]
    fn expect_taken(self) -> T {
        // The loop only sends while `out` holds the value it put back.
        self.expect("outgoing message present")
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Registry").field("pending", &inner.pending.values().map(Vec::len).sum::<usize>()).finish()
    }
}

//! The session loop the SMPP, UCP and CIMD2 front-ends share. Each reads
//! frames that may fail to decode without ending the stream (each answered
//! by the protocol's negative acknowledgement), and each sends the client
//! requests of its own — deliveries: MO messages and reports — numbered
//! (SMPP's sequence numbers, UCP's TRN, CIMD2's even packet numbers), at
//! most a window of them unanswered. What the client leaves unanswered when
//! the session ends goes to another session of the same login, or waits for
//! one.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::codec::{Decoder, FramedRead};
use tokio_util::sync::CancellationToken;

use crate::deliver::Outgoing;
use crate::state::SimState;
use crate::wire;

/// What the loop does after a frame.
#[derive(PartialEq, Eq)]
pub(crate) enum Next {
    Read,
    Close,
}

/// One session of a front-end; [`run`] does its I/O.
pub(crate) trait Front {
    /// The decoder: a frame that does not decode comes as `Ok(Some(Err(_)))`;
    /// only an error of the stream itself ends it.
    type Frames: Decoder<Item = Result<Self::Frame, Self::Bad>, Error: std::fmt::Display> + Default;
    type Frame;
    type Bad: std::fmt::Display;
    /// What deliveries are numbered with.
    type Number: Ord;

    /// Deliveries sent and not yet answered, at most.
    const WINDOW: usize;

    /// Answers a frame that did not decode.
    fn bad_frame(&mut self, error: Self::Bad);
    /// Handles a frame that did.
    fn handle(&mut self, frame: Self::Frame) -> Next;
    /// Sends a delivery with the next free number.
    fn send_delivery(&mut self, out: Outgoing);
    /// Deliveries sent and not yet answered.
    fn unanswered(&self) -> usize;
    /// The simulator stops: what the protocol says before it closes.
    fn stopping(&mut self) {}
    /// Ends the session: the login deliveries were routed to, and the
    /// deliveries the client did not answer.
    fn leave(self) -> (Option<String>, BTreeMap<Self::Number, Outgoing>);
}

/// Where a session writes: frames to the socket, and its own sender of
/// deliveries, which it registers under its login.
pub(crate) struct Wires {
    pub(crate) out: mpsc::UnboundedSender<Bytes>,
    pub(crate) deliver_tx: mpsc::UnboundedSender<Outgoing>,
}

/// Runs session `number` over `stream` until the client or the simulator
/// closes it: `start` makes the front-end's session from its [`Wires`].
pub(crate) async fn run<F: Front>(
    stream: wire::Stream,
    number: u64,
    state: Arc<SimState>,
    shutdown: CancellationToken,
    start: impl FnOnce(Wires) -> F,
) {
    let (read, write) = tokio::io::split(stream);
    let mut reader = FramedRead::new(read, F::Frames::default());
    let (out, writer) = wire::spawn_writer(write);
    let (deliver_tx, mut deliver_rx) = mpsc::unbounded_channel::<Outgoing>();
    let mut kill = state.kill_signal();
    kill.mark_unchanged();
    let mut session = start(Wires { out, deliver_tx });

    loop {
        tokio::select! {
            _ = kill.changed() => {
                tracing::debug!("dropping the connection abruptly");
                writer.abort();
                break;
            }
            _ = shutdown.cancelled() => {
                session.stopping();
                break;
            }
            Some(out) = deliver_rx.recv(), if session.unanswered() < F::WINDOW => session.send_delivery(out),
            frame = reader.next() => match frame {
                None => break,
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "unrecoverable framing error, closing");
                    break;
                }
                Some(Ok(Err(e))) => {
                    tracing::debug!(error = %e, "bad frame");
                    session.bad_frame(e);
                }
                Some(Ok(Ok(_))) if state.is_muted() => {}
                Some(Ok(Ok(frame))) => {
                    if session.handle(frame) == Next::Close {
                        break;
                    }
                }
            },
        }
    }

    let (login, unanswered) = session.leave();
    if let Some(login) = &login {
        state.deliveries.remove_receiver(login, number);
    }
    // Anything not answered goes to another session (or waits for one).
    for out in unanswered.into_values() {
        state.deliveries.deliver(out);
    }
    while let Ok(out) = deliver_rx.try_recv() {
        state.deliveries.deliver(out);
    }
    if !writer.is_finished() {
        let _ = writer.await;
    }
    tracing::debug!("session closed");
}

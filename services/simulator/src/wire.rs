//! Socket plumbing shared by the SMPP, UCP and CIMD2 front-ends: the accept
//! loop (with the TLS handshake when the simulator serves TLS), a writer task
//! per session, and thin `tokio_util` decoders over the sans-IO `ucp` and
//! `cimd2` codecs.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::deliver::Outgoing;
use crate::state::SimState;

/// What a session reads and writes: a TCP stream, or TLS over one.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A session's byte stream (split with `tokio::io::split`).
pub(crate) type Stream = Box<dyn Io>;

/// How long a client has to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until `shutdown`, running `session(stream, number)` in
/// a task of its own for each, after the TLS handshake when `tls` is set (a
/// failed handshake is logged and the connection dropped); `protocol` names the span.
pub(crate) async fn serve<F, Fut>(
    listener: TcpListener,
    state: Arc<SimState>,
    tls: Option<Arc<tls::rustls::ServerConfig>>,
    shutdown: CancellationToken,
    protocol: &'static str,
    session: F,
) where
    F: Fn(Stream, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let session = Arc::new(session);
    let acceptor = tls.map(tls::TlsAcceptor::from);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let number = state.bind_number();
                    let span = tracing::info_span!("sim_session", protocol, session = number, %peer);
                    let (session, acceptor) = (session.clone(), acceptor.clone());
                    tokio::spawn(async move {
                        if let Some(stream) = handshake(stream, acceptor).await {
                            (*session)(stream, number).await;
                        }
                    }.instrument(span));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// The session's stream: the TCP stream itself, or TLS over it once the
/// handshake succeeded (`None`, logged, when it did not).
async fn handshake(stream: tokio::net::TcpStream, acceptor: Option<tls::TlsAcceptor>) -> Option<Stream> {
    let Some(acceptor) = acceptor else { return Some(Box::new(stream)) };
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(Box::new(tls)),
        Ok(Err(e)) => {
            tracing::info!(error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::info!("TLS handshake timed out");
            None
        }
    }
}

/// Writes what the session queues, flushing when the queue is empty. Ends
/// when every sender is dropped or a write fails.
pub(crate) fn spawn_writer(
    write: impl AsyncWrite + Send + Unpin + 'static,
) -> (mpsc::UnboundedSender<Bytes>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
    let task = tokio::spawn(async move {
        let mut out = tokio::io::BufWriter::new(write);
        while let Some(frame) = rx.recv().await {
            if let Err(e) = out.write_all(&frame).await {
                tracing::debug!(error = %e, "write failed");
                break;
            }
            if rx.is_empty() && out.flush().await.is_err() {
                break;
            }
        }
        let _ = out.flush().await;
    });
    (tx, task)
}

/// Queues `frame` now, or after `latency` (the injected submit latency).
pub(crate) fn send_after(tx: &mpsc::UnboundedSender<Bytes>, latency: Duration, frame: Bytes) {
    if latency.is_zero() {
        let _ = tx.send(frame);
    } else {
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(latency).await;
            let _ = tx.send(frame);
        });
    }
}

/// Hands `out` to the registry after `delay` (a receipt's delay, or a retry).
pub(crate) fn deliver_after(state: &Arc<SimState>, delay: Duration, out: Outgoing) {
    let state = state.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        state.deliveries.deliver(out);
    });
}

/// How long a refused (NACKed) delivery waits before it is offered again.
pub(crate) const REDELIVERY_DELAY: Duration = Duration::from_millis(500);

/// Seconds since the epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `YYMMDDhhmmss` in UTC for `secs` since the epoch.
fn yymmddhhmmss(secs: u64) -> String {
    let t = timing::Utc::of(i64::try_from(secs).unwrap_or(i64::MAX / 1000) * 1000);
    format!("{:02}{:02}{:02}{:02}{:02}{:02}", t.yy(), t.month, t.day, t.hour, t.minute, t.second)
}

/// An EMI time stamp, `DDMMYYhhmmss` (EMI 4.x §5.3, SCTS). The simulator's
/// clock is UTC; the spec leaves the SMSC's time zone off the wire.
pub(crate) fn ucp_time(secs: u64) -> String {
    let t = timing::Utc::of(i64::try_from(secs).unwrap_or(i64::MAX / 1000) * 1000);
    format!("{:02}{:02}{:02}{:02}{:02}{:02}", t.day, t.month, t.yy(), t.hour, t.minute, t.second)
}

/// A CIMD2 time parameter, `yyMMddhhmmss` (spec "Parameter types", time), UTC.
pub(crate) fn cimd2_time(secs: u64) -> String {
    yymmddhhmmss(secs)
}

/// Frames of UCP messages. A bad frame comes out as `Ok(Some(Err(_)))` so the
/// session can NACK it and read on; only an over-long frame ends the stream.
#[derive(Debug, Default)]
pub(crate) struct UcpFrames;

impl Decoder for UcpFrames {
    type Item = Result<ucp::Message, ucp::DecodeError>;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        match ucp::decode(buf) {
            Ok(message) => Ok(message.map(Ok)),
            Err(e) if e.is_recoverable() => Ok(Some(Err(e))),
            Err(e) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        }
    }
}

/// Packets of CIMD2, with the same error contract as [`UcpFrames`].
#[derive(Debug, Default)]
pub(crate) struct Cimd2Frames;

impl Decoder for Cimd2Frames {
    type Item = Result<cimd2::Packet, cimd2::DecodeError>;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        match cimd2::decode(buf) {
            Ok(packet) => Ok(packet.map(Ok)),
            Err(e) if e.is_recoverable() => Ok(Some(Err(e))),
            Err(e) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_stamps() {
        // 2026-11-25 12:54:07 UTC
        assert_eq!(ucp_time(1_795_611_247), "251126125407");
        assert_eq!(cimd2_time(1_795_611_247), "261125125407");
        // 2000-02-29 01:02:03 UTC
        assert_eq!(ucp_time(951_786_123), "290200010203");
        assert_eq!(cimd2_time(951_786_123), "000229010203");
    }
}

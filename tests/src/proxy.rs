//! A TCP proxy in front of the broker, to stall it as its clients see it.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

/// A TCP proxy in front of the broker, to stall it as clients see it: while
/// stalled, nothing passes in either direction (requests and answers wait in
/// the proxy); when the stall ends, every connection open during it is
/// dropped and clients reconnect.
///
/// Why not `kill -STOP` of the broker: tansu 0.6 wedges its consumer groups
/// when a stopped member's queued heartbeat reaches it after its session
/// expired (the group keeps that member as a leader that no longer exists;
/// every later SyncGroup fails UNKNOWN_MEMBER_ID, with no timer to clear it;
/// see `docs/tracker.md`). Here the broker itself never stops, so that
/// heartbeat is answered before the stall, and the members that time out
/// during it are expired as a real broker would.
pub struct Proxy {
    pub port: u16,
    stalled: tokio::sync::watch::Sender<bool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
    shutdown: CancellationToken,
}

impl Proxy {
    /// Proxies a free loopback port to `target`.
    pub async fn start(target: String) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stalled, watch) = tokio::sync::watch::channel(false);
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let shutdown = CancellationToken::new();
        let (stop, gen) = (shutdown.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stop.cancelled() => break,
                    a = listener.accept() => a,
                };
                let Ok((client, _)) = accepted else { continue };
                if *watch.borrow() {
                    continue; // refused while stalled
                }
                let Ok(server) = tokio::net::TcpStream::connect(&target).await else { continue };
                let born = gen.load(std::sync::atomic::Ordering::SeqCst);
                let (watch, gen, stop) = (watch.clone(), gen.clone(), stop.clone());
                tokio::spawn(async move {
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let up = pump(cr, sw, watch.clone(), gen.clone(), born);
                    let down = pump(sr, cw, watch.clone(), gen.clone(), born);
                    let mut changes = watch;
                    let cut = async {
                        while changes.changed().await.is_ok() {
                            if gen.load(std::sync::atomic::Ordering::SeqCst) != born {
                                return;
                            }
                        }
                    };
                    tokio::select! {
                        _ = up => {}
                        _ = down => {}
                        _ = cut => {}
                        _ = stop.cancelled() => {}
                    }
                });
            }
        });
        Proxy { port, stalled, generation, shutdown }
    }

    /// Holds all traffic until [`Proxy::resume`].
    pub fn stall(&self) {
        let _ = self.stalled.send(true);
    }

    /// Drops every connection that was open during the stall and lets new ones through.
    pub fn resume(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let _ = self.stalled.send(false);
    }
}

/// Copies `from` to `to`, holding bytes while stalled; ends when the
/// connection's generation is over.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut stalled: tokio::sync::watch::Receiver<bool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
    born: u64,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while *stalled.borrow() {
            if stalled.changed().await.is_err() {
                return;
            }
        }
        if generation.load(std::sync::atomic::Ordering::SeqCst) != born || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

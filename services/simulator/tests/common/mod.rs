//! What the front-end tests share: a simulator on a free 127.0.0.1 port,
//! stopped with the test, and reading frames off a TCP stream with a deadline.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use simulator::{SimConfig, SimState};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// How long a test waits for something the simulator should send.
pub const WAIT: Duration = Duration::from_secs(5);

/// A simulator front-end running in-process.
pub struct Sim {
    pub addr: SocketAddr,
    pub state: Arc<SimState>,
    shutdown: CancellationToken,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts the front-end `run` (e.g. `simulator::ucp::run`) on a free port.
pub async fn start<F, Fut>(config: SimConfig, run: F) -> Sim
where
    F: FnOnce(TcpListener, SimConfig, Arc<SimState>, CancellationToken) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(SimState::default());
    let shutdown = CancellationToken::new();
    tokio::spawn(run(listener, config, state.clone(), shutdown.clone()));
    Sim { addr, state, shutdown }
}

/// The next frame `decode` finds in `buf` (reading more from `stream` as
/// needed), or `None` when nothing comes within `within` or the connection closed.
pub async fn recv_within<T, E: std::fmt::Debug>(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    within: Duration,
    decode: impl Fn(&mut BytesMut) -> Result<Option<T>, E>,
) -> Option<T> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(frame) = decode(buf).unwrap() {
            return Some(frame);
        }
        match tokio::time::timeout_at(deadline, stream.read_buf(buf)).await {
            Ok(Ok(0)) | Err(_) => return None,
            Ok(read) => {
                read.unwrap();
            }
        }
    }
}

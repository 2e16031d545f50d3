//! The SMSC simulators of a test, in-process.

use std::sync::Arc;

use simulator::{SimConfig, SimState};
use tokio_util::sync::CancellationToken;

/// The SMPP simulator running in-process.
pub struct Sim {
    pub port: u16,
    pub state: Arc<SimState>,
    shutdown: CancellationToken,
}

impl Sim {
    pub async fn start(config: SimConfig) -> Sim {
        Sim::start_on(0, config).await
    }

    /// Starts on a given port (0 = any), e.g. to restart an SMSC where the gateway expects it.
    pub async fn start_on(port: u16, config: SimConfig) -> Sim {
        Sim::start_protocol(runtime::config::Protocol::Smpp, port, config).await
    }

    /// The simulator speaking `protocol` (SMPP, UCP or CIMD2) on `port` (0 = any).
    pub async fn start_protocol(protocol: runtime::config::Protocol, port: u16, config: SimConfig) -> Sim {
        use runtime::config::Protocol;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(SimState::default());
        let shutdown = CancellationToken::new();
        let (s, c) = (state.clone(), shutdown.clone());
        match protocol {
            Protocol::Smpp => tokio::spawn(simulator::smpp::run(listener, config, s, c)),
            Protocol::Ucp => tokio::spawn(simulator::ucp::run(listener, config, s, c)),
            Protocol::Cimd2 => tokio::spawn(simulator::cimd2::run(listener, config, s, c)),
            Protocol::Modem | Protocol::Http => panic!("{protocol:?} has its own simulator, not a framed TCP one"),
        };
        Sim { port, state, shutdown }
    }
}

impl Sim {
    /// `N` SMPP simulators with the default behaviour (routing and failover tests).
    pub async fn start_many<const N: usize>() -> [Sim; N] {
        let mut sims = Vec::with_capacity(N);
        for _ in 0..N {
            sims.push(Sim::start(SimConfig::default()).await);
        }
        sims.try_into().unwrap_or_else(|_| unreachable!("N simulators were started"))
    }

    /// Stops listening and ends every session with an unbind.
    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Duplicate segments the SMSC accepted: copies beyond the first of each
/// segment, by what follows the UDH (a copy sent again carries a new
/// concatenation reference); `receipted` counts those that asked for a receipt.
pub fn duplicates_at(sim: &SimState) -> Duplicates {
    let mut copies: std::collections::HashMap<(Vec<u8>, bool), usize> = std::collections::HashMap::new();
    let accepted: Vec<_> = sim.submits().into_iter().filter(|s| s.status == 0).collect();
    for s in &accepted {
        let sm = &s.short_message;
        let body = if s.esm_class & 0x40 != 0 { &sm[(1 + usize::from(sm[0])).min(sm.len())..] } else { &sm[..] };
        *copies.entry((body.to_vec(), s.registered_delivery & 0x03 != 0)).or_default() += 1;
    }
    Duplicates {
        accepted: accepted.len(),
        all: copies.values().map(|n| n - 1).sum(),
        receipted: copies.iter().filter(|((_, r), _)| *r).map(|(_, n)| n - 1).sum(),
    }
}

/// What [`duplicates_at`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duplicates {
    pub accepted: usize,
    pub all: usize,
    pub receipted: usize,
}

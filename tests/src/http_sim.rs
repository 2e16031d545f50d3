//! The HTTP SMS API simulator in-process, calling the gateway back with
//! reports and inbound messages; stopped when dropped.

use std::sync::Arc;

use simulator::http::HttpOptions;
use simulator::{SimConfig, SimState};
use tokio_util::sync::CancellationToken;

pub struct HttpSim {
    pub port: u16,
    pub state: Arc<SimState>,
    stop: CancellationToken,
}

impl HttpSim {
    /// Calls back `http://127.0.0.1:{callback_port}`; 429s carry `retry_after`.
    pub async fn start(config: SimConfig, callback_port: u16, retry_after: Option<u32>) -> HttpSim {
        let callback = Some(format!("http://127.0.0.1:{callback_port}"));
        HttpSim::start_with(config, HttpOptions { callback, retry_after, ..HttpOptions::default() }).await
    }

    /// With every option of the simulator.
    pub async fn start_with(config: SimConfig, options: HttpOptions) -> HttpSim {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(SimState::default());
        let stop = CancellationToken::new();
        tokio::spawn(simulator::http::run(listener, config, options, state.clone(), stop.clone()));
        HttpSim { port, state, stop }
    }
}

impl Drop for HttpSim {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

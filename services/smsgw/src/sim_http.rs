//! `smsgw sim http`: the simulator's HTTP SMS API (see [`simulator::http`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use simulator::http::HttpOptions;
use simulator::state::{IdFormat, Receipts};
use simulator::{SimConfig, SimState};

#[derive(Debug, Args)]
pub struct SimHttpArgs {
    /// Address to listen on (`POST /send`).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The gateway's callback base URL; delivery reports go to `{URL}/dlr`, inbound messages to `{URL}/mo`.
    #[arg(long)]
    pub callback: Option<String>,
    /// When to send delivery reports: never, requested (`"dlr": true` or 1), always.
    #[arg(long, default_value = "requested")]
    pub receipts: Receipts,
    /// Delay between a submit and its delivery report (e.g. `2s`, `150ms`).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "1s")]
    pub receipt_delay: Duration,
    /// Delay before each response.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
    pub latency: Duration,
    /// Percentage of requests answered 429 Too Many Requests.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub throttle_percent: u8,
    /// `Retry-After` seconds on those 429s; none when unset.
    #[arg(long)]
    pub retry_after: Option<u32>,
    /// Percentage of requests answered 500 Internal Server Error.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub error_percent: u8,
    /// Message ids in responses and reports: decimal or hex.
    #[arg(long, default_value = "decimal")]
    pub id_format: IdFormat,
    /// Require HTTP basic authentication with this user (and --password).
    #[arg(long, requires = "password")]
    pub user: Option<String>,
    #[arg(long)]
    pub password: Option<String>,
}

impl SimHttpArgs {
    pub fn config(&self) -> (SimConfig, HttpOptions) {
        let config = SimConfig {
            credentials: self.user.clone().zip(self.password.clone()),
            latency: self.latency,
            throttle_percent: self.throttle_percent,
            error_percent: self.error_percent,
            receipts: self.receipts,
            receipt_delay: self.receipt_delay,
            id_format: self.id_format,
            receipt_id_format: self.id_format,
            // A long-running simulator must not grow without bound.
            record: false,
            ..SimConfig::default()
        };
        let options =
            HttpOptions { callback: self.callback.clone(), retry_after: self.retry_after, ..HttpOptions::default() };
        (config, options)
    }
}

/// Runs the HTTP simulator until a signal.
pub async fn run(args: SimHttpArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let shutdown = runtime::shutdown::on_signal();
    tracing::info!(listen = %listener.local_addr()?, callback = ?args.callback, "HTTP SMS API simulator listening");
    let (config, options) = args.config();
    simulator::http::run(listener, config, options, Arc::new(SimState::default()), shutdown).await;
    Ok(())
}

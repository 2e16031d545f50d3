//! Command line: `smsgw run`, `smsgw sim smpp|ucp|cimd2|http|modem`, `smsgw send`, `smsgw watch`, `smsgw text`,
//! `smsgw hand-back`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use runtime::config::TelemetryConfig;
use runtime::Settings;
use simulator::state::{IdFormat, Receipts};
use simulator::{SimConfig, SimState};

use crate::Role;

/// Exit status for bad configuration or usage (sysexits.h EX_USAGE).
const EX_USAGE: u8 = 64;

#[derive(Debug, Parser)]
#[command(name = "smsgw", version, about = "Kafka-native SMS gateway")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (every role, or one).
    Run {
        /// TOML configuration file; `SMSGW__SECTION__KEY` variables override it.
        #[arg(long, short)]
        config: PathBuf,
        /// Which role to run in this process.
        #[arg(long, value_enum, default_value = "all")]
        role: Role,
    },
    /// Run an SMSC simulator.
    Sim {
        #[command(subcommand)]
        protocol: SimProtocol,
    },
    /// Publish send requests (JSON) to the send topic.
    Send(crate::tools::SendArgs),
    /// Print events from a topic as JSON lines.
    Watch(crate::tools::WatchArgs),
    /// Show how a text would be sent: encoding, segments, characters per segment, bytes.
    Text(crate::plan::TextArgs),
    /// Before going back to a release that read each connection's queue in
    /// a group of its own: with every sender stopped, hand each queue back
    /// to that group where the lane consumers left off, and delete the lane
    /// consumers' groups (docs/deploy.md, "Upgrading").
    HandBack {
        /// TOML configuration file (its connections, topics and group prefix).
        #[arg(long, short)]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum SimProtocol {
    /// SMPP 3.4 SMSC (default --listen 127.0.0.1:2775).
    Smpp(SimArgs),
    /// UCP/EMI 4.x SMSC (default --listen 127.0.0.1:2776). --system-id and
    /// --password are the OT 60 login's OAdC and PWD.
    Ucp(SimArgs),
    /// CIMD2 SMSC (default --listen 127.0.0.1:9971). --system-id and
    /// --password are the login's user identity and password.
    Cimd2(SimArgs),
    /// HTTP SMS API (`POST /send`), with callbacks for reports and inbound messages.
    Http(crate::sim_http::SimHttpArgs),
    /// GSM modem (AT commands, PDU mode) on a socat pseudo-terminal pair; prints the device to configure.
    Modem(SimModemArgs),
}

#[derive(Debug, Args)]
pub struct SimModemArgs {
    /// Directory for the pty links (`host` is the gateway's `device`).
    #[arg(long, default_value = "/tmp/smsgw-sim-modem")]
    pub dir: PathBuf,
    /// SIM PIN the simulated SIM asks for.
    #[arg(long)]
    pub pin: Option<String>,
}

/// Options shared by every simulator protocol.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (default per protocol, see above).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// When to send delivery receipts.
    #[arg(long, default_value = "requested")]
    pub receipts: Receipts,
    /// Delay between submit and receipt (e.g. `2s`, `150ms`).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "1s")]
    pub receipt_delay: Duration,
    /// Delay before each submit_sm_resp.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
    pub latency: Duration,
    /// Percentage of submits answered ESME_RTHROTTLED (UCP: NACK 04; CIMD2: error 9).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub throttle_percent: u8,
    /// Percentage of receipts reporting the message undelivered.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub undelivered_percent: u8,
    /// Percentage of submits answered with --error-status.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub error_percent: u8,
    /// command_status for injected errors (default ESME_RSYSERR); UCP and CIMD2
    /// translate it to their own codes.
    #[arg(long, default_value_t = 8)]
    pub error_status: u32,
    /// Message ids in submit_sm_resp: decimal or hex.
    #[arg(long, default_value = "decimal")]
    pub id_format: IdFormat,
    /// Message ids in receipts: decimal or hex.
    #[arg(long, default_value = "decimal")]
    pub receipt_id_format: IdFormat,
    /// Require this system_id (with --password).
    #[arg(long, requires = "password")]
    pub system_id: Option<String>,
    #[arg(long)]
    pub password: Option<String>,
    /// UCP only: the alphabet of AMsg octets, gsm (as Kannel and smsgw by default send) or ira (as the spec says).
    #[arg(long, value_parser = parse_alphabet, default_value = "gsm")]
    pub ucp_alphabet: ucp::Alphabet,
    /// Message ids cycle through this many values (0: never reused), like an
    /// SMSC with a small id space.
    #[arg(long, default_value_t = 0)]
    pub id_space: u64,
    /// SMPP: binds allowed at once (0: any number); one more is refused, as
    /// an SMSC limits an account's sessions.
    #[arg(long, default_value_t = 0)]
    pub max_binds: u64,
    /// Serve TLS with this PEM certificate (chain, leaf first; with --tls-key).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates signed by this PEM CA (with --tls-cert).
    #[arg(long, requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
}

fn parse_alphabet(s: &str) -> Result<ucp::Alphabet, String> {
    match s {
        "gsm" => Ok(ucp::Alphabet::Gsm),
        "ira" => Ok(ucp::Alphabet::Ira),
        _ => Err("expected gsm or ira".into()),
    }
}

impl SimArgs {
    /// The simulator's configuration; an error when the TLS files do not load.
    pub fn config(&self) -> Result<SimConfig, tls::Error> {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(tls::server_config(cert, key, self.tls_client_ca.as_deref())?),
            _ => None,
        };
        Ok(SimConfig {
            credentials: self.system_id.clone().zip(self.password.clone()),
            latency: self.latency,
            throttle_percent: self.throttle_percent,
            error_percent: self.error_percent,
            error_status: self.error_status,
            receipts: self.receipts,
            receipt_delay: self.receipt_delay,
            id_format: self.id_format,
            receipt_id_format: self.receipt_id_format,
            // A long-running simulator must not grow without bound.
            record: false,
            ucp_alphabet: self.ucp_alphabet,
            undelivered_percent: self.undelivered_percent,
            id_space: self.id_space,
            tls,
            max_binds: self.max_binds,
        })
    }
}

fn tokio_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}

/// Runs the parsed command; the process exit status.
pub fn main(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run { config, role } => {
            let settings = match Settings::load(&config).and_then(|s| crate::check(&s).map(|()| s)) {
                Ok(s) => Arc::new(s),
                Err(e) => {
                    eprintln!("smsgw: {e}");
                    return ExitCode::from(EX_USAGE);
                }
            };
            let _telemetry = match runtime::telemetry::init(&settings.telemetry) {
                Ok(g) => g,
                Err(e) => {
                    eprintln!("smsgw: {e}");
                    return ExitCode::from(EX_USAGE);
                }
            };
            runtime::shutdown::exit_on_panic();
            run_async(async move {
                let shutdown = runtime::shutdown::on_signal();
                runtime::shutdown::exit_after_deadline(&shutdown, settings.lifecycle.drain);
                tracing::info!(?role, config = %config.display(), "smsgw starting");
                // Its own token: the endpoint stays up while the roles drain after a signal.
                let metrics = tokio_util::sync::CancellationToken::new();
                crate::start_metrics(&settings, metrics.clone()).await?;
                let current = runtime::reload::watch(config.clone(), settings, crate::check, shutdown.clone());
                let result = crate::run_roles_following(current, role, shutdown).await;
                metrics.cancel();
                result.map_err(anyhow::Error::from)
            })
        }
        Command::Sim { protocol: SimProtocol::Smpp(args) } => {
            tcp_sim("SMPP", "127.0.0.1:2775", args, simulator::smpp::run)
        }
        Command::Sim { protocol: SimProtocol::Ucp(args) } => {
            tcp_sim("UCP", "127.0.0.1:2776", args, simulator::ucp::run)
        }
        Command::Sim { protocol: SimProtocol::Cimd2(args) } => {
            tcp_sim("CIMD2", "127.0.0.1:9971", args, simulator::cimd2::run)
        }
        Command::Sim { protocol: SimProtocol::Modem(args) } => {
            let _telemetry = runtime::telemetry::init(&TelemetryConfig::default());
            run_async(async move {
                let sim = simulator::modem::ModemSim::start(&args.dir, args.pin.as_deref())?;
                println!("modem simulator: device = \"{}\"", sim.host_path.display());
                runtime::shutdown::on_signal().cancelled().await;
                Ok(())
            })
        }
        Command::Sim { protocol: SimProtocol::Http(args) } => {
            let _telemetry = runtime::telemetry::init(&TelemetryConfig::default());
            run_async(crate::sim_http::run(args))
        }
        Command::Send(args) => run_async(crate::tools::send(args)),
        Command::Watch(args) => run_async(crate::tools::watch(args)),
        Command::HandBack { config } => match Settings::load(&config) {
            Ok(settings) => run_async(async move { crate::tools::hand_back(&settings).await.map(|_| ()) }),
            Err(e) => {
                eprintln!("smsgw: {e}");
                ExitCode::from(EX_USAGE)
            }
        },
        Command::Text(args) => match crate::plan::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("smsgw: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Runs a TCP simulator front-end on `args.listen` (or `default_listen`) until a signal.
fn tcp_sim<F, Fut>(name: &'static str, default_listen: &'static str, args: SimArgs, serve: F) -> ExitCode
where
    F: FnOnce(tokio::net::TcpListener, SimConfig, Arc<SimState>, tokio_util::sync::CancellationToken) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let _telemetry = runtime::telemetry::init(&TelemetryConfig::default());
    run_async(async move {
        let listen = match args.listen {
            Some(addr) => addr,
            None => default_listen.parse()?,
        };
        let config = args.config()?;
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let shutdown = runtime::shutdown::on_signal();
        tracing::info!(listen = %listener.local_addr()?, tls = config.tls.is_some(), "{name} simulator listening");
        serve(listener, config, Arc::new(SimState::default()), shutdown).await;
        Ok(())
    })
}

fn run_async(f: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let rt = match tokio_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("smsgw: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(f) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smsgw: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! Command line: `smsgw-bench run`, `kannel`, `priority`, `latency`, `hop` and `connections`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use runtime::config::TelemetryConfig;

#[derive(Debug, Parser)]
#[command(name = "smsgw-bench", version, about = "Benchmarks of smsgw (and of Kannel, to compare)")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Push N requests through broker → smsgw → simulator and print throughput and latency.
    Run(crate::gateway::BenchArgs),
    /// Push N sendsms requests through Debian's Kannel → simulator and print throughput and DLR latency.
    Kannel(crate::kannel::BenchKannelArgs),
    /// Urgent requests published while a bulk backlog stands: their latency to SUBMITTED (p50, p99).
    Priority(crate::priority::BenchPriorityArgs),
    /// Requests at a steady rate (open loop) through broker → smsgw → simulator: latency p50, p99, p99.9.
    Latency(crate::latency::LatencyArgs),
    /// The broker's own latency, one hop (produce → acknowledged, → consumed), at a steady rate.
    Hop(crate::hop::HopArgs),
    /// C SMPP connections in one process: start-up to ready, memory and threads idle and under load, throughput.
    Connections(crate::connections::ConnectionsArgs),
}

/// Runs the parsed command; the process exit status.
pub fn main(cli: Cli) -> ExitCode {
    // Warnings only: the summary line on stdout is the output.
    let _telemetry = runtime::telemetry::init(&TelemetryConfig { log: "warn".into(), ..TelemetryConfig::default() });
    // `--brokers mock`: the mock cluster, started here, lives as long as the process.
    let mut command = cli.command;
    let brokers = match &mut command {
        Command::Run(args) => Some(&mut args.brokers),
        Command::Latency(args) => Some(&mut args.bench.brokers),
        Command::Hop(args) => Some(&mut args.brokers),
        Command::Connections(args) => Some(&mut args.bench.brokers),
        Command::Kannel(_) | Command::Priority(_) => None,
    };
    if let Err(e) = brokers.map(crate::mock::resolve).transpose() {
        eprintln!("smsgw-bench: cannot start the mock cluster: {e:#}");
        return ExitCode::FAILURE;
    }
    match command {
        Command::Run(args) => run_async(crate::gateway::run(args)),
        Command::Kannel(args) => run_async(crate::kannel::run(args)),
        Command::Priority(args) => run_async(crate::priority::run(args)),
        Command::Latency(args) => run_async(crate::latency::run(args)),
        Command::Hop(args) => run_async(crate::hop::run(args)),
        Command::Connections(args) => run_async(crate::connections::run(args)),
    }
}

fn run_async(f: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("smsgw-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(f) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smsgw-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

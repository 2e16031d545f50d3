//! `smsgw`: a thin main — parse the command line, set up telemetry, run,
//! and exit 64 on bad configuration (EX_USAGE).

use std::process::ExitCode;

use clap::Parser;

/// glibc malloc took about a third of the CPU under load (profiled with
/// `perf` on `smsgw bench`, now `smsgw-bench run`): Kafka records, PDUs and
/// events are many small, short-lived allocations across threads, which
/// mimalloc handles far better. `smsgw-bench` uses it too, for the same figures.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = smsgw::cli::Cli::parse();
    smsgw::cli::main(cli)
}

//! `smsgw-bench`: a thin main — parse the command line and run.

use std::process::ExitCode;

use clap::Parser;

/// The allocator of the `smsgw` binary: the gateway runs in this process,
/// and its figures must be those of the gateway as shipped (glibc malloc
/// took about a third of the CPU under load).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = bench::cli::Cli::parse();
    bench::cli::main(cli)
}

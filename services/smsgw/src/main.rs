//! `smsgw`: a thin main — parse the command line, set up telemetry, run,
//! and exit 64 on bad configuration (EX_USAGE).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = smsgw::cli::Cli::parse();
    smsgw::cli::main(cli)
}

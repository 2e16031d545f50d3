//! The command line of `smsgw-bench kannel`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

#[derive(Debug, Args)]
pub struct BenchKannelArgs {
    /// Requests to push through.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// sendsms requests in flight.
    #[arg(long, default_value_t = 200)]
    pub concurrency: usize,
    /// Kannel's SMPP window (`max-pending-submits`).
    #[arg(long, default_value_t = 500)]
    pub max_pending_submits: usize,
    /// `smsbox-max-pending` (bearerbox) and `max-pending-requests` (smsbox).
    #[arg(long, default_value_t = 1000)]
    pub max_pending: usize,
    /// Kannel log level for log files and stderr (0 debug … 4 panic).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(0..=4))]
    pub log_level: u8,
    /// Delay between submit and receipt in the simulator.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "100ms")]
    pub receipt_delay: Duration,
    /// Give up after this long.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "300s")]
    pub timeout: Duration,
    /// bearerbox binary.
    #[arg(long, default_value = "/usr/sbin/bearerbox")]
    pub bearerbox: PathBuf,
    /// smsbox binary.
    #[arg(long, default_value = "/usr/sbin/smsbox")]
    pub smsbox: PathBuf,
    /// Open loop: this many sendsms requests per second, on schedule
    /// (`--requests` of them), asking for the SMSC's acceptance too
    /// (`dlr-mask=9`); prints the latency to each report.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Keep the temporary directory (kannel.conf, logs) and print its path.
    #[arg(long)]
    pub keep: bool,
}

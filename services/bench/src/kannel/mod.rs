//! `smsgw-bench kannel` (was `smsgw bench-kannel`): the Kannel half of the
//! side-by-side benchmark (`scripts/bench`). Debian's Kannel 1.4.5 (bearerbox + smsbox, from
//! `scripts/install-kannel`) sends N messages to the same in-process SMPP
//! simulator that `smsgw-bench run` uses; each is an HTTP sendsms request asking
//! for a delivery report (`dlr-mask=1`) through `dlr-url` to a small HTTP
//! server here. Timed from sendsms request to the DLR (type 1) callback.
//!
//! Kannel settings (all processes bound to 127.0.0.1; see `config.rs`):
//! - core: `admin-interface`, `smsbox-interface` = 127.0.0.1, `admin-allow-ip`,
//!   `box-allow-ip` = 127.0.0.1; `dlr-storage = internal` (Kannel's default,
//!   in memory); `sms-outgoing-queue-limit = -1` (unbounded: sendsms is never
//!   refused for a full queue); `smsbox-max-pending` = `--max-pending`
//!   (default 1000, Kannel's own default 100 caps DLRs in flight to smsbox);
//!   `log-level` = `--log-level` (default 4 = panic only, and the same for the
//!   boxes' stderr with `-v`, so logging costs nothing).
//! - smsc: `smsc = smpp`, `transceiver-mode = true`, `max-pending-submits` =
//!   `--max-pending-submits` (Kannel's window, default 500: at 100 Kannel was
//!   10-25 % slower; the smsgw bench uses 2 binds × 200), `msg-id-type = 0`
//!   (the simulator's ids are decimal in submit_sm_resp and receipts), no
//!   `throughput` limit.
//! - smsbox: `sendsms-interface = 127.0.0.1`, `max-pending-requests` =
//!   `--max-pending` (concurrent dlr-url fetches), `immediate-sendsms-reply`
//!   unset (the reply comes once bearerbox has queued the message).
//! - sendsms-user: `max-messages = 1`.
//!
//! The client keeps `--concurrency` sendsms requests in flight (default 200,
//! keep-alive) so the pipeline stays full; a refused request (not 2xx) is
//! retried after a short pause and counted. 50 in flight was slower; 500
//! stalled smsbox's HTTP server (its listen backlog is 10) into the 60 s
//! client timeout.
//!
//! Tried on the 2-core machine: `--log-level 2` (warnings) made no measurable
//! difference to 4; `--max-pending 100` or 5000 no consistent one. Kannel is
//! CPU-bound: about 90 µs of bearerbox and 135 µs of smsbox CPU per message
//! with its delivery report, and the summary line prints both boxes' CPU.
//!
//! With `--rate R` the run is open loop instead ([`latency`]): R requests a
//! second on schedule, each asking for the SMSC's acceptance too
//! (`dlr-mask=9`), timed to both reports.
//!
//! Start at [`run()`]; `config.rs` writes kannel.conf, `boxes.rs` owns the
//! bearerbox and smsbox processes, `sendsms.rs` is the client side and
//! `dlr.rs` the server for the delivery report callbacks.

mod args;
mod boxes;
mod config;
mod dlr;
mod latency;
mod run;
mod sendsms;

pub use args::BenchKannelArgs;
pub use run::{run, BenchResult};

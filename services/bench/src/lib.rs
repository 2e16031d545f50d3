//! `smsgw-bench`: the benchmark harness, kept out of the `smsgw` binary so
//! the production image carries production code only.
//!
//! Six benchmarks, one subcommand each (`run`, `kannel` and `latency` also
//! print the CPU per request of every process of the run, [`cpu`]):
//! - [`gateway`] (`smsgw-bench run`): N requests through broker → smsgw
//!   (every role, in-process, through [`smsgw::run_roles`]) → the SMPP
//!   simulator, timed from produce to the status event;
//! - [`kannel`] (`smsgw-bench kannel`): the same load through Debian's Kannel
//!   (bearerbox + smsbox) to the same simulator, for `scripts/bench`;
//! - [`priority`] (`smsgw-bench priority`): urgent requests published while a
//!   bulk backlog stands, timed to SUBMITTED;
//! - [`latency`] (`smsgw-bench latency`): requests at a steady rate (open
//!   loop), p50/p99/p99.9 to SUBMITTED and DELIVERED;
//! - [`hop`] (`smsgw-bench hop`): the broker's own latency, one hop, to read
//!   `latency`'s figures against;
//! - [`connections`] (`smsgw-bench connections`): C SMPP connections in one
//!   process: start-up, memory, threads and throughput.
//!
//! It is not a load generator for a deployed gateway: every run starts its own
//! gateway and simulator, with topic names of its own. `scripts/bench` builds
//! it and parses the one summary line each subcommand prints; keep those
//! lines as they are. Start reading at [`cli`].

pub mod cli;
pub mod connections;
pub mod cpu;
pub mod gateway;
pub mod hop;
pub mod kannel;
pub mod latency;
pub mod mock;
pub mod priority;

//! smsgw's own SMSC simulator, for tests, demos and users' own load tests.
//!
//! It is an SMSC, not a mock of one: it speaks SMPP 3.4, UCP/EMI 4.x and
//! CIMD2 over TCP, accepts binds and logins, answers submits with message
//! ids, sends delivery receipts after a configurable delay, delivers
//! mobile-originated messages, and injects latency, throttling and errors on
//! request. What it saw is recorded in [`SimState`] — every protocol's
//! submits in SMPP's shape — so tests can check the wire, not our own
//! bookkeeping. It is not a router: nothing is delivered to handsets.
//!
//! Start with [`smpp::run`], [`ucp::run`] or [`cimd2::run`]: each takes the
//! listener, a [`SimConfig`], a shared [`SimState`] and a shutdown token, so
//! tests run it in-process (several front-ends may share one state). Then
//! [`deliver`] (how receipts and MO messages find a session),
//! `numbered.rs` (the session loop the three front-ends share) and
//! `canonical.rs` (the one message shape, and the conversions UCP and CIMD2
//! share).
//! [`http::run`] is an HTTP SMS API in the same way.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod canonical;
pub mod cimd2;
pub mod deliver;
pub mod errors;
pub mod http;
pub mod modem;
mod numbered;
pub mod receipt;
pub mod smpp;
pub mod state;
pub mod ucp;
mod wire;

pub use state::{SimConfig, SimState, SubmitRecord};

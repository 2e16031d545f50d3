//! smsgw's own SMSC simulator, for tests, demos and users' own load tests.
//!
//! It is an SMSC, not a mock of one: it speaks SMPP 3.4 over TCP, accepts
//! binds, answers submits with message ids (decimal or hex), sends delivery
//! receipts after a configurable delay, and injects latency, throttling and
//! errors on request. What it saw is recorded in [`SimState`] so tests can
//! check the wire, not our own bookkeeping.
//!
//! Start with [`smpp::run`]: it takes the listener and a shutdown token, so
//! tests run it in-process. [`http::run`] is an HTTP SMS API in the same way.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod deliver;
pub mod http;
pub mod receipt;
pub mod smpp;
pub mod state;

pub use state::{SimConfig, SimState, SubmitRecord};

//! The SMPP 3.4 client side of a connection: a pool of binds that share one
//! submit queue, one throughput limiter and one throttle signal.
//!
//! Each bind is one task owning its socket ([`bind`]); the session logic is
//! the sans-IO [`smpp::Session`]. Callers talk to the pool through
//! [`Pool::submit`], a bounded channel plus a oneshot reply.

pub mod bind;
pub mod pool;

pub use pool::{Pool, SubmitError, SubmitOutcome};

//! The SMPP 3.4 link of a connection: each bind is a task of
//! [`crate::driver`] owning its socket, driving the sans-IO
//! [`smpp::Session`] through the [`Adapter`], which translates between PDUs
//! and the protocol-neutral [`crate::link`] types ([`convert`],
//! [`classify`]); submissions come from the connection's [`crate::queue`].

pub mod adapter;
pub mod classify;
pub mod convert;

pub use adapter::Adapter;

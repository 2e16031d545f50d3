//! The SMPP 3.4 link of a connection: each bind is one task owning its
//! socket ([`bind`]), driving the sans-IO [`smpp::Session`], pulling
//! submissions from the connection's [`crate::pool`] and translating between
//! PDUs and the protocol-neutral [`crate::link`] types ([`convert`],
//! [`classify`]).

pub mod bind;
pub mod classify;
pub mod convert;

//! Sans-IO CIMD2 (Nokia's "CIMD Interface Specification", the Computer
//! Interface to Message Distribution, version 2): a packet codec, the CIMD
//! character set, and a session state machine for the application side.
//!
//! **What it is.** [`Packet`]/[`Body`] — a plain owned enum of the operations
//! smsgw uses (login 01, logout 02, submit 03, deliver message 20, deliver
//! status report 23, alive 40, their responses 51-90, general error response
//! 98, NACK 99; everything else as [`Body::Unknown`]); [`decode`]/[`encode`]
//! between those and a `BytesMut`, with the STX/ETX framing and optional
//! checksum in [`frame`]; [`charset`], the conversion between Unicode and the
//! CIMD text form of the GSM alphabet used by user data (033); and
//! [`Session`], which tracks login state, odd packet numbers, the window,
//! response timeouts and alive keep-alive with time passed in.
//!
//! **What it is not.** No sockets, no tokio, no clock, no segmentation or
//! UCS-2 (the `text` crate does that; a UCS-2 message goes in 034 with data
//! coding scheme 8), no interpretation of CIMD timestamps (`yyMMddhhmmss` in
//! the SMSC's local time, kept as strings), and no policy (throttling,
//! retries, mapping status reports to events): those belong to the sender
//! service. The server side (an SMSC) is only as far as tests need it.
//!
//! **Where to start reading.** [`packet`] (the types), then [`codec`] and
//! [`frame`] (the error contract: [`DecodeError::is_recoverable`] says
//! whether to go on reading or close, [`DecodeError::reply`] what to answer),
//! then [`session`]. One file per operation family: `login.rs`,
//! `submit.rs`, `deliver.rs` (deliver message and deliver status report),
//! `response.rs`. Golden vectors from the spec's examples are in
//! `tests/golden.rs`; `tests/kannel_peer.rs` talks to Kannel's fake SMSC.
//!
//! **Decoding policy.** Lenient but bounded. Octets between packets are
//! skipped (the spec says to ignore them); the checksum is verified when
//! present and may be absent; string parameters are read as Latin-1 so that
//! nothing is lost; parameters a struct does not name are kept in its
//! `extra`; the packet number may be 000 (Kannel's fake SMSC starts there).
//! Integer and hex parameters must parse. A packet is capped at
//! [`MAX_PACKET_LEN`] (or [`decode_with_max`]) before it is buffered.
//! Encoding is strict: no STX, ETX or TAB in values, Latin-1 strings, a
//! checksum unless [`Checksum::Omit`].
//!
//! # Why not an existing crate
//!
//! We searched crates.io and docs.rs (through the documentation search; a
//! `cargo search` was not possible from the build machine) for CIMD and
//! CIMD2 and found no Rust implementation: the Rust SMS crates speak SMPP
//! (rusmpp, smpp34, smpp, smpp-codec). The implementations that exist are
//! in other languages: ecimd2 (Erlang/OTP client), the `cimd` Ruby gem,
//! jcimd (Java, blocking sessions), and Kannel's `gw/smsc/smsc_cimd2.c` (C,
//! inside a gateway). None is a library we could call, and the protocol is
//! small: text framing, a flat parameter list, a 43-entry character table.
//! So this crate is written against the spec the same way as `crates/smpp`:
//! one owned enum, an explicit error contract, a sans-IO session, golden
//! vectors, property tests, a fuzz target, and a real peer (Kannel's
//! `test_cimd2`).

pub mod charset;
pub mod codec;
mod deliver;
mod error;
pub mod error_code;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
mod login;
pub mod packet;
pub mod param;
mod response;
pub mod session;
mod submit;

pub use codec::{decode, decode_with_max, encode, encode_with, MAX_PACKET_LEN};
pub use deliver::{status_code_name, DeliverMessage, DeliverStatusReport};
pub use error::{DecodeError, EncodeError, ParamError, ERROR_SYNTAX};
pub use frame::Checksum;
pub use login::Login;
pub use packet::{op, Body, Packet};
pub use param::{code, Param};
pub use response::Response;
pub use session::{Action, Received, Session, SessionConfig, SessionError, State};
pub use submit::Submit;

//! Sans-IO UCP/EMI 4.x: a message codec and a session state machine.
//!
//! **What it is.** [`Message`]/[`Body`] — a plain owned enum of the operations
//! smsgw uses with an SMSC that speaks EMI (the CMG/LogicaCMG "EMI - UCP
//! Interface" specification, 4.x operations): OT 60 login ([`Login`]), OT 51
//! submit, OT 52 delivery and OT 53 delivery notification ([`Sm`], one 33-field
//! layout), OT 31 alert ([`Alert`]), positive and negative results ([`Ack`],
//! [`Nack`]), and every other OT as [`Body::Unknown`] so it can be NACKed with
//! error code 03. [`decode`]/[`encode`] between those and a `BytesMut` (STX/ETX
//! framing, LEN, checksum); [`Session`], which tracks login, TRNs, the window,
//! result timeouts and OT 31 keep-alives with time passed in. The encodings the
//! operations need: IRA-hex ([`ira`]), the packed alphanumeric originator of
//! OTOA 5039 ([`alphanumeric`]), XSer extra services carrying a UDH or DCS
//! ([`xser`]), and the DDMMYYHHmm(ss) time stamps ([`time`]).
//!
//! **What it is not.** No sockets, no tokio, no clock, no text segmentation
//! (the `text` crate splits long messages and builds UDHs; this crate only
//! carries them in XSer), no policy (throttling, retries, which alphabet an
//! SMSC wants in AMsg): those belong to the sender service. Only the 4.x
//! operations above are typed; OT 01/02/03/30 (the older call-input family),
//! 54–58 and 61 decode as [`Body::Unknown`].
//!
//! **Where to start reading.** [`message`] (the types), then [`codec`] and
//! [`frame`] (framing and the error contract: [`DecodeError::is_recoverable`]
//! says whether to go on or close, [`DecodeError::nack`] what to answer), then
//! [`session`]. One file per operation family: `login.rs` (60), `sm.rs`
//! (51/52/53), `alert.rs` (31), `result.rs` (A/N). Golden vectors from the
//! specification's examples are in `tests/golden.rs`; `tests/xcheck.rs`
//! compares with the PyPI `ucp` package.
//!
//! **Decoding policy.** Lenient but bounded, like the `smpp` crate. Field
//! octets are read as Latin-1 and kept as strings (time stamps, flags and
//! numbers are passed through as sent); missing trailing fields read as empty;
//! hex digits of either case are accepted; an ACK's MVP field is optional.
//! Encoding is strict: no `/`, STX, ETX or non-Latin-1 characters in a field,
//! uppercase hex, the full field list of each operation. A frame is capped at
//! [`MAX_FRAME_LEN`] (or [`decode_with_max`]) before it is buffered.
//!
//! # Why not an existing crate
//!
//! We found no UCP/EMI codec on crates.io: the crate named `ucp` (0.1.0, by
//! JonathanxD, undocumented) has nothing of SMS or EMI in its modules, and a
//! search of crates.io and docs.rs turned up no other Rust implementation
//! (the public ones are Perl `Net::UCP`/`Protocol::EMIUCP`, Ruby `ruby_ucp`,
//! Python `ucp`, Erlang, Go, and Kannel's C). EMI is small — a dozen fields
//! per operation over STX/ETX — so we wrote it in the shape of our `smpp`
//! crate: one owned enum, `decode(&mut BytesMut) -> Result<Option<Message>,
//! DecodeError>` with a maximum and a recoverable/fatal split, a pure session
//! state machine, three dependencies (`bytes`, `thiserror`, and our `text` for
//! the GSM 7-bit tables and septet packing), golden vectors from the spec,
//! property tests, a fuzz target, and a cross-check against an independent
//! implementation.

pub mod alert;
pub mod alphanumeric;
pub mod codec;
mod error;
pub mod error_code;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
mod header;
mod hex;
pub mod ira;
pub mod login;
pub mod message;
mod result;
pub mod session;
pub mod sm;
pub mod time;
pub mod xser;

pub use alert::Alert;
pub use codec::{decode, decode_with_max, encode, to_bytes, MAX_FRAME_LEN};
pub use error::{DecodeError, EncodeError, FieldError};
pub use error_code::error_code_name;
pub use ira::Alphabet;
pub use login::Login;
pub use message::{Body, Header, Kind, Message, Ot, Trn};
pub use result::{Ack, Nack};
pub use session::{Action, Received, Session, SessionConfig, SessionError, State};
pub use sm::{DeliveryStatus, Msg, Sm};
pub use time::Timestamp;
pub use xser::ExtraService;

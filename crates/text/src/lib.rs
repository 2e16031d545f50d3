//! SMS text encoding and segmentation for smsgw — pure functions, no I/O.
//!
//! **What it is.** The alphabets of 3GPP TS 23.038 (GSM 7-bit default alphabet
//! and extension table, the national language locking and single shift tables of
//! §6.2.1.2 / Annex A, UCS-2/UTF-16BE) plus SMPP's Latin-1; the choice between
//! them for a send request's [`Preference`] and the national languages a connection
//! allows ([`SplitOptions::languages`]); the split of a long message into segments
//! with concatenation UDH (TS 23.040 §9.2.3.24.1/.8) and national language shift IEs
//! (§9.2.3.24.15/16), SMPP SAR TLVs or one `message_payload`; [`explain`], the plan
//! `smsgw text` prints; and, for inbound traffic, `data_coding` interpretation
//! (TS 23.038 §4), UDH parsing and decoding with the tables the UDH names.
//!
//! **What it is not.** No PDU framing (the `smpp` crate and the modem host own
//! that), no reassembly state (the tracker owns that), no compression (TS 23.042),
//! no grapheme-cluster awareness when splitting (a character is never cut — neither
//! an escape + code pair nor a surrogate pair — but a flag or a combining sequence
//! may be).
//!
//! **Where to start.** [`split`] (outbound: text → [`Message`] of [`Segment`]s,
//! each giving its `short_message` bytes; [`choose_with`] is the choice alone) and
//! [`decode::decode_user_data`] / [`decode::parse_udh`] (inbound). [`gsm7`] holds the
//! alphabet tables and the septet packing used on the modem path,
//! [`gsm7::national`] the national tables ([`Language`], [`Shift`]). [`fuzzing`] has
//! the bodies of the fuzz targets in `fuzz/`.
//!
//! ```
//! use text::{split, Language, Languages, Preference, Shift, SplitOptions};
//!
//! let msg = split(&"x".repeat(161), Preference::Auto, &SplitOptions::default())?;
//! assert_eq!(msg.data_coding, 0x00);
//! assert_eq!(msg.segments.len(), 2);
//! assert_eq!(msg.segments[0].payload.len(), 153);
//! assert_eq!(msg.segments[0].udh.as_deref(), Some(&[5, 0, 3, 0, 2, 1][..]));
//!
//! // Turkish allowed: 154 characters, 42 of them not in the default alphabet. The
//! // Turkish locking shift table fits them in 1 segment (UCS-2: 3, the single shift
//! // table: 2); the UDH names the table (IE 0x25, identifier 1).
//! let turkish = SplitOptions { languages: Languages::NONE.with(Language::Turkish), ..SplitOptions::default() };
//! let msg = split(&"Iğdır'da ışık şöleni. ".repeat(7), Preference::Auto, &turkish)?;
//! assert_eq!(msg.shift, Shift { locking: Some(Language::Turkish), single: None });
//! assert_eq!(msg.segments.len(), 1);
//! assert_eq!(msg.segments[0].udh.as_deref(), Some(&[3, 0x25, 1, 1][..]));
//! # Ok::<(), text::TextError>(())
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod alphabet;
mod capacity;
mod choice;
pub mod decode;
pub mod encoding;
mod error;
mod explain;
pub mod fuzzing;
pub mod gsm7;
pub mod latin1;
pub mod segment;
pub mod ucs2;
mod udh;

pub use alphabet::Unencodable;
pub use choice::choose_with;
pub use decode::{decode, parse_udh, Decoded, Udh, UdhError};
pub use encoding::{choose, Encoding, MessageClass, Preference};
pub use error::TextError;
pub use explain::{explain, Plan};
pub use gsm7::national::{Language, Languages, Shift};
pub use segment::{count, split, split_binary, Concat, Message, Segment, SplitOptions};

//! Sans-IO GSM modem support: SMS PDUs (3GPP TS 23.040) and the AT command state
//! machine of TS 27.005 (SMS) and TS 27.007 (general commands) that sends and
//! receives them.
//!
//! **What it is.** The PDU layer — [`encode_submit`]/[`encode_message`] build the
//! SMS-SUBMIT for `AT+CMGS` in PDU mode (hex and `<length>`), [`tpdu::decode`] reads
//! the SMS-DELIVER and SMS-STATUS-REPORT PDUs of `+CMT`, `+CDS`, `+CMGR`, `+CMGL`
//! into [`Deliver`] and [`StatusReport`] with the fields the gateway needs (sender,
//! SMPP-style `data_coding`, UDHI, unpacked user data, SCTS in epoch ms; TP-MR and
//! TP-ST with an SMPP `stat`). Then [`Modem`], the AT state machine: the init
//! sequence (PIN, PDU mode, `+CSMS`, storage, `+CNMI`), one command at a time with
//! a queue of submits through the `> ` prompt, unsolicited result codes at any
//! point, read-then-delete of stored messages only after the caller confirms,
//! health polling and command timeouts — bytes in, bytes and [`Event`]s out, time
//! passed in. [`fake::FakeModem`] answers like a modem for tests and simulators.
//!
//! **What it is not.** No serial port, no tokio, no clock: the gateway's connection
//! task owns the port (tokio-serial) and drives [`Modem`]. No text encoding or
//! segmentation (the `text` crate: [`encode_message`] takes a `text::Message`), no
//! reassembly of concatenated inbound messages (the tracker), no retry policy (the
//! sender; [`AtError::is_temporary`] and [`Sent`] give it what it needs). Not
//! covered: text mode (`AT+CMGF=1`), SMS-COMMAND, TP-VP absolute/enhanced on
//! submit, USSD, voice calls, vendor extensions.
//!
//! **Where to start reading.** [`submit`] (the SMS-SUBMIT layout, then
//! [`user_data`] for septets and fill bits), [`deliver`], [`status_report`]; then
//! [`machine`] for the event model, built on [`line`](mod@line) (framing: lines and the
//! prompt) and [`response`] (grammar: result codes and URCs), with
//! [`at_error`] classifying error codes. Golden vectors are in
//! `tests/golden.rs`, the state machine against the fake in `tests/machine.rs`,
//! over a `socat` pseudo-terminal pair in `tests/pty.rs`, and the cross-check
//! against Python's smspdudecoder and python-gsmmodem-new in `tests/xcheck.rs`.
//!
//! # Why not an existing crate
//!
//! We looked at crates.io (docs.rs pages): `huawei-modem` is a full modem client
//! built on its own tokio codec and futures, with the PDU code inside; `sms-pdu`
//! is that PDU code extracted (SUBMIT/DELIVER, plus STATUS-REPORT decoding) with
//! its own GSM 7-bit tables and `encoding`, `num`, `rand` dependencies;
//! `sms-pdu-decoder` is a decode-only port of Python's smspdudecoder (chrono,
//! lazy_static, serde_json); `atat` is an embedded (`no_std`) AT client built around
//! derive macros and its own ingress/URC queues and timing. None is sans-IO with
//! time passed in, none has the "delete only after the caller confirms" contract,
//! and each PDU codec carries a second copy of the GSM alphabets — ours, with the
//! national language tables and the septet packing, is the `text` crate. What we
//! need on top is small (the TS 23.040 fields, ~600 lines; the state machine, ~600),
//! and we check it against two independent Python implementations instead.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod address;
pub mod at_error;
mod command;
pub mod config;
pub mod dcs;
pub mod deliver;
mod error;
pub mod event;
pub mod fake;
#[doc(hidden)]
pub mod fuzzing;
pub mod hex;
pub mod line;
pub mod machine;
mod reader;
pub mod response;
pub mod status_report;
pub mod submit;
pub mod timestamp;
pub mod tpdu;
pub mod user_data;
pub mod validity;

pub use address::{Address, TOA_ALPHANUMERIC, TOA_INTERNATIONAL, TOA_UNKNOWN};
pub use at_error::AtError;
pub use config::{ModemConfig, Pin, Storage};
pub use deliver::Deliver;
pub use error::{DecodeError, EncodeError};
pub use event::{Cause, Event, InboundId, InitError, Sent, SubmitFailure, SubmitId};
pub use machine::{Modem, State};
pub use status_report::{Finality, StatusReport};
pub use submit::{decode_submit, encode_message, encode_submit, Submit, SubmitOptions, SubmitPdu, Validity};
pub use timestamp::Timestamp;
pub use tpdu::{decode_deliver, decode_status_report, Tpdu};

//! Pure SMPP delivery receipts: parsing them, and the state they report.
//!
//! **What it is.** Small, sans-IO pieces that the delivery-report tracker
//! is built on:
//! - [`text::parse`] reads the de-facto receipt text of SMPP 3.4 Appendix B
//!   (`id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`),
//!   leniently, because real SMSCs vary in case, order, date width and extra
//!   fields. It never panics (property tests and a fuzz target check that).
//! - [`from_deliver_sm`] decides whether a deliver_sm is a receipt at all
//!   (esm_class, §5.2.12, or a `receipted_message_id` TLV) and combines the
//!   TLVs (`message_state` §5.2.28, `network_error_code` §5.3.2.31,
//!   `receipted_message_id`) with the text into one [`Receipt`]. TLVs win
//!   over the text where both say something.
//! - [`FinalState`]: the state a receipt reports, whatever the protocol
//!   (every link maps its own codes onto it), and whether it is final.
//!
//! Message ids as correlation keys (hex on one side, decimal on the other)
//! are the `msgid` crate's.
//!
//! **What it is not.** No I/O, no clock, no storage: the tracker (which
//! remembers submitted ids and matches receipts to them, with expiry) lives
//! elsewhere and calls this. No text-encoding work beyond reading octets as
//! Latin-1; the `text` crate owns GSM 7-bit and UCS-2. Nothing here decides
//! what to *do* with a receipt (retry, events): [`FinalState::is_final`] is
//! the only policy, and it is documented where it is defined.
//!
//! **Where to start reading.** [`receipt`] (the entry point,
//! [`from_deliver_sm`]), then [`text`] for the grammar and its leniencies,
//! and [`state`] for the stat/message_state mapping and the finality choice.

pub mod receipt;
pub mod state;
pub mod text;

pub use receipt::{from_deliver_sm, NetworkError, Receipt};
pub use state::FinalState;
pub use text::{parse, ParseError, ReceiptText, Timestamp};

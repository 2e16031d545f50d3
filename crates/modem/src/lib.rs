//! (crate doc written below)
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod address;
pub mod dcs;
pub mod deliver;
mod error;
pub mod hex;
mod reader;
pub mod status_report;
pub mod submit;
pub mod timestamp;
pub mod tpdu;
pub mod user_data;
pub mod validity;

pub use address::{Address, TOA_ALPHANUMERIC, TOA_INTERNATIONAL, TOA_UNKNOWN};
pub use deliver::Deliver;
pub use error::{DecodeError, EncodeError};
pub use status_report::{Finality, StatusReport};
pub use submit::{decode_submit, encode_message, encode_submit, Submit, SubmitOptions, SubmitPdu, Validity};
pub use timestamp::Timestamp;
pub use tpdu::{decode_deliver, decode_status_report, Tpdu};

//! Reading whatever PDU the modem hands over, by its TP-MTI (TS 23.040 §9.2.3.1).
//!
//! The PDUs of `+CMT`, `+CDS`, `+CMGR` and `+CMGL` come with `<length>`, the TPDU
//! octets without the SMSC address (TS 27.005 §3.1). Most modems put the SMSC
//! address in front, some leave it out of `+CDS`; [`decode`] uses the length to
//! tell.

use crate::address::{self, Address};
use crate::deliver::{self, Deliver};
use crate::error::DecodeError;
use crate::hex;
use crate::reader::Reader;
use crate::status_report::{self, StatusReport};
use crate::submit::{self, Submit};

/// A PDU read from the modem. The direction decides what a TP-MTI means; these
/// are the meanings for PDUs the mobile holds (received, or stored outgoing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tpdu {
    /// TP-MTI 00.
    Deliver(Deliver),
    /// TP-MTI 10.
    StatusReport(StatusReport),
    /// TP-MTI 01: a stored outgoing message (`+CMGL` stat 2 or 3).
    Submit(Submit),
}

/// Decodes a PDU. `tpdu_len` is the `<length>` the modem gave: when it equals the
/// whole PDU there is no SMSC address in front. `None` means one is there.
pub fn decode(hex_pdu: &str, tpdu_len: Option<usize>) -> Result<Tpdu, DecodeError> {
    let bytes = hex::decode(hex_pdu)?;
    let mut r = Reader::new(&bytes);
    let smsc: Option<Address> = if tpdu_len == Some(bytes.len()) { None } else { address::decode_smsc(&mut r)? };
    let first = *r.rest().first().ok_or(DecodeError::Truncated { field: "first octet" })?;
    match first & 0b11 {
        0b00 => deliver::decode_tpdu(&mut r, smsc).map(Tpdu::Deliver),
        0b10 => status_report::decode_tpdu(&mut r, smsc).map(Tpdu::StatusReport),
        0b01 => submit::decode_tpdu(&mut r, smsc).map(Tpdu::Submit),
        mti => Err(DecodeError::WrongType { expected: "sms-deliver, sms-status-report or sms-submit", mti }),
    }
}

/// Decodes an SMS-DELIVER with its SMSC address in front.
pub fn decode_deliver(hex_pdu: &str) -> Result<Deliver, DecodeError> {
    let bytes = hex::decode(hex_pdu)?;
    let mut r = Reader::new(&bytes);
    let smsc = address::decode_smsc(&mut r)?;
    deliver::decode_tpdu(&mut r, smsc)
}

/// Decodes an SMS-STATUS-REPORT with its SMSC address in front.
pub fn decode_status_report(hex_pdu: &str) -> Result<StatusReport, DecodeError> {
    let bytes = hex::decode(hex_pdu)?;
    let mut r = Reader::new(&bytes);
    let smsc = address::decode_smsc(&mut r)?;
    status_report::decode_tpdu(&mut r, smsc)
}

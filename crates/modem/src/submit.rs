//! SMS-SUBMIT (TS 23.040 §9.2.2.2), encoded for `AT+CMGS` in PDU mode
//! (TS 27.005 §3.5.1, §4.3), and decoded for stored outgoing messages and tests.
//!
//! Layout: SMSC address | first octet | TP-MR | TP-DA | TP-PID | TP-DCS | [TP-VP] |
//! TP-UDL | TP-UD. First octet bits: TP-MTI 01 (1..0), TP-RD (2), TP-VPF (4..3, 10 =
//! relative), TP-SRR (5), TP-UDHI (6), TP-RP (7).

use std::time::Duration;

use text::Message;

use crate::address::{self, Address};
use crate::dcs;
use crate::error::{DecodeError, EncodeError};
use crate::hex;
use crate::reader::Reader;
use crate::timestamp::Timestamp;
use crate::user_data;
use crate::validity;

const MTI_SUBMIT: u8 = 0b01;
const RD: u8 = 0x04;
const VPF_RELATIVE: u8 = 0b10 << 3;
const SRR: u8 = 0x20;
const UDHI: u8 = 0x40;

/// What every part of a message shares. `Default`: the SIM's SMSC, no validity
/// period (the SMSC's default), no status report, PID 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitOptions {
    /// The SMSC to use; `None` sends length 0, "the SMSC set with AT+CSCA".
    pub smsc: Option<Address>,
    /// TP-VP, relative format (rounded up, [`validity::encode_relative`]).
    pub validity: Option<Duration>,
    /// TP-SRR: ask for an SMS-STATUS-REPORT (`+CDS`), correlated by TP-MR.
    pub status_report: bool,
    /// TP-RD: the SMSC rejects a message with the same TP-MR and TP-DA as one it holds.
    pub reject_duplicates: bool,
    /// TP-PID (TS 23.040 §9.2.3.9); 0 is a plain short message.
    pub protocol_id: u8,
}

/// A PDU ready for `AT+CMGS=<tpdu_len>` followed by `hex` and Ctrl-Z.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitPdu {
    /// SMSC address and TPDU, upper-case hex.
    pub hex: String,
    /// TPDU octets, the SMSC address excluded (TS 27.005 §3.5.1 `<length>`).
    pub tpdu_len: usize,
}

/// Encodes one SMS-SUBMIT. `data_coding` is SMPP-style ([`dcs::to_tp_dcs`]);
/// `udh` a complete header, UDHL first; `body` unpacked septets for GSM 7-bit,
/// octets otherwise. TP-MR is 0: the modem assigns it and answers it in `+CMGS: <mr>`.
pub fn encode_submit(
    to: &Address,
    data_coding: u8,
    udh: Option<&[u8]>,
    body: &[u8],
    opts: &SubmitOptions,
) -> Result<SubmitPdu, EncodeError> {
    let tp_dcs = dcs::to_tp_dcs(data_coding)?;
    let mut out = Vec::with_capacity(176);
    address::encode_smsc(opts.smsc.as_ref(), &mut out)?;
    let smsc_len = out.len();
    let mut first = MTI_SUBMIT;
    if opts.reject_duplicates {
        first |= RD;
    }
    if opts.validity.is_some() {
        first |= VPF_RELATIVE;
    }
    if opts.status_report {
        first |= SRR;
    }
    if udh.is_some_and(|h| !h.is_empty()) {
        first |= UDHI;
    }
    out.push(first);
    out.push(0); // TP-MR
    address::encode_tp(to, &mut out)?;
    out.push(opts.protocol_id);
    out.push(tp_dcs);
    if let Some(v) = opts.validity {
        out.push(validity::encode_relative(v));
    }
    user_data::encode(dcs::is_septets(tp_dcs), udh.filter(|h| !h.is_empty()), body, &mut out)?;
    Ok(SubmitPdu { tpdu_len: out.len() - smsc_len, hex: hex::encode(&out) })
}

/// One SMS-SUBMIT per segment of a message from `text::split`.
pub fn encode_message(to: &Address, message: &Message, opts: &SubmitOptions) -> Result<Vec<SubmitPdu>, EncodeError> {
    message
        .segments
        .iter()
        .map(|segment| encode_submit(to, message.data_coding, segment.udh.as_deref(), &segment.payload, opts))
        .collect()
}

/// TP-VP as it arrived (TS 23.040 §9.2.3.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// TP-VPF 00: none.
    None,
    /// TP-VPF 10: the relative octet ([`validity::decode_relative`]).
    Relative(u8),
    /// TP-VPF 11: an absolute time.
    Absolute(Timestamp),
    /// TP-VPF 01: the enhanced format, kept raw.
    Enhanced([u8; 7]),
}

/// A decoded SMS-SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    pub smsc: Option<Address>,
    pub reject_duplicates: bool,
    pub status_report: bool,
    pub udhi: bool,
    /// TP-MR.
    pub mr: u8,
    pub to: Address,
    pub protocol_id: u8,
    /// TP-DCS as sent.
    pub dcs: u8,
    pub validity: Validity,
    /// UDH (if `udhi`) followed by unpacked septets or octets.
    pub user_data: Vec<u8>,
}

/// Decodes an SMS-SUBMIT with its SMSC address in front.
pub fn decode_submit(hex_pdu: &str) -> Result<Submit, DecodeError> {
    let bytes = hex::decode(hex_pdu)?;
    let mut r = Reader::new(&bytes);
    let smsc = address::decode_smsc(&mut r)?;
    decode_tpdu(&mut r, smsc)
}

pub(crate) fn decode_tpdu(r: &mut Reader<'_>, smsc: Option<Address>) -> Result<Submit, DecodeError> {
    let first = r.u8("first octet")?;
    if first & 0b11 != MTI_SUBMIT {
        return Err(DecodeError::WrongType { expected: "sms-submit", mti: first & 0b11 });
    }
    let mr = r.u8("TP-MR")?;
    let to = address::decode_tp(r)?;
    let protocol_id = r.u8("TP-PID")?;
    let dcs = r.u8("TP-DCS")?;
    let validity = match (first >> 3) & 0b11 {
        0b00 => Validity::None,
        0b10 => Validity::Relative(r.u8("TP-VP")?),
        0b11 => Validity::Absolute(Timestamp::read(r, "TP-VP")?),
        _ => Validity::Enhanced(r.array("TP-VP")?),
    };
    let udhi = first & UDHI != 0;
    let user_data = user_data::decode(r, dcs::is_septets(dcs), udhi)?;
    Ok(Submit {
        smsc,
        reject_duplicates: first & RD != 0,
        status_report: first & SRR != 0,
        udhi,
        mr,
        to,
        protocol_id,
        dcs,
        validity,
        user_data,
    })
}

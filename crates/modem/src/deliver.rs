//! SMS-DELIVER (TS 23.040 §9.2.2.1): what `+CMT`, `+CMGR` and `+CMGL` carry for a
//! received message, SMSC address in front.
//!
//! Layout: SMSC address | first octet | TP-OA | TP-PID | TP-DCS | TP-SCTS | TP-UDL |
//! TP-UD. First octet bits: TP-MTI 00 (1..0), TP-MMS (2, 0 = more to come), TP-LP (3),
//! TP-SRI (5), TP-UDHI (6), TP-RP (7).

use text::decode::{decode_user_data, Decoded, Udh, UdhError};

use crate::address::{self, Address};
use crate::dcs;
use crate::error::{DecodeError, EncodeError};
use crate::hex;
use crate::reader::Reader;
use crate::timestamp::Timestamp;
use crate::user_data;

const SRI: u8 = 0x20;
const UDHI: u8 = 0x40;
/// TP-MMS set means "no more messages are waiting" (TS 23.040 §9.2.3.2).
const NO_MORE_MESSAGES: u8 = 0x04;

/// A received short message, as the gateway needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver {
    /// The SMSC that delivered it.
    pub smsc: Option<Address>,
    /// TP-OA, the sender (alphanumeric senders decoded from packed GSM 7-bit).
    pub from: Address,
    /// TP-PID.
    pub protocol_id: u8,
    /// TP-DCS as received.
    pub dcs: u8,
    /// The SMPP-style `data_coding` for `user_data` ([`dcs::to_data_coding`]).
    pub data_coding: u8,
    /// TP-SCTS; [`Timestamp::epoch_ms`] gives UTC milliseconds.
    pub scts: Timestamp,
    /// TP-UDHI: `user_data` starts with a UDH.
    pub udhi: bool,
    /// TP-SRI: the sender asked for a status report.
    pub status_report_indication: bool,
    /// UDH (if `udhi`) followed by unpacked septets for GSM 7-bit, octets otherwise —
    /// an SMPP `short_message` body.
    pub user_data: Vec<u8>,
}

impl Deliver {
    /// The UDH and the text, decoded by the `text` crate with the national language
    /// tables the UDH names.
    pub fn decode_text(&self) -> Result<(Option<Udh>, Decoded), UdhError> {
        decode_user_data(self.data_coding, &self.user_data, self.udhi)
    }

    /// The PDU (SMSC address first, hex), for fake modems and simulators. The
    /// TP-DCS is `dcs`; `user_data` is packed when it says GSM 7-bit.
    pub fn encode(&self) -> Result<String, EncodeError> {
        let mut out = Vec::with_capacity(176);
        address::encode_smsc(self.smsc.as_ref(), &mut out)?;
        let mut first = NO_MORE_MESSAGES;
        if self.status_report_indication {
            first |= SRI;
        }
        if self.udhi {
            first |= UDHI;
        }
        out.push(first);
        address::encode_tp(&self.from, &mut out)?;
        out.push(self.protocol_id);
        out.push(self.dcs);
        out.extend_from_slice(&self.scts.to_octets());
        let (udh, body) = match (self.udhi, self.user_data.first()) {
            (true, Some(&udhl)) if usize::from(udhl) < self.user_data.len() => {
                let (udh, body) = self.user_data.split_at(usize::from(udhl) + 1);
                (Some(udh), body)
            }
            (true, _) => return Err(EncodeError::Udh),
            (false, _) => (None, &self.user_data[..]),
        };
        user_data::encode(dcs::is_septets(self.dcs), udh, body, &mut out)?;
        Ok(hex::encode(&out))
    }
}

pub(crate) fn decode_tpdu(r: &mut Reader<'_>, smsc: Option<Address>) -> Result<Deliver, DecodeError> {
    let first = r.u8("first octet")?;
    if first & 0b11 != 0b00 {
        return Err(DecodeError::WrongType { expected: "sms-deliver", mti: first & 0b11 });
    }
    let from = address::decode_tp(r)?;
    let protocol_id = r.u8("TP-PID")?;
    let dcs = r.u8("TP-DCS")?;
    let scts = Timestamp::read(r, "TP-SCTS")?;
    let udhi = first & UDHI != 0;
    let user_data = user_data::decode(r, dcs::is_septets(dcs), udhi)?;
    Ok(Deliver {
        smsc,
        from,
        protocol_id,
        dcs,
        data_coding: dcs::to_data_coding(dcs),
        scts,
        udhi,
        status_report_indication: first & SRI != 0,
        user_data,
    })
}

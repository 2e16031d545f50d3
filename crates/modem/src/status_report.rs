//! SMS-STATUS-REPORT (TS 23.040 §9.2.2.3): what `+CDS` (or `+CMGR` of a stored
//! report) carries after a submit with TP-SRR.
//!
//! Layout: SMSC address | first octet | TP-MR | TP-RA | TP-SCTS | TP-DT | TP-ST |
//! [TP-PI | TP-PID | TP-DCS | TP-UDL | TP-UD]. First octet bits: TP-MTI 10 (1..0),
//! TP-MMS (2), TP-LP (3), TP-SRQ (5), TP-UDHI (6). The optional tail is skipped.

use crate::address::{self, Address};
use crate::error::{DecodeError, EncodeError};
use crate::hex;
use crate::reader::Reader;
use crate::timestamp::Timestamp;

const MTI_STATUS_REPORT: u8 = 0b10;
/// TP-SRQ: the report is about an SMS-COMMAND, not an SMS-SUBMIT.
const SRQ: u8 = 0x20;

/// Whether a report ends the message's story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finality {
    /// The SMSC has stopped: delivered, or gave up.
    Final,
    /// The SMSC is still trying (TP-ST 0x20-0x3F).
    Intermediate,
}

/// A decoded status report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub smsc: Option<Address>,
    /// TP-MR of the submit it reports on: the `<mr>` of `+CMGS: <mr>`, the
    /// correlation key (unique per modem only modulo 256).
    pub mr: u8,
    /// TP-RA, the recipient of the original message.
    pub recipient: Address,
    /// TP-SCTS of the original message.
    pub scts: Timestamp,
    /// TP-DT: when the status below was reached.
    pub discharge: Timestamp,
    /// TP-ST (TS 23.040 §9.2.3.15).
    pub status: u8,
    /// TP-SRQ: a report on an SMS-COMMAND.
    pub about_command: bool,
}

impl StatusReport {
    pub fn finality(&self) -> Finality {
        classify(self.status).0
    }

    /// The SMPP delivery receipt `stat` for TP-ST ([`classify`]).
    pub fn stat(&self) -> &'static str {
        classify(self.status).1
    }

    /// The PDU (SMSC address first, hex), for fake modems and simulators.
    pub fn encode(&self) -> Result<String, EncodeError> {
        let mut out = Vec::with_capacity(40);
        address::encode_smsc(self.smsc.as_ref(), &mut out)?;
        out.push(MTI_STATUS_REPORT | if self.about_command { SRQ } else { 0 });
        out.push(self.mr);
        address::encode_tp(&self.recipient, &mut out)?;
        out.extend_from_slice(&self.scts.to_octets());
        out.extend_from_slice(&self.discharge.to_octets());
        out.push(self.status);
        Ok(hex::encode(&out))
    }
}

/// TP-ST → (finality, SMPP `stat`), TS 23.040 §9.2.3.15:
/// - 0x00-0x1F transaction completed: 0x00 received by the SME and 0x02 replaced by
///   the SC are `DELIVRD`; 0x01 forwarded but unconfirmed is `UNKNOWN`; reserved and
///   SC-specific values of this group read as completed, `DELIVRD`;
/// - 0x20-0x3F temporary error, SC still trying: intermediate, `ENROUTE`;
/// - 0x40-0x5F permanent error: `EXPIRED` (0x46 validity period expired), `DELETED`
///   (0x47, 0x48 deleted by the originator or the SC), `REJECTD` (0x42 connection
///   rejected by the SME), `UNDELIV` otherwise;
/// - 0x60-0x7F temporary error, SC no longer trying: final, `REJECTD` for 0x63
///   service rejected, `UNDELIV` otherwise;
/// - 0x80-0xFF reserved: final, `UNKNOWN`.
pub fn classify(status: u8) -> (Finality, &'static str) {
    use Finality::{Final, Intermediate};
    match status {
        0x01 => (Final, "UNKNOWN"),
        0x00..=0x1F => (Final, "DELIVRD"),
        0x20..=0x3F => (Intermediate, "ENROUTE"),
        0x42 | 0x63 => (Final, "REJECTD"),
        0x46 => (Final, "EXPIRED"),
        0x47 | 0x48 => (Final, "DELETED"),
        0x40..=0x7F => (Final, "UNDELIV"),
        _ => (Final, "UNKNOWN"),
    }
}

pub(crate) fn decode_tpdu(r: &mut Reader<'_>, smsc: Option<Address>) -> Result<StatusReport, DecodeError> {
    let first = r.u8("first octet")?;
    if first & 0b11 != MTI_STATUS_REPORT {
        return Err(DecodeError::WrongType { expected: "sms-status-report", mti: first & 0b11 });
    }
    let mr = r.u8("TP-MR")?;
    let recipient = address::decode_tp(r)?;
    let scts = Timestamp::read(r, "TP-SCTS")?;
    let discharge = Timestamp::read(r, "TP-DT")?;
    let status = r.u8("TP-ST")?;
    Ok(StatusReport { smsc, mr, recipient, scts, discharge, status, about_command: first & SRQ != 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_groups() {
        assert_eq!(classify(0x00), (Finality::Final, "DELIVRD"));
        assert_eq!(classify(0x01), (Finality::Final, "UNKNOWN"));
        assert_eq!(classify(0x1F), (Finality::Final, "DELIVRD"));
        assert_eq!(classify(0x20), (Finality::Intermediate, "ENROUTE"));
        assert_eq!(classify(0x3F), (Finality::Intermediate, "ENROUTE"));
        assert_eq!(classify(0x40), (Finality::Final, "UNDELIV"));
        assert_eq!(classify(0x42), (Finality::Final, "REJECTD"));
        assert_eq!(classify(0x46), (Finality::Final, "EXPIRED"));
        assert_eq!(classify(0x48), (Finality::Final, "DELETED"));
        assert_eq!(classify(0x60), (Finality::Final, "UNDELIV"));
        assert_eq!(classify(0x63), (Finality::Final, "REJECTD"));
        assert_eq!(classify(0x80), (Finality::Final, "UNKNOWN"));
    }
}

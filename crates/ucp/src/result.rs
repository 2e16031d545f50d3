//! Results (EMI 4.x spec §4.2.1/§4.2.2, §5.3.1/§5.3.2, §6.3.1/§6.3.2): the
//! positive `A` and negative `N` answers to any operation, matched to it by
//! TRN and OT.
//!
//! A 50-series (and OT 30) ACK has three fields, `A/MVP/SM`; the others have
//! two, `A/SM` ([`Ot::ack_has_mvp`]).
//! A NACK is always `N/EC/SM`.

use crate::error::FieldError;
use crate::frame::{Fields, Reader};
use crate::header::Ot;

/// A positive result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ack {
    /// The OT of the operation this answers.
    pub ot: Ot,
    /// Modified validity period (50 series and OT 30): set when the SMSC
    /// shortened the VP we asked for. Written for other OTs only when not empty.
    pub mvp: String,
    /// System message. For OT 51 it is `AdC:SCTS`, the identity a later OT 53
    /// delivery notification refers to (see [`Ack::adc_scts`]).
    pub sm: String,
}

impl Ack {
    /// `(AdC, SCTS)` from an SM of the form `AdC:SCTS`.
    pub fn adc_scts(&self) -> Option<(&str, &str)> {
        self.sm.split_once(':')
    }

    pub(crate) fn decode(ot: Ot, f: &mut Reader) -> Result<Self, FieldError> {
        // f[0] is the "A" already checked by the caller.
        let _ = f.next();
        let (mvp, sm) = if f.remaining() >= 2 { (f.next(), f.next()) } else { (String::new(), f.next()) };
        Ok(Self { ot, mvp, sm })
    }

    pub(crate) fn encode(&self, f: &mut Fields) {
        f.push("ack", "A");
        if self.ot.ack_has_mvp() || !self.mvp.is_empty() {
            f.push("mvp", &self.mvp);
        }
        f.push("sm", &self.sm);
    }
}

/// A negative result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nack {
    /// The OT of the operation this answers.
    pub ot: Ot,
    /// Error code, see [`crate::error_code`]; sent as (at least) two digits.
    pub ec: u8,
    pub sm: String,
}

impl Nack {
    pub(crate) fn decode(ot: Ot, f: &mut Reader) -> Result<Self, FieldError> {
        let _ = f.next();
        let ec = f.next();
        let ec = ec.parse::<u8>().ok().filter(|_| ec.bytes().all(|b| b.is_ascii_digit()));
        let ec = ec.ok_or(FieldError::Number { field: "ec" })?;
        Ok(Self { ot, ec, sm: f.next() })
    }

    pub(crate) fn encode(&self, f: &mut Fields) {
        f.push("nack", "N");
        f.push("ec", &format!("{:02}", self.ec));
        f.push("sm", &self.sm);
    }
}

//! OT 31, MT alert (EMI 4.x spec §4.6): AdC and PID. Sent by us when the link
//! is idle, as a keep-alive the SMSC answers with a positive result.

use crate::error::FieldError;
use crate::frame::Fields;

/// PID 0539: "PC appl. over TCP/IP" (§4.6 PID table), what a gateway is.
pub const PID_PC_OVER_TCP_IP: &str = "0539";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Alert {
    /// Address of the alerting party (our own number or short code).
    pub adc: String,
    /// Four digits, e.g. [`PID_PC_OVER_TCP_IP`].
    pub pid: String,
}

impl Alert {
    pub(crate) const FIELDS: usize = 2;

    pub(crate) fn decode(f: &mut crate::frame::Reader) -> Result<Self, FieldError> {
        Ok(Self { adc: f.next(), pid: f.next() })
    }

    pub(crate) fn encode(&self, f: &mut Fields) {
        f.push("adc", &self.adc);
        f.push("pid", &self.pid);
    }
}

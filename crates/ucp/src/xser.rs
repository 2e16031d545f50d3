//! XSer, extra services (EMI 4.x spec §5.3, introduced with version 4.x of the
//! 50 series): a sequence of `TT LL DD..` — type, length and data octets, all
//! as hex digits. This is how a UDH (for concatenation, ports, national
//! shift tables) and an explicit data coding scheme reach the SMSC.

use crate::error::{EncodeError, FieldError};
use crate::hex;

/// Type 01: GSM user data header (TS 23.040 §9.2.3.24, UDHL included).
pub const GSM_UDH: u8 = 0x01;
/// Type 02: GSM data coding scheme (TS 23.038 §4), one octet.
pub const GSM_DCS: u8 = 0x02;
/// Type 0C: billing identifier (EMI 5.x; passed through here).
pub const BILLING_IDENTIFIER: u8 = 0x0C;

/// One extra service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraService {
    pub kind: u8,
    /// At most 255 octets (LL is one octet).
    pub data: Vec<u8>,
}

impl ExtraService {
    pub fn udh(udh: impl Into<Vec<u8>>) -> Self {
        Self { kind: GSM_UDH, data: udh.into() }
    }

    pub fn dcs(dcs: u8) -> Self {
        Self { kind: GSM_DCS, data: vec![dcs] }
    }
}

/// The data of the first service of `kind`.
pub fn find(services: &[ExtraService], kind: u8) -> Option<&[u8]> {
    services.iter().find(|s| s.kind == kind).map(|s| s.data.as_slice())
}

pub(crate) fn decode(digits: &str) -> Result<Vec<ExtraService>, FieldError> {
    let octets = hex::decode(digits).ok_or(FieldError::Hex { field: "xser" })?;
    let mut rest = octets.as_slice();
    let mut services = Vec::new();
    while let [kind, len, tail @ ..] = rest {
        let data = tail.get(..usize::from(*len)).ok_or(FieldError::XSer { kind: *kind })?;
        services.push(ExtraService { kind: *kind, data: data.to_vec() });
        rest = &tail[usize::from(*len)..];
    }
    match rest {
        [] => Ok(services),
        [kind, ..] => Err(FieldError::XSer { kind: *kind }),
    }
}

pub(crate) fn encode(services: &[ExtraService]) -> Result<String, EncodeError> {
    let mut octets = Vec::new();
    for s in services {
        let len = u8::try_from(s.data.len()).map_err(|_| EncodeError::FieldTooLong {
            field: "xser",
            len: s.data.len(),
            max: 255,
        })?;
        octets.extend_from_slice(&[s.kind, len]);
        octets.extend_from_slice(&s.data);
    }
    Ok(hex::encode(&octets))
}

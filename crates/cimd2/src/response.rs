//! Responses (spec chapter "Operations": every request's response has the
//! request's operation code + 50 and its packet number), and the two
//! responses that answer no particular operation: general error response
//! (98) and NACK (99).

use crate::error::ParamError;
use crate::param::{code, Param, Params, Writer};
use crate::EncodeError;

/// The parameters a response may carry. One struct for all of them: the
/// spec's responses differ only in which of these are filled in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// 021, echoed in the submit response.
    pub destination: Option<String>,
    /// 060, the service centre timestamp. In a submit response this,
    /// together with the destination, identifies the message: the deliver
    /// status report for it carries the same two values.
    pub mc_timestamp: Option<String>,
    /// 900; absent or 0 means success.
    pub error_code: Option<u16>,
    /// 901, free text explaining `error_code`.
    pub error_text: Option<String>,
    /// Parameters not listed above, in wire order.
    pub extra: Vec<Param>,
}

impl Response {
    /// A response carrying only an error code.
    pub fn error(code: u16) -> Self {
        Self { error_code: Some(code), ..Self::default() }
    }

    /// True unless an error code other than 0 is present.
    pub fn is_ok(&self) -> bool {
        self.error_code.is_none_or(|c| c == 0)
    }

    /// The parameters as raw [`Param`]s, in encoding order (characters
    /// outside Latin-1 become `?`).
    pub fn into_params(self) -> Vec<Param> {
        let text =
            |code, s: String| Param::new(code, s.chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect::<Vec<u8>>());
        let mut out = Vec::new();
        out.extend(self.destination.map(|d| text(code::DESTINATION_ADDRESS, d)));
        out.extend(self.mc_timestamp.map(|t| text(code::SERVICE_CENTRE_TIMESTAMP, t)));
        out.extend(self.error_code.map(|c| Param::new(code::ERROR_CODE, c.to_string())));
        out.extend(self.error_text.map(|t| text(code::ERROR_TEXT, t)));
        out.extend(self.extra);
        out
    }

    pub(crate) fn decode(mut p: Params) -> Result<Self, ParamError> {
        Ok(Self {
            destination: p.string(code::DESTINATION_ADDRESS),
            mc_timestamp: p.string(code::SERVICE_CENTRE_TIMESTAMP),
            error_code: p.int(code::ERROR_CODE)?,
            error_text: p.string(code::ERROR_TEXT),
            extra: p.rest(),
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.opt_string(code::DESTINATION_ADDRESS, self.destination.as_deref())?;
        w.opt_string(code::SERVICE_CENTRE_TIMESTAMP, self.mc_timestamp.as_deref())?;
        w.opt_int(code::ERROR_CODE, self.error_code)?;
        w.opt_string(code::ERROR_TEXT, self.error_text.as_deref())?;
        w.extra(&self.extra)
    }
}

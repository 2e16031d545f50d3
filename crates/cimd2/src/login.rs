//! Login (01) and logout (02) (spec chapter "Operations", "Login" and
//! "Logout"). Their responses are 51 and 52, plain [`crate::Response`]s.

use crate::error::ParamError;
use crate::param::{code, Param, Params, Writer};
use crate::EncodeError;

/// Login (01): the first packet the application sends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Login {
    /// 010. Absent on the wire decodes as empty.
    pub user_identity: String,
    /// 011. Absent on the wire decodes as empty.
    pub password: String,
    /// Parameters not listed above (e.g. 012 subaddress, 019 window size in
    /// later spec versions), in wire order.
    pub extra: Vec<Param>,
}

impl Login {
    pub(crate) fn decode(mut p: Params) -> Result<Self, ParamError> {
        Ok(Self {
            user_identity: p.string(code::USER_IDENTITY).unwrap_or_default(),
            password: p.string(code::PASSWORD).unwrap_or_default(),
            extra: p.rest(),
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.string(code::USER_IDENTITY, &self.user_identity)?;
        w.string(code::PASSWORD, &self.password)?;
        w.extra(&self.extra)
    }
}

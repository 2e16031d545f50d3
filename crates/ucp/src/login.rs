//! OT 60, session management (EMI 4.x spec §6.3): the login that opens a
//! session, with the password as IRA-hex.

use crate::error::FieldError;
use crate::frame::Fields;
use crate::ira;

/// STYP 1: open session (§6.3).
pub const STYP_OPEN_SESSION: &str = "1";
/// VERS 0100: the interface version of EMI 4.x (§6.3).
pub const VERS_0100: &str = "0100";

/// The twelve fields of OT 60. `pwd` and `npwd` are carried as IRA-hex on the
/// wire and held here as text (each octet one Latin-1 char, so any octet
/// survives a round trip).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Login {
    /// Our address (the account the SMSC knows us by).
    pub oadc: String,
    /// Type of number: 1 international, 2 national, 6 abbreviated.
    pub oton: String,
    /// Numbering plan: 1 E.164, 3 X.121, 5 private.
    pub onpi: String,
    /// Session type, [`STYP_OPEN_SESSION`] to log in.
    pub styp: String,
    pub pwd: String,
    /// New password (to change it); usually empty.
    pub npwd: String,
    /// [`VERS_0100`].
    pub vers: String,
    pub ladc: String,
    pub lton: String,
    pub lnpi: String,
    pub opid: String,
    pub res1: String,
}

impl Login {
    pub(crate) const FIELDS: usize = 12;

    /// A login as most SMSCs expect it: open session, version 0100, OTON 6
    /// (abbreviated) and ONPI 5 (private) for an account name.
    pub fn open_session(account: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            oadc: account.into(),
            oton: "6".into(),
            onpi: "5".into(),
            styp: STYP_OPEN_SESSION.into(),
            pwd: password.into(),
            vers: VERS_0100.into(),
            ..Self::default()
        }
    }

    pub(crate) fn decode(f: &mut crate::frame::Reader) -> Result<Self, FieldError> {
        let hex_text = |s: String, field| ira::decode_latin1_hex(&s).ok_or(FieldError::Hex { field });
        Ok(Self {
            oadc: f.next(),
            oton: f.next(),
            onpi: f.next(),
            styp: f.next(),
            pwd: hex_text(f.next(), "pwd")?,
            npwd: hex_text(f.next(), "npwd")?,
            vers: f.next(),
            ladc: f.next(),
            lton: f.next(),
            lnpi: f.next(),
            opid: f.next(),
            res1: f.next(),
        })
    }

    pub(crate) fn encode(&self, f: &mut Fields) {
        f.push("oadc", &self.oadc);
        f.push("oton", &self.oton);
        f.push("onpi", &self.onpi);
        f.push("styp", &self.styp);
        for (field, text) in [("pwd", &self.pwd), ("npwd", &self.npwd)] {
            match ira::encode_latin1_hex(text) {
                Some(hex) => f.push(field, &hex),
                None => f.fail(crate::EncodeError::InvalidCharacter { field }),
            }
        }
        f.push("vers", &self.vers);
        f.push("ladc", &self.ladc);
        f.push("lton", &self.lton);
        f.push("lnpi", &self.lnpi);
        f.push("opid", &self.opid);
        f.push("res1", &self.res1);
    }
}

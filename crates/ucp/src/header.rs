//! The header fields of a message besides LEN (EMI 4.x spec §2): TRN, O/R and
//! OT, named by the errors, the framing and the operations alike.

use std::fmt;

/// Transaction reference number, 00–99 (§2). The range is checked on
/// construction, so an encoded header is always two digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Trn(u8);

impl Trn {
    pub const MAX: u8 = 99;

    /// `None` above 99.
    pub const fn new(n: u8) -> Option<Self> {
        if n <= Self::MAX {
            Some(Self(n))
        } else {
            None
        }
    }

    pub const fn get(self) -> u8 {
        self.0
    }

    /// The next TRN, wrapping from 99 to 00.
    pub const fn next(self) -> Self {
        Self(if self.0 >= Self::MAX { 0 } else { self.0 + 1 })
    }
}

impl From<Trn> for u32 {
    fn from(trn: Trn) -> Self {
        u32::from(trn.0)
    }
}

impl fmt::Display for Trn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// Operation type, the two-digit OT of the header (§2). A newtype rather than an
/// enum so that operations we do not model still have a value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Ot(pub u8);

impl Ot {
    /// §4.6 MT alert (used as keep-alive).
    pub const ALERT: Self = Self(31);
    /// §5.3 submit short message.
    pub const SUBMIT: Self = Self(51);
    /// §5.4 delivery short message (mobile originated, SMSC → us).
    pub const DELIVER: Self = Self(52);
    /// §5.5 delivery notification (the delivery report, SMSC → us).
    pub const NOTIFICATION: Self = Self(53);
    /// §6.3 session management (login).
    pub const SESSION: Self = Self(60);

    /// True when a positive result to this OT has the MVP field, `A/MVP/SM`:
    /// OT 30 (§4.5.1) and the 50 series (§5.3.1). The others answer `A/SM`.
    pub fn ack_has_mvp(self) -> bool {
        self.0 == 30 || (50..=59).contains(&self.0)
    }

    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "call input",
            30 => "sms message transfer",
            31 => "alert",
            51 => "submit",
            52 => "delivery",
            53 => "delivery notification",
            54 => "modify",
            55 => "inquiry",
            56 => "delete",
            57 => "response inquiry",
            58 => "response delete",
            60 => "session management",
            61 => "provisioning",
            _ => "unknown",
        }
    }
}

impl fmt::Debug for Ot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ot({:02} {})", self.0, self.name())
    }
}

impl fmt::Display for Ot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OT {:02}", self.0)
    }
}

/// The O/R header field: an operation or its result (§2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Operation,
    Result,
}

impl Kind {
    pub fn letter(self) -> u8 {
        match self {
            Kind::Operation => b'O',
            Kind::Result => b'R',
        }
    }
}

/// The three header fields besides LEN, which is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    pub trn: Trn,
    pub kind: Kind,
    pub ot: Ot,
}

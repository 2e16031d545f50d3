//! The 50 series (EMI 4.x spec §5): OT 51 submit (§5.3), OT 52 delivery
//! (§5.4) and OT 53 delivery notification (§5.5) share one 33-field layout.
//!
//! Fields are kept as the strings the SMSC sent (time stamps, numbers, flags),
//! so quirks pass through and a gateway can relay them; the three that carry an
//! encoding are typed: MT+NB+Msg as [`Msg`], XSer as [`ExtraService`]s, and the
//! alphanumeric OAdC has helpers ([`Sm::alphanumeric_originator`]).

use crate::alphanumeric::{self, OriginatorError, OTOA_ALPHANUMERIC};
use crate::error::FieldError;
use crate::frame::{Fields, Reader};
use crate::hex;
use crate::ira::{self, Alphabet, Unencodable};
use crate::xser::{self, ExtraService};

/// The message of a 50-series operation: MT, NB and the Msg field together.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Msg {
    /// MT, NB and Msg all empty (e.g. a notification without text).
    #[default]
    None,
    /// MT=2, NMsg: digits.
    Numeric(String),
    /// MT=3, AMsg: the octets behind the IRA-hex, in the alphabet the SMSC uses
    /// (see [`crate::ira`]); [`Msg::alphanumeric`] and [`Msg::text`] convert.
    Alphanumeric(Vec<u8>),
    /// MT=4, TMsg: octets, of which `bits` (NB) are meaningful. With a UDH
    /// (XSer type 01) and DCS (XSer type 02) this carries binary and UCS-2.
    Transparent { bits: u32, data: Vec<u8> },
    /// Any other MT/NB/Msg combination, as sent. Decoding produces it only for
    /// what the variants above do not hold (another MT, or NB with MT 2 or 3).
    Other { mt: String, nb: String, msg: String },
}

impl Msg {
    /// AMsg for `text` in `alphabet`.
    pub fn alphanumeric(text: &str, alphabet: Alphabet) -> Result<Self, Unencodable> {
        ira::encode_text(text, alphabet).map(Msg::Alphanumeric)
    }

    /// TMsg of whole octets.
    pub fn transparent(data: impl Into<Vec<u8>>) -> Self {
        let data = data.into();
        Msg::Transparent { bits: data.len() as u32 * 8, data }
    }

    /// The text of an AMsg in `alphabet` (or an NMsg); `None` otherwise.
    pub fn text(&self, alphabet: Alphabet) -> Option<String> {
        match self {
            Msg::Numeric(digits) => Some(digits.clone()),
            Msg::Alphanumeric(octets) => Some(ira::decode_text(octets, alphabet)),
            _ => None,
        }
    }

    fn decode(mt: String, nb: String, msg: String) -> Result<Self, FieldError> {
        let octets = |msg: &str| hex::decode(msg).ok_or(FieldError::Hex { field: "msg" });
        Ok(match (mt.as_str(), nb.is_empty()) {
            ("", true) if msg.is_empty() => Msg::None,
            ("2", true) => Msg::Numeric(msg),
            ("3", true) => Msg::Alphanumeric(octets(&msg)?),
            ("4", _) => {
                let data = octets(&msg)?;
                let bits = if nb.is_empty() {
                    data.len() as u32 * 8
                } else {
                    let all_digits = nb.bytes().all(|b| b.is_ascii_digit());
                    nb.parse().ok().filter(|_| all_digits).ok_or(FieldError::Number { field: "nb" })?
                };
                Msg::Transparent { bits, data }
            }
            _ => Msg::Other { mt, nb, msg },
        })
    }

    fn encode(&self, f: &mut Fields) {
        let (mt, nb, msg) = match self {
            Msg::None => ("", String::new(), String::new()),
            Msg::Numeric(digits) => ("2", String::new(), digits.clone()),
            Msg::Alphanumeric(octets) => ("3", String::new(), hex::encode(octets)),
            Msg::Transparent { bits, data } => ("4", bits.to_string(), hex::encode(data)),
            Msg::Other { mt, nb, msg } => (mt.as_str(), nb.clone(), msg.clone()),
        };
        f.push("mt", mt);
        f.push("nb", &nb);
        f.push("msg", &msg);
    }
}

/// Dst of an OT 53 (§5.5): what happened to the message it reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Dst 0.
    Delivered,
    /// Dst 1: not yet delivered, the SMSC keeps trying (Rsn says why).
    Buffered,
    /// Dst 2: final failure (Rsn says why).
    NotDelivered,
}

/// The fields of OT 51, 52 and 53, in the order of §5.3.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sm {
    /// Recipient (51), or the receiving large account (52), or for 53 the
    /// recipient of the message reported on.
    pub adc: String,
    /// Originator; with [`Sm::otoa`] = 5039 an alphanumeric name, packed.
    pub oadc: String,
    pub ac: String,
    /// Notification request: `1` to ask for OT 53 delivery notifications.
    pub nrq: String,
    pub nadc: String,
    /// Notification type: a bit mask, 1 delivery, 2 non-delivery, 4 buffered.
    pub nt: String,
    pub npid: String,
    pub lrq: String,
    pub lrad: String,
    pub lpid: String,
    pub dd: String,
    /// Deferred delivery time, DDMMYYHHmm ([`crate::time::Timestamp`]).
    pub ddt: String,
    /// Validity period, DDMMYYHHmm.
    pub vp: String,
    pub rpid: String,
    /// Service centre time stamp, DDMMYYHHmmss. In an OT 53, that of the
    /// message reported on (the SCTS of its OT 51 ACK).
    pub scts: String,
    /// Delivery status of an OT 53, see [`Sm::delivery_status`].
    pub dst: String,
    /// Reason code of an OT 53, three digits.
    pub rsn: String,
    /// Time of the delivery (attempt) an OT 53 reports, DDMMYYHHmmss.
    pub dscts: String,
    /// MT, NB and Msg.
    pub msg: Msg,
    pub mms: String,
    pub pr: String,
    /// Data coding scheme (4.x: `0` default alphabet, `1` user defined 8 bit).
    pub dcs: String,
    pub mcls: String,
    pub rpi: String,
    pub cpg: String,
    pub rply: String,
    /// Originator type of address; [`OTOA_ALPHANUMERIC`] for a name.
    pub otoa: String,
    pub hplmn: String,
    pub xser: Vec<ExtraService>,
    pub res4: String,
    pub res5: String,
}

impl Sm {
    pub(crate) const FIELDS: usize = 33;

    /// The originator name when OTOA is 5039 (`None` otherwise, or when OAdC is
    /// not hex).
    pub fn alphanumeric_originator(&self) -> Option<String> {
        (self.otoa == OTOA_ALPHANUMERIC).then(|| alphanumeric::decode(&self.oadc)).flatten()
    }

    /// Sets OAdC to `name`, packed, and OTOA to 5039.
    pub fn set_alphanumeric_originator(&mut self, name: &str) -> Result<(), OriginatorError> {
        self.oadc = alphanumeric::encode(name)?;
        self.otoa = OTOA_ALPHANUMERIC.into();
        Ok(())
    }

    /// Dst of an OT 53; `None` when empty or not 0, 1 or 2.
    pub fn delivery_status(&self) -> Option<DeliveryStatus> {
        match self.dst.as_str() {
            "0" => Some(DeliveryStatus::Delivered),
            "1" => Some(DeliveryStatus::Buffered),
            "2" => Some(DeliveryStatus::NotDelivered),
            _ => None,
        }
    }

    /// The UDH carried in XSer (type 01), if any.
    pub fn udh(&self) -> Option<&[u8]> {
        xser::find(&self.xser, xser::GSM_UDH)
    }

    pub(crate) fn decode(f: &mut Reader) -> Result<Self, FieldError> {
        let mut sm = Sm {
            adc: f.next(),
            oadc: f.next(),
            ac: f.next(),
            nrq: f.next(),
            nadc: f.next(),
            nt: f.next(),
            npid: f.next(),
            lrq: f.next(),
            lrad: f.next(),
            lpid: f.next(),
            dd: f.next(),
            ddt: f.next(),
            vp: f.next(),
            rpid: f.next(),
            scts: f.next(),
            dst: f.next(),
            rsn: f.next(),
            dscts: f.next(),
            ..Sm::default()
        };
        let (mt, nb, msg) = (f.next(), f.next(), f.next());
        sm.msg = Msg::decode(mt, nb, msg)?;
        sm.mms = f.next();
        sm.pr = f.next();
        sm.dcs = f.next();
        sm.mcls = f.next();
        sm.rpi = f.next();
        sm.cpg = f.next();
        sm.rply = f.next();
        sm.otoa = f.next();
        sm.hplmn = f.next();
        sm.xser = xser::decode(&f.next())?;
        sm.res4 = f.next();
        sm.res5 = f.next();
        Ok(sm)
    }

    pub(crate) fn encode(&self, f: &mut Fields) {
        for (name, value) in [
            ("adc", &self.adc),
            ("oadc", &self.oadc),
            ("ac", &self.ac),
            ("nrq", &self.nrq),
            ("nadc", &self.nadc),
            ("nt", &self.nt),
            ("npid", &self.npid),
            ("lrq", &self.lrq),
            ("lrad", &self.lrad),
            ("lpid", &self.lpid),
            ("dd", &self.dd),
            ("ddt", &self.ddt),
            ("vp", &self.vp),
            ("rpid", &self.rpid),
            ("scts", &self.scts),
            ("dst", &self.dst),
            ("rsn", &self.rsn),
            ("dscts", &self.dscts),
        ] {
            f.push(name, value);
        }
        self.msg.encode(f);
        for (name, value) in [
            ("mms", &self.mms),
            ("pr", &self.pr),
            ("dcs", &self.dcs),
            ("mcls", &self.mcls),
            ("rpi", &self.rpi),
            ("cpg", &self.cpg),
            ("rply", &self.rply),
            ("otoa", &self.otoa),
            ("hplmn", &self.hplmn),
        ] {
            f.push(name, value);
        }
        match xser::encode(&self.xser) {
            Ok(digits) => f.push("xser", &digits),
            Err(e) => f.fail(e),
        }
        f.push("res4", &self.res4);
        f.push("res5", &self.res5);
    }
}

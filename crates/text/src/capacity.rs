//! What one segment holds: how a message is split ([`SplitOptions`], [`Concat`])
//! and the capacities that follow, 140 octets of TP-UD minus the UDH (TS 23.040
//! §9.2.3.24).

use serde::{Deserialize, Serialize};

use crate::encoding::{Encoding, MessageClass};
use crate::gsm7::national::{Languages, Shift};

/// Octets of TP-UD in one SMS (TS 23.040 §9.2.3.24: 140 octets of user data).
pub const USER_DATA_OCTETS: usize = 140;

/// Octets of a UDH holding only the 8-bit-reference concatenation IE, UDHL included.
pub const UDH8_OCTETS: usize = 6;

/// Octets of a UDH holding only the 16-bit-reference concatenation IE, UDHL included.
pub const UDH16_OCTETS: usize = 7;

/// How the parts of a long message are tied together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Concat {
    /// UDH IE 0x00, 8-bit reference (TS 23.040 §9.2.3.24.1). Only the low byte
    /// of [`SplitOptions::reference`] is sent.
    #[default]
    Udh8,
    /// UDH IE 0x08, 16-bit reference (TS 23.040 §9.2.3.24.8).
    Udh16,
    /// SMPP `sar_msg_ref_num` / `sar_total_segments` / `sar_segment_seqnum` TLVs;
    /// the segments carry no UDH, so each holds as much as a single SMS.
    Sar,
    /// One SMPP `message_payload` TLV of up to 65535 octets; the SMSC splits.
    Payload,
}

/// How to split. Passed explicitly; `Default` is 10 segments, 8-bit UDH, reference 0,
/// no national language tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitOptions {
    /// Most segments a message may take; more is an error. Values above 255 act as 255.
    pub max_segments: usize,
    /// How the parts are tied together.
    pub concat: Concat,
    /// Concatenation reference shared by all parts of this message.
    pub reference: u16,
    /// Message class, e.g. class 0 for flash; changes the `data_coding` value.
    pub class: Option<MessageClass>,
    /// National language tables (TS 23.038 Annex A) the receiving handsets are known
    /// to support; GSM 7-bit may use them when the default alphabet cannot encode the
    /// text. Empty by default.
    pub languages: Languages,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions { max_segments: 10, concat: Concat::Udh8, reference: 0, class: None, languages: Languages::NONE }
    }
}

/// Units (septets, octets, UTF-16 units) that fit in `octets` of user data:
/// septets are floor(octets × 8 / 7).
fn units_in(encoding: Encoding, octets: usize) -> usize {
    match encoding {
        Encoding::Gsm7 => octets * 8 / 7,
        Encoding::Ucs2 => octets / 2,
        Encoding::Latin1 | Encoding::Binary => octets,
    }
}

/// Octets of the UDH, UDHL included (0 when there is no IE): the concatenation IE
/// of a multi-part message (5 octets with an 8-bit reference, 6 with a 16-bit one,
/// none for SAR and payload) plus 3 per national language shift IE.
pub fn udh_octets(concat: Concat, multipart: bool, shift: Shift) -> usize {
    let concat_ie = match concat {
        Concat::Udh8 if multipart => UDH8_OCTETS - 1,
        Concat::Udh16 if multipart => UDH16_OCTETS - 1,
        _ => 0,
    };
    let ies = concat_ie + shift.udh_octets();
    if ies == 0 {
        0
    } else {
        1 + ies
    }
}

/// Capacity of one segment in units of `encoding`: alone (`multipart == false`) or
/// as part of a multi-part message with `concat`. Public so callers can show
/// "characters left" counters that agree with the splitter.
pub fn capacity(encoding: Encoding, concat: Concat, multipart: bool) -> usize {
    capacity_with(encoding, concat, multipart, Shift::NONE)
}

/// [`capacity`] for a GSM 7-bit message using national tables: the 140 octets of
/// TP-UD minus the whole UDH ([`udh_octets`]), in units.
pub fn capacity_with(encoding: Encoding, concat: Concat, multipart: bool, shift: Shift) -> usize {
    units_in(encoding, USER_DATA_OCTETS - udh_octets(concat, multipart, shift))
}

//! Splitting a text (or binary payload) into SMS segments, with the
//! concatenation information each segment carries (TS 23.040 §9.2.3.24.1 and
//! §9.2.3.24.8; SMPP 3.4 §5.3.2.22–24 `sar_*` TLVs and §5.3.2.32 `message_payload`).
//!
//! Capacities come from one number: the 140 octets of TP-UD minus the UDH. In
//! units of the encoding that gives 160 septets / 140 octets / 70 UCS-2 units
//! alone, 153/134/67 after an 8-bit-reference UDH (6 octets with UDHL) and
//! 152/133/66 after a 16-bit-reference UDH (7 octets). National language shift
//! IEs (3 octets each, TS 23.040 §9.2.3.24.15/16) are more UDH octets: a single-part
//! message with one of them carries a 4-octet UDH (155 septets), a part with 8-bit
//! concatenation and both of them a 12-octet UDH (146 septets); see [`capacity_with`].

use serde::{Deserialize, Serialize};

use crate::choice::{choose_with, unit_len};
use crate::encoding::{Encoding, MessageClass, Preference};
use crate::error::TextError;
use crate::gsm7::national::{Languages, Shift};
use crate::gsm7::{self, Tables};

/// Octets of TP-UD in one SMS (TS 23.040 §9.2.3.24: 140 octets of user data).
pub const USER_DATA_OCTETS: usize = 140;

/// Largest `message_payload` TLV value (its length field is 16 bits).
pub const MAX_PAYLOAD_OCTETS: usize = 0xFFFF;

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

/// A message ready for submission: one `submit_sm` per segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The alphabet of every segment.
    pub encoding: Encoding,
    /// The national tables of a GSM 7-bit message ([`Shift::NONE`] otherwise); every
    /// segment's UDH names them (IEs 0x24/0x25).
    pub shift: Shift,
    /// The `data_coding` value, class included.
    pub data_coding: u8,
    /// At least one segment.
    pub segments: Vec<Segment>,
}

/// One part of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The complete UDH, UDHL byte first: concatenation IE (8- or 16-bit reference)
    /// for a part of a multi-part message, then the national language shift IEs.
    /// `None` when there is no IE (a single part, SAR or payload, default tables).
    pub udh: Option<Vec<u8>>,
    /// Unpacked septets (GSM 7-bit) or octets, without the UDH.
    pub payload: Vec<u8>,
    /// 1-based position of this part.
    pub seq: u8,
    /// Number of parts.
    pub total: u8,
    sar_reference: Option<u16>,
}

impl Segment {
    /// The SMPP `short_message`: UDH followed by the payload. Set `esm_class`
    /// UDHI (0x40) when [`Segment::udh`] is `Some`.
    pub fn to_short_message(&self) -> Vec<u8> {
        let udh = self.udh.as_deref().unwrap_or_default();
        let mut out = Vec::with_capacity(udh.len() + self.payload.len());
        out.extend_from_slice(udh);
        out.extend_from_slice(&self.payload);
        out
    }

    /// `(sar_msg_ref_num, sar_total_segments, sar_segment_seqnum)` for a part of
    /// a multi-part message split with [`Concat::Sar`]; `None` otherwise.
    pub fn sar(&self) -> Option<(u16, u8, u8)> {
        self.sar_reference.map(|r| (r, self.total, self.seq))
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

/// Encodes `text` and splits it into segments.
///
/// A character is never cut: a GSM 7-bit extension or single shift character
/// (escape + code) and a UTF-16 surrogate pair always land whole in one segment.
pub fn split(text: &str, pref: Preference, opts: &SplitOptions) -> Result<Message, TextError> {
    let (encoding, shift) = choose_with(text, pref, opts)?;
    let data_coding = encoding.data_coding_with_class(opts.class)?;
    let tables = shift.tables();

    if opts.concat == Concat::Payload {
        let payload = encode(encoding, &tables, text)?;
        return whole_payload(encoding, shift, data_coding, payload, opts);
    }

    // `choose_with` has checked every character, so `unit_len` is `Some` here.
    let lens: Vec<(usize, usize)> =
        text.char_indices().map(|(at, ch)| (at, unit_len(encoding, &tables, ch).unwrap_or(0))).collect();
    let total_units: usize = lens.iter().map(|&(_, n)| n).sum();

    let chunks: Vec<&str> = if total_units <= capacity_with(encoding, opts.concat, false, shift) {
        vec![text]
    } else {
        let cap = capacity_with(encoding, opts.concat, true, shift);
        let mut chunks = Vec::new();
        let (mut start, mut used) = (0, 0);
        for &(at, n) in &lens {
            if used + n > cap {
                chunks.push(&text[start..at]);
                start = at;
                used = 0;
            }
            used += n;
        }
        chunks.push(&text[start..]);
        chunks
    };
    check_count(chunks.len(), opts)?;
    let payloads = chunks.into_iter().map(|chunk| encode(encoding, &tables, chunk)).collect::<Result<Vec<_>, _>>()?;
    Ok(assemble(encoding, shift, data_coding, payloads, opts))
}

fn encode(encoding: Encoding, tables: &Tables, text: &str) -> Result<Vec<u8>, TextError> {
    match encoding {
        Encoding::Gsm7 => gsm7::encode_unpacked_with(tables, text).map_err(|e| TextError::unencodable(encoding, e)),
        other => other.encode(text),
    }
}

/// Splits an 8-bit binary payload: 140 octets alone, 134 (8-bit UDH) or 133
/// (16-bit UDH) per part, 140 per part with SAR.
pub fn split_binary(bytes: &[u8], opts: &SplitOptions) -> Result<Message, TextError> {
    let encoding = Encoding::Binary;
    let data_coding = encoding.data_coding_with_class(opts.class)?;
    if opts.concat == Concat::Payload {
        return whole_payload(encoding, Shift::NONE, data_coding, bytes.to_vec(), opts);
    }
    let payloads: Vec<Vec<u8>> = if bytes.len() <= capacity(encoding, opts.concat, false) {
        vec![bytes.to_vec()]
    } else {
        bytes.chunks(capacity(encoding, opts.concat, true)).map(<[u8]>::to_vec).collect()
    };
    check_count(payloads.len(), opts)?;
    Ok(assemble(encoding, Shift::NONE, data_coding, payloads, opts))
}

fn whole_payload(
    encoding: Encoding,
    shift: Shift,
    data_coding: u8,
    payload: Vec<u8>,
    opts: &SplitOptions,
) -> Result<Message, TextError> {
    let len = payload.len() + udh_octets(Concat::Payload, false, shift);
    if len > MAX_PAYLOAD_OCTETS {
        return Err(TextError::TooLong { len, max: MAX_PAYLOAD_OCTETS });
    }
    check_count(1, opts)?;
    Ok(assemble(encoding, shift, data_coding, vec![payload], opts))
}

fn check_count(needed: usize, opts: &SplitOptions) -> Result<(), TextError> {
    let max = opts.max_segments.min(usize::from(u8::MAX));
    if needed > max {
        return Err(TextError::TooManySegments { needed, max });
    }
    Ok(())
}

/// Adds the concatenation information and the shift IEs. Callers have checked
/// `payloads.len() <= 255`.
fn assemble(encoding: Encoding, shift: Shift, data_coding: u8, payloads: Vec<Vec<u8>>, opts: &SplitOptions) -> Message {
    let total = u8::try_from(payloads.len()).unwrap_or(u8::MAX);
    let [ref_hi, ref_lo] = opts.reference.to_be_bytes();
    let shift_ies = shift.udh_elements();
    let segments = (1..=total)
        .zip(payloads)
        .map(|(seq, payload)| {
            let multipart = total > 1;
            let mut ies = match opts.concat {
                Concat::Udh8 if multipart => vec![0x00, 0x03, ref_lo, total, seq],
                Concat::Udh16 if multipart => vec![0x08, 0x04, ref_hi, ref_lo, total, seq],
                _ => Vec::new(),
            };
            ies.extend_from_slice(&shift_ies);
            // At most 6 + 6 octets of IEs, so the UDHL fits a byte.
            let udh = (!ies.is_empty()).then(|| [vec![ies.len() as u8], ies].concat());
            let sar_reference = (multipart && opts.concat == Concat::Sar).then_some(opts.reference);
            Segment { udh, payload, seq, total, sar_reference }
        })
        .collect();
    Message { encoding, shift, data_coding, segments }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod shift_tests;

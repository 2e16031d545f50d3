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

pub use crate::capacity::{
    capacity, capacity_with, udh_octets, Concat, SplitOptions, UDH16_OCTETS, UDH8_OCTETS, USER_DATA_OCTETS,
};
use crate::choice::{choose_with, unit_len};
use crate::encoding::{Encoding, Preference};
use crate::error::TextError;
use crate::gsm7::national::Shift;
use crate::gsm7::{self, Tables};

/// Largest `message_payload` TLV value (its length field is 16 bits).
pub const MAX_PAYLOAD_OCTETS: usize = 0xFFFF;

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
    let chunks = cut(text, encoding, &tables, shift, opts)?;
    let payloads = chunks.into_iter().map(|chunk| encode(encoding, &tables, chunk)).collect::<Result<Vec<_>, _>>()?;
    Ok(assemble(encoding, shift, data_coding, payloads, opts))
}

/// How many segments [`split`] makes of `text`, with the same errors, but
/// without encoding them: what the router needs to check a request and to
/// count it, before the sender splits it for its SMSC.
pub fn count(text: &str, pref: Preference, opts: &SplitOptions) -> Result<usize, TextError> {
    if opts.concat == Concat::Payload {
        // One segment or an error, which only the encoded length tells.
        return split(text, pref, opts).map(|m| m.segments.len());
    }
    let (encoding, shift) = choose_with(text, pref, opts)?;
    encoding.data_coding_with_class(opts.class)?;
    Ok(cut(text, encoding, &shift.tables(), shift, opts)?.len())
}

/// The part of `text` each segment carries, a character never cut; an
/// error when there are more than `opts` allow.
fn cut<'a>(
    text: &'a str,
    encoding: Encoding,
    tables: &Tables,
    shift: Shift,
    opts: &SplitOptions,
) -> Result<Vec<&'a str>, TextError> {
    // `choose_with` has checked every character, so `unit_len` is `Some` here.
    let lens: Vec<(usize, usize)> =
        text.char_indices().map(|(at, ch)| (at, unit_len(encoding, tables, ch).unwrap_or(0))).collect();
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
    Ok(chunks)
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

//! Framing (EMI 4.x spec §2): `STX TRN/LEN/O|R/OT/<data>/CHECKSUM ETX`.
//!
//! This layer knows STX/ETX, the header, LEN and the checksum, and hands the
//! data fields on as strings; what the fields mean is [`crate::codec`]'s job.
//! Field octets are read as Latin-1 (one octet, one char, nothing lost); the
//! spec allows only IRA characters, but a gateway passes quirks through.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, EncodeError, FieldError};
use crate::header::{Header, Kind, Ot, Trn};
use crate::hex;

pub const STX: u8 = 0x02;
pub const ETX: u8 = 0x03;
pub const SEPARATOR: u8 = b'/';

/// `TT/LLLLL/O/OT/`: the header with its trailing separator.
const HEADER_LEN: usize = 14;
/// Header plus the two checksum digits: LEN of a message without data fields.
const FIXED_LEN: usize = HEADER_LEN + 2;
/// LEN is five digits (§2).
pub const MAX_LEN: usize = 99_999;

/// The checksum of §2: the sum of the octets from TRN up to and including the
/// `/` before the checksum, modulo 256 (sent as two uppercase hex digits).
pub fn checksum(octets: &[u8]) -> u8 {
    octets.iter().fold(0u8, |sum, &b| sum.wrapping_add(b))
}

/// Takes the next STX..ETX frame off the front of `buf` and returns what lies
/// between them. See [`DecodeError`] for the error contract; `Ok(None)` means
/// "read more" and consumes nothing.
pub(crate) fn next_frame(buf: &mut BytesMut, max: usize) -> Result<Option<Bytes>, DecodeError> {
    match buf.iter().position(|&b| b == STX) {
        None if buf.is_empty() => return Ok(None),
        None => {
            let skipped = buf.len();
            buf.clear();
            return Err(DecodeError::Garbage { skipped });
        }
        Some(0) => {}
        Some(at) => {
            let _ = buf.split_to(at);
            return Err(DecodeError::Garbage { skipped: at });
        }
    }
    // `max` counts STX and ETX; a frame needs at least the two of them.
    let max = max.max(FIXED_LEN + 2);
    let window = &buf[1..buf.len().min(max)];
    match window.iter().position(|&b| b == ETX || b == STX) {
        Some(i) if window[i] == ETX => {
            let frame = buf.split_to(i + 2).freeze();
            Ok(Some(frame.slice(1..i + 1)))
        }
        Some(i) => {
            // A second STX: the frame before it was cut short.
            let _ = buf.split_to(i + 1);
            Err(DecodeError::Garbage { skipped: i + 1 })
        }
        None if buf.len() >= max => Err(DecodeError::FrameTooLong { max }),
        None => {
            buf.reserve(max.min(1024).saturating_sub(buf.len()));
            Ok(None)
        }
    }
}

fn digits(octets: &[u8]) -> Option<usize> {
    if octets.is_empty() || !octets.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(octets.iter().fold(0usize, |n, &d| n * 10 + usize::from(d - b'0')))
}

fn header(frame: &[u8]) -> Result<(Header, usize), DecodeError> {
    let bad = |reason| DecodeError::Header { reason };
    let h = frame.get(..HEADER_LEN).ok_or(bad("frame shorter than the header"))?;
    if h[2] != SEPARATOR || h[8] != SEPARATOR || h[10] != SEPARATOR || h[13] != SEPARATOR {
        return Err(bad("separators out of place"));
    }
    let trn = digits(&h[..2]).and_then(|n| Trn::new(n as u8)).ok_or(bad("trn is not two digits"))?;
    let len = digits(&h[3..8]).ok_or(bad("len is not five digits"))?;
    let kind = match h[9] {
        b'O' => Kind::Operation,
        b'R' => Kind::Result,
        _ => return Err(bad("neither O nor R")),
    };
    let ot = digits(&h[11..13]).ok_or(bad("ot is not two digits"))?;
    Ok((Header { trn, kind, ot: Ot(ot as u8) }, len))
}

/// Checks LEN and the checksum of a frame (without STX/ETX) and splits its data
/// fields.
pub(crate) fn parse(frame: &[u8]) -> Result<(Header, Vec<String>), DecodeError> {
    let (header, declared) = header(frame)?;
    if declared != frame.len() {
        return Err(DecodeError::Length { header, declared, actual: frame.len() });
    }
    // The header ends in '/', so there is always a last separator.
    let last = frame.iter().rposition(|&b| b == SEPARATOR).unwrap_or(HEADER_LEN - 1);
    let computed = checksum(&frame[..=last]);
    let declared = &frame[last + 1..];
    let ok = match declared {
        [hi, lo] => hex::nibble(*hi).zip(hex::nibble(*lo)).is_some_and(|(h, l)| h << 4 | l == computed),
        _ => false,
    };
    if !ok {
        let declared = declared.iter().map(|&b| char::from(b)).collect();
        return Err(DecodeError::Checksum { header, declared, computed });
    }
    let data = &frame[HEADER_LEN..last + 1];
    let fields = match data.split_last() {
        None => Vec::new(),
        Some((_, data)) => {
            data.split(|&b| b == SEPARATOR).map(|f| f.iter().map(|&b| char::from(b)).collect()).collect()
        }
    };
    Ok((header, fields))
}

/// The data fields of one frame, read in order; a missing trailing field reads
/// as empty (older SMSCs leave out the reserved fields at the end).
#[derive(Debug)]
pub(crate) struct Reader {
    pub(crate) fields: std::vec::IntoIter<String>,
}

impl Reader {
    pub(crate) fn new(fields: Vec<String>, max: usize) -> Result<Self, FieldError> {
        if fields.len() > max {
            return Err(FieldError::TooMany { got: fields.len(), max });
        }
        Ok(Self { fields: fields.into_iter() })
    }

    pub(crate) fn next(&mut self) -> String {
        self.fields.next().unwrap_or_default()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.fields.len()
    }
}

/// Data fields on their way to [`write`]: each one checked and followed by `/`.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    data: Vec<u8>,
    error: Option<EncodeError>,
}

impl Fields {
    pub(crate) fn push(&mut self, field: &'static str, value: &str) {
        for ch in value.chars() {
            match u8::try_from(u32::from(ch)) {
                Ok(b) if b != SEPARATOR && b != STX && b != ETX => self.data.push(b),
                _ => {
                    self.error.get_or_insert(EncodeError::InvalidCharacter { field });
                }
            }
        }
        self.data.push(SEPARATOR);
    }

    pub(crate) fn fail(&mut self, error: EncodeError) {
        self.error.get_or_insert(error);
    }
}

/// Appends one framed message to `buf`. On error `buf` is left as it was.
pub(crate) fn write(header: Header, fields: Fields, buf: &mut BytesMut) -> Result<(), EncodeError> {
    if let Some(e) = fields.error {
        return Err(e);
    }
    if header.ot.0 > 99 {
        return Err(EncodeError::Ot { ot: header.ot });
    }
    let len = FIXED_LEN + fields.data.len();
    if len > MAX_LEN {
        return Err(EncodeError::FrameTooLong { len });
    }
    let start = buf.len();
    buf.reserve(len + 2);
    buf.put_u8(STX);
    let head = format!("{}/{:05}/{}/{:02}/", header.trn, len, char::from(header.kind.letter()), header.ot.0);
    buf.put_slice(head.as_bytes());
    buf.put_slice(&fields.data);
    let sum = checksum(&buf[start + 1..]);
    buf.put_slice(hex::encode(&[sum]).as_bytes());
    buf.put_u8(ETX);
    Ok(())
}

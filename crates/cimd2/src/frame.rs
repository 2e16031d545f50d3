//! Framing (spec 4.1 "Packet structure"): `STX ZZ:NNN TAB PPP:value TAB ...
//! [CC] ETX`, where ZZ is the operation code, NNN the packet number and CC an
//! optional checksum. This layer knows nothing of what operations mean: it
//! cuts a packet out of the stream, checks the header and checksum, and
//! splits the parameters.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::param::Param;

pub const STX: u8 = 0x02;
pub const ETX: u8 = 0x03;
pub const TAB: u8 = 0x09;

/// `STX ZZ:NNN TAB`.
const HEADER_LEN: usize = 8;

/// One packet, cut out and split but not interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub op: u8,
    pub number: u8,
    pub params: Vec<Param>,
    /// The checksum as sent, if the peer sent one (it has been verified).
    pub checksum: Option<u8>,
}

/// Cuts the next packet out of `buf`.
///
/// `Ok(None)` (nothing consumed) until a whole packet is there. Octets before
/// an STX are consumed and reported as [`DecodeError::Garbage`].
pub fn decode_frame(buf: &mut BytesMut, max: usize) -> Result<Option<Frame>, DecodeError> {
    match buf.iter().position(|&b| b == STX) {
        Some(0) => {}
        Some(skipped) => {
            buf.advance(skipped);
            return Err(DecodeError::Garbage { skipped });
        }
        None if buf.is_empty() => return Ok(None),
        None => {
            let skipped = buf.len();
            buf.clear();
            return Err(DecodeError::Garbage { skipped });
        }
    }
    let Some(end) = buf.iter().skip(1).position(|&b| b == ETX || b == STX).map(|i| i + 1) else {
        if buf.len() > max {
            return Err(DecodeError::TooLong { max });
        }
        return Ok(None);
    };
    // The packet's length including its ETX must fit as well: a peer that
    // sends an over-long packet in one write is refused the same way as one
    // that trickles it.
    if end + 1 > max {
        return Err(DecodeError::TooLong { max });
    }
    if buf[end] == STX {
        buf.advance(end);
        return Err(DecodeError::Unterminated { len: end });
    }
    let packet = buf.split_to(end + 1).freeze();
    parse(packet.slice(..end)).map(Some)
}

/// Parses `STX ... ` up to (not including) the ETX.
fn parse(packet: Bytes) -> Result<Frame, DecodeError> {
    let h = &packet[..];
    let digit = |i: usize| h.get(i).filter(|b| b.is_ascii_digit()).map(|b| b - b'0');
    let (Some(z1), Some(z2), Some(n1), Some(n2), Some(n3)) = (digit(1), digit(2), digit(4), digit(5), digit(6)) else {
        return Err(DecodeError::Header { reason: "operation code and packet number must be ZZ:NNN digits" });
    };
    if h.get(3) != Some(&b':') || h.get(7) != Some(&TAB) {
        return Err(DecodeError::Header { reason: "expected ZZ:NNN followed by tab" });
    }
    let op = z1 * 10 + z2;
    let number = u8::try_from(u16::from(n1) * 100 + u16::from(n2) * 10 + u16::from(n3))
        .map_err(|_| DecodeError::Header { reason: "packet number above 255" })?;
    let syntax = |reason| DecodeError::Syntax { op, number, reason };

    let mut params = Vec::new();
    let mut pos = HEADER_LEN;
    let mut checksum = None;
    while pos < h.len() {
        let rest = &h[pos..];
        let Some(tab) = rest.iter().position(|&b| b == TAB) else {
            // After the last TAB: nothing, or exactly two hex digits.
            let [a, b] = rest else { return Err(syntax("trailing octets after the last tab")) };
            let (Some(a), Some(b)) = ((*a as char).to_digit(16), (*b as char).to_digit(16)) else {
                return Err(syntax("checksum is not two hex digits"));
            };
            let found = (a * 16 + b) as u8;
            let computed = sum(&h[..pos]);
            if found != computed {
                return Err(DecodeError::Checksum { op, number, found, computed });
            }
            checksum = Some(found);
            break;
        };
        let field = &rest[..tab];
        if field.len() < 4 || field[3] != b':' || !field[..3].iter().all(u8::is_ascii_digit) {
            return Err(syntax("parameter is not PPP:value"));
        }
        let code = field[..3].iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
        params.push(Param { code, value: packet.slice(pos + 4..pos + tab) });
        pos += tab + 1;
    }
    Ok(Frame { op, number, params, checksum })
}

/// Sum of the octets modulo 256 (spec 4.1, checksum: from STX up to and
/// including the last TAB before the checksum).
pub fn sum(octets: &[u8]) -> u8 {
    octets.iter().fold(0u8, |s, &b| s.wrapping_add(b))
}

/// Whether an encoded packet carries the optional checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Checksum {
    /// Two upper-case hex digits before the ETX (what Kannel and most
    /// SMSCs send).
    #[default]
    Include,
    /// No checksum, for links configured without one.
    Omit,
}

/// Writes `STX ZZ:NNN TAB`.
pub(crate) fn start(buf: &mut BytesMut, op: u8, number: u8) -> Result<(), EncodeError> {
    if op > 99 {
        return Err(EncodeError::OpCode { op });
    }
    buf.put_u8(STX);
    buf.put_slice(&[b'0' + op / 10, b'0' + op % 10, b':']);
    buf.put_slice(&[b'0' + number / 100, b'0' + number / 10 % 10, b'0' + number % 10]);
    buf.put_u8(TAB);
    Ok(())
}

/// Appends the checksum (if asked) and the ETX to the packet that begins at
/// `from`.
pub(crate) fn finish(buf: &mut BytesMut, from: usize, checksum: Checksum) {
    if checksum == Checksum::Include {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let s = sum(&buf[from..]);
        buf.put_slice(&[HEX[usize::from(s >> 4)], HEX[usize::from(s & 15)]]);
    }
    buf.put_u8(ETX);
}

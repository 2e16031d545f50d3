//! Packets to and from a byte buffer: [`crate::frame`] for the framing,
//! [`Body`] for the meaning.

use bytes::BytesMut;

use crate::error::{DecodeError, EncodeError, ERROR_SYNTAX};
use crate::frame::{self, Checksum};
use crate::packet::{op, Body, Packet};
use crate::param::Writer;
use crate::response::Response;

/// Default ceiling for one packet, STX to ETX (4 KiB). The largest legal
/// packet is a submit with every parameter at its maximum, about 1.5 KiB
/// (user data is at most 480 characters, hex user data 280); anything far
/// bigger is a broken or hostile peer and must not make us buffer. Use
/// [`decode_with_max`] for another limit.
pub const MAX_PACKET_LEN: usize = 4096;

/// Decodes one packet from the front of `buf`, with [`MAX_PACKET_LEN`].
///
/// Returns `Ok(None)` (consuming nothing) until a whole packet is there.
/// A checksum, when present, is verified; a packet without one is accepted.
/// See [`DecodeError::is_recoverable`] for what an error means for the
/// stream, and [`DecodeError::reply`] for what to answer.
pub fn decode(buf: &mut BytesMut) -> Result<Option<Packet>, DecodeError> {
    decode_with_max(buf, MAX_PACKET_LEN)
}

/// [`decode`] with an explicit maximum packet length.
pub fn decode_with_max(buf: &mut BytesMut, max: usize) -> Result<Option<Packet>, DecodeError> {
    let Some(f) = frame::decode_frame(buf, max)? else { return Ok(None) };
    let body =
        Body::decode(f.op, f.params).map_err(|source| DecodeError::Param { op: f.op, number: f.number, source })?;
    Ok(Some(Packet { number: f.number, body }))
}

impl DecodeError {
    /// The packet to send back, if any: a NACK (99) for a checksum error, a
    /// general error response (98) with [`ERROR_SYNTAX`] for a request that
    /// could not be read. Only for requests (op < 50): answering a broken
    /// response could make two broken peers answer each other forever.
    pub fn reply(&self) -> Option<Packet> {
        let (op, number, body) = match *self {
            DecodeError::Checksum { op, number, .. } => (op, number, Body::Nack(Response::default())),
            DecodeError::Syntax { op, number, .. } | DecodeError::Param { op, number, .. } => {
                (op, number, Body::GeneralError(Response::error(ERROR_SYNTAX)))
            }
            _ => return None,
        };
        op::is_request(op).then_some(Packet { number, body })
    }
}

/// Appends `packet` to `buf` with a checksum. On error `buf` is left exactly
/// as it was.
pub fn encode(packet: &Packet, buf: &mut BytesMut) -> Result<(), EncodeError> {
    encode_with(packet, Checksum::Include, buf)
}

/// [`encode`], choosing whether to write the checksum.
pub fn encode_with(packet: &Packet, checksum: Checksum, buf: &mut BytesMut) -> Result<(), EncodeError> {
    let start = buf.len();
    let written =
        frame::start(buf, packet.op(), packet.number).and_then(|()| packet.body.encode(&mut Writer::new(buf)));
    if let Err(e) = written {
        buf.truncate(start);
        return Err(e);
    }
    frame::finish(buf, start, checksum);
    Ok(())
}

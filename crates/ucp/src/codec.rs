//! Messages to and from bytes: [`decode`] and [`encode`] on top of the framing
//! of [`crate::frame`].

use bytes::BytesMut;

use crate::alert::Alert;
use crate::error::{DecodeError, EncodeError, FieldError};
use crate::error_code;
use crate::frame::{self, Fields, Reader};
use crate::login::Login;
use crate::message::{Body, Header, Kind, Message, Ot};
use crate::result::{Ack, Nack};
use crate::sm::Sm;

/// Default ceiling for one frame, STX to ETX (8 KiB). A 50-series operation
/// with a full AMsg (640 characters as IRA-hex) and a UDH in XSer is under
/// 1.5 KiB; anything much bigger is a broken or hostile peer. Use
/// [`decode_with_max`] for another limit.
pub const MAX_FRAME_LEN: usize = 8 * 1024;

/// Decodes one message from the front of `buf`, with [`MAX_FRAME_LEN`].
///
/// `Ok(None)` (consuming nothing) until a whole frame is there. See
/// [`DecodeError::is_recoverable`] for what an error means for the stream.
pub fn decode(buf: &mut BytesMut) -> Result<Option<Message>, DecodeError> {
    decode_with_max(buf, MAX_FRAME_LEN)
}

/// [`decode`] with an explicit maximum frame length (STX and ETX included).
pub fn decode_with_max(buf: &mut BytesMut, max: usize) -> Result<Option<Message>, DecodeError> {
    let Some(frame) = frame::next_frame(buf, max)? else {
        return Ok(None);
    };
    let (header, fields) = frame::parse(&frame)?;
    let body = decode_body(header, fields).map_err(|source| DecodeError::Fields { header, source })?;
    Ok(Some(Message { trn: header.trn, body }))
}

fn decode_body(header: Header, fields: Vec<String>) -> Result<Body, FieldError> {
    let Header { kind, ot, .. } = header;
    if kind == Kind::Result {
        let r = &mut Reader::new(fields, 3)?;
        return match r.fields.as_slice().first().map(String::as_str) {
            Some("A") => Ok(Body::Ack(Ack::decode(ot, r)?)),
            Some("N") => Ok(Body::Nack(Nack::decode(ot, r)?)),
            _ => Err(FieldError::AckNack),
        };
    }
    Ok(match ot {
        Ot::ALERT => Body::Alert(Alert::decode(&mut Reader::new(fields, Alert::FIELDS)?)?),
        Ot::SUBMIT => Body::Submit(Sm::decode(&mut Reader::new(fields, Sm::FIELDS)?)?),
        Ot::DELIVER => Body::Deliver(Sm::decode(&mut Reader::new(fields, Sm::FIELDS)?)?),
        Ot::NOTIFICATION => Body::Notification(Sm::decode(&mut Reader::new(fields, Sm::FIELDS)?)?),
        Ot::SESSION => Body::Login(Login::decode(&mut Reader::new(fields, Login::FIELDS)?)?),
        ot => Body::Unknown { ot, kind, fields },
    })
}

impl DecodeError {
    /// The negative result to send back: error code 01 for a checksum error,
    /// 02 (syntax error) for a bad LEN or field. `None` when there is no header
    /// to answer, and for results (answering a result could make two broken
    /// peers NACK each other forever).
    pub fn nack(&self) -> Option<Message> {
        let header = self.header().filter(|h| h.kind == Kind::Operation)?;
        let ec = match self {
            DecodeError::Checksum { .. } => error_code::CHECKSUM_ERROR,
            _ => error_code::SYNTAX_ERROR,
        };
        Some(Message::nack_to(header, ec, ""))
    }
}

/// Appends `message`, framed, to `buf`. On error `buf` is left exactly as it was.
pub fn encode(message: &Message, buf: &mut BytesMut) -> Result<(), EncodeError> {
    let mut f = Fields::default();
    match &message.body {
        Body::Alert(a) => a.encode(&mut f),
        Body::Submit(sm) | Body::Deliver(sm) | Body::Notification(sm) => sm.encode(&mut f),
        Body::Login(l) => l.encode(&mut f),
        Body::Ack(a) => a.encode(&mut f),
        Body::Nack(n) => n.encode(&mut f),
        Body::Unknown { fields, .. } => {
            for field in fields {
                f.push("unknown", field);
            }
        }
    }
    frame::write(message.header(), f, buf)
}

/// [`encode`] into a fresh buffer.
pub fn to_bytes(message: &Message) -> Result<BytesMut, EncodeError> {
    let mut buf = BytesMut::new();
    encode(message, &mut buf)?;
    Ok(buf)
}

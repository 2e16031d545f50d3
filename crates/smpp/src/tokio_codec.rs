//! `tokio_util::codec` adapter (feature `tokio-codec`).
//!
//! A recoverable [`DecodeError`] is yielded as an *item* (`Err` inside
//! `Ok(Some(..))`), not as the stream's error: `FramedRead` ends the stream
//! after an error, and a malformed body must instead be answered with
//! generic_nack while the connection carries on.

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use crate::codec::{decode_with_max, encode, MAX_PDU_LEN};
use crate::error::{DecodeError, EncodeError};
use crate::pdu::Pdu;

#[derive(Debug, Clone)]
pub struct SmppCodec {
    pub max_len: usize,
}

impl Default for SmppCodec {
    fn default() -> Self {
        Self { max_len: MAX_PDU_LEN }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    #[error("i/o error")]
    Io(#[from] std::io::Error),
    #[error("unrecoverable framing error")]
    Decode(#[source] DecodeError),
    #[error("cannot encode pdu")]
    Encode(#[from] EncodeError),
}

impl Decoder for SmppCodec {
    type Item = Result<Pdu, DecodeError>;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, CodecError> {
        match decode_with_max(src, self.max_len) {
            Ok(pdu) => Ok(pdu.map(Ok)),
            Err(e) if e.is_recoverable() => Ok(Some(Err(e))),
            Err(e) => Err(CodecError::Decode(e)),
        }
    }
}

impl Encoder<Pdu> for SmppCodec {
    type Error = CodecError;

    fn encode(&mut self, pdu: Pdu, dst: &mut BytesMut) -> Result<(), CodecError> {
        Ok(encode(&pdu, dst)?)
    }
}

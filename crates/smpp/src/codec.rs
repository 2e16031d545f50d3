//! Framing: `command_length`-prefixed PDUs to and from a byte buffer.

use bytes::{BufMut, Bytes, BytesMut};

use crate::bind::{Bind, BindResp, Outbind};
use crate::data_sm::DataSm;
use crate::error::{BodyError, DecodeError, EncodeError};
use crate::pdu::{Body, CommandId, Pdu};
use crate::sm::{Sm, SmResp};
use crate::status;
use crate::wire::Reader;

/// The PDU header: command_length, command_id, command_status, sequence_number.
pub const HEADER_LEN: usize = 16;

/// Default ceiling for `command_length` (64 KiB). Real traffic is far
/// smaller (a submit_sm is under 400 octets; `message_payload` rarely carries
/// more than a few KiB); anything bigger is a broken or hostile peer and must
/// not make us allocate. Use [`decode_with_max`] for another limit.
pub const MAX_PDU_LEN: usize = 64 * 1024;

/// Decodes one PDU from the front of `buf`, with [`MAX_PDU_LEN`].
///
/// Returns `Ok(None)` (consuming nothing) until the whole frame is there.
/// See [`DecodeError::is_recoverable`] for what an error means for the stream.
pub fn decode(buf: &mut BytesMut) -> Result<Option<Pdu>, DecodeError> {
    decode_with_max(buf, MAX_PDU_LEN)
}

/// [`decode`] with an explicit maximum `command_length`.
pub fn decode_with_max(buf: &mut BytesMut, max: usize) -> Result<Option<Pdu>, DecodeError> {
    let Some(prefix) = buf.get(..4) else {
        return Ok(None);
    };
    let length = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
    // Checked before waiting for the rest so a bad length fails fast instead
    // of making us buffer up to `length` octets.
    if (length as usize) < HEADER_LEN {
        return Err(DecodeError::LengthTooSmall { length });
    }
    if length as usize > max {
        return Err(DecodeError::LengthTooLarge { length, max });
    }
    let length = length as usize;
    if buf.len() < length {
        buf.reserve(length - buf.len());
        return Ok(None);
    }
    let frame = buf.split_to(length).freeze();
    let word = |i: usize| u32::from_be_bytes([frame[i], frame[i + 1], frame[i + 2], frame[i + 3]]);
    let command_id = CommandId(word(4));
    let status = word(8);
    let sequence = word(12);
    let body = decode_body(command_id, frame.slice(HEADER_LEN..)).map_err(|source| DecodeError::Body {
        command_id,
        sequence,
        length: length as u32,
        source,
    })?;
    Ok(Some(Pdu { sequence, status, body }))
}

fn decode_body(id: CommandId, body: Bytes) -> Result<Body, BodyError> {
    // Bodies without fields ignore trailing octets: some SMSCs pad
    // enquire_link and unbind, and there is nothing to misread.
    let r = &mut Reader::new(body.clone());
    Ok(match id {
        CommandId::BIND_TRANSMITTER => Body::BindTransmitter(Bind::decode(r)?),
        CommandId::BIND_RECEIVER => Body::BindReceiver(Bind::decode(r)?),
        CommandId::BIND_TRANSCEIVER => Body::BindTransceiver(Bind::decode(r)?),
        CommandId::BIND_TRANSMITTER_RESP => Body::BindTransmitterResp(BindResp::decode(r)?),
        CommandId::BIND_RECEIVER_RESP => Body::BindReceiverResp(BindResp::decode(r)?),
        CommandId::BIND_TRANSCEIVER_RESP => Body::BindTransceiverResp(BindResp::decode(r)?),
        CommandId::OUTBIND => Body::Outbind(Outbind::decode(r)?),
        CommandId::UNBIND => Body::Unbind,
        CommandId::UNBIND_RESP => Body::UnbindResp,
        CommandId::SUBMIT_SM => Body::SubmitSm(Sm::decode(r)?),
        CommandId::SUBMIT_SM_RESP => Body::SubmitSmResp(SmResp::decode(r)?),
        CommandId::DELIVER_SM => Body::DeliverSm(Sm::decode(r)?),
        CommandId::DELIVER_SM_RESP => Body::DeliverSmResp(SmResp::decode(r)?),
        CommandId::DATA_SM => Body::DataSm(DataSm::decode(r)?),
        CommandId::DATA_SM_RESP => Body::DataSmResp(SmResp::decode(r)?),
        CommandId::ENQUIRE_LINK => Body::EnquireLink,
        CommandId::ENQUIRE_LINK_RESP => Body::EnquireLinkResp,
        CommandId::GENERIC_NACK => Body::GenericNack,
        CommandId(command_id) => Body::Unknown { command_id, body },
    })
}

impl DecodeError {
    /// The `generic_nack` to send back for a recoverable error on a request.
    /// `None` for unrecoverable errors and for malformed responses (answering
    /// a response could make two broken peers nack each other forever).
    pub fn generic_nack(&self) -> Option<Pdu> {
        match self {
            DecodeError::Body { command_id, sequence, .. } if !command_id.is_response() => {
                Some(Pdu::generic_nack(*sequence, status::ESME_RINVCMDLEN))
            }
            _ => None,
        }
    }
}

/// Appends `pdu` to `buf`. On error `buf` is left exactly as it was.
pub fn encode(pdu: &Pdu, buf: &mut BytesMut) -> Result<(), EncodeError> {
    let start = buf.len();
    buf.reserve(size_hint(&pdu.body));
    let mut header = [0; HEADER_LEN]; // command_length patched below
    header[4..8].copy_from_slice(&pdu.command_id().0.to_be_bytes());
    header[8..12].copy_from_slice(&pdu.status.to_be_bytes());
    header[12..].copy_from_slice(&pdu.sequence.to_be_bytes());
    buf.put_slice(&header);
    if let Err(e) = encode_body(&pdu.body, buf) {
        buf.truncate(start);
        return Err(e);
    }
    let len = buf.len() - start;
    let Ok(len32) = u32::try_from(len) else {
        buf.truncate(start);
        return Err(EncodeError::PduTooLarge { len });
    };
    buf[start..start + 4].copy_from_slice(&len32.to_be_bytes());
    Ok(())
}

fn encode_body(body: &Body, buf: &mut BytesMut) -> Result<(), EncodeError> {
    match body {
        Body::BindTransmitter(b) | Body::BindReceiver(b) | Body::BindTransceiver(b) => b.encode(buf),
        Body::BindTransmitterResp(r) | Body::BindReceiverResp(r) | Body::BindTransceiverResp(r) => r.encode(buf),
        Body::Outbind(o) => o.encode(buf),
        Body::SubmitSm(sm) | Body::DeliverSm(sm) => sm.encode(buf),
        Body::SubmitSmResp(r) | Body::DeliverSmResp(r) | Body::DataSmResp(r) => r.encode(buf),
        Body::DataSm(d) => d.encode(buf),
        Body::Unbind | Body::UnbindResp | Body::EnquireLink | Body::EnquireLinkResp | Body::GenericNack => Ok(()),
        Body::Unknown { body, .. } => {
            buf.put_slice(body);
            Ok(())
        }
    }
}

fn size_hint(body: &Body) -> usize {
    let tlvs = |t: &[crate::tlv::Tlv]| t.iter().map(|t| 4 + t.value.len()).sum::<usize>();
    HEADER_LEN
        + match body {
            Body::SubmitSm(sm) | Body::DeliverSm(sm) => 96 + sm.short_message.len() + tlvs(&sm.tlvs),
            Body::DataSm(d) => 160 + tlvs(&d.tlvs),
            Body::Unknown { body, .. } => body.len(),
            _ => 96,
        }
}

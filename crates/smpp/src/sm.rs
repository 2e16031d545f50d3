//! submit_sm and deliver_sm (spec 4.4.1, 4.6.1), which share one layout, and
//! the `message_id` response shared by submit_sm_resp, deliver_sm_resp and
//! data_sm_resp.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{BodyError, EncodeError};
use crate::tlv::Tlv;
use crate::wire::{put_cstring, put_tlvs, Reader};

/// Largest `short_message`: `sm_length` is one octet and 255 is reserved.
/// Longer content goes in the `message_payload` TLV.
pub const MAX_SHORT_MESSAGE: usize = 254;

/// Body of submit_sm and deliver_sm. `sm_length` is derived from
/// `short_message` and never stored, so the two cannot disagree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sm {
    /// Max 5 characters.
    pub service_type: String,
    pub source_addr_ton: u8,
    pub source_addr_npi: u8,
    /// Max 20 characters.
    pub source_addr: String,
    pub dest_addr_ton: u8,
    pub dest_addr_npi: u8,
    /// Max 20 characters.
    pub destination_addr: String,
    pub esm_class: u8,
    pub protocol_id: u8,
    pub priority_flag: u8,
    /// Empty or 16 characters (`YYMMDDhhmmsstnnp`).
    pub schedule_delivery_time: String,
    /// Empty or 16 characters.
    pub validity_period: String,
    pub registered_delivery: u8,
    pub replace_if_present_flag: u8,
    pub data_coding: u8,
    pub sm_default_msg_id: u8,
    /// Up to [`MAX_SHORT_MESSAGE`] octets; shares the decoded frame's buffer.
    pub short_message: Bytes,
    pub tlvs: Vec<Tlv>,
}

/// The most the fields before short_message take: the C-Octet strings at
/// their maxima with NUL (6 + 21 + 21 + 17 + 17) and twelve one-octet fields.
const FIXED_MAX: usize = 6 + 21 + 21 + 17 + 17 + 12;

impl Sm {
    pub(crate) fn decode(r: &mut Reader) -> Result<Self, BodyError> {
        let service_type = r.cstring("service_type")?;
        let source_addr_ton = r.u8("source_addr_ton")?;
        let source_addr_npi = r.u8("source_addr_npi")?;
        let source_addr = r.cstring("source_addr")?;
        let dest_addr_ton = r.u8("dest_addr_ton")?;
        let dest_addr_npi = r.u8("dest_addr_npi")?;
        let destination_addr = r.cstring("destination_addr")?;
        let esm_class = r.u8("esm_class")?;
        let protocol_id = r.u8("protocol_id")?;
        let priority_flag = r.u8("priority_flag")?;
        let schedule_delivery_time = r.cstring("schedule_delivery_time")?;
        let validity_period = r.cstring("validity_period")?;
        let registered_delivery = r.u8("registered_delivery")?;
        let replace_if_present_flag = r.u8("replace_if_present_flag")?;
        let data_coding = r.u8("data_coding")?;
        let sm_default_msg_id = r.u8("sm_default_msg_id")?;
        let sm_length = r.u8("sm_length")?;
        let short_message = r.bytes(usize::from(sm_length), "short_message")?;
        let tlvs = r.tlvs()?;
        Ok(Self {
            service_type,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            dest_addr_ton,
            dest_addr_npi,
            destination_addr,
            esm_class,
            protocol_id,
            priority_flag,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            replace_if_present_flag,
            data_coding,
            sm_default_msg_id,
            short_message,
            tlvs,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let sm_length = match u8::try_from(self.short_message.len()) {
            Ok(n) if usize::from(n) <= MAX_SHORT_MESSAGE => n,
            _ => return Err(EncodeError::ShortMessageTooLong { len: self.short_message.len() }),
        };
        // The fields before short_message are at most FIXED_MAX octets: they
        // are assembled on the stack and copied into `buf` at once, not field
        // by field (the hot path of every submit: `cargo bench -p smpp --bench codec`).
        let mut fixed = [0; FIXED_MAX];
        let mut w = &mut fixed[..];
        put_cstring(&mut w, &self.service_type, 6, "service_type")?;
        w.put_slice(&[self.source_addr_ton, self.source_addr_npi]);
        put_cstring(&mut w, &self.source_addr, 21, "source_addr")?;
        w.put_slice(&[self.dest_addr_ton, self.dest_addr_npi]);
        put_cstring(&mut w, &self.destination_addr, 21, "destination_addr")?;
        w.put_slice(&[self.esm_class, self.protocol_id, self.priority_flag]);
        put_cstring(&mut w, &self.schedule_delivery_time, 17, "schedule_delivery_time")?;
        put_cstring(&mut w, &self.validity_period, 17, "validity_period")?;
        w.put_slice(&[
            self.registered_delivery,
            self.replace_if_present_flag,
            self.data_coding,
            self.sm_default_msg_id,
            sm_length,
        ]);
        let used = FIXED_MAX - w.len();
        buf.put_slice(&fixed[..used]);
        buf.put_slice(&self.short_message);
        put_tlvs(buf, &self.tlvs)
    }
}

/// Body of submit_sm_resp, deliver_sm_resp and data_sm_resp (spec 4.4.2,
/// 4.6.2, 4.7.2). deliver_sm_resp's message_id is always empty in 3.4.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SmResp {
    /// Max 64 characters.
    pub message_id: String,
    /// Only data_sm_resp carries TLVs in 3.4; accepted on all three.
    pub tlvs: Vec<Tlv>,
}

impl SmResp {
    /// An empty body decodes as an empty message_id: a submit_sm_resp with
    /// an error status often has no body at all.
    pub(crate) fn decode(r: &mut Reader) -> Result<Self, BodyError> {
        if r.is_empty() {
            return Ok(Self::default());
        }
        Ok(Self { message_id: r.cstring("message_id")?, tlvs: r.tlvs()? })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstring(buf, &self.message_id, 65, "message_id")?;
        put_tlvs(buf, &self.tlvs)
    }
}

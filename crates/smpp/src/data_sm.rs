//! data_sm (spec 4.7.1): submit/deliver without short_message; the content
//! travels in the `message_payload` TLV.

use bytes::{BufMut, BytesMut};

use crate::error::{BodyError, EncodeError};
use crate::tlv::Tlv;
use crate::wire::{put_cstring, put_tlvs, Reader};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataSm {
    /// Max 5 characters.
    pub service_type: String,
    pub source_addr_ton: u8,
    pub source_addr_npi: u8,
    /// Max 64 characters (data_sm allows longer addresses than submit_sm).
    pub source_addr: String,
    pub dest_addr_ton: u8,
    pub dest_addr_npi: u8,
    /// Max 64 characters.
    pub destination_addr: String,
    pub esm_class: u8,
    pub registered_delivery: u8,
    pub data_coding: u8,
    pub tlvs: Vec<Tlv>,
}

impl DataSm {
    pub(crate) fn decode(r: &mut Reader) -> Result<Self, BodyError> {
        Ok(Self {
            service_type: r.cstring("service_type")?,
            source_addr_ton: r.u8("source_addr_ton")?,
            source_addr_npi: r.u8("source_addr_npi")?,
            source_addr: r.cstring("source_addr")?,
            dest_addr_ton: r.u8("dest_addr_ton")?,
            dest_addr_npi: r.u8("dest_addr_npi")?,
            destination_addr: r.cstring("destination_addr")?,
            esm_class: r.u8("esm_class")?,
            registered_delivery: r.u8("registered_delivery")?,
            data_coding: r.u8("data_coding")?,
            tlvs: r.tlvs()?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstring(buf, &self.service_type, 6, "service_type")?;
        buf.put_u8(self.source_addr_ton);
        buf.put_u8(self.source_addr_npi);
        put_cstring(buf, &self.source_addr, 65, "source_addr")?;
        buf.put_u8(self.dest_addr_ton);
        buf.put_u8(self.dest_addr_npi);
        put_cstring(buf, &self.destination_addr, 65, "destination_addr")?;
        buf.put_u8(self.esm_class);
        buf.put_u8(self.registered_delivery);
        buf.put_u8(self.data_coding);
        put_tlvs(buf, &self.tlvs)
    }
}

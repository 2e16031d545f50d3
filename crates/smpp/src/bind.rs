//! bind_transmitter / bind_receiver / bind_transceiver, their responses, and
//! outbind (spec 4.1).

use bytes::{BufMut, BytesMut};

use crate::error::{BodyError, EncodeError};
use crate::tlv::Tlv;
use crate::wire::{put_cstring, put_tlvs, Reader};

/// Longest `system_id` (SMPP 3.4 §4.1.1: C-Octet String of at most 16 octets with its NUL).
pub const MAX_SYSTEM_ID: usize = 15;
/// Longest `password` (§4.1.1: at most 9 octets with its NUL).
pub const MAX_PASSWORD: usize = 8;
/// Longest `system_type` (§4.1.1: at most 13 octets with its NUL).
pub const MAX_SYSTEM_TYPE: usize = 12;

/// Body of the three bind requests (spec 4.1.1, 4.1.3, 4.1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// Max 15 characters.
    pub system_id: String,
    /// Max 8 characters.
    pub password: String,
    /// Max 12 characters.
    pub system_type: String,
    /// 0x34 for SMPP 3.4.
    pub interface_version: u8,
    pub addr_ton: u8,
    pub addr_npi: u8,
    /// Max 40 characters.
    pub address_range: String,
}

impl Default for Bind {
    fn default() -> Self {
        Self {
            system_id: String::new(),
            password: String::new(),
            system_type: String::new(),
            interface_version: 0x34,
            addr_ton: 0,
            addr_npi: 0,
            address_range: String::new(),
        }
    }
}

impl Bind {
    pub(crate) fn decode(r: &mut Reader) -> Result<Self, BodyError> {
        Ok(Self {
            system_id: r.cstring("system_id")?,
            password: r.cstring("password")?,
            system_type: r.cstring("system_type")?,
            interface_version: r.u8("interface_version")?,
            addr_ton: r.u8("addr_ton")?,
            addr_npi: r.u8("addr_npi")?,
            address_range: r.cstring("address_range")?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstring(buf, &self.system_id, MAX_SYSTEM_ID + 1, "system_id")?;
        put_cstring(buf, &self.password, MAX_PASSWORD + 1, "password")?;
        put_cstring(buf, &self.system_type, MAX_SYSTEM_TYPE + 1, "system_type")?;
        buf.put_u8(self.interface_version);
        buf.put_u8(self.addr_ton);
        buf.put_u8(self.addr_npi);
        put_cstring(buf, &self.address_range, 41, "address_range")
    }
}

/// Body of the bind responses (spec 4.1.2). The SMSC may add the
/// `sc_interface_version` TLV.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindResp {
    /// Max 15 characters.
    pub system_id: String,
    pub tlvs: Vec<Tlv>,
}

impl BindResp {
    /// An empty body is accepted: SMSCs commonly send a bare header with an
    /// error status.
    pub(crate) fn decode(r: &mut Reader) -> Result<Self, BodyError> {
        if r.is_empty() {
            return Ok(Self::default());
        }
        Ok(Self { system_id: r.cstring("system_id")?, tlvs: r.tlvs()? })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstring(buf, &self.system_id, MAX_SYSTEM_ID + 1, "system_id")?;
        put_tlvs(buf, &self.tlvs)
    }
}

/// Body of outbind (spec 4.1.7): the SMSC asks the ESME to bind_receiver.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbind {
    pub system_id: String,
    pub password: String,
}

impl Outbind {
    pub(crate) fn decode(r: &mut Reader) -> Result<Self, BodyError> {
        Ok(Self { system_id: r.cstring("system_id")?, password: r.cstring("password")? })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        put_cstring(buf, &self.system_id, MAX_SYSTEM_ID + 1, "system_id")?;
        put_cstring(buf, &self.password, MAX_PASSWORD + 1, "password")
    }
}

//! Optional parameters (TLVs, spec 5.3).
//!
//! Values stay raw `Bytes`: we only interpret the handful the gateway needs,
//! through the typed readers below, and pass everything else through intact.

use bytes::Bytes;

/// One optional parameter. The length is derived from `value` on encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlv {
    pub tag: u16,
    pub value: Bytes,
}

/// Tag values from spec 5.3.2.
pub mod tag {
    pub const DEST_ADDR_SUBUNIT: u16 = 0x0005;
    pub const DEST_NETWORK_TYPE: u16 = 0x0006;
    pub const DEST_BEARER_TYPE: u16 = 0x0007;
    pub const DEST_TELEMATICS_ID: u16 = 0x0008;
    pub const SOURCE_ADDR_SUBUNIT: u16 = 0x000D;
    pub const SOURCE_NETWORK_TYPE: u16 = 0x000E;
    pub const SOURCE_BEARER_TYPE: u16 = 0x000F;
    pub const SOURCE_TELEMATICS_ID: u16 = 0x0010;
    pub const QOS_TIME_TO_LIVE: u16 = 0x0017;
    pub const PAYLOAD_TYPE: u16 = 0x0019;
    pub const ADDITIONAL_STATUS_INFO_TEXT: u16 = 0x001D;
    pub const RECEIPTED_MESSAGE_ID: u16 = 0x001E;
    pub const MS_MSG_WAIT_FACILITIES: u16 = 0x0030;
    pub const PRIVACY_INDICATOR: u16 = 0x0201;
    pub const SOURCE_SUBADDRESS: u16 = 0x0202;
    pub const DEST_SUBADDRESS: u16 = 0x0203;
    pub const USER_MESSAGE_REFERENCE: u16 = 0x0204;
    pub const USER_RESPONSE_CODE: u16 = 0x0205;
    pub const SOURCE_PORT: u16 = 0x020A;
    pub const DESTINATION_PORT: u16 = 0x020B;
    pub const SAR_MSG_REF_NUM: u16 = 0x020C;
    pub const LANGUAGE_INDICATOR: u16 = 0x020D;
    pub const SAR_TOTAL_SEGMENTS: u16 = 0x020E;
    pub const SAR_SEGMENT_SEQNUM: u16 = 0x020F;
    pub const SC_INTERFACE_VERSION: u16 = 0x0210;
    pub const CALLBACK_NUM_PRES_IND: u16 = 0x0302;
    pub const CALLBACK_NUM_ATAG: u16 = 0x0303;
    pub const NUMBER_OF_MESSAGES: u16 = 0x0304;
    pub const CALLBACK_NUM: u16 = 0x0381;
    pub const DPF_RESULT: u16 = 0x0420;
    pub const SET_DPF: u16 = 0x0421;
    pub const MS_AVAILABILITY_STATUS: u16 = 0x0422;
    pub const NETWORK_ERROR_CODE: u16 = 0x0423;
    pub const MESSAGE_PAYLOAD: u16 = 0x0424;
    pub const DELIVERY_FAILURE_REASON: u16 = 0x0425;
    pub const MORE_MESSAGES_TO_SEND: u16 = 0x0426;
    pub const MESSAGE_STATE: u16 = 0x0427;
    pub const USSD_SERVICE_OP: u16 = 0x0501;
    pub const DISPLAY_TIME: u16 = 0x1201;
    pub const SMS_SIGNAL: u16 = 0x1203;
    pub const MS_VALIDITY: u16 = 0x1204;
    pub const ALERT_ON_MESSAGE_DELIVERY: u16 = 0x130C;
    pub const ITS_REPLY_TYPE: u16 = 0x1380;
    pub const ITS_SESSION_INFO: u16 = 0x1383;
}

impl Tlv {
    pub fn new(tag: u16, value: impl Into<Bytes>) -> Self {
        Self { tag, value: value.into() }
    }

    pub fn u8(tag: u16, v: u8) -> Self {
        Self::new(tag, vec![v])
    }

    pub fn u16(tag: u16, v: u16) -> Self {
        Self::new(tag, v.to_be_bytes().to_vec())
    }

    pub fn u32(tag: u16, v: u32) -> Self {
        Self::new(tag, v.to_be_bytes().to_vec())
    }

    /// A C-Octet string value (with its NUL), e.g. `receipted_message_id`.
    /// Chars above U+00FF are replaced by `?` since the wire is one octet each.
    pub fn cstring(tag: u16, s: &str) -> Self {
        let mut v: Vec<u8> = s.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect();
        v.push(0);
        Self::new(tag, v)
    }

    /// The value as an integer, if it is exactly one octet.
    pub fn as_u8(&self) -> Option<u8> {
        match self.value.as_ref() {
            [a] => Some(*a),
            _ => None,
        }
    }

    /// The value as an integer, if it is exactly two octets.
    pub fn as_u16(&self) -> Option<u16> {
        match self.value.as_ref() {
            [a, b] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
    }

    /// The value as an integer, if it is exactly four octets.
    pub fn as_u32(&self) -> Option<u32> {
        match self.value.as_ref() {
            [a, b, c, d] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => None,
        }
    }

    /// The value as a string, up to the first NUL. Lenient: a missing NUL
    /// (a common vendor quirk in `receipted_message_id`) is accepted.
    pub fn as_cstring(&self) -> String {
        let v = self.value.as_ref();
        let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
        latin1(&v[..end])
    }
}

/// The first TLV with `tag`.
pub fn find(tlvs: &[Tlv], tag: u16) -> Option<&Tlv> {
    tlvs.iter().find(|t| t.tag == tag)
}

pub(crate) fn latin1(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) if b.is_ascii() => s.to_owned(),
        _ => b.iter().map(|&c| char::from(c)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_readers() {
        let tlvs = vec![
            Tlv::u16(tag::SAR_MSG_REF_NUM, 0x1234),
            Tlv::u8(tag::MESSAGE_STATE, 2),
            Tlv::new(tag::RECEIPTED_MESSAGE_ID, &b"ab12"[..]),
            Tlv::cstring(tag::ADDITIONAL_STATUS_INFO_TEXT, "ok"),
        ];
        assert_eq!(find(&tlvs, tag::SAR_MSG_REF_NUM).and_then(Tlv::as_u16), Some(0x1234));
        assert_eq!(find(&tlvs, tag::MESSAGE_STATE).and_then(Tlv::as_u8), Some(2));
        assert_eq!(find(&tlvs, tag::MESSAGE_STATE).and_then(Tlv::as_u16), None);
        assert_eq!(find(&tlvs, tag::RECEIPTED_MESSAGE_ID).map(Tlv::as_cstring).as_deref(), Some("ab12"));
        assert_eq!(tlvs[3].value.as_ref(), b"ok\0");
        assert_eq!(tlvs[3].as_cstring(), "ok");
        assert!(find(&tlvs, tag::SAR_TOTAL_SEGMENTS).is_none());
    }
}

//! Parameters: the `PPP:value` fields of a packet (spec 4.1.2 "Data") and
//! the typed reading and writing of their values (spec chapter "Parameter
//! types": integer, string, address, time, hexadecimal, user data).

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{EncodeError, ParamError};

/// Parameter codes named in the spec's parameter list. Codes are three
/// decimal digits on the wire; anything not listed here still decodes, as a
/// [`Param`] in a struct's `extra` or in [`crate::Body::Unknown`].
pub mod code {
    pub const USER_IDENTITY: u16 = 10;
    pub const PASSWORD: u16 = 11;
    pub const DESTINATION_ADDRESS: u16 = 21;
    pub const ORIGINATING_ADDRESS: u16 = 23;
    pub const ORIGINATING_IMSI: u16 = 26;
    pub const ALPHANUMERIC_ORIGINATING_ADDRESS: u16 = 27;
    pub const ORIGINATED_VISITED_MSC: u16 = 28;
    pub const DATA_CODING_SCHEME: u16 = 30;
    pub const USER_DATA_HEADER: u16 = 32;
    pub const USER_DATA: u16 = 33;
    pub const USER_DATA_BINARY: u16 = 34;
    pub const MORE_MESSAGES_TO_SEND: u16 = 44;
    pub const VALIDITY_PERIOD_RELATIVE: u16 = 50;
    pub const VALIDITY_PERIOD_ABSOLUTE: u16 = 51;
    pub const PROTOCOL_IDENTIFIER: u16 = 52;
    pub const FIRST_DELIVERY_TIME_RELATIVE: u16 = 53;
    pub const FIRST_DELIVERY_TIME_ABSOLUTE: u16 = 54;
    pub const REPLY_PATH: u16 = 55;
    pub const STATUS_REPORT_REQUEST: u16 = 56;
    pub const CANCEL_ENABLED: u16 = 58;
    pub const CANCEL_MODE: u16 = 59;
    pub const SERVICE_CENTRE_TIMESTAMP: u16 = 60;
    pub const STATUS_CODE: u16 = 61;
    pub const STATUS_ERROR_CODE: u16 = 62;
    pub const DISCHARGE_TIME: u16 = 63;
    pub const TARIFF_CLASS: u16 = 64;
    pub const SERVICE_DESCRIPTION: u16 = 65;
    pub const MESSAGE_COUNT: u16 = 66;
    pub const PRIORITY: u16 = 67;
    pub const DELIVERY_REQUEST_MODE: u16 = 68;
    pub const SERVICE_CENTER_ADDRESS: u16 = 69;
    pub const GET_PARAMETER: u16 = 500;
    pub const MC_TIME: u16 = 501;
    pub const ERROR_CODE: u16 = 900;
    pub const ERROR_TEXT: u16 = 901;
}

/// Largest parameter code (three decimal digits).
pub const MAX_PARAM_CODE: u16 = 999;

/// One raw parameter: its code and its value exactly as on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub code: u16,
    pub value: Bytes,
}

impl Param {
    pub fn new(code: u16, value: impl Into<Bytes>) -> Self {
        Self { code, value: value.into() }
    }
}

/// Takes typed values out of a packet's parameters; whatever is not taken
/// ends up, in wire order, in the struct's `extra`.
pub(crate) struct Params {
    list: Vec<Option<Param>>,
}

impl Params {
    pub(crate) fn new(params: Vec<Param>) -> Self {
        Self { list: params.into_iter().map(Some).collect() }
    }

    /// The first parameter with `code`, removed.
    pub(crate) fn raw(&mut self, code: u16) -> Option<Bytes> {
        let slot = self.list.iter_mut().find(|p| p.as_ref().is_some_and(|p| p.code == code))?;
        slot.take().map(|p| p.value)
    }

    /// Every parameter with `code` (a submit may name several destinations).
    pub(crate) fn all_strings(&mut self, code: u16) -> Vec<String> {
        std::iter::from_fn(|| self.raw(code)).map(|v| latin1(&v)).collect()
    }

    /// String, address and time parameters, read as Latin-1 so that no octet
    /// is lost (the spec limits them to printable ASCII; peers do not always).
    pub(crate) fn string(&mut self, code: u16) -> Option<String> {
        self.raw(code).map(|v| latin1(&v))
    }

    /// Integer parameters: 1 to 5 decimal digits that fit `T`.
    pub(crate) fn int<T: TryFrom<u32>>(&mut self, code: u16) -> Result<Option<T>, ParamError> {
        let Some(v) = self.raw(code) else { return Ok(None) };
        if v.is_empty() || v.len() > 5 || !v.iter().all(u8::is_ascii_digit) {
            return Err(ParamError::NotANumber { code });
        }
        let value = v.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        T::try_from(value).map(Some).map_err(|_| ParamError::OutOfRange { code, value })
    }

    /// Hexadecimal parameters: an even number of hex digits, either case.
    pub(crate) fn hex(&mut self, code: u16) -> Result<Option<Bytes>, ParamError> {
        let Some(v) = self.raw(code) else { return Ok(None) };
        if v.len() % 2 != 0 {
            return Err(ParamError::BadHex { code });
        }
        let nibble = |d: u8| (d as char).to_digit(16).ok_or(ParamError::BadHex { code });
        let mut out = Vec::with_capacity(v.len() / 2);
        for pair in v.chunks_exact(2) {
            out.push((nibble(pair[0])? * 16 + nibble(pair[1])?) as u8);
        }
        Ok(Some(Bytes::from(out)))
    }

    /// What was not taken, in wire order.
    pub(crate) fn rest(self) -> Vec<Param> {
        self.list.into_iter().flatten().collect()
    }
}

pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// True for the octets that delimit packets and parameters, which no value
/// may contain: STX, ETX and TAB.
pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(b, 0x02 | 0x03 | 0x09)
}

/// Appends parameters to a packet being encoded.
pub(crate) struct Writer<'a> {
    buf: &'a mut BytesMut,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut BytesMut) -> Self {
        Self { buf }
    }

    fn header(&mut self, code: u16) -> Result<(), EncodeError> {
        if code > MAX_PARAM_CODE {
            return Err(EncodeError::ParamCode { code });
        }
        let digits = [b'0' + (code / 100) as u8, b'0' + (code / 10 % 10) as u8, b'0' + (code % 10) as u8];
        self.buf.put_slice(&digits);
        self.buf.put_u8(b':');
        Ok(())
    }

    pub(crate) fn raw(&mut self, code: u16, value: &[u8]) -> Result<(), EncodeError> {
        if value.iter().any(|&b| is_delimiter(b)) {
            return Err(EncodeError::Delimiter { code });
        }
        self.header(code)?;
        self.buf.put_slice(value);
        self.buf.put_u8(b'\t');
        Ok(())
    }

    pub(crate) fn string(&mut self, code: u16, value: &str) -> Result<(), EncodeError> {
        let mut bytes = Vec::with_capacity(value.len());
        for c in value.chars() {
            bytes.push(u8::try_from(u32::from(c)).map_err(|_| EncodeError::NotLatin1 { code })?);
        }
        self.raw(code, &bytes)
    }

    pub(crate) fn opt_string(&mut self, code: u16, value: Option<&str>) -> Result<(), EncodeError> {
        value.map_or(Ok(()), |v| self.string(code, v))
    }

    pub(crate) fn opt_int(&mut self, code: u16, value: Option<impl Into<u32>>) -> Result<(), EncodeError> {
        value.map_or(Ok(()), |v| self.raw(code, v.into().to_string().as_bytes()))
    }

    /// Upper-case hex, as Kannel and the spec's examples of 032 write it.
    pub(crate) fn opt_hex(&mut self, code: u16, value: Option<&[u8]>) -> Result<(), EncodeError> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let Some(v) = value else { return Ok(()) };
        let text: Vec<u8> = v.iter().flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]).collect();
        self.raw(code, &text)
    }

    pub(crate) fn opt_raw(&mut self, code: u16, value: Option<&[u8]>) -> Result<(), EncodeError> {
        value.map_or(Ok(()), |v| self.raw(code, v))
    }

    pub(crate) fn extra(&mut self, extra: &[Param]) -> Result<(), EncodeError> {
        extra.iter().try_for_each(|p| self.raw(p.code, &p.value))
    }
}

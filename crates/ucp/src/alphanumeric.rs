//! The alphanumeric originator (EMI 4.x spec §5.3, OAdC with OTOA = 5039):
//! OAdC holds the name as GSM 03.38 default-alphabet septets, packed as in
//! TS 23.038 §6.1.2.1.1, hex-encoded, after one octet that gives the number of
//! useful semi-octets. The spec's example: `ALPHA@NUM` → `10412614190438AB4D`
//! (9 septets = 63 bits = 16 semi-octets, and `@` is GSM code 0x00).

use text::gsm7;

/// OTOA for an alphanumeric OAdC.
pub const OTOA_ALPHANUMERIC: &str = "5039";

/// At most 11 characters (OAdC carries at most 22 hex digits: the length octet
/// and 10 packed octets).
pub const MAX_SEPTETS: usize = 11;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OriginatorError {
    #[error(transparent)]
    Unencodable(#[from] text::Unencodable),
    #[error("alphanumeric originator is {septets} septets, the maximum is 11")]
    TooLong { septets: usize },
}

/// The OAdC for an alphanumeric originator `name`.
pub fn encode(name: &str) -> Result<String, OriginatorError> {
    let septets = gsm7::encode_unpacked(name)?;
    if septets.len() > MAX_SEPTETS {
        return Err(OriginatorError::TooLong { septets: septets.len() });
    }
    let semi_octets = (septets.len() * 7).div_ceil(4) as u8;
    let mut octets = vec![semi_octets];
    octets.extend(gsm7::pack(&septets, 0));
    Ok(crate::hex::encode(&octets))
}

/// The name in an alphanumeric OAdC; `None` when it is not hex. Lenient about
/// the semi-octet count: septets the octets do not hold are left out.
pub fn decode(oadc: &str) -> Option<String> {
    let octets = crate::hex::decode(oadc)?;
    let (&semi_octets, packed) = octets.split_first()?;
    let septets = gsm7::unpack(packed, usize::from(semi_octets) * 4 / 7, 0);
    Some(gsm7::decode_unpacked(&septets))
}

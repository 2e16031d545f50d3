//! CIMD2 submit (03), deliver message (20) and deliver status report (23)
//! to and from the simulator's canonical SMPP shape ([`crate::canonical`]).

use bytes::Bytes;
use cimd2::{charset, DeliverMessage, DeliverStatusReport, Submit};

use crate::canonical::{self, Body, Content};

/// Status report request (056) bit for "delivered" (spec, parameter 056).
const REPORT_DELIVERED: u8 = 8;
/// Status code (061) 3, "delivery failed".
const STATUS_DELIVERY_FAILED: u8 = 3;
/// Status code (061) 4, "delivery successful".
pub(crate) const STATUS_DELIVERED: u8 = 4;

/// The destination (021) a submit is answered and reported for: the first.
pub(crate) fn destination(s: &Submit) -> Option<&str> {
    s.destinations.first().map(String::as_str)
}

/// The originator: 023, or the alphanumeric 027.
pub(crate) fn source(s: &Submit) -> String {
    s.originating_address.clone().or_else(|| s.alphanumeric_originating_address.clone()).unwrap_or_default()
}

/// Whether a submit asks for a report on delivery (056 with bit 8).
pub(crate) fn wants_report(s: &Submit) -> bool {
    s.status_report_request.is_some_and(|r| r & REPORT_DELIVERED != 0)
}

/// The canonical body of a submit: 033 (CIMD text) as GSM septets with
/// `data_coding` 0; 034 as its octets under 030 (0x04, 8-bit data, without
/// one); the UDH of 032 in front.
pub(crate) fn submit_body(s: &Submit) -> Body {
    let udh = s.user_data_header.as_deref();
    match (&s.user_data, &s.user_data_binary) {
        (Some(text), _) => Body::gsm(udh, &charset::decode(text)),
        (None, Some(data)) => Body::with_udh(udh, s.data_coding_scheme.unwrap_or(0x04), data),
        (None, None) => Body::with_udh(udh, s.data_coding_scheme.unwrap_or(0), &[]),
    }
}

/// The deliver message (20) for a canonical mobile-originated message:
/// 021 the destination, 023 (or 027 for a name) the source, 060 `mc_time`;
/// GSM text in 033 in the CIMD character set, anything else in 034 with
/// its DCS in 030; a UDH in 032.
pub(crate) fn deliver(sm: &smpp::Sm, mc_time: String) -> DeliverMessage {
    let mo = canonical::mo(sm);
    let mut out = DeliverMessage {
        destination: Some(sm.destination_addr.clone()),
        mc_timestamp: Some(mc_time),
        user_data_header: mo.udh.map(Bytes::from),
        ..DeliverMessage::default()
    };
    if canonical::is_numeric(&sm.source_addr) {
        out.originating_address = Some(sm.source_addr.clone());
    } else {
        out.alphanumeric_originating_address = Some(sm.source_addr.clone());
    }
    let (dcs, data) = match mo.content {
        Content::Gsm(text) => match charset::encode(&text) {
            Ok(cimd) => {
                out.user_data = Some(cimd.into());
                return out;
            }
            Err(_) => (0x08, text::ucs2::encode(&text)),
        },
        Content::Binary { dcs, data } => (dcs, data),
    };
    out.data_coding_scheme = Some(dcs);
    out.user_data_binary = Some(data.into());
    out
}

/// The deliver status report (23) on a submitted message: the submit's
/// destination (021) and the service centre time stamp (060) of its submit
/// response, status code 4 (delivered) or 3 (delivery failed, with status
/// error code 1), discharge time (063).
pub(crate) fn report(destination: &str, mc_time: &str, discharged: String, delivered: bool) -> DeliverStatusReport {
    DeliverStatusReport {
        destination: Some(destination.to_owned()),
        mc_timestamp: Some(mc_time.to_owned()),
        status_code: Some(if delivered { STATUS_DELIVERED } else { STATUS_DELIVERY_FAILED }),
        status_error_code: (!delivered).then_some(1),
        discharge_time: Some(discharged),
        ..DeliverStatusReport::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submit_bodies() {
        let s = Submit { user_data: Some(Bytes::from_static(b"_Oa_XXe")), ..Submit::default() };
        let body = submit_body(&s);
        assert_eq!((body.esm_class, body.data_coding, &body.short_message[..]), (0, 0, &[0x00, 0x1B, 0x65][..]));

        let s = Submit {
            user_data_header: Some(Bytes::from_static(&[5, 0, 3, 1, 2, 1])),
            user_data_binary: Some(Bytes::from_static(&[0x04, 0x16])),
            data_coding_scheme: Some(8),
            ..Submit::default()
        };
        let body = submit_body(&s);
        assert_eq!((body.esm_class, body.data_coding), (0x40, 8));
        assert_eq!(&body.short_message[..], &[5, 0, 3, 1, 2, 1, 0x04, 0x16]);
    }

    #[test]
    fn deliveries() {
        let sm = smpp::Sm {
            source_addr: "Bank".into(),
            destination_addr: "1234".into(),
            short_message: text::gsm7::encode_unpacked("@€").unwrap().into(),
            ..smpp::Sm::default()
        };
        let out = deliver(&sm, "260101000000".into());
        assert_eq!(out.alphanumeric_originating_address.as_deref(), Some("Bank"));
        assert_eq!(out.user_data.as_deref(), Some(&b"_Oa_XXe"[..]));
        assert_eq!(out.data_coding_scheme, None);
    }
}

//! Turning a send request into the submit_sm PDUs of one connection:
//! addresses with TON/NPI, encoding and segmentation (via the `text` crate),
//! UDH flag, registered_delivery.

use bytes::Bytes;
use events::{ErrorInfo, SendRequest};
use runtime::config::ConnectionConfig;
use smpp::Sm;
use text::{Concat, MessageClass, SplitOptions};

/// `esm_class` UDHI bit: short_message starts with a UDH (SMPP 3.4 §5.2.12).
const ESM_UDHI: u8 = 0x40;

/// The submit_sm bodies for `request`, one per segment, in order.
pub fn submits(
    request: &SendRequest,
    config: &ConnectionConfig,
    reference: u16,
    max_segments: usize,
) -> Result<Vec<Sm>, ErrorInfo> {
    let opts = SplitOptions {
        max_segments,
        concat: Concat::Udh8,
        reference,
        class: request.flash.then_some(MessageClass::Class0),
        ..SplitOptions::default()
    };
    let message = match (&request.text, &request.payload) {
        (Some(t), _) => text::split(t, router::decide::preference(request.encoding), &opts),
        (None, Some(p)) => text::split_binary(p, &opts),
        (None, None) => return Err(error("invalid_request", "neither text nor payload")),
    }
    .map_err(|e| error("invalid_text", &e.to_string()))?;
    let data_coding = match (request.payload.is_some(), request.data_coding) {
        (true, Some(dc)) => dc,
        _ => message.data_coding,
    };
    let (source_addr_ton, source_addr_npi, source_addr) =
        source(request.from.as_deref().or(config.default_source.as_deref()), config);
    let (dest_addr_ton, dest_addr_npi, destination_addr) = destination(&request.to, config);
    let registered_delivery = u8::from(request.delivery_report);
    // The SMSC stops trying when the request expires (SMPP 3.4 §5.2.16, absolute UTC).
    let validity_period = request.expires_at.map(smpp::time::absolute).unwrap_or_default();
    Ok(message
        .segments
        .iter()
        .map(|segment| Sm {
            source_addr_ton,
            source_addr_npi,
            source_addr: source_addr.clone(),
            dest_addr_ton,
            dest_addr_npi,
            destination_addr: destination_addr.clone(),
            esm_class: if segment.udh.is_some() { ESM_UDHI } else { 0 },
            registered_delivery,
            validity_period: validity_period.clone(),
            data_coding,
            short_message: Bytes::from(segment.to_short_message()),
            ..Sm::default()
        })
        .collect())
}

fn error(code: &str, text: &str) -> ErrorInfo {
    ErrorInfo { code: code.into(), protocol_code: None, text: text.into() }
}

/// Source TON/NPI (SMPP 3.4 §5.2.5, §5.2.6): `+` digits are international,
/// anything with a letter is alphanumeric (TON 5, NPI 0), other digits use the
/// connection's defaults. `None` leaves the source to the SMSC.
fn source(from: Option<&str>, config: &ConnectionConfig) -> (u8, u8, String) {
    match from {
        None => (0, 0, String::new()),
        Some(f) => match f.strip_prefix('+') {
            Some(d) if !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()) => (1, 1, d.to_owned()),
            _ if !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()) => {
                (config.source_ton, config.source_npi, f.to_owned())
            }
            _ => (5, 0, f.to_owned()),
        },
    }
}

/// Destination TON/NPI: the router normalised `to` to `+digits` or national digits.
fn destination(to: &str, config: &ConnectionConfig) -> (u8, u8, String) {
    match to.strip_prefix('+') {
        Some(d) => (1, 1, d.to_owned()),
        None => (config.dest_ton, config.dest_npi, to.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ConnectionConfig {
        runtime::Settings::from_toml(
            r#"
            [kafka]
            brokers = "x:1"
            [[connections]]
            id = "c"
            protocol = "smpp"
            host = "h"
            port = 1
            system_id = "s"
            dest_ton = 2
            "#,
        )
        .unwrap()
        .connections
        .remove(0)
    }

    fn request(text: &str) -> SendRequest {
        SendRequest {
            id: "r".into(),
            to: "+4915112345678".into(),
            from: Some("ACME".into()),
            text: Some(text.into()),
            ..Default::default()
        }
    }

    #[test]
    fn single_gsm_message() {
        let sms = submits(&request("Your code is 123456"), &config(), 7, 10).unwrap();
        assert_eq!(sms.len(), 1);
        let sm = &sms[0];
        assert_eq!((sm.source_addr_ton, sm.source_addr_npi, sm.source_addr.as_str()), (5, 0, "ACME"));
        assert_eq!((sm.dest_addr_ton, sm.dest_addr_npi, sm.destination_addr.as_str()), (1, 1, "4915112345678"));
        assert_eq!(sm.data_coding, 0);
        assert_eq!(sm.esm_class, 0);
        assert_eq!(&sm.short_message[..], b"Your code is 123456");
        assert_eq!(sm.validity_period, "", "no expiry, SMSC default validity");
    }

    #[test]
    fn long_unicode_message_gets_udh_and_ucs2() {
        let mut r = request(&"ж".repeat(100));
        r.delivery_report = true;
        r.to = "015112345678".into();
        r.from = Some("+4930123".into());
        let sms = submits(&r, &config(), 0x2a, 10).unwrap();
        assert_eq!(sms.len(), 2);
        for (i, sm) in sms.iter().enumerate() {
            assert_eq!(sm.data_coding, 8);
            assert_eq!(sm.esm_class, 0x40);
            assert_eq!(sm.registered_delivery, 1);
            assert_eq!(&sm.short_message[..6], &[5, 0, 3, 0x2a, 2, i as u8 + 1]);
            assert_eq!((sm.dest_addr_ton, sm.destination_addr.as_str()), (2, "015112345678"));
            assert_eq!((sm.source_addr_ton, sm.source_addr.as_str()), (1, "4930123"));
        }
    }

    #[test]
    fn expiry_becomes_the_validity_period() {
        let mut r = request("hi");
        r.expires_at = Some(1_795_697_640_300);
        assert_eq!(submits(&r, &config(), 0, 10).unwrap()[0].validity_period, "261126125400300+");
    }

    #[test]
    fn flash_sets_class_zero() {
        let mut r = request("hi");
        r.flash = true;
        assert_eq!(submits(&r, &config(), 0, 10).unwrap()[0].data_coding, 0x10);
    }
}

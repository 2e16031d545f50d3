//! Turning a send request into the submit_sm PDUs of one connection:
//! addresses with TON/NPI, encoding and segmentation (via the `text` crate,
//! with the connection's `concat` and `national_languages`), UDH flag, SAR
//! TLVs or `message_payload`, registered_delivery.

use bytes::Bytes;
use events::{ErrorInfo, SendRequest};
use runtime::config::ConnectionConfig;
use smpp::tlv::{tag, Tlv};
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
        reference,
        class: request.flash.then_some(MessageClass::Class0),
        ..config.split_options(max_segments)
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
        .map(|segment| {
            let user_data = Bytes::from(segment.to_short_message());
            // message_payload and short_message are mutually exclusive (SMPP 3.4 §5.3.2.32).
            let (short_message, mut tlvs) = if opts.concat == Concat::Payload {
                (Bytes::new(), vec![Tlv { tag: tag::MESSAGE_PAYLOAD, value: user_data }])
            } else {
                (user_data, Vec::new())
            };
            if let Some((reference, total, seq)) = segment.sar() {
                tlvs.push(Tlv { tag: tag::SAR_MSG_REF_NUM, value: Bytes::copy_from_slice(&reference.to_be_bytes()) });
                tlvs.push(Tlv { tag: tag::SAR_TOTAL_SEGMENTS, value: Bytes::copy_from_slice(&[total]) });
                tlvs.push(Tlv { tag: tag::SAR_SEGMENT_SEQNUM, value: Bytes::copy_from_slice(&[seq]) });
            }
            Sm {
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
                short_message,
                tlvs,
                ..Sm::default()
            }
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
        config_with("")
    }

    fn config_with(extra: &str) -> ConnectionConfig {
        runtime::Settings::from_toml(&format!(
            "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"c\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\ndest_ton = 2\n{extra}\n"
        ))
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

    fn tlv(sm: &Sm, t: u16) -> Option<Vec<u8>> {
        smpp::tlv::find(&sm.tlvs, t).map(|v| v.value.to_vec())
    }

    #[test]
    fn sar_connection_sends_sar_tlvs_and_no_udh() {
        let sms = submits(&request(&"x".repeat(200)), &config_with("concat = \"sar\""), 0x1234, 10).unwrap();
        assert_eq!(sms.len(), 2);
        for (i, sm) in sms.iter().enumerate() {
            assert_eq!(sm.esm_class, 0);
            assert_eq!(tlv(sm, tag::SAR_MSG_REF_NUM), Some(vec![0x12, 0x34]));
            assert_eq!(tlv(sm, tag::SAR_TOTAL_SEGMENTS), Some(vec![2]));
            assert_eq!(tlv(sm, tag::SAR_SEGMENT_SEQNUM), Some(vec![i as u8 + 1]));
        }
        assert_eq!(sms[0].short_message.len(), 160, "SAR parts carry no UDH, so a whole SMS each");
    }

    #[test]
    fn payload_connection_sends_one_message_payload() {
        let text = "y".repeat(500);
        let sms = submits(&request(&text), &config_with("concat = \"payload\""), 1, 10).unwrap();
        assert_eq!(sms.len(), 1);
        assert!(sms[0].short_message.is_empty());
        assert_eq!(tlv(&sms[0], tag::MESSAGE_PAYLOAD), Some(text.into_bytes()));
        assert_eq!(tlv(&sms[0], tag::SAR_MSG_REF_NUM), None);
    }

    #[test]
    fn udh16_connection_uses_16_bit_references() {
        let sms = submits(&request(&"z".repeat(200)), &config_with("concat = \"udh16\""), 0xBEEF, 10).unwrap();
        assert_eq!(&sms[1].short_message[..7], &[6, 8, 4, 0xBE, 0xEF, 2, 2]);
    }

    #[test]
    fn national_tables_only_when_the_connection_allows_them() {
        let turkish = "Şişli'de güzel bir gün, İstanbul ğ ı ş ç. ".repeat(4);
        let plain = submits(&request(&turkish), &config(), 1, 10).unwrap();
        assert_eq!(plain[0].data_coding, 8, "UCS-2 without national tables");
        let national = submits(&request(&turkish), &config_with("national_languages = [\"turkish\"]"), 1, 10).unwrap();
        assert_eq!(national[0].data_coding, 0);
        assert!(national.len() < plain.len(), "{} vs {} segments", national.len(), plain.len());
        let (udh, _) = text::parse_udh(&national[0].short_message).unwrap();
        assert_eq!(udh.shift().single, Some(text::Language::Turkish));
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

//! Turning a send request into the submissions of one connection: addresses,
//! encoding and segmentation (via the `text` crate, with the connection's
//! `concat` and `national_languages`), and what each segment carries. The
//! protocol link (e.g. [`crate::smpp::convert`]) maps them to its PDUs.

use bytes::Bytes;
use events::{ErrorCode, ErrorInfo, SendRequest};
use runtime::config::{ConnectionConfig, Protocol};
use text::{Concat, MessageClass, SplitOptions};

use crate::link::{Address, Numbering, Submission};

/// The submissions for `request`, one per segment, in order.
pub fn submits(
    request: &SendRequest,
    config: &ConnectionConfig,
    reference: u16,
    max_segments: usize,
) -> Result<Vec<Submission>, ErrorInfo> {
    let opts = SplitOptions {
        reference,
        class: request.flash.then_some(MessageClass::Class0),
        ..config.split_options(max_segments)
    };
    let message = match (&request.text, &request.payload) {
        (Some(t), _) => text::split(t, request.encoding.preference(), &opts),
        (None, Some(p)) => text::split_binary(p, &opts),
        (None, None) => return Err(error(ErrorCode::InvalidRequest, "neither text nor payload")),
    }
    .map_err(|e| error(ErrorCode::InvalidText, &e.to_string()))?;
    let data_coding = match (request.payload.is_some(), request.data_coding) {
        (true, Some(dc)) => dc,
        _ => message.data_coding,
    };
    let source = request.from.as_deref().or(config.default_source.as_deref()).map(Address::parse);
    let destination = Address::parse(&request.to);
    carriable(source.as_ref(), &destination, config.protocol())?;
    let total = message.segments.len();
    Ok(message
        .segments
        .iter()
        .enumerate()
        .map(|(i, segment)| Submission {
            source: source.clone(),
            destination: destination.clone(),
            data_coding,
            udh: segment.udh.clone().map(Bytes::from),
            payload: Bytes::from(segment.payload.clone()),
            sar: segment.sar(),
            whole: opts.concat == Concat::Payload,
            receipt: request.delivery_report,
            reference: if total > 1 { format!("{}-{}", request.id, i + 1) } else { request.id.clone() },
            expires_at: request.expires_at,
        })
        .collect())
}

/// The longest address each protocol carries, as (digits, alphanumeric
/// characters): SMPP 3.4 §5.2.8-9 (`source_addr`, `destination_addr`:
/// C-Octet String of 21, so 20); UCP/EMI 4.x §5.2 (AdC and numeric OAdC 16
/// digits); CIMD2 §7.1 (parameters 021 and 023: 20 digits); TS 23.040
/// §9.1.2.5 (TP-DA: 20 digits); an alphanumeric sender is at most 11
/// characters everywhere (TS 23.040 §9.1.2.5: 7-bit packed in 10 octets).
/// HTTP APIs: no limit here.
fn limits(protocol: Protocol) -> Option<usize> {
    match protocol {
        Protocol::Smpp | Protocol::Cimd2 | Protocol::Modem => Some(20),
        Protocol::Ucp => Some(16),
        Protocol::Http => None,
    }
}

const ALPHANUMERIC_MAX: usize = 11;

/// Addresses the connection's protocol cannot carry are refused up front
/// (REJECTED with the reason), not left to fail in the encoder and be retried.
fn carriable(source: Option<&Address>, destination: &Address, protocol: Protocol) -> Result<(), ErrorInfo> {
    let Some(digits) = limits(protocol) else { return Ok(()) };
    let name = protocol.name();
    let too_long = |a: &Address| match a.numbering {
        Numbering::Alphanumeric => a.value.chars().count() > ALPHANUMERIC_MAX,
        _ => a.value.len() > digits,
    };
    if too_long(destination) {
        let text = format!("to: longer than the {digits} digits {name} carries");
        return Err(error(ErrorCode::InvalidDestination, &text));
    }
    match source {
        Some(a) if too_long(a) => {
            let text = match a.numbering {
                Numbering::Alphanumeric => {
                    format!("from: an alphanumeric sender is at most {ALPHANUMERIC_MAX} characters")
                }
                _ => format!("from: longer than the {digits} digits {name} carries"),
            };
            Err(error(ErrorCode::InvalidSource, &text))
        }
        _ => Ok(()),
    }
}

fn error(code: ErrorCode, text: &str) -> ErrorInfo {
    ErrorInfo { code, protocol_code: None, text: text.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ConnectionConfig {
        config_with("")
    }

    fn config_with(extra: &str) -> ConnectionConfig {
        runtime::Settings::from_toml(&format!(
            "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"c\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\n{extra}\n"
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
        let subs = submits(&request("Your code is 123456"), &config(), 7, 10).unwrap();
        assert_eq!(subs.len(), 1);
        let s = &subs[0];
        assert_eq!(s.source, Some(Address { value: "ACME".into(), numbering: Numbering::Alphanumeric }));
        assert_eq!(s.destination, Address { value: "4915112345678".into(), numbering: Numbering::International });
        assert_eq!((s.data_coding, s.udh.is_none(), s.sar, s.whole, s.receipt), (0, true, None, false, false));
        assert_eq!(&s.payload[..], b"Your code is 123456");
        assert_eq!(s.expires_at, None, "no expiry, SMSC default validity");
        assert_eq!(s.reference, "r", "the request id");
    }

    #[test]
    fn addresses_the_protocol_cannot_carry_are_refused_up_front() {
        let code =
            |r: &SendRequest, c: &ConnectionConfig| submits(r, c, 0, 10).err().map(|e| e.code.as_str().to_owned());
        let mut r = request("x");
        r.from = Some("ACME-LONG-NAME".into());
        assert_eq!(code(&r, &config()).as_deref(), Some("invalid_source"), "12 characters");
        r.from = Some("ACME-SHORT1".into());
        assert_eq!(code(&r, &config()), None, "11 characters");
        r.from = Some(format!("+{}", "1".repeat(21)));
        assert_eq!(code(&r, &config()).as_deref(), Some("invalid_source"));
        r.from = Some(format!("+{}", "1".repeat(17)));
        assert_eq!(code(&r, &config()), None, "SMPP carries 20 digits");
        let mut ucp = config();
        ucp.link = match ucp.link {
            runtime::config::Link::Smpp(smsc, _) => runtime::config::Link::Ucp(smsc, Default::default()),
            _ => unreachable!(),
        };
        assert_eq!(code(&r, &ucp).as_deref(), Some("invalid_source"), "UCP carries 16");
        r.from = None;
        r.to = format!("+{}", "4".repeat(21));
        assert_eq!(code(&r, &config()).as_deref(), Some("invalid_destination"));
        let api = "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"h\"\nprotocol = \"http\"\nurl = \"http://a.example/\"\n";
        let http = ConnectionConfig {
            link: runtime::Settings::from_toml(api).unwrap().connections.remove(0).link,
            ..config()
        };
        assert_eq!(code(&r, &http), None, "HTTP APIs set their own limits");
    }

    #[test]
    fn default_source_when_the_request_has_none() {
        let mut r = request("x");
        r.from = None;
        assert_eq!(submits(&r, &config(), 0, 10).unwrap()[0].source, None);
        let s = submits(&r, &config_with("default_source = \"+4930123\""), 0, 10).unwrap();
        assert_eq!(s[0].source.as_ref().map(|a| a.value.as_str()), Some("4930123"));
    }

    #[test]
    fn long_unicode_message_gets_udh_and_ucs2() {
        let mut r = request(&"ж".repeat(100));
        r.delivery_report = true;
        r.expires_at = Some(1_795_697_640_300);
        let subs = submits(&r, &config(), 0x2a, 10).unwrap();
        assert_eq!(subs.len(), 2);
        for (i, s) in subs.iter().enumerate() {
            assert_eq!(s.data_coding, 8);
            assert_eq!(s.udh.as_deref(), Some(&[5, 0, 3, 0x2a, 2, i as u8 + 1][..]));
            assert!(s.receipt);
            assert_eq!(s.expires_at, Some(1_795_697_640_300));
            assert_eq!(s.reference, format!("r-{}", i + 1));
        }
    }

    #[test]
    fn sar_connection_gives_sar_and_no_udh() {
        let subs = submits(&request(&"x".repeat(200)), &config_with("concat = \"sar\""), 0x1234, 10).unwrap();
        assert_eq!(subs.len(), 2);
        for (i, s) in subs.iter().enumerate() {
            assert_eq!((s.udh.is_none(), s.sar), (true, Some((0x1234, 2, i as u8 + 1))));
        }
        assert_eq!(subs[0].payload.len(), 160, "SAR parts carry no UDH, so a whole SMS each");
    }

    #[test]
    fn payload_connection_sends_the_whole_message_once() {
        let text = "y".repeat(500);
        let subs = submits(&request(&text), &config_with("concat = \"payload\""), 1, 10).unwrap();
        assert_eq!(subs.len(), 1);
        assert!(subs[0].whole);
        assert_eq!(&subs[0].payload[..], text.as_bytes());
        assert_eq!(subs[0].sar, None);
    }

    #[test]
    fn udh16_connection_uses_16_bit_references() {
        let subs = submits(&request(&"z".repeat(200)), &config_with("concat = \"udh16\""), 0xBEEF, 10).unwrap();
        assert_eq!(subs[1].udh.as_deref(), Some(&[6, 8, 4, 0xBE, 0xEF, 2, 2][..]));
    }

    #[test]
    fn national_tables_only_when_the_connection_allows_them() {
        let turkish = "Şişli'de güzel bir gün, İstanbul ğ ı ş ç. ".repeat(4);
        let plain = submits(&request(&turkish), &config(), 1, 10).unwrap();
        assert_eq!(plain[0].data_coding, 8, "UCS-2 without national tables");
        let national = submits(&request(&turkish), &config_with("national_languages = [\"turkish\"]"), 1, 10).unwrap();
        assert_eq!(national[0].data_coding, 0);
        assert!(national.len() < plain.len(), "{} vs {} segments", national.len(), plain.len());
        let (udh, _) = text::parse_udh(national[0].udh.as_deref().unwrap()).unwrap();
        assert_eq!(udh.shift().single, Some(text::Language::Turkish));
    }

    #[test]
    fn flash_sets_class_zero() {
        let mut r = request("hi");
        r.flash = true;
        assert_eq!(submits(&r, &config(), 0, 10).unwrap()[0].data_coding, 0x10);
    }
}

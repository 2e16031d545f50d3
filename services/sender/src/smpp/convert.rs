//! Between the protocol-neutral [`crate::link`] types and SMPP 3.4 PDUs:
//! a [`Submission`] becomes a submit_sm, a deliver_sm becomes an [`Incoming`].

use bytes::Bytes;
use runtime::config::SmppConfig;
use smpp::tlv::{find, tag, Tlv};
use smpp::Sm;

use crate::link::{Address, Incoming, MoUnit, Numbering, Report, Submission};

/// `esm_class` UDHI bit: short_message starts with a UDH (SMPP 3.4 §5.2.12).
pub const ESM_UDHI: u8 = 0x40;

/// TON/NPI of an address (SMPP 3.4 §5.2.5, §5.2.6): international 1/1,
/// alphanumeric 5/0, national digits with the connection's `national` pair.
fn ton_npi(address: &Address, national: (u8, u8)) -> (u8, u8) {
    match address.numbering {
        Numbering::International => (1, 1),
        Numbering::Alphanumeric => (5, 0),
        Numbering::National => national,
    }
}

/// The submit_sm for one submission: UDH in `short_message` with UDHI set,
/// SAR TLVs (§5.3.2.22-24) or the whole message in `message_payload`
/// (§5.3.2.32, then `short_message` is empty), validity as an absolute time.
pub fn submit_sm(sub: &Submission, config: &SmppConfig) -> Sm {
    let (source_addr_ton, source_addr_npi, source_addr) = match &sub.source {
        None => (0, 0, String::new()),
        Some(a) => {
            let (ton, npi) = ton_npi(a, (config.source_ton, config.source_npi));
            (ton, npi, a.value.clone())
        }
    };
    let (dest_addr_ton, dest_addr_npi) = ton_npi(&sub.destination, (config.dest_ton, config.dest_npi));
    let mut user_data = Vec::with_capacity(sub.udh.as_ref().map_or(0, Bytes::len) + sub.payload.len());
    user_data.extend_from_slice(sub.udh.as_deref().unwrap_or_default());
    user_data.extend_from_slice(&sub.payload);
    let user_data = Bytes::from(user_data);
    let (short_message, mut tlvs) = if sub.whole {
        (Bytes::new(), vec![Tlv { tag: tag::MESSAGE_PAYLOAD, value: user_data }])
    } else {
        (user_data, Vec::new())
    };
    if let Some((reference, total, seq)) = sub.sar {
        tlvs.push(Tlv { tag: tag::SAR_MSG_REF_NUM, value: Bytes::copy_from_slice(&reference.to_be_bytes()) });
        tlvs.push(Tlv { tag: tag::SAR_TOTAL_SEGMENTS, value: Bytes::copy_from_slice(&[total]) });
        tlvs.push(Tlv { tag: tag::SAR_SEGMENT_SEQNUM, value: Bytes::copy_from_slice(&[seq]) });
    }
    Sm {
        source_addr_ton,
        source_addr_npi,
        source_addr,
        dest_addr_ton,
        dest_addr_npi,
        destination_addr: sub.destination.value.clone(),
        esm_class: if sub.udh.is_some() { ESM_UDHI } else { 0 },
        registered_delivery: u8::from(sub.receipt),
        // The SMSC stops trying when the request expires (§7.1.1, absolute UTC).
        validity_period: sub.expires_at.map(smpp::time::absolute).unwrap_or_default(),
        data_coding: sub.data_coding,
        short_message,
        tlvs,
        ..Sm::default()
    }
}

/// What a deliver_sm carries: a delivery receipt (SMPP 3.4 §2.11, Appendix B;
/// `receipted_message_id`, `message_state`, `network_error_code` TLVs) or a
/// mobile-originated message.
pub fn incoming(sm: &Sm) -> Incoming {
    if let Some(receipt) = receipt::from_deliver_sm(sm) {
        let text = receipt.text.as_ref();
        return Incoming::Report(Report {
            message_id: receipt.message_id.clone(),
            state: receipt.state,
            is_final: receipt.state.is_final(),
            err: text.and_then(|t| t.err.clone()),
            network_error: receipt.network_error.map(|n| (n.network_type, n.code)),
            done_at: text.and_then(|t| t.done_date).map(|d| d.to_epoch_millis(0)),
        });
    }
    let user_data = find(&sm.tlvs, tag::MESSAGE_PAYLOAD).map_or_else(|| sm.short_message.clone(), |p| p.value.clone());
    Incoming::Mo(MoUnit {
        from: sm.source_addr.clone(),
        to: sm.destination_addr.clone(),
        data_coding: sm.data_coding,
        udhi: sm.esm_class & ESM_UDHI != 0,
        user_data,
        sar: sar(sm),
        smsc_timestamp: None,
        text: None,
    })
}

/// `(sar_msg_ref_num, sar_total_segments, sar_segment_seqnum)` when all three are present and well-formed.
fn sar(sm: &Sm) -> Option<(u16, u8, u8)> {
    let reference = match find(&sm.tlvs, tag::SAR_MSG_REF_NUM)?.value.as_ref() {
        &[hi, lo] => u16::from_be_bytes([hi, lo]),
        _ => return None,
    };
    let one = |t: u16| match find(&sm.tlvs, t)?.value.as_ref() {
        &[b] => Some(b),
        _ => None,
    };
    Some((reference, one(tag::SAR_TOTAL_SEGMENTS)?, one(tag::SAR_SEGMENT_SEQNUM)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SmppConfig {
        let c = runtime::Settings::from_toml(
            "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"c\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\n\
             system_id = \"s\"\ndest_ton = 2\nsource_ton = 3\nsource_npi = 4\n",
        )
        .unwrap()
        .connections
        .remove(0);
        match c.link {
            runtime::config::Link::Smpp(_, smpp) => smpp,
            _ => unreachable!(),
        }
    }

    fn submission(source: Option<&str>, to: &str) -> Submission {
        Submission {
            source: source.map(Address::parse),
            destination: Address::parse(to),
            expires_at: Some(1_795_697_640_300),
            ..Submission::test(8, &[0, 0x41], Some(&[5, 0, 3, 1, 2, 1]))
        }
    }

    #[test]
    fn addresses_get_their_ton_npi() {
        let sm = submit_sm(&submission(Some("ACME"), "+4915112345678"), &config());
        assert_eq!((sm.source_addr_ton, sm.source_addr_npi, sm.source_addr.as_str()), (5, 0, "ACME"));
        assert_eq!((sm.dest_addr_ton, sm.dest_addr_npi, sm.destination_addr.as_str()), (1, 1, "4915112345678"));
        let sm = submit_sm(&submission(Some("+4930123"), "015112345678"), &config());
        assert_eq!((sm.source_addr_ton, sm.source_addr.as_str()), (1, "4930123"));
        assert_eq!((sm.dest_addr_ton, sm.dest_addr_npi), (2, 1), "national: the connection's dest_ton/dest_npi");
        let sm = submit_sm(&submission(Some("4930123"), "015112345678"), &config());
        assert_eq!((sm.source_addr_ton, sm.source_addr_npi), (3, 4));
        let sm = submit_sm(&submission(None, "015112345678"), &config());
        assert_eq!((sm.source_addr_ton, sm.source_addr_npi, sm.source_addr.as_str()), (0, 0, ""));
    }

    #[test]
    fn udh_payload_and_validity() {
        let sm = submit_sm(&submission(None, "+491"), &config());
        assert_eq!(sm.esm_class, ESM_UDHI);
        assert_eq!(&sm.short_message[..], &[5, 0, 3, 1, 2, 1, 0, 0x41]);
        assert_eq!((sm.data_coding, sm.registered_delivery), (8, 1));
        assert_eq!(sm.validity_period, "261126125400300+");
    }

    #[test]
    fn whole_messages_go_in_message_payload_and_sar_in_tlvs() {
        let mut sub = submission(None, "+491");
        sub.udh = None;
        sub.whole = true;
        let sm = submit_sm(&sub, &config());
        assert!(sm.short_message.is_empty());
        assert_eq!(find(&sm.tlvs, tag::MESSAGE_PAYLOAD).map(|t| t.value.to_vec()), Some(vec![0, 0x41]));
        sub.whole = false;
        sub.sar = Some((0x1234, 3, 2));
        let sm = submit_sm(&sub, &config());
        assert_eq!(sm.esm_class, 0);
        assert_eq!(find(&sm.tlvs, tag::SAR_MSG_REF_NUM).map(|t| t.value.to_vec()), Some(vec![0x12, 0x34]));
        assert_eq!(find(&sm.tlvs, tag::SAR_TOTAL_SEGMENTS).map(|t| t.value.to_vec()), Some(vec![3]));
        assert_eq!(find(&sm.tlvs, tag::SAR_SEGMENT_SEQNUM).map(|t| t.value.to_vec()), Some(vec![2]));
    }

    #[test]
    fn receipts_and_mo_messages() {
        let sm = Sm {
            esm_class: 0x04,
            short_message:
                "id:0A1b sub:001 dlvrd:001 submit date:2611261200 done date:2611261201 stat:DELIVRD err:000 text:x"
                    .into(),
            ..Sm::default()
        };
        let Incoming::Report(r) = incoming(&sm) else { panic!("a receipt") };
        assert_eq!((r.message_id.as_str(), r.state.stat(), r.is_final), ("0A1b", "DELIVRD", true));
        assert_eq!(r.err.as_deref(), Some("000"));
        assert!(r.done_at.is_some());

        let mo = Sm {
            esm_class: ESM_UDHI,
            source_addr: "491".into(),
            destination_addr: "123".into(),
            short_message: vec![5, 0, 3, 9, 2, 1, b'h'].into(),
            tlvs: vec![
                Tlv { tag: tag::SAR_MSG_REF_NUM, value: vec![0, 9].into() },
                Tlv { tag: tag::SAR_TOTAL_SEGMENTS, value: vec![2].into() },
                Tlv { tag: tag::SAR_SEGMENT_SEQNUM, value: vec![1].into() },
            ],
            ..Sm::default()
        };
        let Incoming::Mo(m) = incoming(&mo) else { panic!("an MO message") };
        assert!(m.udhi);
        assert_eq!((m.from.as_str(), m.to.as_str(), m.sar), ("491", "123", Some((9, 2, 1))));
        assert_eq!(&m.user_data[..], &[5, 0, 3, 9, 2, 1, b'h']);
    }
}

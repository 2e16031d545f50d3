//! Property tests: encode→decode round trips, and decode never panics.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use smpp::{decode, decode_with_max, encode, Bind, BindResp, Body, CommandId, DataSm, Outbind, Pdu, Sm, SmResp, Tlv};

/// Latin-1 without NUL, up to `max` chars.
fn cstr(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(1u8..=255, 0..=max).prop_map(|v| v.into_iter().map(char::from).collect())
}

fn tlvs() -> impl Strategy<Value = Vec<Tlv>> {
    proptest::collection::vec(
        (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(tag, v)| Tlv::new(tag, v)),
        0..4,
    )
}

fn bind() -> impl Strategy<Value = Bind> {
    (cstr(15), cstr(8), cstr(12), any::<u8>(), any::<u8>(), any::<u8>(), cstr(40)).prop_map(
        |(system_id, password, system_type, interface_version, addr_ton, addr_npi, address_range)| Bind {
            system_id,
            password,
            system_type,
            interface_version,
            addr_ton,
            addr_npi,
            address_range,
        },
    )
}

fn sm() -> impl Strategy<Value = Sm> {
    (
        (cstr(5), any::<[u8; 2]>(), cstr(20), any::<[u8; 2]>(), cstr(20)),
        (any::<[u8; 3]>(), cstr(16), cstr(16), any::<[u8; 4]>()),
        (proptest::collection::vec(any::<u8>(), 0..=254), tlvs()),
    )
        .prop_map(
            |((service_type, src, source_addr, dst, destination_addr), (flags, sched, validity, more), (msg, tlvs))| {
                Sm {
                    service_type,
                    source_addr_ton: src[0],
                    source_addr_npi: src[1],
                    source_addr,
                    dest_addr_ton: dst[0],
                    dest_addr_npi: dst[1],
                    destination_addr,
                    esm_class: flags[0],
                    protocol_id: flags[1],
                    priority_flag: flags[2],
                    schedule_delivery_time: sched,
                    validity_period: validity,
                    registered_delivery: more[0],
                    replace_if_present_flag: more[1],
                    data_coding: more[2],
                    sm_default_msg_id: more[3],
                    short_message: Bytes::from(msg),
                    tlvs,
                }
            },
        )
}

fn data_sm() -> impl Strategy<Value = DataSm> {
    (cstr(5), any::<[u8; 2]>(), cstr(64), any::<[u8; 2]>(), cstr(64), any::<[u8; 3]>(), tlvs()).prop_map(
        |(service_type, src, source_addr, dst, destination_addr, f, tlvs)| DataSm {
            service_type,
            source_addr_ton: src[0],
            source_addr_npi: src[1],
            source_addr,
            dest_addr_ton: dst[0],
            dest_addr_npi: dst[1],
            destination_addr,
            esm_class: f[0],
            registered_delivery: f[1],
            data_coding: f[2],
            tlvs,
        },
    )
}

fn sm_resp() -> impl Strategy<Value = SmResp> {
    (cstr(64), tlvs()).prop_map(|(message_id, tlvs)| SmResp { message_id, tlvs })
}

fn bind_resp() -> impl Strategy<Value = BindResp> {
    (cstr(15), tlvs()).prop_map(|(system_id, tlvs)| BindResp { system_id, tlvs })
}

fn is_modelled(id: u32) -> bool {
    let mut b = BytesMut::new();
    let probe = Pdu::new(1, Body::Unknown { command_id: id, body: Bytes::new() });
    // A modelled id decodes to something other than Unknown (or fails).
    encode(&probe, &mut b).is_ok() && !matches!(decode(&mut b), Ok(Some(Pdu { body: Body::Unknown { .. }, .. })))
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        bind().prop_map(Body::BindTransmitter),
        bind().prop_map(Body::BindReceiver),
        bind().prop_map(Body::BindTransceiver),
        bind_resp().prop_map(Body::BindTransmitterResp),
        bind_resp().prop_map(Body::BindReceiverResp),
        bind_resp().prop_map(Body::BindTransceiverResp),
        (cstr(15), cstr(8)).prop_map(|(system_id, password)| Body::Outbind(Outbind { system_id, password })),
        Just(Body::Unbind),
        Just(Body::UnbindResp),
        sm().prop_map(Body::SubmitSm),
        sm_resp().prop_map(Body::SubmitSmResp),
        sm().prop_map(Body::DeliverSm),
        sm_resp().prop_map(Body::DeliverSmResp),
        data_sm().prop_map(Body::DataSm),
        sm_resp().prop_map(Body::DataSmResp),
        Just(Body::EnquireLink),
        Just(Body::EnquireLinkResp),
        Just(Body::GenericNack),
        (
            any::<u32>().prop_filter("unmodelled id", |id| !is_modelled(*id)),
            proptest::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(command_id, b)| Body::Unknown { command_id, body: Bytes::from(b) }),
    ]
}

fn pdu() -> impl Strategy<Value = Pdu> {
    (any::<u32>(), any::<u32>(), body()).prop_map(|(sequence, status, body)| Pdu { sequence, status, body })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encode_then_decode_is_identity(pdu in pdu()) {
        let mut buf = BytesMut::new();
        prop_assert_eq!(encode(&pdu, &mut buf), Ok(()));
        let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        prop_assert_eq!(len, buf.len());
        prop_assert_eq!(CommandId(u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]])), pdu.command_id());
        prop_assert_eq!(decode(&mut buf), Ok(Some(pdu)));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn truncated_frames_wait_for_more(pdu in pdu(), cut in any::<prop::sample::Index>()) {
        let mut full = BytesMut::new();
        prop_assert_eq!(encode(&pdu, &mut full), Ok(()));
        let cut = cut.index(full.len());
        let mut buf = BytesMut::from(&full[..cut]);
        prop_assert_eq!(decode(&mut buf), Ok(None));
        prop_assert_eq!(buf.len(), cut);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300), max in 0usize..400) {
        let mut buf = BytesMut::from(&data[..]);
        for _ in 0..data.len() + 1 {
            match decode_with_max(&mut buf, max) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) if e.is_recoverable() => {}
                Err(_) => break,
            }
        }
    }

    #[test]
    fn oversized_lengths_are_rejected(len in (MAXP as u32 + 1)..=u32::MAX, rest in proptest::collection::vec(any::<u8>(), 0..32)) {
        let mut buf = BytesMut::from(&len.to_be_bytes()[..]);
        buf.extend_from_slice(&rest);
        let r = decode(&mut buf);
        prop_assert!(matches!(r, Err(ref e) if !e.is_recoverable()), "{:?}", r);
    }

    #[test]
    fn undersized_lengths_are_rejected(len in 0u32..16, rest in proptest::collection::vec(any::<u8>(), 0..32)) {
        let mut buf = BytesMut::from(&len.to_be_bytes()[..]);
        buf.extend_from_slice(&rest);
        prop_assert_eq!(decode(&mut buf), Err(smpp::DecodeError::LengthTooSmall { length: len }));
    }
}

const MAXP: usize = smpp::MAX_PDU_LEN;

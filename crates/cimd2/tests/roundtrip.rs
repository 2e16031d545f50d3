//! Property tests: every operation encodes and decodes back to itself, with
//! and without a checksum; a stream of packets split at any point decodes
//! the same.

use bytes::{Bytes, BytesMut};
use cimd2::{
    decode, encode, encode_with, Body, Checksum, DeliverMessage, DeliverStatusReport, Login, Packet, Param, Response,
    Submit,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

/// Latin-1 text without the delimiters STX, ETX and TAB.
fn text() -> impl Strategy<Value = String> {
    vec(any::<u8>().prop_filter("delimiter", |b| ![2, 3, 9].contains(b)), 0..24)
        .prop_map(|v| v.into_iter().map(char::from).collect())
}

fn raw() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>().prop_filter("delimiter", |b| ![2, 3, 9].contains(b)), 0..40).prop_map(Bytes::from)
}

fn octets() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..40).prop_map(Bytes::from)
}

/// Extra parameters with codes no typed struct reads.
fn extra() -> impl Strategy<Value = Vec<Param>> {
    vec((prop_oneof![100u16..=499, 502u16..=899, 902u16..=999], raw()).prop_map(|(c, v)| Param::new(c, v)), 0..3)
}

fn login() -> impl Strategy<Value = Body> {
    (text(), text(), extra())
        .prop_map(|(user_identity, password, extra)| Body::Login(Login { user_identity, password, extra }))
}

fn submit() -> impl Strategy<Value = Body> {
    let addresses = (vec(text(), 0..3), of(text()), of(text()));
    let data = (of(any::<u8>()), of(octets()), of(raw()), of(octets()));
    let numbers = (of(any::<u8>()), of(any::<u8>()), of(text()), of(any::<u8>()), of(any::<u8>()), of(text()));
    let flags = (of(any::<u8>()), of(any::<u8>()), of(any::<u8>()), of(any::<u8>()), of(any::<u8>()), of(any::<u8>()));
    (addresses, data, numbers, flags, extra()).prop_map(|(a, d, n, f, extra)| {
        Body::Submit(Submit {
            destinations: a.0,
            originating_address: a.1,
            alphanumeric_originating_address: a.2,
            data_coding_scheme: d.0,
            user_data_header: d.1,
            user_data: d.2,
            user_data_binary: d.3,
            more_messages_to_send: n.0,
            validity_period_relative: n.1,
            validity_period_absolute: n.2,
            protocol_identifier: n.3,
            first_delivery_time_relative: n.4,
            first_delivery_time_absolute: n.5,
            reply_path: f.0,
            status_report_request: f.1,
            cancel_enabled: f.2,
            tariff_class: f.3,
            service_description: f.4,
            priority: f.5,
            extra,
        })
    })
}

fn deliver() -> impl Strategy<Value = Body> {
    let a = (of(text()), of(text()), of(text()), of(text()));
    let d = (of(any::<u8>()), of(octets()), of(raw()), of(octets()), of(any::<u8>()), of(any::<u8>()));
    (a, d, extra()).prop_map(|(a, d, extra)| {
        Body::DeliverMessage(DeliverMessage {
            destination: a.0,
            originating_address: a.1,
            alphanumeric_originating_address: a.2,
            mc_timestamp: a.3,
            data_coding_scheme: d.0,
            user_data_header: d.1,
            user_data: d.2,
            user_data_binary: d.3,
            more_messages_to_send: d.4,
            protocol_identifier: d.5,
            extra,
        })
    })
}

fn status_report() -> impl Strategy<Value = Body> {
    (of(text()), of(text()), of(any::<u8>()), of(0u16..=999), of(text()), extra()).prop_map(
        |(d, t, s, e, dt, extra)| {
            Body::DeliverStatusReport(DeliverStatusReport {
                destination: d,
                mc_timestamp: t,
                status_code: s,
                status_error_code: e,
                discharge_time: dt,
                extra,
            })
        },
    )
}

fn response() -> impl Strategy<Value = Response> {
    (of(text()), of(text()), of(any::<u16>()), of(text()), extra()).prop_map(|(d, t, c, e, extra)| Response {
        destination: d,
        mc_timestamp: t,
        error_code: c,
        error_text: e,
        extra,
    })
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        login(),
        Just(Body::Logout),
        submit(),
        deliver(),
        status_report(),
        Just(Body::Alive),
        response().prop_map(Body::LoginResp),
        response().prop_map(Body::LogoutResp),
        response().prop_map(Body::SubmitResp),
        response().prop_map(Body::DeliverMessageResp),
        response().prop_map(Body::DeliverStatusReportResp),
        response().prop_map(Body::AliveResp),
        response().prop_map(Body::GeneralError),
        response().prop_map(Body::Nack),
        (prop_oneof![4u8..=9, 54u8..=59, 10u8..=19], vec((0u16..=999, raw()), 0..4)).prop_map(|(op, p)| {
            Body::Unknown { op, params: p.into_iter().map(|(c, v)| Param::new(c, v)).collect() }
        }),
    ]
}

fn packet() -> impl Strategy<Value = Packet> {
    (any::<u8>(), body()).prop_map(|(number, body)| Packet { number, body })
}

proptest! {
    #[test]
    fn every_operation_round_trips(p in packet(), checksum in prop_oneof![Just(Checksum::Include), Just(Checksum::Omit)]) {
        let mut buf = BytesMut::new();
        prop_assert_eq!(encode_with(&p, checksum, &mut buf), Ok(()));
        prop_assert_eq!(buf.first(), Some(&2u8));
        prop_assert_eq!(buf.last(), Some(&3u8));
        prop_assert_eq!(decode(&mut buf), Ok(Some(p)));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn a_stream_split_anywhere_decodes_the_same(ps in vec(packet(), 1..5), cut in any::<prop::sample::Index>()) {
        let mut all = BytesMut::new();
        for p in &ps {
            prop_assert_eq!(encode(p, &mut all), Ok(()));
        }
        let cut = cut.index(all.len() + 1);
        let mut buf = BytesMut::from(&all[..cut]);
        let mut got = Vec::new();
        while let Ok(Some(p)) = decode(&mut buf) {
            got.push(p);
        }
        buf.extend_from_slice(&all[cut..]);
        while let Ok(Some(p)) = decode(&mut buf) {
            got.push(p);
        }
        prop_assert_eq!(got, ps);
        prop_assert!(buf.is_empty());
    }
}

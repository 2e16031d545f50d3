//! Runs the fuzz target's body (`cimd2::fuzzing::decode_stream`) on stable:
//! raw noise, noise that looks like CIMD2 (digits, colons, tabs, STX, ETX),
//! and mutated valid streams, which reach deeper than noise does.

use bytes::{Bytes, BytesMut};
use cimd2::{encode, Body, DeliverMessage, Login, Packet, Response, Submit};
use proptest::prelude::*;

fn seed_stream() -> Vec<u8> {
    let packets = [
        Packet::new(1, Body::Login(Login { user_identity: "foo".into(), password: "bar".into(), extra: vec![] })),
        Packet::new(
            3,
            Body::Submit(Submit {
                destinations: vec!["4477".into()],
                data_coding_scheme: Some(0),
                user_data_header: Some(Bytes::from_static(&[5, 0, 3, 1, 2, 1])),
                user_data: Some(Bytes::from_static(b"hi _Oa_XXe")),
                status_report_request: Some(14),
                ..Submit::default()
            }),
        ),
        Packet::new(
            3,
            Body::SubmitResp(Response {
                destination: Some("4477".into()),
                mc_timestamp: Some("251126185501".into()),
                ..Response::default()
            }),
        ),
        Packet::new(
            0,
            Body::DeliverMessage(DeliverMessage {
                user_data: Some(Bytes::from_static(b"x")),
                ..DeliverMessage::default()
            }),
        ),
        Packet::new(5, Body::Alive),
    ];
    let mut buf = BytesMut::new();
    for p in &packets {
        assert_eq!(encode(p, &mut buf), Ok(()));
    }
    buf.to_vec()
}

fn cimd_like_byte() -> impl Strategy<Value = u8> {
    prop_oneof![Just(2u8), Just(3u8), Just(9u8), Just(b':'), Just(b'_'), b'0'..=b'9', b'A'..=b'F', any::<u8>()]
}

#[derive(Debug, Clone)]
enum Edit {
    Set(prop::sample::Index, u8),
    Cut(prop::sample::Index),
    Insert(prop::sample::Index, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<prop::sample::Index>(), cimd_like_byte()).prop_map(|(i, b)| Edit::Set(i, b)),
        any::<prop::sample::Index>().prop_map(Edit::Cut),
        (any::<prop::sample::Index>(), cimd_like_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn noise(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        cimd2::fuzzing::decode_stream(&data);
    }

    #[test]
    fn cimd_like_noise(data in proptest::collection::vec(cimd_like_byte(), 0..300)) {
        cimd2::fuzzing::decode_stream(&data);
    }

    #[test]
    fn mutated_valid_streams(edits in proptest::collection::vec(edit(), 1..5)) {
        let mut d = seed_stream();
        for e in edits {
            if d.is_empty() {
                break;
            }
            match e {
                Edit::Set(i, b) => {
                    let i = i.index(d.len());
                    d[i] = b;
                }
                Edit::Cut(i) => d.truncate(i.index(d.len())),
                Edit::Insert(i, b) => d.insert(i.index(d.len()), b),
            }
        }
        cimd2::fuzzing::decode_stream(&d);
    }
}

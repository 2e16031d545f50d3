//! Property tests: encode → decode is the identity for every operation and
//! result, and decoding arbitrary bytes never panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use proptest::prelude::*;
use ucp::{decode, encode, Ack, Alert, Body, ExtraService, Kind, Login, Message, Msg, Nack, Ot, Sm, Trn};

/// A field value: printable Latin-1 without '/', including the quirks a peer
/// may send (spaces, ':' in SM, '.' in addresses, a few Latin-1 letters).
fn field() -> impl Strategy<Value = String> {
    "[0-9A-Za-z :.+#é]{0,12}"
}

fn trn() -> impl Strategy<Value = Trn> {
    (0u8..=99).prop_map(|n| Trn::new(n).unwrap())
}

fn octets(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        Just(Msg::None),
        "[0-9]{0,20}".prop_map(Msg::Numeric),
        octets(160).prop_map(Msg::Alphanumeric),
        (any::<u32>(), octets(140)).prop_map(|(bits, data)| Msg::Transparent { bits, data }),
        // Only combinations the typed variants do not hold.
        ("[5-9]", field(), "[0-9A-F]{0,10}").prop_map(|(mt, nb, msg)| Msg::Other { mt, nb, msg }),
        ("[23]", "[0-9]{1,3}", "[0-9A-F]{0,10}").prop_map(|(mt, nb, msg)| Msg::Other { mt, nb, msg }),
    ]
}

fn xser() -> impl Strategy<Value = Vec<ExtraService>> {
    proptest::collection::vec((any::<u8>(), octets(20)).prop_map(|(kind, data)| ExtraService { kind, data }), 0..3)
}

fn sm() -> impl Strategy<Value = Sm> {
    (proptest::collection::vec(field(), 30), msg(), xser()).prop_map(|(f, msg, xser)| {
        let mut f = f.into_iter();
        let mut n = || f.next().unwrap_or_default();
        Sm {
            adc: n(),
            oadc: n(),
            ac: n(),
            nrq: n(),
            nadc: n(),
            nt: n(),
            npid: n(),
            lrq: n(),
            lrad: n(),
            lpid: n(),
            dd: n(),
            ddt: n(),
            vp: n(),
            rpid: n(),
            scts: n(),
            dst: n(),
            rsn: n(),
            dscts: n(),
            msg,
            mms: n(),
            pr: n(),
            dcs: n(),
            mcls: n(),
            rpi: n(),
            cpg: n(),
            rply: n(),
            otoa: n(),
            hplmn: n(),
            xser,
            res4: n(),
            res5: n(),
        }
    })
}

fn login() -> impl Strategy<Value = Login> {
    (proptest::collection::vec(field(), 10), "[\\x00-\\xff]{0,16}", "[\\x00-\\xff]{0,8}").prop_map(|(f, pwd, npwd)| {
        let mut f = f.into_iter();
        let mut n = || f.next().unwrap_or_default();
        Login {
            oadc: n(),
            oton: n(),
            onpi: n(),
            styp: n(),
            pwd,
            npwd,
            vers: n(),
            ladc: n(),
            lton: n(),
            lnpi: n(),
            opid: n(),
            res1: n(),
        }
    })
}

fn ot() -> impl Strategy<Value = Ot> {
    (0u8..=99).prop_map(Ot)
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        (field(), field()).prop_map(|(adc, pid)| Body::Alert(Alert { adc, pid })),
        sm().prop_map(Body::Submit),
        sm().prop_map(Body::Deliver),
        sm().prop_map(Body::Notification),
        login().prop_map(Body::Login),
        (ot(), field(), field()).prop_map(|(ot, mvp, sm)| Body::Ack(Ack { ot, mvp, sm })),
        (ot(), any::<u8>(), field()).prop_map(|(ot, ec, sm)| Body::Nack(Nack { ot, ec, sm })),
        (
            ot().prop_filter("modelled", |ot| ![31, 51, 52, 53, 60].contains(&ot.0)),
            proptest::collection::vec(field(), 0..40)
        )
            .prop_map(|(ot, fields)| Body::Unknown { ot, kind: Kind::Operation, fields }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encode_then_decode_is_identity(trn in trn(), body in body()) {
        let message = Message::new(trn, body);
        let mut buf = BytesMut::new();
        encode(&message, &mut buf).unwrap();
        prop_assert_eq!(buf[0], 0x02);
        prop_assert_eq!(buf[buf.len() - 1], 0x03);
        // LEN counts the characters between STX and ETX.
        let len: usize = std::str::from_utf8(&buf[4..9]).unwrap().parse().unwrap();
        prop_assert_eq!(len, buf.len() - 2);
        prop_assert_eq!(decode(&mut buf), Ok(Some(message)));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn decode_never_panics(data in octets(600)) {
        ucp::fuzzing::decode_stream(&data);
    }

    #[test]
    fn decode_never_panics_on_frame_like_input(
        trn in "[0-9]{2}", len in "[0-9]{5}", kind in "[ORX]", ot in "[0-9]{2}",
        fields in proptest::collection::vec("[0-9A-Fa-f/:]{0,8}", 0..40), ck in "[0-9A-F]{2}",
    ) {
        let data = format!("\u{2}{trn}/{len}/{kind}/{ot}/{}/{ck}\u{3}", fields.join("/"));
        ucp::fuzzing::decode_stream(data.as_bytes());
    }
}

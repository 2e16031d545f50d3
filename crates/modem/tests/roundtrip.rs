//! Property tests: our SMS-SUBMIT encoder against the crate's SUBMIT decoder, the
//! SMS-DELIVER encoder (fakes, simulators) against the DELIVER decoder, and decoders
//! that never panic on arbitrary input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use modem::tpdu::{self, Tpdu};
use modem::{dcs, decode_submit, encode_message, validity, Address, Deliver, SubmitOptions, Timestamp, Validity};
use proptest::prelude::*;
use text::{split, Preference, SplitOptions};

fn texts() -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        proptest::char::range('a', 'z'),
        Just(' '),
        proptest::sample::select(vec!['€', '[', ']', '{', '}', '~', '^', '|', '\\', '@', 'ß', 'Ñ']),
        proptest::sample::select(vec!['Ж', 'я', 'ğ', 'ç', '😀', '🎉', '中']),
    ];
    proptest::collection::vec(chars, 0..400).prop_map(|v| v.into_iter().collect())
}

fn addresses() -> impl Strategy<Value = Address> {
    prop_oneof![
        "[1-9][0-9]{0,14}".prop_map(|d| Address::international(&d)),
        "[0-9*#]{1,20}".prop_map(|d| Address::unknown(&d)),
        "[A-Za-z0-9 ]{1,11}".prop_map(|t| Address::alphanumeric(&t)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn submit_round_trips(
        text in texts(),
        to in addresses(),
        status_report in any::<bool>(),
        reject_duplicates in any::<bool>(),
        validity_s in proptest::option::of(0u64..40_000_000),
        reference in any::<u16>(),
        concat16 in any::<bool>(),
    ) {
        let concat = if concat16 { text::Concat::Udh16 } else { text::Concat::Udh8 };
        let split_opts = SplitOptions { max_segments: 255, reference, concat, ..SplitOptions::default() };
        let message = split(&text, Preference::Auto, &split_opts).unwrap();
        let opts = SubmitOptions {
            status_report,
            reject_duplicates,
            validity: validity_s.map(Duration::from_secs),
            ..SubmitOptions::default()
        };
        let pdus = encode_message(&to, &message, &opts).unwrap();
        prop_assert_eq!(pdus.len(), message.segments.len());
        for (pdu, segment) in pdus.iter().zip(&message.segments) {
            prop_assert_eq!(pdu.tpdu_len, pdu.hex.len() / 2 - 1);
            let back = decode_submit(&pdu.hex).unwrap();
            prop_assert_eq!(&back.to, &to);
            prop_assert_eq!(back.mr, 0);
            prop_assert_eq!((back.status_report, back.reject_duplicates), (status_report, reject_duplicates));
            prop_assert_eq!(back.dcs, dcs::to_tp_dcs(message.data_coding).unwrap());
            let expected_vp = validity_s.map_or(Validity::None, |s| Validity::Relative(validity::encode_relative(Duration::from_secs(s))));
            prop_assert_eq!(back.validity, expected_vp);
            prop_assert_eq!(back.udhi, segment.udh.is_some());
            prop_assert_eq!(back.user_data, segment.to_short_message());
        }
    }

    #[test]
    fn deliver_round_trips(
        from in addresses(),
        tp_dcs in prop_oneof![Just(0x00u8), Just(0x04), Just(0x08), Just(0x10), Just(0xF1), Just(0xF5)],
        udh in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..10)),
        body in proptest::collection::vec(any::<u8>(), 0..120),
        epoch_s in 0i64..3_000_000_000,
        quarters in -79i8..=79,
    ) {
        let septets = dcs::is_septets(tp_dcs);
        let body: Vec<u8> = body.into_iter().map(|b| if septets { b & 0x7F } else { b }).collect();
        let user_data = match &udh {
            Some(ies) => [vec![ies.len() as u8], ies.clone(), body].concat(),
            None => body,
        };
        let d = Deliver {
            smsc: Some(Address::international("4917000000")),
            from,
            protocol_id: 0,
            dcs: tp_dcs,
            data_coding: dcs::to_data_coding(tp_dcs),
            scts: Timestamp::from_epoch_ms(epoch_s * 1000, quarters),
            udhi: udh.is_some(),
            status_report_indication: false,
            user_data,
        };
        prop_assume!(d.scts.year >= 1970 && d.scts.year <= 2068);
        if let Ok(hex) = d.encode() {
            prop_assert_eq!(tpdu::decode(&hex, None), Ok(Tpdu::Deliver(d.clone())));
            prop_assert_eq!(d.scts.epoch_ms(), Some(epoch_s * 1000));
        }
    }

    #[test]
    fn decoders_never_panic_on_text(line in "\\PC{0,300}") {
        let _ = tpdu::decode(&line, None);
        let _ = tpdu::decode(&line, Some(line.len() / 2));
    }

    #[test]
    fn decoders_never_panic_on_hex(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        modem::fuzzing::pdu(&bytes);
    }
}

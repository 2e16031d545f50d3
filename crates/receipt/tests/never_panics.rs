//! Property tests: the parser never panics on anything, and a well-formed
//! receipt reads back what was written.

use bytes::Bytes;
use proptest::prelude::*;
use receipt::{from_deliver_sm, parse, FinalState, Timestamp};
use smpp::tlv::tag;
use smpp::{Sm, Tlv};

const VALID: &str =
    "id:0123456789 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 text:Hello: world";

/// Characters that hit the parser's edges more often than `any::<char>()`.
fn edgy_char() -> impl Strategy<Value = char> {
    prop_oneof![
        Just(':'),
        Just(' '),
        Just('\0'),
        Just('_'),
        Just('\n'),
        proptest::char::range('0', '9'),
        proptest::char::range('a', 'z'),
        Just('é'),
        Just('€'),
        Just('😀'),
        any::<char>(),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Remove(usize),
    Replace(usize, char),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), edgy_char()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Remove),
        (any::<usize>(), edgy_char()).prop_map(|(i, c)| Edit::Replace(i, c)),
    ]
}

fn mutate(base: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = base.chars().collect();
    for e in edits {
        let len = chars.len();
        match *e {
            Edit::Insert(i, c) => chars.insert(i % (len + 1), c),
            Edit::Remove(i) if len > 0 => {
                chars.remove(i % len);
            }
            Edit::Replace(i, c) if len > 0 => chars[i % len] = c,
            _ => {}
        }
    }
    chars.into_iter().collect()
}

const STATES: [FinalState; 9] = [
    FinalState::Delivered,
    FinalState::Expired,
    FinalState::Deleted,
    FinalState::Undeliverable,
    FinalState::Accepted,
    FinalState::Unknown,
    FinalState::Rejected,
    FinalState::Enroute,
    FinalState::Skipped,
];

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (2000u16..2100, 1u8..=12, 1u8..=28, 0u8..24, 0u8..60, 0u8..60)
        .prop_filter_map("valid", |(y, mo, d, h, mi, s)| Timestamp::new(y, mo, d, h, mi, s))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn parse_never_panics_on_any_string(s in any::<String>()) {
        let _ = parse(&s);
    }

    #[test]
    fn parse_never_panics_on_edgy_strings(chars in proptest::collection::vec(edgy_char(), 0..200)) {
        let s: String = chars.into_iter().collect();
        let _ = parse(&s);
    }

    #[test]
    fn parse_never_panics_on_mutated_receipts(edits in proptest::collection::vec(edit(), 1..12)) {
        let s = mutate(VALID, &edits);
        let _ = parse(&s);
    }

    #[test]
    fn from_deliver_sm_never_panics(
        esm_class: u8,
        short_message in proptest::collection::vec(any::<u8>(), 0..254),
        tlvs in proptest::collection::vec(
            (prop_oneof![
                Just(tag::RECEIPTED_MESSAGE_ID),
                Just(tag::MESSAGE_STATE),
                Just(tag::NETWORK_ERROR_CODE),
                Just(tag::MESSAGE_PAYLOAD),
                any::<u16>(),
            ], proptest::collection::vec(any::<u8>(), 0..40)),
            0..5,
        ),
    ) {
        let sm = Sm {
            esm_class,
            short_message: Bytes::from(short_message),
            tlvs: tlvs.into_iter().map(|(t, v)| Tlv::new(t, v)).collect(),
            ..Sm::default()
        };
        let _ = from_deliver_sm(&sm);
    }

    #[test]
    fn well_formed_receipts_read_back(
        id in "[0-9A-Za-z]{1,20}",
        sub in 0u32..1000,
        dlvrd in 0u32..1000,
        submit in timestamp(),
        done in timestamp(),
        state in proptest::sample::select(STATES.to_vec()),
        err in 0u32..1000,
        text in "[ -~]{0,20}",
        long_dates: bool,
    ) {
        let date = |t: Timestamp| if long_dates {
            format!("{:04}{:02}{:02}{:02}{:02}{:02}", t.year, t.month, t.day, t.hour, t.minute, t.second)
        } else {
            format!("{:02}{:02}{:02}{:02}{:02}", t.year % 100, t.month, t.day, t.hour, t.minute)
        };
        let s = format!(
            "id:{id} sub:{sub:03} dlvrd:{dlvrd:03} submit date:{} done date:{} stat:{} err:{err:03} text:{text}",
            date(submit), date(done), state.stat(),
        );
        let r = parse(&s);
        prop_assert!(r.is_ok(), "{s:?}");
        let r = r.unwrap_or_default();
        let whole_minute = |t: Timestamp| if long_dates { t } else { Timestamp { second: 0, ..t } };
        prop_assert_eq!(r.id.as_deref(), Some(id.as_str()));
        prop_assert_eq!(r.sub, Some(sub));
        prop_assert_eq!(r.dlvrd, Some(dlvrd));
        prop_assert_eq!(r.submit_date, Some(whole_minute(submit)));
        prop_assert_eq!(r.done_date, Some(whole_minute(done)));
        prop_assert_eq!(r.state, Some(state));
        prop_assert_eq!(r.err_code, Some(err));
        let trimmed = text.trim();
        prop_assert_eq!(r.text.as_deref(), (!trimmed.is_empty()).then_some(trimmed));
    }
}

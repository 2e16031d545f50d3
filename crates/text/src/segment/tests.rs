use super::*;
use crate::decode::parse_udh;
use crate::encoding::MessageClass;
use crate::gsm7::ESCAPE;
use proptest::prelude::*;

fn opts(concat: Concat) -> SplitOptions {
    SplitOptions { concat, ..SplitOptions::default() }
}

fn lens(msg: &Message) -> Vec<usize> {
    msg.segments.iter().map(|s| s.payload.len()).collect()
}

#[test]
fn exactly_160_gsm_chars_is_one_segment() {
    let msg = split(&"a".repeat(160), Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!(msg.encoding, Encoding::Gsm7);
    assert_eq!(msg.data_coding, 0x00);
    assert_eq!(lens(&msg), [160]);
    let seg = &msg.segments[0];
    assert_eq!((seg.udh.as_ref(), seg.seq, seg.total, seg.sar()), (None, 1, 1, None));
    assert_eq!(seg.to_short_message(), vec![b'a'; 160]);
}

#[test]
fn gsm_161_chars_is_153_plus_8_with_udh8() {
    let o = SplitOptions { reference: 0x1234, ..SplitOptions::default() };
    let msg = split(&"a".repeat(161), Preference::Auto, &o).unwrap();
    assert_eq!(lens(&msg), [153, 8]);
    for (i, seg) in msg.segments.iter().enumerate() {
        let seq = i as u8 + 1;
        assert_eq!(seg.udh.as_deref(), Some(&[0x05, 0x00, 0x03, 0x34, 2, seq][..]));
        assert_eq!((seg.seq, seg.total, seg.sar()), (seq, 2, None));
        let sm = seg.to_short_message();
        assert_eq!(sm.len(), 6 + seg.payload.len());
        assert_eq!(&sm[6..], &seg.payload[..]);
    }
}

#[test]
fn udh16_parts_hold_152_septets() {
    let o = SplitOptions { reference: 0xBEEF, ..opts(Concat::Udh16) };
    let msg = split(&"a".repeat(305), Preference::Auto, &o).unwrap();
    assert_eq!(lens(&msg), [152, 152, 1]);
    assert_eq!(msg.segments[2].udh.as_deref(), Some(&[0x06, 0x08, 0x04, 0xBE, 0xEF, 3, 3][..]));
}

#[test]
fn sar_parts_hold_a_full_sms_and_carry_no_udh() {
    let o = SplitOptions { reference: 0x0102, ..opts(Concat::Sar) };
    let msg = split(&"a".repeat(161), Preference::Auto, &o).unwrap();
    assert_eq!(lens(&msg), [160, 1]);
    assert!(msg.segments.iter().all(|s| s.udh.is_none()));
    assert_eq!(msg.segments[0].sar(), Some((0x0102, 2, 1)));
    assert_eq!(msg.segments[1].sar(), Some((0x0102, 2, 2)));
    let single = split("hi", Preference::Auto, &o).unwrap();
    assert_eq!(single.segments[0].sar(), None);
}

#[test]
fn payload_is_one_segment_up_to_65535_octets() {
    let msg = split(&"a".repeat(1000), Preference::Auto, &opts(Concat::Payload)).unwrap();
    assert_eq!(lens(&msg), [1000]);
    assert_eq!(msg.segments[0].udh, None);
    let ucs2 = split(&"ж".repeat(32767), Preference::Auto, &opts(Concat::Payload)).unwrap();
    assert_eq!(lens(&ucs2), [65534]);
    assert_eq!(
        split(&"ж".repeat(32768), Preference::Auto, &opts(Concat::Payload)),
        Err(TextError::TooLong { len: 65536, max: 65535 })
    );
}

#[test]
fn ucs2_70_is_one_segment_71_is_67_plus_4() {
    let msg = split(&"ж".repeat(70), Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!((msg.encoding, msg.data_coding), (Encoding::Ucs2, 0x08));
    assert_eq!(lens(&msg), [140]);
    let msg = split(&"ж".repeat(71), Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!(lens(&msg), [134, 8]);
    let msg = split(&"ж".repeat(133), Preference::Auto, &opts(Concat::Udh16)).unwrap();
    assert_eq!(lens(&msg), [132, 132, 2]);
}

#[test]
fn escape_char_at_position_153_moves_to_next_segment() {
    // 152 septets, then '€' would take septets 153 and 154.
    let text = format!("{}€{}", "a".repeat(152), "b".repeat(10));
    let msg = split(&text, Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!(lens(&msg), [152, 12]);
    assert_eq!(&msg.segments[1].payload[..2], &[ESCAPE, 0x65]);
    // One septet earlier it still fits.
    let text = format!("{}€{}", "a".repeat(151), "b".repeat(10));
    let msg = split(&text, Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!(lens(&msg), [153, 10]);
    assert_eq!(&msg.segments[0].payload[151..], &[ESCAPE, 0x65]);
}

#[test]
fn extension_chars_count_double_for_the_single_limit() {
    let msg = split(&"€".repeat(80), Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!(lens(&msg), [160]);
    let msg = split(&"€".repeat(81), Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!(lens(&msg), [152, 10]);
}

#[test]
fn emoji_at_the_ucs2_boundary_moves_whole() {
    let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(10));
    let msg = split(&text, Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!(lens(&msg), [132, 24]);
    assert_eq!(&msg.segments[1].payload[..4], &[0xD8, 0x3D, 0xDE, 0x00]);
    // 35 emoji = 70 units: one segment.
    let msg = split(&"😀".repeat(35), Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!(lens(&msg), [140]);
}

#[test]
fn latin1_capacities() {
    let msg = split(&"é".repeat(140), Preference::Latin1, &SplitOptions::default()).unwrap();
    assert_eq!((msg.data_coding, lens(&msg)), (0x03, vec![140]));
    let msg = split(&"é".repeat(141), Preference::Latin1, &SplitOptions::default()).unwrap();
    assert_eq!(lens(&msg), [134, 7]);
}

#[test]
fn too_many_segments_is_an_error() {
    let ok = split(&"a".repeat(1530), Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!(ok.segments.len(), 10);
    assert_eq!(ok.segments[9].total, 10);
    assert_eq!(
        split(&"a".repeat(1531), Preference::Auto, &SplitOptions::default()),
        Err(TextError::TooManySegments { needed: 11, max: 10 })
    );
    let huge = SplitOptions { max_segments: 1000, ..SplitOptions::default() };
    assert_eq!(
        split(&"a".repeat(153 * 256), Preference::Auto, &huge),
        Err(TextError::TooManySegments { needed: 256, max: 255 })
    );
}

#[test]
fn flash_and_forced_encodings() {
    let flash = SplitOptions { class: Some(MessageClass::Class0), ..SplitOptions::default() };
    assert_eq!(split("hi", Preference::Auto, &flash).unwrap().data_coding, 0x10);
    assert_eq!(split("hi", Preference::Ucs2, &flash).unwrap().data_coding, 0x18);
    assert!(matches!(split("hi", Preference::Latin1, &flash), Err(TextError::ClassNotSupported { .. })));
    assert_eq!(
        split("hi ж", Preference::Gsm7, &SplitOptions::default()),
        Err(TextError::Unencodable { encoding: Encoding::Gsm7, ch: 'ж', index: 3 })
    );
    assert_eq!(split("hi", Preference::Binary, &SplitOptions::default()), Err(TextError::BinaryText));
}

#[test]
fn empty_text_is_one_empty_segment() {
    let msg = split("", Preference::Auto, &SplitOptions::default()).unwrap();
    assert_eq!(lens(&msg), [0]);
}

#[test]
fn binary_capacities() {
    let d = SplitOptions::default();
    let msg = split_binary(&[7; 140], &d).unwrap();
    assert_eq!((msg.encoding, msg.data_coding, lens(&msg)), (Encoding::Binary, 0x04, vec![140]));
    assert_eq!(lens(&split_binary(&[7; 141], &d).unwrap()), [134, 7]);
    assert_eq!(lens(&split_binary(&[7; 141], &opts(Concat::Udh16)).unwrap()), [133, 8]);
    assert_eq!(lens(&split_binary(&[7; 281], &opts(Concat::Sar)).unwrap()), [140, 140, 1]);
    assert_eq!(lens(&split_binary(&[7; 5000], &opts(Concat::Payload)).unwrap()), [5000]);
    assert!(matches!(split_binary(&[7; 134 * 10 + 1], &d), Err(TextError::TooManySegments { needed: 11, .. })));
}

#[test]
fn capacity_table() {
    use Encoding::*;
    for (enc, single, udh8, udh16) in
        [(Gsm7, 160, 153, 152), (Latin1, 140, 134, 133), (Binary, 140, 134, 133), (Ucs2, 70, 67, 66)]
    {
        assert_eq!(capacity(enc, Concat::Udh8, false), single);
        assert_eq!(capacity(enc, Concat::Udh8, true), udh8);
        assert_eq!(capacity(enc, Concat::Udh16, true), udh16);
        assert_eq!(capacity(enc, Concat::Sar, true), single);
    }
}

/// Strings that mix GSM characters (incl. extension ones), other BMP characters
/// and astral ones, so both encodings and both boundary rules get exercised.
fn text_strategy() -> impl Strategy<Value = String> {
    let gsm: Vec<char> = "@£$¥èé\n\rΔ_ΦA Zaz09€{}[]~^|\\\u{0C}".chars().collect();
    let ch = prop_oneof![
        6 => proptest::sample::select(gsm),
        1 => any::<char>(),
        1 => proptest::sample::select(vec!['😀', 'ж', 'ç', '\u{FFFD}']),
    ];
    prop_oneof![proptest::collection::vec(ch, 0..700).prop_map(String::from_iter), any::<String>(),]
}

fn concat_strategy() -> impl Strategy<Value = Concat> {
    prop_oneof![Just(Concat::Udh8), Just(Concat::Udh16), Just(Concat::Sar), Just(Concat::Payload),]
}

proptest! {
    #[test]
    fn split_auto_round_trips(text in text_strategy(), concat in concat_strategy(), reference in any::<u16>()) {
        let o = SplitOptions { max_segments: 255, concat, reference, class: None, ..SplitOptions::default() };
        let msg = split(&text, Preference::Auto, &o).unwrap();

        // GSM 7-bit exactly when every character has a GSM code.
        let all_gsm = text.chars().all(|c| crate::gsm7::septet_len(c).is_some());
        prop_assert_eq!(msg.encoding == Encoding::Gsm7, all_gsm);
        prop_assert_eq!(msg.encoding == Encoding::Ucs2, !all_gsm);

        // Each segment decodes on its own (no cut escape or surrogate pair),
        // and the parts concatenate back to the text.
        let mut joined = String::new();
        for seg in &msg.segments {
            joined.push_str(&msg.encoding.decode(&seg.payload).unwrap());
        }
        prop_assert_eq!(&joined, &text);

        let total = msg.segments.len();
        let multipart = total > 1;
        for (i, seg) in msg.segments.iter().enumerate() {
            let units = match msg.encoding {
                Encoding::Ucs2 => seg.payload.len() / 2,
                _ => seg.payload.len(),
            };
            if concat != Concat::Payload {
                prop_assert!(units <= capacity(msg.encoding, concat, multipart));
            }
            if msg.encoding == Encoding::Gsm7 {
                prop_assert_ne!(seg.payload.last(), Some(&ESCAPE));
            }
            prop_assert_eq!((usize::from(seg.seq), usize::from(seg.total)), (i + 1, total));
            // A UDH we build is one the inbound parser reads back.
            if let Some(udh) = &seg.udh {
                let sm = seg.to_short_message();
                let (parsed, body) = parse_udh(&sm).unwrap();
                prop_assert_eq!(body, &seg.payload[..]);
                let expected_ref = if concat == Concat::Udh8 { reference & 0xFF } else { reference };
                prop_assert_eq!(parsed.concat(), Some((expected_ref, seg.total, seg.seq)));
                prop_assert!(sm.len() - seg.payload.len() == udh.len());
            }
        }
        // Parts are full before the next one starts: a greedy split never
        // leaves room for the next part's first character.
        if multipart {
            let cap = capacity(msg.encoding, concat, true);
            for pair in msg.segments.windows(2) {
                let (first, next) = (&pair[0], &pair[1]);
                let first_next_char = msg.encoding.decode(&next.payload).unwrap().chars().next().unwrap();
                let used = match msg.encoding {
                    Encoding::Ucs2 => first.payload.len() / 2,
                    _ => first.payload.len(),
                };
                prop_assert!(used + msg.encoding.unit_len(first_next_char).unwrap() > cap);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    /// The router counts what the sender will split: same number, same error.
    #[test]
    fn count_is_what_split_makes(
        text in text_strategy(),
        concat in concat_strategy(),
        pref in prop_oneof![Just(Preference::Auto), Just(Preference::Gsm7), Just(Preference::Ucs2), Just(Preference::Latin1), Just(Preference::Binary)],
        max_segments in 1usize..8,
        class in prop_oneof![Just(None), Just(Some(MessageClass::Class0)), Just(Some(MessageClass::Class2))],
        national in any::<bool>(),
    ) {
        let languages = if national { crate::gsm7::national::Languages::ALL } else { crate::gsm7::national::Languages::NONE };
        let o = SplitOptions { max_segments, concat, reference: 7, class, languages };
        let split = split(&text, pref, &o).map(|m| m.segments.len());
        prop_assert_eq!(count(&text, pref, &o), split);
    }
}

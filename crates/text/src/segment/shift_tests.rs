//! Splitting with national language tables (TS 23.038 Annex A; UDH IEs 0x24/0x25).

use super::*;
use crate::decode::{decode_user_data, parse_udh};
use crate::gsm7::national::{Language, Languages};
use crate::gsm7::{pack, ESCAPE};
use proptest::prelude::*;

fn only(lang: Language) -> SplitOptions {
    SplitOptions { languages: Languages::NONE.with(lang), ..SplitOptions::default() }
}

fn all() -> SplitOptions {
    SplitOptions { languages: Languages::ALL, max_segments: 255, ..SplitOptions::default() }
}

fn lens(msg: &Message) -> Vec<usize> {
    msg.segments.iter().map(|s| s.payload.len()).collect()
}

/// Decodes each segment with the tables its own UDH names and joins them.
fn reassemble(msg: &Message) -> String {
    msg.segments
        .iter()
        .map(|seg| {
            let udhi = seg.udh.is_some();
            let (_, decoded) = decode_user_data(msg.data_coding, &seg.to_short_message(), udhi).unwrap();
            decoded.text.unwrap()
        })
        .collect()
}

#[test]
fn capacities_with_shift_ies() {
    let one = Shift { locking: Some(Language::Turkish), single: None };
    let two = Shift { locking: Some(Language::Turkish), single: Some(Language::Turkish) };
    use Concat::*;
    // (concat, multipart, shift, UDH octets incl. UDHL, septets = floor((140 - udh) * 8 / 7))
    for (concat, multipart, shift, udh, septets) in [
        (Udh8, false, Shift::NONE, 0, 160),
        (Udh8, false, one, 4, 155),
        (Udh8, false, two, 7, 152),
        (Udh8, true, Shift::NONE, 6, 153),
        (Udh8, true, one, 9, 149),
        (Udh8, true, two, 12, 146),
        (Udh16, true, one, 10, 148),
        (Udh16, true, two, 13, 145),
        (Sar, true, one, 4, 155),
        (Sar, true, two, 7, 152),
    ] {
        assert_eq!(udh_octets(concat, multipart, shift), udh, "{concat:?} {multipart} {shift}");
        assert_eq!(capacity_with(Encoding::Gsm7, concat, multipart, shift), septets, "{concat:?} {multipart} {shift}");
    }
}

#[test]
fn turkish_400_chars_takes_turkish_locking_table_and_3_segments() {
    let base = "Çığ düştü, İş Günü ağır geçti; Şule eşiğe ışık tuttu. Ğ ";
    let text: String = base.chars().cycle().take(400).collect();
    let opts = SplitOptions { reference: 7, ..only(Language::Turkish) };
    let msg = split(&text, Preference::Auto, &opts).unwrap();
    assert_eq!((msg.encoding, msg.data_coding), (Encoding::Gsm7, 0x00));
    // Single shift only would need 508 septets (108 of the characters take two): 4 parts.
    // The locking table has all of them in one septet: 400 septets, 3 parts of at most
    // 149 (8-bit concat IE + locking shift IE = 9-octet UDH).
    assert_eq!(msg.shift, Shift { locking: Some(Language::Turkish), single: None });
    assert_eq!(lens(&msg), [149, 149, 102]);
    assert_eq!(msg.segments[0].udh.as_deref(), Some(&[0x08, 0x00, 0x03, 7, 3, 1, 0x25, 0x01, 0x01][..]));
    assert_eq!(msg.segments[2].udh.as_deref(), Some(&[0x08, 0x00, 0x03, 7, 3, 3, 0x25, 0x01, 0x01][..]));
    let ucs2 = split(&text, Preference::Ucs2, &opts).unwrap();
    assert_eq!(ucs2.segments.len(), 6);
    assert_eq!(reassemble(&msg), text);
    // Without Turkish allowed it is UCS-2, as before.
    assert_eq!(split(&text, Preference::Auto, &SplitOptions::default()).unwrap().encoding, Encoding::Ucs2);
}

#[test]
fn single_part_message_gets_a_udh_with_the_shift_ie() {
    // 83 characters, one 'Ş': UCS-2 needs 2 segments; single shift (84 septets) and
    // locking (83) one each, and the simpler single shift wins that tie.
    let text = format!("Şu an{}", " tamam".repeat(13));
    let msg = split(&text, Preference::Auto, &only(Language::Turkish)).unwrap();
    assert_eq!(msg.shift, Shift { locking: None, single: Some(Language::Turkish) });
    assert_eq!(msg.segments.len(), 1);
    let seg = &msg.segments[0];
    assert_eq!(seg.udh.as_deref(), Some(&[0x03, 0x24, 0x01, 0x01][..]));
    assert_eq!(seg.payload[..6], [ESCAPE, 0x53, b'u', b' ', b'a', b'n']);
    assert_eq!(seg.to_short_message()[..6], [0x03, 0x24, 0x01, 0x01, ESCAPE, 0x53]);
    // Five characters fit one UCS-2 segment too: a tie with UCS-2 goes to UCS-2.
    assert_eq!(split("Şu an", Preference::Auto, &only(Language::Turkish)).unwrap().encoding, Encoding::Ucs2);
}

#[test]
fn spanish_single_shift_155_septets_fit_one_segment() {
    // 'á' is in no default table; Spanish single shift gives escape + 0x61.
    let text = format!("{}á", "a".repeat(153));
    let msg = split(&text, Preference::Auto, &only(Language::Spanish)).unwrap();
    assert_eq!(msg.shift, Shift { locking: None, single: Some(Language::Spanish) });
    assert_eq!(lens(&msg), [155]);
    let text = format!("{}á", "a".repeat(154));
    let msg = split(&text, Preference::Auto, &only(Language::Spanish)).unwrap();
    // 156 septets: two parts of at most 149 septets, the escape pair never cut.
    assert_eq!(lens(&msg), [149, 7]);
}

#[test]
fn escape_pair_at_a_part_boundary_moves_whole() {
    // 148 septets, then 'ş' (escape + 0x73) would take septets 149 and 150.
    let text = format!("{}ş{}", "a".repeat(148), "b".repeat(10));
    let opts = SplitOptions { languages: Languages::NONE.with(Language::Spanish).with(Language::Turkish), ..all() };
    let msg = split(&text, Preference::Gsm7, &opts).unwrap();
    // Turkish locking: 159 septets in 2 parts; single shift: 160 in 2 parts. Tie: single.
    assert_eq!(msg.shift, Shift { locking: None, single: Some(Language::Turkish) });
    assert_eq!(lens(&msg), [148, 12]);
    assert_eq!(&msg.segments[1].payload[..2], &[ESCAPE, 0x73]);
}

#[test]
fn national_tables_only_when_fewer_segments_than_ucs2() {
    // 20 Bengali letters: UCS-2 fits them in one segment, so does Bengali locking
    // (20 septets) — a tie, and UCS-2 wins it.
    let bengali: String = "\u{0995}\u{0996}\u{0997}\u{0998}".repeat(5);
    let msg = split(&bengali, Preference::Auto, &all()).unwrap();
    assert_eq!((msg.encoding, msg.shift), (Encoding::Ucs2, Shift::NONE));
    // 100 of them: UCS-2 needs 2 segments, Bengali locking 1 (100 ≤ 155).
    let bengali: String = "\u{0995}\u{0996}\u{0997}\u{0998}".repeat(25);
    let msg = split(&bengali, Preference::Auto, &all()).unwrap();
    assert_eq!((msg.encoding, msg.shift), (Encoding::Gsm7, Shift { locking: Some(Language::Bengali), single: None }));
    assert_eq!(reassemble(&msg), bengali);
}

#[test]
fn default_alphabet_wins_whenever_it_encodes() {
    let msg = split("€€€ plain", Preference::Auto, &all()).unwrap();
    assert_eq!((msg.encoding, msg.shift), (Encoding::Gsm7, Shift::NONE));
    assert_eq!(msg.segments[0].udh, None);
}

#[test]
fn forced_gsm7_uses_allowed_tables_or_names_the_character() {
    let msg = split("ağ", Preference::Gsm7, &only(Language::Turkish)).unwrap();
    assert_eq!(msg.shift, Shift { locking: None, single: Some(Language::Turkish) });
    // No languages allowed: the first character outside the default tables.
    assert_eq!(
        split("ağ", Preference::Gsm7, &SplitOptions::default()),
        Err(TextError::Unencodable { encoding: Encoding::Gsm7, ch: 'ğ', index: 1 })
    );
    // Turkish gets past 'ğ' but no Turkish table has 'á'.
    assert_eq!(
        split("ağ á", Preference::Gsm7, &only(Language::Turkish)),
        Err(TextError::Unencodable { encoding: Encoding::Gsm7, ch: 'á', index: 3 })
    );
    // Turkish locking + Spanish single shift encode both.
    let opts = SplitOptions { languages: Languages::NONE.with(Language::Turkish).with(Language::Spanish), ..all() };
    let msg = split("ağ á", Preference::Gsm7, &opts).unwrap();
    assert_eq!(msg.shift, Shift { locking: Some(Language::Turkish), single: Some(Language::Spanish) });
    assert_eq!(msg.segments[0].udh.as_deref(), Some(&[0x06, 0x24, 0x01, 0x02, 0x25, 0x01, 0x01][..]));
    assert_eq!(reassemble(&msg), "ağ á");
    // Forced UCS-2 never uses national tables.
    assert_eq!(split("ağ", Preference::Ucs2, &opts).unwrap().shift, Shift::NONE);
}

#[test]
fn payload_and_sar_carry_the_shift_ies() {
    let text: String = "ğ".repeat(200);
    let sar = SplitOptions { concat: Concat::Sar, ..only(Language::Turkish) };
    let msg = split(&text, Preference::Auto, &sar).unwrap();
    assert_eq!(msg.shift, Shift { locking: Some(Language::Turkish), single: None });
    assert_eq!(lens(&msg), [155, 45]);
    assert!(msg.segments.iter().all(|s| s.udh.as_deref() == Some(&[0x03, 0x25, 0x01, 0x01][..])));
    let payload = SplitOptions { concat: Concat::Payload, ..only(Language::Turkish) };
    let msg = split(&text, Preference::Auto, &payload).unwrap();
    assert_eq!(lens(&msg), [200]);
    assert_eq!(msg.segments[0].udh.as_deref(), Some(&[0x03, 0x25, 0x01, 0x01][..]));
}

#[test]
fn inbound_udh_with_shift_ies_decodes_with_those_tables() {
    // UDH: 8-bit concat (ref 0x12, 2 parts, part 1), single shift Turkish, locking Turkish.
    let mut sm = vec![0x0B, 0x00, 0x03, 0x12, 0x02, 0x01, 0x24, 0x01, 0x01, 0x25, 0x01, 0x01];
    sm.extend_from_slice(&[0x1C, 0x07, 0x1B, 0x63, 0x40]); // Ş ı (esc ç) İ
    let (udh, decoded) = decode_user_data(0x00, &sm, true).unwrap();
    let udh = udh.unwrap();
    assert_eq!(udh.concat(), Some((0x12, 2, 1)));
    assert_eq!(udh.shift(), Shift { locking: Some(Language::Turkish), single: Some(Language::Turkish) });
    assert_eq!(decoded.text.as_deref(), Some("Şıçİ"));
    // Without the IEs the same septets are default-alphabet text (escape + 0x63 is
    // not in the default extension table: the default character, TS 23.038 §6.2.1.1).
    assert_eq!(crate::decode::decode(0x00, &sm[12..]).text.as_deref(), Some("Æìc¡"));
    // Unknown identifier, wrong length, Spanish locking: default tables.
    for ies in [[0x25, 0x01, 0x0E], [0x25, 0x01, 0x02], [0x24, 0x01, 0x00]] {
        let mut sm = vec![0x03];
        sm.extend_from_slice(&ies);
        assert_eq!(parse_udh(&sm).unwrap().0.shift(), Shift::NONE, "{ies:02x?}");
    }
    assert_eq!(parse_udh(&[0x04, 0x25, 0x02, 0x01, 0x01]).unwrap().0.shift(), Shift::NONE);
}

/// Strings from the national alphabets and the default one, plus anything.
fn national_text() -> impl Strategy<Value = String> {
    let mut pool: Vec<char> = Language::ALL
        .into_iter()
        .flat_map(|l| l.locking_table().into_iter().flatten().copied().chain(l.single_table().iter().map(|&(_, c)| c)))
        .filter(|&c| c != crate::gsm7::national::UNDEFINED && c != '\u{1B}')
        .collect();
    pool.sort_unstable();
    pool.dedup();
    let turkish: Vec<char> = "şğıİŞĞçabc ".chars().collect();
    let bengali: Vec<char> = Language::Bengali
        .locking_table()
        .into_iter()
        .flatten()
        .copied()
        .filter(|&c| c > '\u{900}' && c != '\u{FFFF}')
        .collect();
    let ch = prop_oneof![
        4 => proptest::sample::select(pool),
        2 => proptest::sample::select(turkish),
        2 => proptest::sample::select(bengali),
        1 => any::<char>(),
        1 => proptest::sample::select(vec!['😀', 'ж', '€', '{']),
    ];
    prop_oneof![
        4 => proptest::collection::vec(ch, 0..600).prop_map(String::from_iter),
        1 => any::<String>(),
    ]
}

fn concat_strategy() -> impl Strategy<Value = Concat> {
    prop_oneof![Just(Concat::Udh8), Just(Concat::Udh16), Just(Concat::Sar), Just(Concat::Payload)]
}

/// Octets of TP-UD a segment takes: the UDH, then fill bits and packed septets
/// (TS 23.040 §9.2.3.24), or the octets themselves.
fn tp_ud_octets(msg: &Message, seg: &Segment) -> usize {
    let udh = seg.udh.as_ref().map_or(0, Vec::len);
    match msg.encoding {
        Encoding::Gsm7 => udh + pack(&seg.payload, gsm7::fill_bits(udh)).len(),
        _ => udh + seg.payload.len(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn split_with_all_languages_reassembles(text in national_text(), concat in concat_strategy(), reference in any::<u16>()) {
        let opts = SplitOptions { concat, reference, ..all() };
        let msg = split(&text, Preference::Auto, &opts).unwrap();
        prop_assert_eq!(reassemble(&msg), text.clone());

        if concat != Concat::Payload {
            for seg in &msg.segments {
                prop_assert!(tp_ud_octets(&msg, seg) <= USER_DATA_OCTETS, "{} octets", tp_ud_octets(&msg, seg));
                if msg.encoding == Encoding::Gsm7 {
                    prop_assert_ne!(seg.payload.last(), Some(&ESCAPE));
                }
            }
        }

        // Never more segments than the default alphabet (when it encodes) or UCS-2.
        let plain = SplitOptions { concat, reference, max_segments: 255, ..SplitOptions::default() };
        let ucs2 = split(&text, Preference::Ucs2, &plain).unwrap();
        prop_assert!(msg.segments.len() <= ucs2.segments.len());
        if let Ok(gsm) = split(&text, Preference::Gsm7, &plain) {
            prop_assert!(msg.segments.len() <= gsm.segments.len());
            prop_assert_eq!(msg.shift, Shift::NONE);
        }
        if msg.encoding == Encoding::Ucs2 {
            prop_assert_eq!(msg.shift, Shift::NONE);
        }
    }

    #[test]
    fn forced_gsm7_with_all_languages_reassembles_or_names_a_char(text in national_text()) {
        match split(&text, Preference::Gsm7, &all()) {
            Ok(msg) => prop_assert_eq!(reassemble(&msg), text),
            Err(TextError::Unencodable { ch, index, .. }) => prop_assert_eq!(text.chars().nth(index), Some(ch)),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}

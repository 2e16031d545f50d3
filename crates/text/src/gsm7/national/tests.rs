use super::*;
use crate::gsm7::{decode_unpacked_with, encode_unpacked_with, septet_len_with, DEFAULT_ALPHABET, ESCAPE};

/// Number of defined codes, and a position-weighted sum of their characters.
type Fingerprint = (usize, u32);

/// Per table: number of defined codes and Σ (code + 1) × code point mod 2³², computed
/// from the AOSP `GsmAlphabet.java` tables (not from the source these tables were
/// taken from), so a slip in any position of any table fails here.
const AOSP_FINGERPRINTS: [(Language, Option<Fingerprint>, Fingerprint); 13] = [
    (Language::Turkish, Some((127, 1153779)), (17, 1095707)),
    (Language::Spanish, None, (19, 1066959)),
    (Language::Portuguese, Some((127, 1302407)), (37, 1357047)),
    (Language::Bengali, Some((114, 9320748)), (82, 3485269)),
    (Language::Gujarati, Some((120, 11221943)), (70, 2141660)),
    (Language::Hindi, Some((127, 10710193)), (88, 4166538)),
    (Language::Kannada, Some((120, 13482048)), (73, 2716668)),
    (Language::Malayalam, Some((120, 13980836)), (82, 4283483)),
    (Language::Oriya, Some((116, 11117400)), (75, 2800122)),
    (Language::Punjabi, Some((110, 9251881)), (76, 2781344)),
    (Language::Tamil, Some((102, 10098791)), (77, 3158353)),
    (Language::Telugu, Some((120, 12722621)), (78, 3590903)),
    (Language::Urdu, Some((127, 7590869)), (90, 3399349)),
];

fn fingerprint(pairs: impl Iterator<Item = (u8, char)>) -> Fingerprint {
    pairs.fold((0, 0u32), |(n, sum), (code, ch)| (n + 1, sum.wrapping_add((u32::from(code) + 1) * u32::from(ch))))
}

fn defined_locking(table: &[char; 128]) -> impl Iterator<Item = (u8, char)> + '_ {
    (0u8..128).zip(table.iter().copied()).filter(|&(code, ch)| code != ESCAPE && ch != UNDEFINED)
}

#[test]
fn tables_match_aosp_fingerprints() {
    assert_eq!(fingerprint(defined_locking(&DEFAULT_ALPHABET)), (127, 1090007));
    assert_eq!(fingerprint(crate::gsm7::DEFAULT_EXTENSION.iter().copied()), (10, 897225));
    for (lang, locking, single) in AOSP_FINGERPRINTS {
        assert_eq!(lang.locking_table().map(|t| fingerprint(defined_locking(t))), locking, "{lang} locking");
        assert_eq!(fingerprint(lang.single_table().iter().copied()), single, "{lang} single");
    }
}

#[test]
fn identifiers_and_names() {
    for (i, lang) in Language::ALL.into_iter().enumerate() {
        assert_eq!(usize::from(lang.id()), i + 1);
        assert_eq!(Language::from_id(lang.id()), Some(lang));
        let json = serde_json::to_string(&lang).unwrap();
        assert_eq!(json, format!("\"{}\"", lang.name()));
    }
    assert_eq!(Language::from_id(0), None);
    assert_eq!(Language::from_id(14), None);
    assert_eq!(Language::from_id(255), None);
    assert_eq!(Languages::ALL.iter().collect::<Vec<_>>(), Language::ALL);
    assert!(Languages::NONE.is_empty());
    let two: Languages = [Language::Urdu, Language::Turkish].into_iter().collect();
    assert_eq!(two.iter().collect::<Vec<_>>(), [Language::Turkish, Language::Urdu]);
}

/// Every defined code of every locking shift table encodes from its character and
/// decodes back; the escape slot and undefined codes decode to a space / U+FFFD and
/// are never produced.
#[test]
fn every_locking_table_round_trips() {
    for lang in Language::ALL {
        let Some(table) = lang.locking_table() else {
            assert_eq!(lang, Language::Spanish);
            continue;
        };
        let tables = Shift { locking: Some(lang), single: None }.tables();
        for (code, &ch) in (0u8..128).zip(table.iter()) {
            if code == ESCAPE {
                assert_eq!(ch, ESCAPE_SLOT, "{lang}");
                continue;
            }
            if ch == UNDEFINED {
                assert_eq!(decode_unpacked_with(&tables, &[code]), "\u{FFFD}", "{lang} {code:#04x}");
                continue;
            }
            assert_eq!(encode_unpacked_with(&tables, &ch.to_string()), Ok(vec![code]), "{lang} {ch:?}");
            assert_eq!(decode_unpacked_with(&tables, &[code]), ch.to_string(), "{lang} {code:#04x}");
            assert_eq!(septet_len_with(&tables, ch), Some(1));
        }
        assert_eq!(septet_len_with(&tables, UNDEFINED), None);
        assert_eq!(septet_len_with(&tables, ESCAPE_SLOT), None);
    }
}

/// Every code of every single shift table decodes after the escape; every character
/// encodes to escape + its (lowest) code unless the default alphabet has it in one
/// septet. Whole-table texts round trip.
#[test]
fn every_single_table_round_trips() {
    for lang in Language::ALL {
        let tables = Shift { locking: None, single: Some(lang) }.tables();
        let single = lang.single_table();
        assert!(single.windows(2).all(|w| w[0].0 < w[1].0), "{lang}: codes in order, no code twice");
        let mut text = String::new();
        for &(code, ch) in single {
            assert!(code < 0x80 && code != ESCAPE, "{lang} {code:#04x}");
            assert_eq!(decode_unpacked_with(&tables, &[ESCAPE, code]), ch.to_string(), "{lang} {code:#04x}");
            let lowest = single.iter().find(|&&(_, c)| c == ch).map(|&(c, _)| c).unwrap();
            let expected = match DEFAULT_ALPHABET.iter().position(|&c| c == ch) {
                Some(one) => vec![one as u8],
                None => vec![ESCAPE, lowest],
            };
            assert_eq!(encode_unpacked_with(&tables, &ch.to_string()), Ok(expected), "{lang} {ch:?}");
            text.push(ch);
        }
        let septets = encode_unpacked_with(&tables, &text).unwrap();
        assert_eq!(decode_unpacked_with(&tables, &septets), text, "{lang}");
    }
}

/// The encoder never produces a code the tables leave undefined, for any pair.
#[test]
fn no_pair_produces_an_undefined_code() {
    let every_char: String = Language::ALL
        .into_iter()
        .flat_map(|l| l.locking_table().into_iter().flatten().copied().chain(l.single_table().iter().map(|&(_, c)| c)))
        .chain(DEFAULT_ALPHABET)
        .filter(|&c| c != UNDEFINED && c != ESCAPE_SLOT)
        .collect();
    let options = || std::iter::once(None).chain(Language::ALL.map(Some));
    for locking in options() {
        for single in options() {
            let tables = Shift { locking, single }.tables();
            for ch in every_char.chars() {
                let Ok(septets) = encode_unpacked_with(&tables, &ch.to_string()) else {
                    continue;
                };
                match septets[..] {
                    [code] => assert!(code != ESCAPE && tables.locking[usize::from(code)] == ch),
                    [ESCAPE, code] => assert!(tables.single.contains(&(code, ch))),
                    _ => panic!("{ch:?} gave {septets:?}"),
                }
            }
        }
    }
}

#[test]
fn shift_ies_and_tables() {
    let both = Shift { locking: Some(Language::Turkish), single: Some(Language::Spanish) };
    assert_eq!(both.udh_elements(), [0x24, 0x01, 0x02, 0x25, 0x01, 0x01]);
    assert_eq!(both.udh_octets(), 6);
    assert_eq!(Shift::NONE.udh_elements(), Vec::<u8>::new());
    assert_eq!(Shift::NONE.tables(), Tables::DEFAULT);
    // Spanish has no locking table: the default alphabet stands in.
    let spanish = Shift { locking: Some(Language::Spanish), single: None };
    assert_eq!(spanish.tables().locking, &DEFAULT_ALPHABET);
    assert_eq!(both.to_string(), "turkish locking shift + spanish single shift");
}

#[test]
fn turkish_spot_checks() {
    let tables = Shift { locking: Some(Language::Turkish), single: Some(Language::Turkish) }.tables();
    // TS 23.038 §A.3.1: ı 0x07, Ğ 0x0B, ğ 0x0C, Ş 0x1C, ş 0x1D, İ 0x40, ç 0x60; € 0x04.
    assert_eq!(encode_unpacked_with(&tables, "ıĞğŞşİç€"), Ok(vec![0x07, 0x0B, 0x0C, 0x1C, 0x1D, 0x40, 0x60, 0x04]));
    let single = Shift { locking: None, single: Some(Language::Turkish) }.tables();
    // §A.2.1: Ğ 0x47, İ 0x49, Ş 0x53, ç 0x63, ğ 0x67, ı 0x69, ş 0x73.
    assert_eq!(
        encode_unpacked_with(&single, "ĞİŞçğış"),
        Ok(vec![ESCAPE, 0x47, ESCAPE, 0x49, ESCAPE, 0x53, ESCAPE, 0x63, ESCAPE, 0x67, ESCAPE, 0x69, ESCAPE, 0x73])
    );
}

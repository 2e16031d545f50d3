//! Cross-check against independent encoders from PyPI (see xcheck/xcheck.py):
//! python-messaging 0.5.13 for long GSM 7-bit messages (concatenation UDH and packed
//! TP-UD), smsutil 1.1.3 for the UCS-2 split with surrogate pairs, gsmcodecs 1.0.0
//! for every national language table of TS 23.038 Annex A.
//!
//! The Python environment is `${SMSGW_PYENV:-$HOME/.cache/smsgw/pyenv}`, made by
//! scripts/install-deps. Without it the test is skipped with a printed reason, except
//! under CI (`CI` set), where a missing environment is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use text::gsm7::{self, national::UNDEFINED, Tables, ESCAPE};
use text::{split, Concat, Encoding, Language, Preference, SplitOptions};

fn ask(python: &xcheck::Python, request: &Value) -> Value {
    python.ask(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/xcheck/xcheck.py")), request)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cycle(pattern: &str, chars: usize) -> String {
    pattern.chars().cycle().take(chars).collect()
}

fn opts(reference: u16) -> SplitOptions {
    SplitOptions { max_segments: 255, concat: Concat::Udh8, reference, ..SplitOptions::default() }
}

/// (TP-UDL, TP-UD hex) of each of our segments as a modem would send them.
fn our_tp_ud(text: &str, reference: u16) -> Vec<(u64, String)> {
    let msg = split(text, Preference::Auto, &opts(reference)).unwrap();
    assert_eq!(msg.encoding, Encoding::Gsm7);
    msg.segments
        .iter()
        .map(|seg| {
            let udh = seg.udh.clone().unwrap_or_default();
            let fill = gsm7::fill_bits(udh.len());
            let mut ud = udh.clone();
            ud.extend(gsm7::pack(&seg.payload, fill));
            let udl = (udh.len() * 8 + usize::from(fill)) / 7 + seg.payload.len();
            (udl as u64, hex(&ud))
        })
        .collect()
}

/// Positions where we follow AOSP and warthog618/sms rather than the gsmcodecs
/// transcription of TS 23.038 V18 (see the `text::gsm7::national` module doc):
/// (locking?, language id, code).
fn known_deviation(locking: bool, lang: u8, code: u8) -> bool {
    (locking && (4..=13).contains(&lang) && code == 0x2C)
        || (locking && lang == 7 && code == 0x24)
        || (!locking && lang == 12 && code == 0x65)
}

fn our_tables(lang: u8) -> Tables {
    match Language::from_id(lang) {
        None => Tables::DEFAULT,
        Some(l) => Tables { locking: l.locking_table().unwrap_or(&gsm7::DEFAULT_ALPHABET), single: l.single_table() },
    }
}

#[test]
fn matches_independent_python_encoders() {
    let Some(python) = xcheck::Python::find() else { return };

    let gsm_long = cycle("The quick brown fox jumps over the lazy dog 0123456789. ", 1000);
    let gsm_ext = cycle("Total: 5€ [ref {ok}] ~ ^ | \\ done. ", 480);
    let emoji = cycle("Party 🎉 tonight 😀 at 8! Все 👍 ", 300);
    let request = json!({
        "gsm": [{"text": gsm_long, "ref": 0x42}, {"text": gsm_ext, "ref": 0x07}],
        "ucs2": [emoji],
        "tables": true,
    });
    let answer = ask(&python, &request);

    // GSM 7-bit: same parts, same UDH, same packed septets (fill bits included).
    for (i, (text, reference)) in [(&gsm_long, 0x42), (&gsm_ext, 0x07)].into_iter().enumerate() {
        let theirs: Vec<(u64, String)> = answer["gsm"][i]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["udl"].as_u64().unwrap(), p["ud"].as_str().unwrap().to_owned()))
            .collect();
        let ours = our_tp_ud(text, reference);
        assert_eq!(ours.len(), if i == 0 { 7 } else { 4 });
        assert_eq!(ours, theirs, "gsm vector {i}");
    }

    // UCS-2: same split (67 UTF-16 units per part, surrogate pairs whole), same octets.
    let msg = split(&emoji, Preference::Auto, &opts(1)).unwrap();
    assert_eq!(msg.encoding, Encoding::Ucs2);
    let ours: Vec<String> = msg.segments.iter().map(|s| hex(&s.payload)).collect();
    let theirs: Vec<String> =
        answer["ucs2"][0].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect();
    assert!(ours.len() > 4);
    assert_eq!(ours, theirs);

    // Every table, every code.
    let tables = &answer["tables"];
    let mut compared = 0;
    for lang in 0u8..=13 {
        let ours = our_tables(lang);
        for (kind, locking) in [("locking", true), ("single", false)] {
            let Some(theirs) = tables[kind][lang.to_string()].as_array() else {
                assert!(locking && lang == 2, "gsmcodecs lacks {kind} table {lang}");
                continue;
            };
            for code in 0u8..128 {
                if code == ESCAPE {
                    continue;
                }
                let mine = if locking {
                    Some(ours.locking[usize::from(code)]).filter(|&c| c != UNDEFINED)
                } else {
                    ours.single.iter().find(|&&(c, _)| c == code).map(|&(_, ch)| ch)
                };
                let theirs = theirs[usize::from(code)].as_u64().and_then(|cp| char::from_u32(cp as u32));
                if known_deviation(locking, lang, code) {
                    assert_ne!(mine, theirs, "{kind} {lang} {code:#04x} is no longer a deviation");
                } else {
                    assert_eq!(mine, theirs, "{kind} table {lang}, code {code:#04x}");
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 27 * 127);
}

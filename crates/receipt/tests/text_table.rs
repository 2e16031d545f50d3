//! Receipt texts as SMSCs really write them, each with the full expected
//! parse (not a spot check), plus the ones that must be rejected.

use receipt::{parse, FinalState, ParseError, ReceiptText, Timestamp};

fn ts(s: &str) -> Option<Timestamp> {
    let t = Timestamp::parse(s);
    assert!(t.is_some(), "test timestamp {s:?} must be valid");
    t
}

/// The standard receipt's fields; each case overrides what differs.
fn standard() -> ReceiptText {
    ReceiptText {
        id: Some("0123456789".into()),
        sub: Some(1),
        dlvrd: Some(1),
        submit_date: ts("2403151230"),
        done_date: ts("2403151231"),
        stat: Some("DELIVRD".into()),
        state: Some(FinalState::Delivered),
        err: Some("000".into()),
        err_code: Some(0),
        text: Some("Hello world".into()),
    }
}

#[test]
fn real_world_variants() {
    let cases: Vec<(&str, &str, ReceiptText)> = vec![
        (
            "standard (Appendix B)",
            "id:0123456789 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 text:Hello world",
            standard(),
        ),
        (
            "upper-case keys and values",
            "ID:0123456789 SUB:001 DLVRD:001 SUBMIT DATE:2403151230 DONE DATE:2403151231 STAT:DELIVRD ERR:000 TEXT:Hello world",
            standard(),
        ),
        (
            "lower-case stat, mixed-case keys",
            "Id:0123456789 Sub:001 Dlvrd:001 Submit date:2403151230 Done Date:2403151231 Stat:delivrd Err:000 Text:Hello world",
            ReceiptText { stat: Some("delivrd".into()), ..standard() },
        ),
        (
            "missing dates, empty text",
            "id:42 sub:001 dlvrd:000 stat:EXPIRED err:000 text:",
            ReceiptText {
                id: Some("42".into()),
                dlvrd: Some(0),
                submit_date: None,
                done_date: None,
                stat: Some("EXPIRED".into()),
                state: Some(FinalState::Expired),
                text: None,
                ..standard()
            },
        ),
        (
            "12-digit dates (seconds)",
            "id:0123456789 sub:001 dlvrd:001 submit date:240315123045 done date:240315123112 stat:DELIVRD err:000 text:Hello world",
            ReceiptText { submit_date: ts("240315123045"), done_date: ts("240315123112"), ..standard() },
        ),
        (
            "14-digit dates, underscore keys",
            "id:0123456789 sub:001 dlvrd:001 submit_date:20240315123045 done_date:20240315123112 stat:DELIVRD err:000 text:Hello world",
            ReceiptText { submit_date: ts("20240315123045"), done_date: ts("20240315123112"), ..standard() },
        ),
        (
            "text with spaces, colons and field-like words",
            "id:0123456789 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 text:Meet at 12:30 re: id:5 stat:UNDELIV",
            ReceiptText { text: Some("Meet at 12:30 re: id:5 stat:UNDELIV".into()), ..standard() },
        ),
        (
            "extra vendor fields, sub/dlvrd missing",
            "id:0123456789 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 mccmnc:26201 price:0.01 Text:Hello world",
            ReceiptText { sub: None, dlvrd: None, ..standard() },
        ),
        (
            "hex id, hex err, no text",
            "id:1A2B3C4D sub:001 dlvrd:000 submit date:2403151230 done date:2403151231 stat:UNDELIV err:00B",
            ReceiptText {
                id: Some("1A2B3C4D".into()),
                dlvrd: Some(0),
                stat: Some("UNDELIV".into()),
                state: Some(FinalState::Undeliverable),
                err: Some("00B".into()),
                err_code: Some(0xB),
                text: None,
                ..standard()
            },
        ),
        (
            "id with leading zeros is kept as written",
            "id:0000012345 stat:DELIVRD",
            ReceiptText {
                id: Some("0000012345".into()),
                stat: Some("DELIVRD".into()),
                state: Some(FinalState::Delivered),
                ..ReceiptText::default()
            },
        ),
        (
            "trailing NULs and CRLF after the text",
            "id:0123456789 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 text:Hello world\r\n\0\0",
            standard(),
        ),
        (
            "trailing garbage without a text field",
            "id:0123456789 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 ~~~ 0x00 ]]",
            ReceiptText { text: None, ..standard() },
        ),
        (
            "fields out of order, space after colon",
            "stat: DELIVRD err:000 done date: 2403151231 id: 0123456789 submit date:2403151230 dlvrd:001 sub:001 text: Hello world",
            standard(),
        ),
        (
            "leading words and repeated key (first wins)",
            "Delivery receipt id:0123456789 id:999 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD stat:UNDELIV err:000 text:Hello world",
            standard(),
        ),
        (
            "invalid date and unknown stat are None, raw stat kept",
            "id:0123456789 sub:abc dlvrd:001 submit date:2413151230 done date:2403151231 stat:WEIRDST err:E12 text:Hello world",
            ReceiptText {
                sub: None,
                submit_date: None,
                stat: Some("WEIRDST".into()),
                state: None,
                err: Some("E12".into()),
                err_code: Some(0xE12),
                ..standard()
            },
        ),
        (
            "only stat",
            "stat:REJECTD err:0x1F4",
            ReceiptText {
                stat: Some("REJECTD".into()),
                state: Some(FinalState::Rejected),
                err: Some("0x1F4".into()),
                err_code: Some(500),
                ..ReceiptText::default()
            },
        ),
    ];
    for (name, input, expected) in cases {
        assert_eq!(parse(input), Ok(expected), "{name}: {input:?}");
    }
}

#[test]
fn not_receipts() {
    for input in [
        "",
        "   \0 ",
        "Hello, are you coming tonight?",
        "sub:001 dlvrd:001 err:000",
        // id and stat only inside the text do not count.
        "sub:001 dlvrd:001 err:000 text:id:5 stat:DELIVRD",
        "id: stat:",
        "identity:5 status:DELIVRD",
    ] {
        assert_eq!(parse(input), Err(ParseError::NoIdOrStat), "{input:?}");
    }
}

#[test]
fn error_does_not_echo_the_input() {
    let err = parse("private message text").err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("receipt text has neither an id nor a stat field"));
}

//! Cross-check against an independent UCP/EMI codec: the PyPI package `ucp`
//! 1.0.0 (see xcheck/xcheck.py). It builds frames we must produce byte for
//! byte, parses frames we encode, and we parse what it builds.
//!
//! What it gets wrong, and so is compared only where it is right:
//! - alphanumeric OAdC: it packs the names' ASCII codes, not GSM 03.38 ones
//!   (`@` becomes 0x40, so the spec's `ALPHA@NUM` example comes out wrong), its
//!   length octet counts whole octets (×2) instead of useful semi-octets (so
//!   names of 4–7 characters get a different first octet), and it writes an
//!   empty OTOA where the spec requires 5039. We compare the OAdC of names
//!   where both rules agree (1–3 and 8–11 characters, GSM = ASCII letters) and
//!   every other field of the frame.
//! - non-ASCII AMsg: it switches to MT=4 with `utf-16` (a byte-order mark and
//!   little-endian), not UCS-2; not compared.
//! - AMsg alphabet: it uses the GSM 03.38 table, not IRA, which is our
//!   `Alphabet::Gsm`; the table is compared in full.
//!
//! The Python environment is `${SMSGW_PYENV:-$HOME/.cache/smsgw/pyenv}`, made by
//! scripts/install-deps. Without it the test is skipped with a printed reason,
//! except under CI (`CI` set), where a missing environment is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use serde_json::{json, Value};
use ucp::{alphanumeric, ira, Ack, Alert, Alphabet, Body, Login, Message, Msg, Nack, Ot, Sm, Trn};

fn ask(python: &xcheck::Python, request: &Value) -> Value {
    python.ask(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/xcheck/xcheck.py")), request)
}

fn ours(message: &Message) -> String {
    String::from_utf8(ucp::to_bytes(message).unwrap().to_vec()).unwrap()
}

fn decode(frame: &str) -> Message {
    ucp::decode(&mut BytesMut::from(frame.as_bytes())).unwrap().unwrap()
}

fn trn(n: u8) -> Trn {
    Trn::new(n).unwrap()
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}

/// Data fields of a frame (between the header and the checksum).
fn data_fields(frame: &str) -> Vec<String> {
    let inner = &frame[1..frame.len() - 1];
    let parts: Vec<&str> = inner.split('/').collect();
    parts[4..parts.len() - 1].iter().map(|s| s.to_string()).collect()
}

struct Case {
    ours: Message,
    theirs: Value,
}

fn submit(n: u8, adc: &str, oadc: &str, text: &str, alphabet: Alphabet) -> Message {
    let sm = Sm {
        adc: adc.into(),
        oadc: oadc.into(),
        nrq: "1".into(),
        nt: "3".into(),
        msg: Msg::alphanumeric(text, alphabet).unwrap(),
        ..Sm::default()
    };
    Message::new(trn(n), Body::Submit(sm))
}

fn identical_cases() -> Vec<Case> {
    let login = |n, oadc: &str, oton: &str, onpi: &str, pwd: &str| Case {
        ours: Message::new(
            trn(n),
            Body::Login(Login {
                oadc: oadc.into(),
                oton: oton.into(),
                onpi: onpi.into(),
                styp: "1".into(),
                pwd: pwd.into(),
                vers: "0100".into(),
                ..Login::default()
            }),
        ),
        theirs: json!({"op": "login", "args": {"trn": n, "oadc": oadc, "oton": oton, "onpi": onpi, "styp": "1",
                                                "pwd": hex(pwd), "vers": "0100", "encoded": true}}),
    };
    let text_submit = |n, adc: &str, oadc: &str, text: &str, alphabet| Case {
        ours: submit(n, adc, oadc, text, alphabet),
        theirs: json!({"op": "submit", "args": {"ot": 51, "trn": n, "adc": adc, "oadc": oadc, "nrq": "1", "nt": "3",
                                                 "mt": "3", "xmsg": text, "encoded": false}}),
    };
    let response = |n, ot: u8, ack: &str, mvp_ec: &str, sm: &str| Case {
        ours: Message::new(
            trn(n),
            if ack == "A" {
                Body::Ack(Ack { ot: Ot(ot), mvp: mvp_ec.into(), sm: sm.into() })
            } else {
                Body::Nack(Nack { ot: Ot(ot), ec: mvp_ec.parse().unwrap(), sm: sm.into() })
            },
        ),
        theirs: json!({"op": "response", "args": {"ot": ot, "ack": ack, "trn": n, "mvp_ec": mvp_ec, "sm": sm}}),
    };
    vec![
        login(2, "07656765", "2", "1", "Password"),
        login(0, "smsgw", "6", "5", "s3cret!#"),
        text_submit(18, "012345", "09876", "Message 51", Alphabet::Ira),
        text_submit(7, "31612345678", "4477", "Hello, world! (ok?) 100% sure; 1+1=2.", Alphabet::Ira),
        // With '@' its AMsg is GSM, as ours with Alphabet::Gsm.
        text_submit(8, "31612345678", "4477", "mail me @ home", Alphabet::Gsm),
        Case {
            ours: Message::new(trn(2), Body::Alert(Alert { adc: "0234765439845".into(), pid: "0139".into() })),
            theirs: json!({"op": "alert", "args": {"trn": 2, "adc": "0234765439845", "pid": "0139"}}),
        },
        response(0, 51, "A", "", "012234:090996101010"),
        response(3, 52, "A", "", ""),
        response(0, 60, "A", "", ""),
        response(4, 31, "A", "", "0003"),
        response(0, 51, "N", "31", ""),
        response(9, 60, "N", "07", "bad password"),
    ]
}

#[test]
fn matches_the_pypi_ucp_package() {
    let Some(python) = xcheck::Python::find() else { return };

    let cases = identical_cases();
    // Alphanumeric originators: names where its packing is right, and the
    // spec's ALPHA@NUM, where it is not.
    let names = ["Ab", "Ace", "ALPHANUM", "ALPHAxNUM", "SmsGateway", "SMSGWAlerts", "ALPHA@NUM"];
    let alpha_submits: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({"op": "submit", "args": {"ot": 51, "trn": 40 + i, "adc": "31612345678", "oadc": name,
                                             "mt": "3", "xmsg": "hello", "encoded": false}})
        })
        .collect();
    let mut build: Vec<Value> = cases.iter().map(|c| c.theirs.clone()).collect();
    build.extend(alpha_submits);

    // Frames of ours for it to parse.
    let mut alpha = submit(5, "31612345678", "", "hello", Alphabet::Ira);
    let Body::Submit(sm) = &mut alpha.body else { unreachable!() };
    sm.set_alphanumeric_originator("ALPHANUM").unwrap();
    let report = Message::new(
        trn(11),
        Body::Notification(Sm {
            adc: "31612345678".into(),
            oadc: "4477".into(),
            scts: "010125101010".into(),
            dst: "0".into(),
            rsn: "000".into(),
            dscts: "010125101112".into(),
            msg: Msg::alphanumeric("Delivered", Alphabet::Ira).unwrap(),
            ..Sm::default()
        }),
    );
    let parse: Vec<String> = cases.iter().map(|c| ours(&c.ours)).chain([ours(&alpha), ours(&report)]).collect();

    let answer =
        ask(&python, &json!({"build": build, "parse": parse, "bits7": ["ALPHA@NUM", "ABCD", "ALPHANUM"], "gsm": true}));
    let built: Vec<String> = answer["build"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();

    // 1. Byte for byte: logins, IRA submits, alert, results.
    for (case, theirs) in cases.iter().zip(&built) {
        assert_eq!(&ours(&case.ours), theirs, "{:?}", case.ours);
        assert_eq!(decode(theirs), case.ours);
    }

    // 2. Alphanumeric originators: every field but OTOA (field 29), which it
    // leaves empty; OAdC equal where its packing rules agree with the spec's.
    for (i, name) in names.iter().enumerate() {
        let theirs = &built[cases.len() + i];
        let mut ours_msg = submit(40 + i as u8, "31612345678", "", "hello", Alphabet::Ira);
        let Body::Submit(sm) = &mut ours_msg.body else { unreachable!() };
        sm.nrq.clear();
        sm.nt.clear();
        sm.set_alphanumeric_originator(name).unwrap();
        let (ours_fields, their_fields) = (data_fields(&ours(&ours_msg)), data_fields(theirs));
        assert_eq!((ours_fields[28].as_str(), their_fields[28].as_str()), ("5039", ""), "OTOA");
        let Body::Submit(their_sm) = decode(theirs).body else { panic!("{theirs}") };
        if *name == "ALPHA@NUM" {
            assert_eq!(their_fields[1], "1041261419043AAB4D", "its ASCII '@' (0x40)");
            assert_ne!(ours_fields[1], their_fields[1]);
            assert_eq!(ours_fields[1], "10412614190438AB4D", "the spec's example");
            continue;
        }
        for (k, (a, b)) in ours_fields.iter().zip(&their_fields).enumerate() {
            if k != 28 {
                assert_eq!(a, b, "{name}: field {}", k + 1);
            }
        }
        assert_eq!(alphanumeric::decode(&their_sm.oadc).as_deref(), Some(*name));
    }

    // 3. It parses what we encode.
    let parsed = answer["parse"].as_array().unwrap();
    for (case, theirs) in cases.iter().zip(parsed) {
        match &case.ours.body {
            Body::Login(l) => {
                assert_eq!(theirs["oadc"], l.oadc.as_str());
                assert_eq!(theirs["pwd"], l.pwd.as_str());
                assert_eq!(theirs["vers"], "4", "it reads VERS as binary digits: 0100 = 4");
            }
            Body::Submit(sm) => {
                assert_eq!((&theirs["adc"], &theirs["oadc"]), (&json!(sm.adc), &json!(sm.oadc)));
                let alphabet =
                    if theirs["xmsg"].as_str().unwrap().contains('@') { Alphabet::Gsm } else { Alphabet::Ira };
                assert_eq!(theirs["xmsg"], sm.msg.text(alphabet).unwrap().as_str());
            }
            Body::Alert(a) => assert_eq!((&theirs["adc"], &theirs["pid"]), (&json!(a.adc), &json!(a.pid))),
            Body::Ack(a) => assert_eq!((&theirs["ack"], &theirs["ot"]), (&json!("A"), &json!(a.ot.0.to_string()))),
            Body::Nack(n) => assert_eq!(theirs["mvp_ec"], format!("{:02}", n.ec)),
            other => panic!("{other:?}"),
        }
    }
    let their_alpha = &parsed[cases.len()];
    assert_eq!((&their_alpha["oadc"], &their_alpha["otoa"]), (&json!("ALPHANUM"), &json!("5039")));
    let their_report = &parsed[cases.len() + 1];
    for (key, value) in [("dst", "0"), ("rsn", "000"), ("scts", "010125101010"), ("dscts", "010125101112")] {
        assert_eq!(their_report[key], value, "{key}");
    }
    assert_eq!(their_report["xmsg"], "Delivered");

    // 4. Its packer on its own: same octets as ours after the length octet.
    let bits7: Vec<&str> = answer["bits7"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(bits7[1], "0841E19008", "ABCD: 4 octets, length 08 (ours counts 7 useful semi-octets)");
    assert_eq!(alphanumeric::encode("ABCD").unwrap(), "0741E19008");
    assert_eq!(bits7[2], alphanumeric::encode("ALPHANUM").unwrap());

    // 5. Its AMsg character table is GSM 03.38, code for code ours.
    let gsm = answer["gsm"].as_object().unwrap();
    assert!(gsm.len() > 130, "{}", gsm.len());
    for (ch, code) in gsm {
        let ours = ira::encode_hex(ch, Alphabet::Gsm).unwrap();
        assert_eq!(&ours, code.as_str().unwrap(), "{ch:?}");
    }
}

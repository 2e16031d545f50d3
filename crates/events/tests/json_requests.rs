//! JSON send requests: the convenience format for `kcat` users.
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use events::{decode_request, DecodeError, Encoding, Priority, SendRequest};

fn decode(json: &str) -> Result<SendRequest, DecodeError> {
    decode_request(json.as_bytes(), None)
}

/// Asserts a content error about `field`, carrying `request_id`, whose message names the field.
fn assert_invalid(json: &str, field: &str, request_id: Option<&str>) -> String {
    let err = decode(json).unwrap_err();
    assert!(!err.is_undecodable(), "{err}");
    assert_eq!(err.field(), Some(field), "{err}");
    assert_eq!(err.request_id(), request_id, "{err}");
    let message = err.to_string();
    assert!(message.contains(&format!("`{field}`")), "{message}");
    assert!(message.starts_with("invalid field `"), "{message}");
    assert!(!message.ends_with('.'), "{message}");
    message
}

#[test]
fn the_issue_example_decodes() {
    let r = decode(r#"{"id":"r-1","to":"+4915112345678","from":"ACME","text":"Your code is 123456"}"#).unwrap();
    assert_eq!(
        r,
        SendRequest {
            id: "r-1".into(),
            to: "+4915112345678".into(),
            from: Some("ACME".into()),
            text: Some("Your code is 123456".into()),
            ..SendRequest::default()
        }
    );
    assert_eq!(r.priority, Priority::Normal);
    assert_eq!(r.encoding, Encoding::Auto);
    assert!(!r.delivery_report && !r.flash);
}

#[test]
fn leading_whitespace_is_fine() {
    assert!(decode(" \n\t{\"id\":\"r\",\"to\":\"1\",\"text\":\"x\"}\n").is_ok());
}

#[test]
fn every_optional_field_decodes() {
    let r = decode(
        r#"{"id":"r-2","to":"+4915112345678","from":null,"text":"Grüße","encoding":"ucs2","priority":2,
            "send_at":"2030-01-01T12:00:00+01:00","expires_at":1893499200000,"delivery_report":true,
            "connection":"smpp-a","flash":true,"tenant":"acme","metadata":{"order":"42","lang":"de"}}"#,
    )
    .unwrap();
    assert_eq!(r.from, None);
    assert_eq!(r.encoding, Encoding::Ucs2);
    assert_eq!(r.priority, Priority::Urgent);
    assert_eq!(r.send_at, Some(1_893_495_600_000));
    assert_eq!(r.expires_at, Some(1_893_499_200_000));
    assert!(r.delivery_report);
    assert_eq!(r.connection.as_deref(), Some("smpp-a"));
    assert!(r.flash);
    assert_eq!(r.tenant.as_deref(), Some("acme"));
    assert_eq!(r.metadata.get("order").map(String::as_str), Some("42"));
    assert_eq!(r.metadata.len(), 2);
}

#[test]
fn each_encoding_and_priority_name() {
    for (name, encoding) in
        [("auto", Encoding::Auto), ("gsm7", Encoding::Gsm7), ("ucs2", Encoding::Ucs2), ("latin1", Encoding::Latin1)]
    {
        let r = decode(&format!(r#"{{"id":"r","to":"1","text":"x","encoding":"{name}"}}"#)).unwrap();
        assert_eq!(r.encoding, encoding);
    }
    for (name, priority) in
        [("0", Priority::Normal), ("1", Priority::High), ("\"urgent\"", Priority::Urgent), ("\"high\"", Priority::High)]
    {
        let r = decode(&format!(r#"{{"id":"r","to":"1","text":"x","priority":{name}}}"#)).unwrap();
        assert_eq!(r.priority, priority);
    }
}

#[test]
fn binary_payload_from_hex() {
    let r = decode(r#"{"id":"r-3","to":"1","payload_hex":"0605040B8423F0","encoding":"binary","data_coding":245}"#)
        .unwrap();
    assert_eq!(r.payload, Some(vec![0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0]));
    assert_eq!(r.encoding, Encoding::Binary);
    assert_eq!(r.data_coding, Some(245));
    assert_eq!(r.text, None);
    // Encoding left at auto means binary when a payload is given.
    let r = decode(r#"{"id":"r-3","to":"1","payload_hex":"00ff"}"#).unwrap();
    assert_eq!(r.encoding, Encoding::Binary);
}

#[test]
fn bad_json_is_undecodable() {
    for bad in [r#"{"id":"r-1","to":"#, r#"{"id":"r-1",}"#, "{]"] {
        let err = decode(bad).unwrap_err();
        assert!(err.is_undecodable(), "{err}");
        assert!(err.to_string().starts_with("undecodable message: invalid json"), "{err}");
    }
}

#[test]
fn unknown_field_is_rejected_by_name() {
    let message =
        assert_invalid(r#"{"id":"r-1","to":"1","text":"x","delivery_reprot":true}"#, "delivery_reprot", Some("r-1"));
    assert!(message.contains("unknown field"), "{message}");
}

#[test]
fn wrong_types_name_the_field() {
    let cases = [
        (r#"{"id":"r-1","to":1234,"text":"x"}"#, "to"),
        (r#"{"id":"r-1","to":"1","text":42}"#, "text"),
        (r#"{"id":"r-1","to":"1","text":"x","flash":"yes"}"#, "flash"),
        (r#"{"id":"r-1","to":"1","text":"x","delivery_report":1}"#, "delivery_report"),
        (r#"{"id":"r-1","to":"1","text":"x","priority":7}"#, "priority"),
        (r#"{"id":"r-1","to":"1","text":"x","priority":"asap"}"#, "priority"),
        (r#"{"id":"r-1","to":"1","text":"x","encoding":"UTF8"}"#, "encoding"),
        (r#"{"id":"r-1","to":"1","text":"x","send_at":"tomorrow"}"#, "send_at"),
        (r#"{"id":"r-1","to":"1","text":"x","expires_at":1.5}"#, "expires_at"),
        (r#"{"id":"r-1","to":"1","text":"x","metadata":{"a":1}}"#, "metadata.a"),
        (r#"{"id":"r-1","to":"1","text":"x","metadata":[]}"#, "metadata"),
        (r#"{"id":"r-1","to":"1","payload_hex":"0g"}"#, "payload_hex"),
        (r#"{"id":"r-1","to":"1","payload_hex":"abc"}"#, "payload_hex"),
        (r#"{"id":"r-1","to":"1","payload_hex":"00","data_coding":256}"#, "data_coding"),
    ];
    for (json, field) in cases {
        assert_invalid(json, field, Some("r-1"));
    }
}

#[test]
fn content_rules_name_the_field() {
    let cases = [
        (r#"{"id":"r-1","to":"","text":"x"}"#, "to"),
        (r#"{"id":"r-1","to":"1"}"#, "text"),
        (r#"{"id":"r-1","text":"x"}"#, "to"),
        (r#"{"id":"r-1","to":"1","text":"x","payload_hex":"00"}"#, "payload"),
        (r#"{"id":"r-1","to":"1","text":"x","encoding":"binary"}"#, "encoding"),
        (r#"{"id":"r-1","to":"1","payload_hex":"00","encoding":"gsm7"}"#, "encoding"),
        (r#"{"id":"r-1","to":"1","text":"x","data_coding":8}"#, "data_coding"),
        (r#"{"id":"r-1","to":"1","text":"x","send_at":2000,"expires_at":1000}"#, "expires_at"),
    ];
    for (json, field) in cases {
        assert_invalid(json, field, Some("r-1"));
    }
}

#[test]
fn without_a_readable_id_there_is_no_request_id() {
    assert_invalid(r#"{"to":"1","text":"x"}"#, "id", None);
    assert_invalid(r#"{"id":7,"to":"1","text":"x"}"#, "id", None);
    assert_invalid(r#"{"id":"","to":"1","text":"x"}"#, "id", Some(""));
}

#[test]
fn a_json_array_is_not_a_request() {
    let err = decode(r#"  ["id"]"#).unwrap_err();
    assert!(err.is_undecodable(), "{err}");
}

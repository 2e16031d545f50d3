//! The body (or query string) of one request: the connection's template with
//! each placeholder's value escaped for the body format — JSON string
//! escaping or URL encoding — so no value can break out of its place.

use std::time::{Duration, UNIX_EPOCH};

use runtime::config::http::{parse_template, Piece, Placeholder};
use runtime::config::BodyFormat;

use crate::link::Submission;

/// A parsed body template.
#[derive(Debug, Clone)]
pub struct Template {
    pieces: Vec<Piece>,
    format: BodyFormat,
}

/// A submission the template cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the message has no text (binary data coding {0}) and the body template sends {{text}}")]
pub struct NoText(pub u8);

impl Template {
    pub fn new(template: &str, format: BodyFormat) -> Result<Template, String> {
        Ok(Template { pieces: parse_template(template)?, format })
    }

    /// The template filled in for `s`.
    pub fn render(&self, s: &Submission) -> Result<String, NoText> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Value(Placeholder::Text) => {
                    let text = text_of(s).ok_or(NoText(s.data_coding))?;
                    self.push_escaped(&mut out, &text);
                }
                Piece::Value(p) => self.push_escaped(&mut out, &value(*p, s)),
            }
        }
        Ok(out)
    }

    fn push_escaped(&self, out: &mut String, value: &str) {
        match self.format {
            BodyFormat::Json => {
                // A JSON string literal without its quotes: the template puts them.
                let quoted = serde_json::Value::from(value).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
            BodyFormat::Form => out.extend(form_urlencoded::byte_serialize(value.as_bytes())),
        }
    }
}

/// The value of a placeholder other than `{text}`.
fn value(p: Placeholder, s: &Submission) -> String {
    match p {
        Placeholder::To => s.destination.value.clone(),
        Placeholder::From => s.source.as_ref().map(|a| a.value.clone()).unwrap_or_default(),
        Placeholder::Text => text_of(s).unwrap_or_default(),
        Placeholder::DataCoding => s.data_coding.to_string(),
        Placeholder::UdhHex => hex(s.udh.as_deref().unwrap_or_default()),
        Placeholder::PayloadHex => hex(&s.payload),
        Placeholder::Receipt => if s.receipt { "1" } else { "0" }.into(),
        Placeholder::Reference => s.reference.clone(),
        Placeholder::ExpiresAt => s.expires_at.map(rfc3339).unwrap_or_default(),
    }
}

/// The submission's text: its payload decoded with its data coding and the
/// national language tables its UDH names; `None` for binary data.
pub fn text_of(s: &Submission) -> Option<String> {
    let shift = s.udh.as_deref().and_then(|u| text::parse_udh(u).ok()).map_or(text::Shift::NONE, |(u, _)| u.shift());
    text::decode::decode_with(s.data_coding, shift, &s.payload).text
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Epoch ms as RFC 3339 UTC to the second.
fn rfc3339(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::link::Address;

    fn submission(text: &str) -> Submission {
        let message = text::split(
            text,
            text::Preference::Auto,
            &text::SplitOptions { concat: text::Concat::Payload, ..text::SplitOptions::default() },
        )
        .unwrap();
        let segment = &message.segments[0];
        Submission {
            source: Some(Address::parse("ACME \"Shop\"")),
            whole: true,
            reference: "req-1".into(),
            expires_at: Some(1_795_697_640_300),
            ..Submission::test(message.data_coding, &segment.payload, segment.udh.as_deref())
        }
    }

    fn render(template: &str, format: BodyFormat, s: &Submission) -> String {
        Template::new(template, format).unwrap().render(s).unwrap()
    }

    #[test]
    fn every_placeholder() {
        let s = submission("Hi @ 5€");
        let all = Placeholder::ALL.iter().map(|p| format!("{}={{{}}}", p.name(), p.name())).collect::<Vec<_>>();
        let body = render(&all.join(";"), BodyFormat::Json, &s);
        assert_eq!(
            body,
            "to=4915112345678;from=ACME \\\"Shop\\\";text=Hi @ 5€;data_coding=0;udh_hex=;\
             payload_hex=4869200020351B65;receipt=1;reference=req-1;expires_at=2026-11-26T12:54:00Z"
        );
        let mut none = s.clone();
        (none.source, none.expires_at, none.receipt) = (None, None, false);
        assert_eq!(render("[{from}][{expires_at}][{receipt}]", BodyFormat::Json, &none), "[][][0]");
    }

    #[test]
    fn json_escaping_keeps_values_inside_their_string() {
        let s = submission("line 1\nline \"2\" \\ {to} </script>\u{1}");
        let body = render(r#"{"text":"{text}","from":"{from}"}"#, BodyFormat::Json, &s);
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["text"], "line 1\nline \"2\" \\ {to} </script>\u{1}", "{body}");
        assert_eq!(parsed["from"], "ACME \"Shop\"");
        assert_eq!(parsed.as_object().unwrap().len(), 2);
    }

    #[test]
    fn form_escaping_url_encodes() {
        let s = submission("a&b=c + d ж");
        let body = render("to={to}&text={text}&from={from}", BodyFormat::Form, &s);
        assert_eq!(body, "to=4915112345678&text=a%26b%3Dc+%2B+d+%D0%B6&from=ACME+%22Shop%22");
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        assert_eq!(pairs[1], ("text".into(), "a&b=c + d ж".into()));
    }

    #[test]
    fn text_is_decoded_from_ucs2_and_national_tables() {
        let s = submission("Привет 👋");
        assert_eq!(s.data_coding, 8);
        assert_eq!(render("{text}", BodyFormat::Json, &s), "Привет 👋");
        let turkish = text::SplitOptions {
            concat: text::Concat::Payload,
            languages: text::Languages::NONE.with(text::Language::Turkish),
            ..text::SplitOptions::default()
        };
        let message = text::split(&"Iğdır'da ışık şöleni. ".repeat(7), text::Preference::Auto, &turkish).unwrap();
        let mut s = submission("x");
        s.data_coding = message.data_coding;
        s.udh = message.segments[0].udh.clone().map(Bytes::from);
        s.payload = Bytes::from(message.segments[0].payload.clone());
        assert!(s.udh.is_some(), "a shift table is named in the UDH");
        assert_eq!(render("{text}", BodyFormat::Json, &s), "Iğdır'da ışık şöleni. ".repeat(7));
    }

    #[test]
    fn binary_payload_cannot_fill_text_but_can_fill_payload_hex() {
        let mut s = submission("x");
        (s.data_coding, s.payload) = (4, Bytes::from_static(&[0xCA, 0xFE]));
        let t = Template::new("{text}", BodyFormat::Json).unwrap();
        assert_eq!(t.render(&s), Err(NoText(4)));
        assert_eq!(render("{payload_hex}/{data_coding}", BodyFormat::Form, &s), "CAFE/4");
    }
}

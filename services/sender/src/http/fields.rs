//! Reading a provider's callback, sans IO: the fields of a JSON body (by
//! name or JSON pointer), a form body or a query string (by name), turned
//! into a delivery report or an inbound message by the connection's mapping.

use runtime::config::{DlrCallback, MoCallback};
use serde_json::Value;

use receipt::FinalState;

use crate::link::{MoUnit, Report};

/// The fields of one callback request.
#[derive(Debug, Default)]
pub struct Fields {
    json: Option<Value>,
    /// Form body fields, then query string fields.
    form: Vec<(String, String)>,
}

impl Fields {
    /// Reads a callback: a JSON body (by content type, or a body starting
    /// with `{` without one), else a form body; query fields always count.
    pub fn parse(content_type: Option<&str>, body: &[u8], query: &str) -> Result<Fields, String> {
        let content_type = content_type.unwrap_or("").to_ascii_lowercase();
        let trimmed = body.trim_ascii();
        let json_like = content_type.contains("json") || (content_type.is_empty() && trimmed.starts_with(b"{"));
        let mut fields = Fields::default();
        if json_like {
            let value: Value = serde_json::from_slice(trimmed).map_err(|e| format!("body is not valid JSON: {e}"))?;
            if !value.is_object() {
                return Err("JSON body must be an object".into());
            }
            fields.json = Some(value);
        } else if !trimmed.is_empty() {
            if !(content_type.is_empty() || content_type.starts_with("application/x-www-form-urlencoded")) {
                return Err(format!("unsupported content type `{content_type}`: send JSON or a form"));
            }
            fields.form.extend(form_urlencoded::parse(trimmed).into_owned());
        }
        fields.form.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
        Ok(fields)
    }

    /// A field's value: `/a/b` is a JSON pointer (or, for forms, the field
    /// named by its one token); a plain name is a top-level key or field.
    pub fn get(&self, spec: &str) -> Option<String> {
        let from_json = self.json.as_ref().and_then(|json| match spec.strip_prefix('/') {
            Some(_) => json.pointer(spec),
            None => json.get(spec),
        });
        if let Some(value) = from_json {
            return match value {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            };
        }
        let name = match spec.strip_prefix('/') {
            Some(token) => token.replace("~1", "/").replace("~0", "~"),
            None => spec.to_owned(),
        };
        self.form.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    }

    fn require(&self, spec: &str, what: &str) -> Result<String, String> {
        self.get(spec).ok_or_else(|| format!("missing {what} (field `{spec}`)"))
    }
}

/// A `/dlr` callback as a report, keyed by the id as the provider writes it.
pub fn report(fields: &Fields, mapping: &DlrCallback) -> Result<Report, String> {
    let message_id = fields.require(&mapping.id, "the message id")?;
    if message_id.is_empty() {
        return Err(format!("empty message id (field `{}`)", mapping.id));
    }
    let status = fields.require(&mapping.status, "the status")?;
    let is = |list: &[String]| list.iter().any(|v| v.eq_ignore_ascii_case(status.trim()));
    // Final states in the SMPP words the tracker reads; others are on their way.
    let (state, is_final) = if is(&mapping.delivered) {
        (FinalState::Delivered, true)
    } else if is(&mapping.failed) {
        (FinalState::Undeliverable, true)
    } else if is(&mapping.expired) {
        (FinalState::Expired, true)
    } else {
        (FinalState::Enroute, false)
    };
    let err = if mapping.error.is_empty() { None } else { fields.get(&mapping.error).filter(|e| !e.is_empty()) };
    Ok(Report { message_id, state, is_final, err, network_error: None, done_at: None })
}

/// A `/mo` callback as an inbound message with its text.
pub fn mo(fields: &Fields, mapping: &MoCallback) -> Result<MoUnit, String> {
    Ok(MoUnit {
        from: fields.require(&mapping.from, "the sender")?,
        to: fields.require(&mapping.to, "the recipient")?,
        // UCS-2 is what the text crate's readers take decoded text as.
        data_coding: 0x08,
        text: Some(fields.require(&mapping.text, "the text")?),
        ..MoUnit::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(body: &str) -> Fields {
        Fields::parse(Some("application/json; charset=utf-8"), body.as_bytes(), "").unwrap()
    }

    #[test]
    fn json_reports_by_name_and_pointer() {
        let r = report(&json(r#"{"id":"abc","status":"Delivered"}"#), &DlrCallback::default()).unwrap();
        assert_eq!((r.message_id.as_str(), r.state.stat(), r.is_final, r.err), ("abc", "DELIVRD", true, None));
        let mapping = DlrCallback {
            id: "/data/ref".into(),
            status: "/data/state".into(),
            error: "/data/reason".into(),
            ..DlrCallback::default()
        };
        let body = r#"{"data":{"ref":1234,"state":"rejected","reason":"blocked"}}"#;
        let r = report(&json(body), &mapping).unwrap();
        assert_eq!((r.message_id.as_str(), r.state.stat(), r.is_final), ("1234", "UNDELIV", true));
        assert_eq!(r.err.as_deref(), Some("blocked"));
        let r = report(&json(r#"{"id":"x","status":"EXPIRED"}"#), &DlrCallback::default()).unwrap();
        assert_eq!(r.state.stat(), "EXPIRED");
        let r = report(&json(r#"{"id":"x","status":"buffered"}"#), &DlrCallback::default()).unwrap();
        assert_eq!((r.state.stat(), r.is_final), ("ENROUTE", false), "unknown states are intermediate");
    }

    #[test]
    fn form_and_query_reports() {
        let form = Fields::parse(Some("application/x-www-form-urlencoded"), b"id=a%2Fb&status=delivered", "").unwrap();
        assert_eq!(report(&form, &DlrCallback::default()).unwrap().message_id, "a/b");
        let query = Fields::parse(None, b"", "msgid=7&stat=DELIVRD&err=000").unwrap();
        let mapping = DlrCallback {
            id: "/msgid".into(),
            status: "stat".into(),
            error: "err".into(),
            delivered: vec!["delivrd".into()],
            ..DlrCallback::default()
        };
        let r = report(&query, &mapping).unwrap();
        assert_eq!((r.message_id.as_str(), r.state.stat(), r.err.as_deref()), ("7", "DELIVRD", Some("000")));
        let untyped = Fields::parse(None, br#" {"id":"j","status":"failed"}"#, "").unwrap();
        assert_eq!(
            report(&untyped, &DlrCallback::default()).unwrap().state.stat(),
            "UNDELIV",
            "JSON without a content type"
        );
    }

    #[test]
    fn mo_callbacks() {
        let m = mo(&json(r#"{"from":"4917012345","to":"12345","text":"Grüße 👋"}"#), &MoCallback::default()).unwrap();
        assert_eq!((m.from.as_str(), m.to.as_str(), m.text.as_deref()), ("4917012345", "12345", Some("Grüße 👋")));
        let form = Fields::parse(None, b"from=%2B4917&to=555&text=hi+there", "").unwrap();
        assert_eq!(mo(&form, &MoCallback::default()).unwrap().text.as_deref(), Some("hi there"));
        let nested = MoCallback { from: "/sender/msisdn".into(), ..MoCallback::default() };
        let m = mo(&json(r#"{"sender":{"msisdn":"491"},"to":"1","text":""}"#), &nested).unwrap();
        assert_eq!((m.from.as_str(), m.text.as_deref()), ("491", Some("")));
    }

    #[test]
    fn bad_callbacks_are_errors_with_reasons() {
        let e = Fields::parse(Some("application/json"), b"{\"id\":", "").unwrap_err();
        assert!(e.contains("not valid JSON"), "{e}");
        assert!(Fields::parse(Some("application/json"), b"[1,2]", "").unwrap_err().contains("object"));
        assert!(Fields::parse(Some("text/xml"), b"<dlr/>", "").unwrap_err().contains("content type"));
        let e = report(&json(r#"{"status":"delivered"}"#), &DlrCallback::default()).unwrap_err();
        assert_eq!(e, "missing the message id (field `id`)");
        let e = report(&json(r#"{"id":"","status":"delivered"}"#), &DlrCallback::default()).unwrap_err();
        assert!(e.contains("empty message id"), "{e}");
        assert!(report(&json(r#"{"id":"x"}"#), &DlrCallback::default()).unwrap_err().contains("status"));
        assert!(report(&json(r#"{"id":{"a":1},"status":"x"}"#), &DlrCallback::default()).is_err());
        assert!(mo(&json(r#"{"from":"1","to":"2"}"#), &MoCallback::default()).unwrap_err().contains("text"));
    }
}

//! What a provider sends us — callback bodies, queries and content types, and
//! submit responses — never panics the parsers, whatever the bytes; bad input
//! is an error value (400 for callbacks), good input parses.

use proptest::prelude::*;
use runtime::config::http::{DlrCallback, MoCallback};

use super::fields::{self, Fields};

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json".to_owned())),
        Just(Some("application/x-www-form-urlencoded".to_owned())),
        Just(Some("text/plain; charset=utf-8".to_owned())),
        any::<String>().prop_map(Some),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        any::<String>().prop_map(String::into_bytes),
        "\\{\"id\":\"[a-z0-9]{0,8}\",\"status\":\"(delivered|failed|x)\"\\}".prop_map(String::into_bytes),
        "(id=[a-z0-9%]{0,8}&)?status=[a-z%]{0,10}(&from=[0-9]{0,5})?".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn callbacks_never_panic(ct in content_type(), body in body(), query in any::<String>()) {
        if let Ok(f) = Fields::parse(ct.as_deref(), &body, &query) {
            let _ = fields::report(&f, &DlrCallback::default());
            let _ = fields::mo(&f, &MoCallback::default());
            let _ = f.get("/a/0/b");
            let _ = f.get("id");
        }
    }

    #[test]
    fn submit_responses_never_panic(status in any::<u16>(), retry_after in proptest::option::of(any::<String>()), body in body()) {
        let _ = super::response::retry_after_delay(retry_after.as_deref().unwrap_or_default());
        let config = runtime::Settings::from_toml(
            "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"api\"\nprotocol = \"http\"\nurl = \"http://127.0.0.1:1/send\"\n\
             body = '{\"to\":\"{to}\",\"text\":\"{text}\"}'\nmessage_id = \"/id\"\n",
        );
        let settings = config.expect("a valid http connection");
        let mapping = super::response::Mapping::new(settings.connections[0].http().unwrap()).expect("a valid mapping");
        let _ = mapping.map(status, retry_after.as_deref(), &body);
    }
}

#[test]
fn a_well_formed_json_report_parses() {
    let f = Fields::parse(Some("application/json"), br#"{"id":"abc","status":"delivered"}"#, "").unwrap();
    let r = fields::report(&f, &DlrCallback::default()).unwrap();
    assert_eq!((r.message_id.as_str(), r.state.stat(), r.is_final), ("abc", "DELIVRD", true));
}

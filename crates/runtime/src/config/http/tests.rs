use super::*;
use crate::config::Settings;

fn http(extra: &str) -> Result<Settings, ConfigError> {
    Settings::from_toml(&format!(
        "[kafka]\nbrokers = \"b:9092\"\n[[connections]]\nid = \"api\"\nprotocol = \"http\"\n{extra}\n"
    ))
}

fn error_of(extra: &str) -> String {
    match http(extra) {
        Ok(_) => panic!("accepted: {extra}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn minimal_http_connection_needs_no_host_port_or_system_id() {
    let s = http("url = \"https://api.example.com/sms\"").unwrap();
    let conn = &s.connections[0];
    assert_eq!(conn.concat(), text::Concat::Payload, "whole messages by default");
    let c = conn.http().unwrap();
    assert_eq!(c.method, HttpMethod::Post);
    assert_eq!(c.body_format(), BodyFormat::Json);
    assert_eq!(c.body(), DEFAULT_JSON_BODY);
    assert_eq!(c.dlr_callback, DlrCallback::default());
    assert_eq!(c.callback_listen, None);
}

#[test]
fn full_http_connection_parses() {
    let s = http(
        r#"
        url = "http://127.0.0.1:9000/send?account=7"
        method = "GET"
        body = "to={to}&msg={text}&dlr={receipt}"
        headers = { "X-Api-Key" = "k1" }
        auth = { basic = { user = "u", password = "p" } }
        success_status = [200, 202]
        message_id_regex = 'id=(\w+)'
        error_text = "/error/message"
        callback_listen = "127.0.0.1:8081"
        dlr_callback = { id = "/data/ref", status = "state", delivered = ["DELIVRD", "ok"], failed = ["UNDELIV"] }
        mo_callback = { from = "msisdn", to = "shortcode", text = "/message/text" }
        concat = "payload"
        "#,
    )
    .unwrap();
    let c = s.connections[0].http().unwrap();
    assert_eq!(c.method, HttpMethod::Get);
    assert_eq!(c.body_format(), BodyFormat::Form);
    assert_eq!(c.headers.get("x-api-key").or(c.headers.get("X-Api-Key")).map(Secret::expose), Some("k1"));
    assert_eq!(c.auth, Some(HttpAuth::Basic { user: "u".into(), password: "p".into() }));
    assert!(!format!("{:?}", c.auth).contains("\"p\""), "no password in Debug output: {:?}", c.auth);
    assert!(!format!("{c:?}").contains("k1"), "no API header value in Debug output");
    assert_eq!(c.success_status, vec![200, 202]);
    assert_eq!(c.callback_listen, Some("127.0.0.1:8081".parse().unwrap()));
    assert_eq!(c.dlr_callback.id, "/data/ref");
    assert_eq!(c.dlr_callback.error, "error", "unset fields keep their default");
    assert_eq!(c.dlr_callback.expired, vec!["expired".to_owned()]);
    assert_eq!(c.mo_callback.to, "shortcode");
    let bearer = http("url = \"https://a.example\"\nauth = { bearer = \"t0k\" }").unwrap();
    assert_eq!(bearer.connections[0].http().unwrap().auth, Some(HttpAuth::Bearer("t0k".into())));
}

#[test]
fn bad_http_keys_are_named() {
    let url = "url = \"https://api.example.com/sms\"\n";
    assert!(error_of("").contains("connections[0].url"));
    assert!(error_of("url = \"ftp://x/y\"").contains("connections[0].url"));
    assert!(error_of("url = \"not a url\"").contains("connections[0].url"));
    assert!(error_of(&format!("{url}method = \"PUT\"")).contains("method"));
    assert!(error_of(&format!("{url}method = \"GET\"\nbody_format = \"json\"")).contains("connections[0].body_format"));
    assert!(error_of(&format!("{url}body = '{{\"to\":\"{{too}}\"}}'")).contains("connections[0].body"));
    assert!(error_of(&format!("{url}headers = {{ \"Bad Name\" = \"x\" }}")).contains("connections[0].headers"));
    assert!(error_of(&format!("{url}auth = {{ digest = \"x\" }}")).contains("auth"));
    assert!(error_of(&format!("{url}auth = {{ bearer = \"\" }}")).contains("connections[0].auth.bearer"));
    assert!(error_of(&format!("{url}success_status = [200, 700]")).contains("connections[0].success_status"));
    assert!(error_of(&format!("{url}message_id = \"id\"")).contains("connections[0].message_id"));
    assert!(error_of(&format!("{url}message_id = \"/id\"\nmessage_id_regex = '(\\d+)'"))
        .contains("connections[0].message_id_regex"));
    assert!(error_of(&format!("{url}message_id_regex = '\\d+'")).contains("connections[0].message_id_regex"));
    assert!(error_of(&format!("{url}error_text_regex = '(a)(b)'")).contains("connections[0].error_text_regex"));
    assert!(error_of(&format!("{url}error_text = \"/a~2\"")).contains("connections[0].error_text"));
    assert!(error_of(&format!("{url}concat = \"udh8\"")).contains("connections[0].concat"));
    assert!(error_of(&format!("{url}callback_listen = \"nowhere\"")).contains("callback_listen"));
    assert!(error_of(&format!("{url}dlr_callback = {{ id = \"\" }}")).contains("connections[0].dlr_callback.id"));
    assert!(error_of(&format!("{url}dlr_callback = {{ delivered = [] }}"))
        .contains("connections[0].dlr_callback.delivered"));
    assert!(error_of(&format!("{url}mo_callback = {{ txt = \"t\" }}")).contains("txt"));
}

#[test]
fn callbacks_beyond_loopback_need_a_token_or_a_trusted_network() {
    let url = "url = \"https://api.example.com/sms\"\n";
    assert!(http(&format!("{url}callback_listen = \"127.0.0.1:8081\"")).is_ok());
    assert!(http(&format!("{url}callback_listen = \"[::1]:8081\"")).is_ok());
    let e = error_of(&format!("{url}callback_listen = \"0.0.0.0:8081\""));
    assert!(e.contains("connections[0].callback_token") && e.contains("callback_trusted_network"), "{e}");
    assert!(http(&format!("{url}callback_listen = \"0.0.0.0:8081\"\ncallback_token = \"t\"")).is_ok());
    assert!(http(&format!("{url}callback_listen = \"0.0.0.0:8081\"\ncallback_trusted_network = true")).is_ok());
    assert!(error_of(&format!("{url}callback_token = \"\"")).contains("connections[0].callback_token"));
    assert!(error_of(&format!("{url}callback_max_connections = 0")).contains("callback_max_connections"));
    assert!(error_of(&format!("{url}callback_max_rate = 0")).contains("callback_max_rate"));
    let s = http(url).unwrap();
    let c = s.connections[0].http().unwrap();
    assert_eq!((c.callback_max_connections, c.callback_max_rate), (1024, 1000));
}

#[test]
fn callback_tls_files_are_checked() {
    let url = "url = \"https://api.example.com/sms\"\n";
    let e = error_of(&format!("{url}callback_tls_cert = \"/c.pem\""));
    assert!(e.contains("connections[0].callback_tls_key"), "{e}");
    let e = error_of(&format!("{url}callback_tls_key = \"/k.pem\""));
    assert!(e.contains("connections[0].callback_tls_cert"), "{e}");
    let e = error_of(&format!("{url}callback_tls_cert = \"/nope/c.pem\"\ncallback_tls_key = \"/nope/k.pem\""));
    assert!(e.contains("connections[0].callback_tls_cert") && e.contains("cannot read /nope/c.pem"), "{e}");
}

#[test]
fn http_keys_on_other_protocols_are_errors() {
    let smpp = "[kafka]\nbrokers = \"b:9092\"\n[[connections]]\nid = \"s\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"x\"\n";
    assert!(Settings::from_toml(smpp).is_ok());
    let err = Settings::from_toml(&format!("{smpp}url = \"http://a\"")).unwrap_err().to_string();
    assert!(err.contains("`url` is not a key of protocol smpp") && err.contains("connections[0]"), "{err}");
    let err = Settings::from_toml(&smpp.replace("host = \"h\"\n", "")).unwrap_err().to_string();
    assert!(err.contains("connections[0].host"), "{err}");
    let err = Settings::from_toml(&smpp.replace("system_id = \"x\"\n", "")).unwrap_err().to_string();
    assert!(err.contains("connections[0].system_id"), "{err}");
}

#[test]
fn templates_split_into_literals_and_placeholders() {
    use Piece::{Literal, Value};
    assert_eq!(
        parse_template(r#"{"to":"{to}","n":{receipt}}"#).unwrap(),
        vec![
            Literal(r#"{"to":""#.into()),
            Value(Placeholder::To),
            Literal(r#"","n":"#.into()),
            Value(Placeholder::Receipt),
            Literal("}".into())
        ]
    );
    for p in Placeholder::ALL {
        assert_eq!(parse_template(&format!("{{{}}}", p.name())).unwrap(), vec![Value(p)]);
    }
    assert_eq!(parse_template("{}{ to}{To}").unwrap(), vec![Literal("{}{ to}{To}".into())]);
    assert_eq!(parse_template("a{").unwrap(), vec![Literal("a{".into())]);
    assert!(parse_template("{text}{txt}").unwrap_err().contains("`{txt}`"));
}

//! Issue 12: nothing secret or personal in logs or spans. One gateway with
//! SMPP, UCP, CIMD2, HTTP and modem connections (and one SMPP connection
//! with a wrong password) carries requests to DELIVERED, takes mobile-originated
//! messages, a garbage receipt and a malformed PDU from the SMSC, refuses a
//! request its protocol cannot carry and fails one its encoder cannot — all at
//! the most verbose log level (`trace`) and with OTLP export.
//! Then every log line and every exported span is searched for the bind
//! passwords, every destination and sender number and every text used: none
//! may appear. (The in-process simulators play the SMSCs; their own logs are
//! not the gateway's and are filtered out.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use smpp::{BindResp, Body, Pdu};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use events::Status;
use kafka::rdkafka::message::OwnedHeaders;
use runtime::config::{Protocol, RouteRule, TelemetryConfig};
use simulator::http::HttpOptions;
use simulator::SimConfig;
use smsgw_tests::http_sim::HttpSim;
use smsgw_tests::otlp::collector;
use smsgw_tests::{collect, free_port, produce, settings, speak, status_events, watch, Broker, Gateway, Sim};

const PASSWORD: &str = "S3cr3tPw";
const WRONG_PASSWORD: &str = "Wr0ngPw!";
const API_KEY: &str = "ApiK3y-0d9f2b";
const CALLBACK_TOKEN: &str = "CbT0ken-77ab1c";
const PIN: &str = "93718264";
/// `smsgw:S3cr3tPw` in base64: the HTTP basic-auth header's credentials.
const BASIC_CREDENTIALS: &str = "c21zZ3c6UzNjcjN0UHc=";

/// The number and the text inside the malformed PDU.
const BAD_FRAME_NUMBER: &str = "4915171444555";
const BAD_FRAME_TEXT: &str = "Geheimtext im kaputten PDU";

/// An SMSC that accepts any bind, then sends a deliver_sm (sequence 7) whose
/// `sm_length` runs past the end of the PDU, with a number and a text inside,
/// and answers enquire_link. Returns its port and the (command, sequence) of
/// every PDU the gateway sent it.
async fn bad_frame_smsc() -> (u16, Arc<Mutex<Vec<(String, u32)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = BytesMut::new();
        while socket.read_buf(&mut buf).await.is_ok_and(|n| n > 0) {
            while let Ok(Some(pdu)) = smpp::decode(&mut buf) {
                log.lock().unwrap().push((pdu.command_id().name().to_string(), pdu.sequence));
                let resp = || BindResp { system_id: "bad".into(), tlvs: vec![] };
                let reply = match pdu.body {
                    Body::BindTransceiver(_) => Pdu::response_to(&pdu, 0, Body::BindTransceiverResp(resp())),
                    Body::BindTransmitter(_) => Pdu::response_to(&pdu, 0, Body::BindTransmitterResp(resp())),
                    Body::EnquireLink => Pdu::response_to(&pdu, 0, Body::EnquireLinkResp),
                    _ => continue,
                };
                let mut out = BytesMut::new();
                smpp::encode(&reply, &mut out).unwrap();
                if matches!(reply.body, Body::BindTransceiverResp(_) | Body::BindTransmitterResp(_)) {
                    out.extend_from_slice(&malformed_deliver_sm());
                }
                socket.write_all(&out).await.unwrap();
            }
        }
    });
    (port, seen)
}

fn malformed_deliver_sm() -> Vec<u8> {
    let mut body = BytesMut::new();
    body.put_u8(0); // service_type
    body.put_slice(&[1, 1]);
    body.put_slice(BAD_FRAME_NUMBER.as_bytes());
    body.put_u8(0);
    body.put_slice(&[1, 1]);
    body.put_slice(b"4930555777\0");
    body.put_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0]); // esm_class .. schedule, validity .. sm_default_msg_id
    body.put_u8(200); // sm_length: more than the PDU holds
    body.put_slice(BAD_FRAME_TEXT.as_bytes());
    let mut pdu = BytesMut::new();
    pdu.put_u32(16 + body.len() as u32);
    pdu.put_u32(0x0000_0005); // deliver_sm
    pdu.put_u32(0);
    pdu.put_u32(7);
    pdu.put_slice(&body);
    pdu.to_vec()
}

/// The requests: (id, destination digits, text), routed by prefix.
fn requests() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (prefix, name) in
        [("4915171", "smpp"), ("4915272", "ucp"), ("4915373", "cimd"), ("4915474", "http"), ("4915575", "modem")]
    {
        for i in 0..3 {
            out.push((format!("{name}-{i}"), format!("{prefix}{i:06}"), format!("Geheimtext {name} Nummer {i} xq")));
        }
    }
    out
}

#[test]
fn no_password_number_or_text_in_logs_or_spans() {
    let (endpoint, exported) = collector();
    let dir = tempfile::tempdir().unwrap();
    let log_file = dir.path().join("smsgw.log");
    let guard = runtime::telemetry::init(&TelemetryConfig {
        otlp_endpoint: Some(endpoint),
        log: "trace,simulator=off,smsgw_tests=off".into(),
        log_file: Some(log_file.clone()),
        ..TelemetryConfig::default()
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mo_sender = "4917612398765";
    let mo_text = "Antwort mit Geheimwort zq";
    rt.block_on(async {
        let credentials = Some(("smsgw".to_string(), PASSWORD.to_string()));
        let sim_config = || SimConfig { credentials: credentials.clone(), ..SimConfig::default() };
        let smpp = Sim::start_protocol(Protocol::Smpp, 0, sim_config()).await;
        let ucp = Sim::start_protocol(Protocol::Ucp, 0, sim_config()).await;
        let cimd = Sim::start_protocol(Protocol::Cimd2, 0, sim_config()).await;
        // The HTTP API: basic auth, an API key header, callbacks with a token.
        let callback_port = free_port();
        let options = HttpOptions {
            callback: Some(format!("http://127.0.0.1:{callback_port}")),
            callback_token: Some(CALLBACK_TOKEN.into()),
            ..HttpOptions::default()
        };
        let http = HttpSim::start_with(sim_config(), options).await;
        // The modem: the scripted fake on a socat pseudo-terminal pair, with a SIM PIN.
        let modem_dir = tempfile::tempdir().unwrap();
        let modem = simulator::modem::ModemSim::start(modem_dir.path(), Some(PIN)).unwrap();
        let (bad_port, bad_seen) = bad_frame_smsc().await;
        let broker = Broker::start();
        let mut settings = settings(&broker, smpp.port, "");
        let template = settings.connections[0].clone();
        settings.connections.clear();
        for (id, protocol, port, password) in [
            ("smpp", Protocol::Smpp, smpp.port, PASSWORD),
            ("ucp", Protocol::Ucp, ucp.port, PASSWORD),
            ("cimd", Protocol::Cimd2, cimd.port, PASSWORD),
            ("wrong", Protocol::Smpp, smpp.port, WRONG_PASSWORD),
            ("bad", Protocol::Smpp, bad_port, PASSWORD),
        ] {
            let mut c = template.clone();
            speak(&mut c, protocol);
            c.id = id.into();
            let smsc = c.smsc_mut().unwrap();
            (smsc.port, smsc.password) = (port, password.into());
            settings.connections.push(c);
        }
        let api = runtime::Settings::from_toml(&format!(
            r#"
            [kafka]
            brokers = "127.0.0.1:9"
            [[connections]]
            id = "http"
            protocol = "http"
            url = "http://127.0.0.1:{port}/send"
            body = '{{"to":"+{{to}}","from":"{{from}}","text":"{{text}}","dlr":{{receipt}}}}'
            message_id = "/id"
            error_text = "/error"
            auth = {{ basic = {{ user = "smsgw", password = "{PASSWORD}" }} }}
            headers = {{ "X-Api-Key" = "{API_KEY}" }}
            callback_listen = "127.0.0.1:{callback_port}"
            callback_token = "{CALLBACK_TOKEN}"
            "#,
            port = http.port,
        ))
        .unwrap();
        settings.connections.extend(api.connections);
        let mut m = template.clone();
        m.id = "modem".into();
            m.link = runtime::config::Link::Modem(runtime::config::ModemConfig {
                device: modem.host_path.display().to_string(),
                pin: Some(PIN.into()),
                ..Default::default()
            });
        settings.connections.push(m);
        settings.router.default_connection = Some("smpp".into());
        settings.router.rules = [("4915272", "ucp"), ("4915373", "cimd"), ("4915474", "http"), ("4915575", "modem")]
            .into_iter()
            .map(|(prefix, connection)| RouteRule { prefix: prefix.into(), connection: connection.into() })
            .collect();
        let topics = settings.kafka.topics.clone();
        let kafka = broker.kafka_config();
        let gateway = Gateway::start(settings).await;
        let status = watch(&kafka, &topics.status);
        let inbound = watch(&kafka, &topics.inbound);

        for (id, to, text) in requests() {
            let body = serde_json::json!({"id": id, "to": format!("+{to}"), "from": "+4930555777", "text": text, "delivery_report": true});
            produce(&kafka, &topics.send, &id, body.to_string().as_bytes(), OwnedHeaders::new()).await;
        }
        // A sender address no SMPP SMSC carries: refused up front, with the reason.
        let body = serde_json::json!({"id": "too-long", "to": "+4915171999999", "from": "+491234567890123456789", "text": "Geheimtext lang xq"});
        produce(&kafka, &topics.send, "too-long", body.to_string().as_bytes(), OwnedHeaders::new()).await;
        // A sender UCP's encoder cannot carry: 11 characters, 22 septets (TS 23.038 §6.2.1.1: `€` is escaped).
        let body = serde_json::json!({"id": "encode-fail", "to": "+4915272999999", "from": "€€€€€€€€€€€", "text": "Geheimtext Euro xq"});
        produce(&kafka, &topics.send, "encode-fail", body.to_string().as_bytes(), OwnedHeaders::new()).await;

        // From the SMSC: a mobile-originated message and a garbage receipt.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mo = smpp::Sm {
            source_addr: mo_sender.into(),
            destination_addr: "4930555777".into(),
            short_message: mo_text.as_bytes().to_vec().into(),
            ..smpp::Sm::default()
        };
        smpp.state.send_mo("smsgw", mo);
        let garbage = smpp::Sm {
            esm_class: 0x04,
            source_addr: "4915171000000".into(),
            short_message: b"id:x stat:DELIVRD err:000 text:Geheimtext kaputt".to_vec().into(),
            ..smpp::Sm::default()
        };
        smpp.state.send_mo("smsgw", garbage);

        let n = requests().len();
        let ended = |m: &[kafka::rdkafka::message::OwnedMessage]| {
            let events = status_events(m);
            let delivered = events.iter().filter(|e| e.status == Status::Delivered && !e.request_id.is_empty());
            delivered.count() >= n && ["too-long", "encode-fail"].iter().all(|id| events.iter().any(|e| e.request_id == *id))
        };
        let events = status_events(&collect(&status, Duration::from_secs(90), ended).await);
        let refused = events.iter().find(|e| e.request_id == "too-long").unwrap();
        assert_eq!(refused.status, Status::Rejected);
        assert_eq!(refused.error.as_ref().unwrap().code, "invalid_source");
        let failed = events.iter().find(|e| e.request_id == "encode-fail").unwrap();
        assert_eq!((failed.status, failed.error.as_ref().unwrap().code.as_str()), (Status::Failed, "unsupported"));
        assert!(bad_seen.lock().unwrap().contains(&("generic_nack".to_string(), 7)), "the bad PDU was answered");
        assert!(!collect(&inbound, Duration::from_secs(30), |m| !m.is_empty()).await.is_empty(), "the MO arrived");
        gateway.stop().await;
    });
    drop(rt);
    drop(guard); // flushes the log file and the span exporter

    let logged = std::fs::read_to_string(&log_file).unwrap();
    assert!(logged.lines().count() > 1000, "trace level logs a lot: {} lines", logged.lines().count());
    assert!(logged.contains("bind refused") || logged.contains("link lost"), "the wrong password was tried");
    assert!(
        logged.contains("malformed deliver_sm body (sequence 7, "),
        "the bad PDU is logged by command, sequence and length"
    );
    let exported = exported.lock().unwrap().concat();
    assert!(!exported.is_empty(), "spans were exported");
    let exported = String::from_utf8_lossy(&exported).into_owned();

    let mut secrets: Vec<String> = [
        PASSWORD,
        WRONG_PASSWORD,
        API_KEY,
        CALLBACK_TOKEN,
        BASIC_CREDENTIALS,
        PIN,
        "4930555777",
        mo_sender,
        BAD_FRAME_NUMBER,
    ]
    .map(String::from)
    .to_vec();
    secrets.extend(["Geheimtext", "Geheimwort", "4915272999999", mo_text, BAD_FRAME_TEXT].map(String::from));
    for (_, to, text) in requests() {
        secrets.extend([to, text]);
    }
    for secret in &secrets {
        if let Some(line) = logged.lines().find(|l| l.contains(secret.as_str())) {
            panic!("`{secret}` in the log: {line}");
        }
        assert!(!exported.contains(secret.as_str()), "`{secret}` in an exported span");
    }
}

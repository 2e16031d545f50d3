//! The CIMD2 front-end over real TCP, with the `cimd2` crate as the client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use cimd2::{charset, Body, Login, Packet, Param, Response, Submit};
use common::{Sim, WAIT};
use simulator::SimConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(config: SimConfig) -> Sim {
    common::start(config, simulator::cimd2::run).await
}

fn credentials() -> SimConfig {
    SimConfig { credentials: Some(("app".into(), "secret".into())), ..SimConfig::default() }
}

/// A bare CIMD2 application: odd packet numbers, reads and decodes packets.
struct Client {
    stream: TcpStream,
    buf: BytesMut,
    number: u8,
}

impl Client {
    async fn connect(sim: &Sim) -> Client {
        Client { stream: TcpStream::connect(sim.addr).await.unwrap(), buf: BytesMut::new(), number: 1 }
    }

    async fn send(&mut self, body: Body) -> Packet {
        let packet = Packet::new(self.number, body);
        self.number = self.number.wrapping_add(2);
        self.write(&packet).await;
        packet
    }

    async fn write(&mut self, packet: &Packet) {
        let mut buf = BytesMut::new();
        cimd2::encode(packet, &mut buf).unwrap();
        self.stream.write_all(&buf).await.unwrap();
    }

    /// The next packet, or `None` when nothing comes within `within` (or the
    /// connection closed).
    async fn recv_within(&mut self, within: Duration) -> Option<Packet> {
        common::recv_within(&mut self.stream, &mut self.buf, within, cimd2::decode).await
    }

    async fn recv(&mut self) -> Packet {
        self.recv_within(WAIT).await.expect("a packet from the simulator")
    }

    async fn login(&mut self, user: &str, password: &str) -> Response {
        let login = Login { user_identity: user.into(), password: password.into(), extra: Vec::new() };
        self.send(Body::Login(login)).await;
        match self.recv().await.body {
            Body::LoginResp(r) => r,
            other => panic!("expected a login response, got {other:?}"),
        }
    }

    async fn submit(&mut self, submit: Submit) -> Response {
        let sent = self.send(Body::Submit(submit)).await;
        let reply = self.recv().await;
        assert_eq!(reply.number, sent.number);
        match reply.body {
            Body::SubmitResp(r) => r,
            other => panic!("expected a submit response, got {other:?}"),
        }
    }
}

fn text_submit(to: &str, from: &str, text: &str) -> Submit {
    Submit {
        destinations: vec![to.into()],
        originating_address: Some(from.into()),
        user_data: Some(charset::encode(text).unwrap().into()),
        ..Submit::default()
    }
}

#[tokio::test]
async fn login_is_checked() {
    let sim = start(credentials()).await;
    let mut c = Client::connect(&sim).await;
    // No submit before a login: "unexpected operation".
    assert_eq!(c.submit(text_submit("35840", "123", "hi")).await.error_code, Some(1));
    assert_eq!(c.login("app", "wrong").await.error_code, Some(100));
    assert!(c.login("app", "secret").await.is_ok());
    assert_eq!(sim.state.binds.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn submits_are_answered_and_recorded_in_smpp_shape() {
    let sim = start(credentials()).await;
    let mut c = Client::connect(&sim).await;
    c.login("app", "secret").await;

    let r1 = c.submit(text_submit("35840", "123", "Hi @ 5€")).await;
    let named = Submit {
        originating_address: None,
        alphanumeric_originating_address: Some("Bank".into()),
        ..text_submit("35840", "", "from a name")
    };
    let r2 = c.submit(named).await;
    let udh = vec![5, 0, 3, 9, 2, 1];
    let ucs2 = text::ucs2::encode("Привет");
    let binary = Submit {
        destinations: vec!["35850".into()],
        originating_address: Some("123".into()),
        data_coding_scheme: Some(8),
        user_data_header: Some(Bytes::from(udh.clone())),
        user_data_binary: Some(Bytes::from(ucs2.clone())),
        ..Submit::default()
    };
    let r3 = c.submit(binary).await;

    // 021 and 060 name the message; 060 unique for the destination.
    assert_eq!((r1.destination.as_deref(), r2.destination.as_deref()), (Some("35840"), Some("35840")));
    let (t1, t2) = (r1.mc_timestamp.clone().unwrap(), r2.mc_timestamp.clone().unwrap());
    assert_ne!(t1, t2);
    assert!(t1.len() == 12 && t1.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(r3.destination.as_deref(), Some("35850"));

    let r = sim.state.submits();
    assert_eq!(r.len(), 3);
    assert_eq!(
        (r[0].system_id.as_str(), r[0].source_addr.as_str(), r[0].destination_addr.as_str()),
        ("app", "123", "35840")
    );
    assert_eq!((r[0].esm_class, r[0].data_coding, r[0].status), (0, 0, 0));
    assert_eq!(&r[0].short_message[..], &text::gsm7::encode_unpacked("Hi @ 5€").unwrap()[..]);
    assert_eq!(r[0].message_id, format!("35840:{t1}"));
    assert_eq!(r[1].source_addr, "Bank");
    assert_eq!((r[2].esm_class, r[2].data_coding), (0x40, 0x08));
    assert_eq!(r[2].short_message[..], [udh, ucs2].concat()[..]);
}

#[tokio::test]
async fn status_report_follows_when_asked_and_names_the_response() {
    let delay = Duration::from_millis(300);
    let sim = start(SimConfig { receipt_delay: delay, ..credentials() }).await;
    let mut c = Client::connect(&sim).await;
    c.login("app", "secret").await;

    let sent = Instant::now();
    // 14 = expired + failed + delivered, as Kannel asks.
    let asked = c.submit(Submit { status_report_request: Some(14), ..text_submit("35840", "123", "report me") }).await;
    // Only failures asked for: no report for a delivered message.
    c.submit(Submit { status_report_request: Some(4), ..text_submit("35840", "123", "no report") }).await;

    let report = c.recv().await;
    assert!(sent.elapsed() >= delay, "came after {:?}", sent.elapsed());
    assert_eq!(report.number % 2, 0, "the SMSC numbers its requests even");
    let Body::DeliverStatusReport(r) = &report.body else { panic!("expected 23, got {report:?}") };
    // Correlation: the same 021 and 060 as the submit response.
    assert_eq!((&r.destination, &r.mc_timestamp), (&asked.destination, &asked.mc_timestamp));
    assert_eq!(r.status_code, Some(4));
    assert!(r.discharge_time.is_some());
    c.write(&Packet::response_to(&report).unwrap()).await;

    assert!(c.recv_within(delay * 2).await.is_none());
    wait_for(|| sim.state.receipts_sent.load(Ordering::Relaxed) == 1).await;
    let records = sim.state.submits();
    assert_eq!((records[0].registered_delivery, records[1].registered_delivery), (1, 0));
}

#[tokio::test]
async fn mo_messages_arrive_as_deliver_message() {
    let sim = start(credentials()).await;
    let gsm = smpp::Sm {
        source_addr: "358401234567".into(),
        destination_addr: "123".into(),
        short_message: text::gsm7::encode_unpacked("@ costs 5€").unwrap().into(),
        ..smpp::Sm::default()
    };
    // Held until the user logs in.
    sim.state.send_mo("app", gsm);
    let mut c = Client::connect(&sim).await;
    c.login("app", "secret").await;

    let first = c.recv().await;
    assert_eq!(first.number % 2, 0);
    let Body::DeliverMessage(d) = &first.body else { panic!("expected 20, got {first:?}") };
    assert_eq!((d.destination.as_deref(), d.originating_address.as_deref()), (Some("123"), Some("358401234567")));
    assert_eq!(charset::decode(d.user_data.as_deref().unwrap()), "@ costs 5€");
    assert!(d.mc_timestamp.is_some());
    c.write(&Packet::response_to(&first).unwrap()).await;

    let ucs2 = smpp::Sm {
        source_addr: "Shop".into(),
        destination_addr: "123".into(),
        data_coding: 0x08,
        short_message: text::ucs2::encode("Привет").into(),
        ..smpp::Sm::default()
    };
    sim.state.send_mo("app", ucs2);
    let second = c.recv().await;
    assert_eq!(second.number, first.number.wrapping_add(2));
    let Body::DeliverMessage(d) = &second.body else { panic!("expected 20, got {second:?}") };
    assert_eq!(d.alphanumeric_originating_address.as_deref(), Some("Shop"));
    assert_eq!((d.data_coding_scheme, d.user_data.as_ref()), (Some(8), None));
    assert_eq!(d.user_data_binary.as_deref(), Some(&text::ucs2::encode("Привет")[..]));
    // Refused: offered again.
    c.write(&Packet::response_with(&second, Response::error(9)).unwrap()).await;
    let again = c.recv().await;
    let Body::DeliverMessage(d2) = &again.body else { panic!("expected 20 again, got {again:?}") };
    assert_eq!(d2.user_data_binary, d.user_data_binary);
    c.write(&Packet::response_to(&again).unwrap()).await;
    wait_for(|| sim.state.receipts_sent.load(Ordering::Relaxed) == 2).await;
}

#[tokio::test]
async fn throttling_and_errors_are_error_codes() {
    let sim = start(SimConfig { throttle_percent: 100, ..credentials() }).await;
    let mut c = Client::connect(&sim).await;
    c.login("app", "secret").await;
    let r = c.submit(text_submit("35840", "123", "hi")).await;
    assert_eq!((r.error_code, r.error_text.as_deref(), r.mc_timestamp), (Some(9), Some("throttling"), None));

    let sim = start(SimConfig { error_percent: 100, ..credentials() }).await;
    let mut c = Client::connect(&sim).await;
    c.login("app", "secret").await;
    assert_eq!(c.submit(text_submit("35840", "123", "hi")).await.error_code, Some(6));
    let r = sim.state.submits();
    assert_eq!((r[0].status, r[0].message_id.as_str()), (6, ""));

    let invalid = SimConfig { error_percent: 100, error_status: smpp::status::ESME_RINVDSTADR, ..credentials() };
    let sim = start(invalid).await;
    let mut c = Client::connect(&sim).await;
    c.login("app", "secret").await;
    assert_eq!(c.submit(text_submit("35840", "123", "hi")).await.error_code, Some(300));
    assert_eq!(sim.state.submits_refused.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn bad_packets_get_errors_and_the_session_goes_on() {
    let sim = start(credentials()).await;
    let mut c = Client::connect(&sim).await;
    c.login("app", "secret").await;

    // Octets between packets are ignored; a wrong checksum is a NACK (99).
    c.stream.write_all(b"garbage").await.unwrap();
    let mut packet = BytesMut::new();
    cimd2::encode(&Packet::new(7, Body::Alive), &mut packet).unwrap();
    let n = packet.len();
    let wrong: &[u8; 2] = if &packet[n - 3..n - 1] == b"00" { b"01" } else { b"00" };
    packet[n - 3..n - 1].copy_from_slice(wrong);
    c.stream.write_all(&packet).await.unwrap();
    let nack = c.recv().await;
    assert_eq!((nack.number, nack.op()), (7, cimd2::op::NACK));

    // A parameter that does not parse: general error response, syntax error.
    c.stream.write_all(b"\x0203:009\t021:35840\t056:x\t\x03").await.unwrap();
    let error = c.recv().await;
    assert_eq!((error.number, error.op()), (9, cimd2::op::GENERAL_ERROR));
    assert_eq!(error.body.response().unwrap().error_code, Some(cimd2::ERROR_SYNTAX));

    // A request the simulator does not model: general error response.
    c.send(Body::Unknown { op: cimd2::op::ENQUIRE_MESSAGE_STATUS, params: vec![Param::new(21, "35840")] }).await;
    assert_eq!(c.recv().await.op(), cimd2::op::GENERAL_ERROR);

    // Still working: alive, submit, then logout closes the connection.
    c.send(Body::Alive).await;
    assert_eq!(c.recv().await.op(), cimd2::op::ALIVE_RESP);
    assert!(c.submit(text_submit("35840", "123", "still here")).await.is_ok());
    c.send(Body::Logout).await;
    assert_eq!(c.recv().await.op(), cimd2::op::LOGOUT_RESP);
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(WAIT, c.stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok() && rest.is_empty(), "still open after logout");
    assert_eq!(sim.state.unbinds.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn drop_connections_closes_sessions() {
    let sim = start(credentials()).await;
    let mut c = Client::connect(&sim).await;
    c.login("app", "secret").await;
    sim.state.drop_connections();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(WAIT, c.stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the session is still open");
    assert!(rest.is_empty());
}

async fn wait_for(mut done: impl FnMut() -> bool) {
    let until = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < until, "condition not met within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

//! The UCP front-end over real TCP, with the `ucp` crate as the client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::{Sim, WAIT};
use simulator::SimConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ucp::xser::ExtraService;
use ucp::{error_code, Alphabet, Body, Login, Message, Msg, Ot, Sm, Timestamp, Trn};

async fn start(config: SimConfig) -> Sim {
    common::start(config, simulator::ucp::run).await
}

fn credentials() -> SimConfig {
    SimConfig { credentials: Some(("4412".into(), "secret".into())), ..SimConfig::default() }
}

/// A bare UCP client: writes messages, reads and decodes them.
struct Client {
    stream: TcpStream,
    buf: BytesMut,
    trn: Trn,
}

impl Client {
    async fn connect(sim: &Sim) -> Client {
        Client { stream: TcpStream::connect(sim.addr).await.unwrap(), buf: BytesMut::new(), trn: Trn::default() }
    }

    /// Sends `body` with the next TRN and returns the message sent.
    async fn send(&mut self, body: Body) -> Message {
        let message = Message::new(self.trn, body);
        self.trn = self.trn.next();
        self.write(&message).await;
        message
    }

    async fn write(&mut self, message: &Message) {
        self.stream.write_all(&ucp::to_bytes(message).unwrap()).await.unwrap();
    }

    /// The next message, or `None` when nothing comes within `within` (or the
    /// connection closed).
    async fn recv_within(&mut self, within: Duration) -> Option<Message> {
        common::recv_within(&mut self.stream, &mut self.buf, within, ucp::decode).await
    }

    async fn recv(&mut self) -> Message {
        self.recv_within(WAIT).await.expect("a message from the simulator")
    }

    async fn login(&mut self, account: &str, password: &str) -> Message {
        self.send(Body::Login(Login::open_session(account, password))).await;
        self.recv().await
    }
}

fn ack_sm(m: &Message) -> &str {
    match &m.body {
        Body::Ack(a) => &a.sm,
        other => panic!("expected an ACK, got {other:?}"),
    }
}

fn nack(m: &Message) -> (u8, &str) {
    match &m.body {
        Body::Nack(n) => (n.ec, n.sm.as_str()),
        other => panic!("expected a NACK, got {other:?}"),
    }
}

fn text_submit(adc: &str, oadc: &str, text: &str) -> Sm {
    Sm { adc: adc.into(), oadc: oadc.into(), msg: Msg::alphanumeric(text, Alphabet::Gsm).unwrap(), ..Sm::default() }
}

#[tokio::test]
async fn login_is_checked() {
    let sim = start(credentials()).await;
    let mut c = Client::connect(&sim).await;
    // No submit before a login.
    c.send(Body::Submit(text_submit("31611", "4412", "hi"))).await;
    assert_eq!(nack(&c.recv().await).0, error_code::OPERATION_NOT_ALLOWED);

    let refused = c.login("4412", "wrong").await;
    assert_eq!(refused.body.ot(), Ot::SESSION);
    assert_eq!(nack(&refused).0, error_code::AUTHENTICATION_FAILURE);
    let accepted = c.login("4412", "secret").await;
    assert_eq!(ack_sm(&accepted), "");
    assert_eq!(sim.state.binds.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn submits_are_acked_and_recorded_in_smpp_shape() {
    let sim = start(credentials()).await;
    let mut c = Client::connect(&sim).await;
    c.login("4412", "secret").await;

    let first = c.send(Body::Submit(text_submit("31611", "4412", "Hi @ 5€"))).await;
    let a1 = ack_sm(&c.recv().await).to_owned();
    let mut named = text_submit("31611", "", "from a name");
    named.set_alphanumeric_originator("Bank").unwrap();
    c.send(Body::Submit(named)).await;
    let a2 = ack_sm(&c.recv().await).to_owned();
    let udh = vec![5, 0, 3, 9, 2, 1];
    let ucs2 = text::ucs2::encode("Привет");
    let binary = Sm {
        adc: "31622".into(),
        oadc: "4412".into(),
        msg: Msg::transparent(ucs2.clone()),
        xser: vec![ExtraService::udh(udh.clone()), ExtraService::dcs(0x08)],
        ..Sm::default()
    };
    c.send(Body::Submit(binary)).await;
    let a3 = ack_sm(&c.recv().await).to_owned();
    assert!(matches!(first.body, Body::Submit(_)));

    // `AdC:SCTS`, SCTS a DDMMYYhhmmss time stamp, unique for the AdC.
    let (adc1, scts1) = a1.split_once(':').unwrap();
    let (adc2, scts2) = a2.split_once(':').unwrap();
    assert_eq!((adc1, adc2), ("31611", "31611"));
    assert_ne!(scts1, scts2);
    assert!(Timestamp::parse(scts1).unwrap().second.is_some());
    assert!(a3.starts_with("31622:"));

    let r = sim.state.submits();
    assert_eq!(r.len(), 3);
    assert_eq!(
        (r[0].system_id.as_str(), r[0].source_addr.as_str(), r[0].destination_addr.as_str()),
        ("4412", "4412", "31611")
    );
    assert_eq!((r[0].esm_class, r[0].data_coding, r[0].status), (0, 0, 0));
    assert_eq!(&r[0].short_message[..], &text::gsm7::encode_unpacked("Hi @ 5€").unwrap()[..]);
    assert_eq!(r[0].message_id, a1);
    assert_eq!(r[1].source_addr, "Bank");
    assert_eq!(r[1].message_id, a2);
    assert_eq!((r[2].esm_class, r[2].data_coding), (0x40, 0x08));
    assert_eq!(r[2].short_message[..], [udh, ucs2].concat()[..]);
    assert_eq!(sim.state.accepted(), 3);
}

#[tokio::test]
async fn notification_follows_when_asked_and_names_the_ack() {
    let delay = Duration::from_millis(300);
    let sim = start(SimConfig { receipt_delay: delay, ..credentials() }).await;
    let mut c = Client::connect(&sim).await;
    c.login("4412", "secret").await;

    let asked = Sm { nrq: "1".into(), nt: "3".into(), ..text_submit("31633", "4412", "report me") };
    let sent = Instant::now();
    c.send(Body::Submit(asked)).await;
    let ack = c.recv().await;
    let (adc, scts) = ack_sm(&ack).split_once(':').map(|(a, s)| (a.to_owned(), s.to_owned())).unwrap();
    c.send(Body::Submit(text_submit("31633", "4412", "no report"))).await;
    ack_sm(&c.recv().await);

    let notification = c.recv().await;
    assert!(sent.elapsed() >= delay, "came after {:?}", sent.elapsed());
    let Body::Notification(n) = &notification.body else { panic!("expected OT 53, got {notification:?}") };
    // Correlation: the ACK's AdC is the notification's OAdC, the SCTS the same.
    assert_eq!((n.oadc.as_str(), n.scts.as_str()), (adc.as_str(), scts.as_str()));
    assert_eq!(n.adc, "4412");
    assert_eq!(n.dst, "0");
    assert!(Timestamp::parse(&n.dscts).is_some());
    c.write(&notification.ack("")).await;

    // Only the submit that asked gets one.
    assert!(c.recv_within(delay * 2).await.is_none());
    wait_for(|| sim.state.receipts_sent.load(Ordering::Relaxed) == 1).await;
    assert_eq!(sim.state.submits()[0].registered_delivery, 1);
}

#[tokio::test]
async fn mo_messages_arrive_as_ot_52() {
    let sim = start(credentials()).await;
    // Held until the account logs in.
    let gsm = smpp::Sm {
        source_addr: "447700900123".into(),
        destination_addr: "4412".into(),
        short_message: text::gsm7::encode_unpacked("@ costs 5€").unwrap().into(),
        ..smpp::Sm::default()
    };
    sim.state.send_mo("4412", gsm);
    let mut c = Client::connect(&sim).await;
    c.login("4412", "secret").await;

    let first = c.recv().await;
    let Body::Deliver(d) = &first.body else { panic!("expected OT 52, got {first:?}") };
    assert_eq!((d.adc.as_str(), d.oadc.as_str()), ("4412", "447700900123"));
    assert_eq!(d.msg.text(Alphabet::Gsm).as_deref(), Some("@ costs 5€"));
    assert!(Timestamp::parse(&d.scts).is_some());
    c.write(&first.ack("")).await;

    let ucs2 = smpp::Sm {
        source_addr: "Shop".into(),
        destination_addr: "4412".into(),
        data_coding: 0x08,
        short_message: text::ucs2::encode("Привет").into(),
        ..smpp::Sm::default()
    };
    sim.state.send_mo("4412", ucs2);
    let second = c.recv().await;
    let Body::Deliver(d) = &second.body else { panic!("expected OT 52, got {second:?}") };
    assert_eq!(d.alphanumeric_originator().as_deref(), Some("Shop"));
    assert_eq!(d.msg, Msg::transparent(text::ucs2::encode("Привет")));
    assert_eq!(d.xser, vec![ExtraService::dcs(0x08)]);
    // A NACK: offered again.
    c.write(&second.nack(error_code::SYNTAX_ERROR, "")).await;
    let again = c.recv().await;
    let Body::Deliver(d2) = &again.body else { panic!("expected OT 52 again, got {again:?}") };
    assert_eq!((&d2.msg, &d2.xser, &d2.oadc), (&d.msg, &d.xser, &d.oadc));
    c.write(&again.ack("")).await;
    wait_for(|| sim.state.receipts_sent.load(Ordering::Relaxed) == 2).await;
}

#[tokio::test]
async fn throttling_and_errors_are_nacked() {
    let sim = start(SimConfig { throttle_percent: 100, ..credentials() }).await;
    let mut c = Client::connect(&sim).await;
    c.login("4412", "secret").await;
    c.send(Body::Submit(text_submit("31611", "4412", "hi"))).await;
    assert_eq!(nack(&c.recv().await), (error_code::OPERATION_NOT_ALLOWED, "throttling"));

    let sim = start(SimConfig { error_percent: 100, ..credentials() }).await;
    let mut c = Client::connect(&sim).await;
    c.login("4412", "secret").await;
    c.send(Body::Submit(text_submit("31611", "4412", "hi"))).await;
    assert_eq!(nack(&c.recv().await), (error_code::OPERATION_NOT_ALLOWED, "system error"));

    let invalid = SimConfig { error_percent: 100, error_status: smpp::status::ESME_RINVDSTADR, ..credentials() };
    let sim = start(invalid).await;
    let mut c = Client::connect(&sim).await;
    c.login("4412", "secret").await;
    c.send(Body::Submit(text_submit("31611", "4412", "hi"))).await;
    assert_eq!(nack(&c.recv().await).0, error_code::ADC_INVALID);
    let r = sim.state.submits();
    assert_eq!((r[0].status, r[0].message_id.as_str()), (u32::from(error_code::ADC_INVALID), ""));
    assert_eq!(sim.state.submits_refused.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn bad_frames_are_nacked_and_the_session_goes_on() {
    let sim = start(credentials()).await;
    let mut c = Client::connect(&sim).await;
    c.login("4412", "secret").await;

    // Octets outside a frame are skipped; a wrong checksum is NACK 01.
    c.stream.write_all(b"garbage").await.unwrap();
    let alert = Message::new(Trn::new(7).unwrap(), Body::Alert(ucp::Alert { adc: "4412".into(), pid: "0539".into() }));
    let mut frame = ucp::to_bytes(&alert).unwrap();
    let n = frame.len();
    let wrong: &[u8; 2] = if &frame[n - 3..n - 1] == b"00" { b"01" } else { b"00" };
    frame[n - 3..n - 1].copy_from_slice(wrong);
    c.stream.write_all(&frame).await.unwrap();
    let reply = c.recv().await;
    assert_eq!((reply.trn.get(), nack(&reply).0), (7, error_code::CHECKSUM_ERROR));

    // A sound frame with a bad field (XSer not hex) is NACK 02.
    let mut fields = vec![""; 33];
    (fields[0], fields[1], fields[18], fields[20], fields[30]) = ("31611", "4412", "3", "41", "ZZ");
    c.stream.write_all(&framed(8, 51, &fields)).await.unwrap();
    assert_eq!(nack(&c.recv().await).0, error_code::SYNTAX_ERROR);

    // An operation the simulator does not model is NACK 03.
    c.send(Body::Unknown { ot: Ot(54), kind: ucp::Kind::Operation, fields: vec![String::new(); 3] }).await;
    assert_eq!(nack(&c.recv().await).0, error_code::OPERATION_NOT_SUPPORTED);

    // And the session still works: alert and submit.
    c.send(alert.body.clone()).await;
    assert_eq!(ack_sm(&c.recv().await), "");
    c.send(Body::Submit(text_submit("31611", "4412", "still here"))).await;
    assert!(ack_sm(&c.recv().await).starts_with("31611:"));
}

#[tokio::test]
async fn drop_connections_closes_sessions() {
    let sim = start(credentials()).await;
    let mut c = Client::connect(&sim).await;
    c.login("4412", "secret").await;
    sim.state.drop_connections();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(WAIT, c.stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the session is still open");
    assert!(rest.is_empty());
}

/// An operation framed by hand (EMI 4.x §2): STX, TRN/LEN/O/OT/fields/,
/// checksum, ETX — for fields the codec would refuse to write.
fn framed(trn: u8, ot: u8, fields: &[&str]) -> Vec<u8> {
    let data = format!("/O/{ot:02}/{}/", fields.join("/"));
    let len = 2 + 1 + 5 + data.len() + 2;
    let body = format!("{trn:02}/{len:05}{data}");
    let sum = body.bytes().fold(0u8, |s, b| s.wrapping_add(b));
    format!("\u{2}{body}{sum:02X}\u{3}").into_bytes()
}

async fn wait_for(mut done: impl FnMut() -> bool) {
    let until = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < until, "condition not met within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

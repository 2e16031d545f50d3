//! Against a real peer: Kannel's fake CIMD2 SMSC, `test_cimd2` (Debian's
//! `kannel-extras`, installed by scripts/install-deps), over a blocking
//! `std::net::TcpStream`.
//!
//! What test_cimd2 does (Kannel's `test/test_cimd2.c`): it accepts one
//! client, checks login 01 against `--user`/`--password` (answering 51, or
//! 51 with `900:100`), answers submit 03 with 53 carrying the destination
//! and a `yyMMddhhmmss` timestamp (or `900:300` without a destination),
//! answers alive 40 with 90 and logout 02 with 52, answers unknown
//! operations with 98 `900:1`, and with `--activity 2` sends deliver message
//! 20 packets with random addresses, random 8-bit text and sometimes a
//! random lower-case hex UDH, numbered 000, 002, ..., one at a time, each
//! after the previous one was answered with 70. It ignores checksums on
//! input and writes upper-case ones. It never sends deliver status reports
//! (23). With `--logging 2` it prints a line per packet it understood, which
//! this test reads back after the connection closes.
//!
//! test_cimd2 listens on all interfaces. The test therefore re-runs itself
//! inside a new network namespace with only loopback up (`unshare -rn`);
//! where that is not possible it runs on a free port and says so.
//!
//! Missing test_cimd2: skipped with a printed reason, or failed when `CI` is
//! set.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use cimd2::{charset, decode, encode, op, Body, DeliverMessage, Login, Packet, Received, Session, SessionConfig};
use cimd2::{State, Submit};

const TEST_CIMD2: &str = "/usr/lib/kannel/test/test_cimd2";
/// Set in the copy of this test that runs inside the network namespace.
const IN_NETNS: &str = "CIMD2_KANNEL_PEER_IN_NETNS";
const TEST_NAME: &str = "talks_to_kannel_test_cimd2";

#[test]
fn talks_to_kannel_test_cimd2() {
    if !Path::new(TEST_CIMD2).exists() {
        let reason = format!("{TEST_CIMD2} is missing (scripts/install-deps installs kannel-extras)");
        assert!(std::env::var_os("CI").is_none(), "{reason}");
        println!("skipping kannel peer test: {reason}");
        return;
    }
    if std::env::var_os(IN_NETNS).is_some() {
        exchange(6789);
        return;
    }
    if !netns_available() {
        let port = free_port();
        println!(
            "no network namespace (unshare -rn and ip link set lo up failed): test_cimd2 listens on all \
             interfaces, port {port}, for the length of this test"
        );
        exchange(port);
        return;
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => panic!("cannot find the test binary to re-run it in a namespace: {e}"),
    };
    let out = Command::new("unshare")
        .args(["-rn", "sh", "-c", r#"ip link set lo up && exec "$0" "$@""#])
        .arg(exe)
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(IN_NETNS, "1")
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => panic!("cannot run unshare: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("--- inside the network namespace ---\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the exchange inside the namespace failed: {}", out.status);
    assert!(stdout.contains("1 passed"), "the inner run did not run the test");
}

fn netns_available() -> bool {
    Command::new("unshare")
        .args(["-rn", "sh", "-c", "ip link set lo up"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => panic!("no free port: {e}"),
    }
}

/// The test_cimd2 process, killed if the test fails half-way.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The connection task of this test: blocking I/O around the sans-IO codec
/// and session.
struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    session: Session,
    /// Deliver messages received (and answered with 70).
    delivered: Vec<(u8, DeliverMessage)>,
}

impl Conn {
    fn send(&mut self, packet: &Packet) {
        let mut out = BytesMut::new();
        assert_eq!(encode(packet, &mut out), Ok(()));
        if let Err(e) = self.stream.write_all(&out) {
            panic!("write: {e}");
        }
    }

    fn request(&mut self, body: Body) -> u8 {
        let packet = match self.session.send_request(body, Instant::now()) {
            Ok(p) => p,
            Err(e) => panic!("session refused a request: {e}"),
        };
        self.send(&packet);
        packet.number
    }

    /// Reads until `want` accepts an event or `timeout` passes, answering
    /// deliveries and alive on the way.
    fn until(&mut self, timeout: Duration, mut want: impl FnMut(&Received) -> bool) -> Received {
        let deadline = Instant::now() + timeout;
        loop {
            loop {
                match decode(&mut self.buf) {
                    Ok(Some(packet)) => {
                        let event = self.session.receive(packet, Instant::now());
                        self.answer(&event);
                        if want(&event) {
                            return event;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => panic!("test_cimd2 sent something we cannot decode: {e}"),
                }
            }
            assert!(Instant::now() < deadline, "timed out waiting; received so far: {:?}", self.delivered);
            let mut chunk = [0u8; 1021];
            match self.stream.read(&mut chunk) {
                Ok(0) => panic!("test_cimd2 closed the connection"),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    fn answer(&mut self, event: &Received) {
        match event {
            Received::Request { packet, reply: Some(reply) } => {
                println!("answering {:02}:{:03} itself", packet.op(), packet.number);
                self.send(reply);
            }
            Received::Request { packet, reply: None } => {
                let Body::DeliverMessage(d) = &packet.body else { panic!("unexpected request {packet:?}") };
                assert_eq!(packet.number % 2, 0, "the SMSC numbers its requests with even numbers");
                if let Some(ud) = &d.user_data {
                    // Random 8-bit octets: decoding must take them all.
                    assert!(charset::decode(ud).chars().count() <= ud.len());
                }
                self.delivered.push((packet.number, d.clone()));
                let Some(reply) = Packet::response_to(packet) else { unreachable!("a deliver is a request") };
                assert_eq!(reply.op(), op::DELIVER_MESSAGE_RESP);
                self.send(&reply);
            }
            Received::Unexpected { packet, reply } => panic!("unexpected {packet:?} (reply {reply:?})"),
            _ => {}
        }
    }
}

fn connect(port: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => return s,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("cannot connect to test_cimd2 on port {port}: {e}"),
        }
    }
}

fn submit(destination: &str, text: &str) -> Body {
    let user_data = match charset::encode(text) {
        Ok(u) => Bytes::from(u),
        Err(e) => panic!("{e}"),
    };
    Body::Submit(Submit {
        destinations: vec![destination.into()],
        originating_address: Some("12345".into()),
        user_data: Some(user_data),
        status_report_request: Some(14),
        ..Submit::default()
    })
}

fn exchange(port: u16) {
    let child = Command::new(TEST_CIMD2)
        .args(["--port", &port.to_string(), "--activity", "2", "--logging", "2", "--user", "foo", "--password", "bar"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut peer = match child {
        Ok(c) => Peer(c),
        Err(e) => panic!("cannot start {TEST_CIMD2}: {e}"),
    };
    let stream = connect(port);
    if let Err(e) = stream.set_read_timeout(Some(Duration::from_millis(100))) {
        panic!("{e}");
    }
    let config = SessionConfig { window: 4, response_timeout: Duration::from_secs(10), ..SessionConfig::default() };
    let mut c = Conn { stream, buf: BytesMut::new(), session: Session::new(config, Instant::now()), delivered: vec![] };
    let t = Duration::from_secs(10);

    // Login.
    c.request(Body::Login(Login { user_identity: "foo".into(), password: "bar".into(), extra: vec![] }));
    c.until(t, |e| matches!(e, Received::LoginOk { .. }));
    assert_eq!(c.session.state(), State::LoggedIn);

    // A few submits: text with special combinations and an extension
    // character, binary with a UDH, an alphanumeric sender.
    let mut numbers = vec![
        c.request(submit("4477009001", "Hello @ £ € {ok}")),
        c.request(Body::Submit(Submit {
            destinations: vec!["4477009002".into()],
            data_coding_scheme: Some(4),
            user_data_header: Some(Bytes::from_static(&[5, 0, 3, 0x2a, 2, 1])),
            user_data_binary: Some(Bytes::from_static(b"\x00\x01\xfe\xff")),
            ..Submit::default()
        })),
        c.request(Body::Submit(Submit {
            destinations: vec!["4477009003".into()],
            alphanumeric_originating_address: Some("smsgw".into()),
            user_data: Some(Bytes::from_static(b"_A\"_O\"_a*")),
            ..Submit::default()
        })),
    ];
    assert!(numbers.iter().all(|n| n % 2 == 1), "{numbers:?}");
    while !numbers.is_empty() {
        let e = c.until(t, |e| matches!(e, Received::Response { request: op::SUBMIT, .. }));
        let Received::Response { packet, .. } = e else { unreachable!() };
        let Body::SubmitResp(r) = &packet.body else { panic!("{packet:?}") };
        assert!(r.is_ok(), "{r:?}");
        let dest = r.destination.as_deref().unwrap_or_default();
        assert!(dest.starts_with("447700900"), "destination echoed: {r:?}");
        let ts = r.mc_timestamp.as_deref().unwrap_or_default();
        assert!(ts.len() == 12 && ts.bytes().all(|b| b.is_ascii_digit()), "service centre timestamp: {r:?}");
        numbers.retain(|&n| n != packet.number);
    }

    // A submit without a destination is refused with 300.
    c.request(Body::Submit(Submit { user_data: Some(Bytes::from_static(b"x")), ..Submit::default() }));
    let e = c.until(t, |e| matches!(e, Received::Response { request: op::SUBMIT, .. }));
    let Received::Response { packet, .. } = e else { unreachable!() };
    assert_eq!(packet.body.response().and_then(|r| r.error_code), Some(300), "{packet:?}");

    // Alive.
    c.request(Body::Alive);
    c.until(t, |e| matches!(e, Received::Response { request: op::ALIVE, .. }));

    // At least one deliver message, answered with 70 (test_cimd2 sends the
    // first within about a second of the connection, then one every ~7 s).
    if c.delivered.is_empty() {
        c.until(Duration::from_secs(15), |e| matches!(e, Received::Request { reply: None, .. }));
    }
    assert!(!c.delivered.is_empty());
    println!("received {} deliver message(s): {:?}", c.delivered.len(), c.delivered);

    // Logout.
    c.request(Body::Logout);
    c.until(t, |e| matches!(e, Received::Response { request: op::LOGOUT, .. }));
    assert_eq!(c.session.state(), State::Closed);
    drop(c);

    // test_cimd2 exits when the client closes; its log shows what it read.
    let deadline = Instant::now() + Duration::from_secs(5);
    while peer.0.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut log = String::new();
    if let Some(out) = peer.0.stdout.as_mut() {
        let _ = out.read_to_string(&mut log);
    }
    println!("--- test_cimd2 log ---\n{log}");
    for line in [
        "RCV: Login user 'foo', password 'bar'",
        "RCV: Submit to 4477009001",
        "    Text: Hello _Oa _L- _XXe _XX(ok_XX)",
        "    User data header: 0500032A0201",
        "    Text (binary): 0001FEFF",
        "RCV: Submit to 4477009003",
        "RCV: Alive?",
        "RCV: Deliver response",
        "RCV: Logout",
    ] {
        assert!(log.contains(line), "test_cimd2 did not log {line:?}");
    }
}

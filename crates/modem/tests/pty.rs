//! The Modem state machine and the FakeModem on the two ends of a `socat`
//! pseudo-terminal pair, over blocking std file I/O, in real time — the bytes
//! cross a real tty in raw mode, split however the kernel splits them.
//!
//! Needs `socat` (Debian package, installed by scripts/install-deps). Without it
//! the test is skipped with a printed reason, except under CI (`CI` set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use modem::fake::FakeModem;
use modem::{encode_message, Address, AtError, Cause, Event, Modem, ModemConfig, Pin, Sent, SubmitOptions};
use text::{split, Preference, SplitOptions};

struct Socat {
    child: Child,
    dir: PathBuf,
}

impl Drop for Socat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn socat() -> Option<(Socat, PathBuf, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("modem-pty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (host, device) = (dir.join("host"), dir.join("device"));
    let child = Command::new("socat")
        .arg("-d")
        .arg("-d")
        .arg(format!("pty,raw,echo=0,link={}", host.display()))
        .arg(format!("pty,raw,echo=0,link={}", device.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let socat = Socat { child, dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(host.exists() && device.exists()) {
        assert!(Instant::now() < deadline, "socat made no pty links");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((socat, host, device))
}

fn open(path: &Path) -> File {
    OpenOptions::new().read(true).write(true).open(path).unwrap()
}

/// The device end: a thread feeds what the host writes to the fake and writes back
/// what it answers. Injections from the test go through the same lock.
#[derive(Clone)]
struct Device(Arc<Mutex<(FakeModem, File)>>);

impl Device {
    fn start(path: &Path, fake: FakeModem) -> Self {
        let file = open(path);
        let mut reader = file.try_clone().unwrap();
        let device = Device(Arc::new(Mutex::new((fake, file))));
        let shared = device.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                shared.with(|fake| fake.handle_input(&buf[..n]));
            }
        });
        device
    }

    fn with<T>(&self, f: impl FnOnce(&mut FakeModem) -> T) -> T {
        let mut guard = self.0.lock().unwrap();
        let (fake, file) = &mut *guard;
        let result = f(fake);
        let out = fake.take_output();
        if !out.is_empty() {
            file.write_all(&out).unwrap();
        }
        result
    }
}

/// The host end: our state machine, driven the way the gateway's connection task
/// will drive it (write, read with the next deadline as timeout, handle timeouts).
struct Host {
    modem: Modem,
    port: File,
    input: Receiver<Vec<u8>>,
}

impl Host {
    fn start(path: &Path, config: ModemConfig) -> Self {
        let port = open(path);
        let mut reader = port.try_clone().unwrap();
        let (tx, input) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
        });
        Host { modem: Modem::new(config, Instant::now()), port, input }
    }

    /// Runs until `done` holds for the events so far (all returned), or fails after 20 s.
    fn until(&mut self, done: impl Fn(&[Event]) -> bool) -> Vec<Event> {
        let give_up = Instant::now() + Duration::from_secs(20);
        let mut events = Vec::new();
        loop {
            while let Some(bytes) = self.modem.poll_transmit() {
                self.port.write_all(&bytes).unwrap();
            }
            while let Some(event) = self.modem.poll_event() {
                events.push(event);
            }
            if done(&events) {
                return events;
            }
            let now = Instant::now();
            assert!(now < give_up, "gave up waiting; events so far: {events:?}");
            let wake = self.modem.next_deadline().unwrap_or(give_up).min(give_up);
            match self.input.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(bytes) => self.modem.handle_input(&bytes, Instant::now()),
                Err(RecvTimeoutError::Timeout) => self.modem.handle_timeout(Instant::now()),
                Err(RecvTimeoutError::Disconnected) => panic!("host port closed"),
            }
        }
    }

    /// Runs for `period`, returning the events.
    fn settle(&mut self, period: Duration) -> Vec<Event> {
        let end = Instant::now() + period;
        let mut events = Vec::new();
        while Instant::now() < end {
            while let Some(bytes) = self.modem.poll_transmit() {
                self.port.write_all(&bytes).unwrap();
            }
            events.extend(std::iter::from_fn(|| self.modem.poll_event()));
            let wait = end.saturating_duration_since(Instant::now());
            if let Ok(bytes) = self.input.recv_timeout(wait) {
                self.modem.handle_input(&bytes, Instant::now());
            }
        }
        events
    }

    fn submit(&mut self, text: &str, opts: &SubmitOptions) -> usize {
        let message = split(text, Preference::Auto, &SplitOptions { reference: 9, ..SplitOptions::default() }).unwrap();
        let pdus = encode_message(&Address::parse("+4915112345678"), &message, opts).unwrap();
        let n = pdus.len();
        for pdu in pdus {
            self.modem.submit(pdu, Instant::now());
        }
        n
    }
}

fn count(events: &[Event], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

#[test]
fn modem_over_a_socat_pty_pair() {
    if Command::new("socat").arg("-V").stdout(Stdio::null()).status().is_err() {
        let reason = "pty test skipped: socat is not installed (scripts/install-deps installs it)";
        assert!(std::env::var_os("CI").is_none(), "{reason}, and CI is set");
        println!("{reason}");
        return;
    }
    let (_socat, host_path, device_path) = socat().expect("start socat");
    let device = Device::start(&device_path, FakeModem::new(Some("4321")));
    let config = ModemConfig {
        pin: Some(Pin::new("4321")),
        command_timeout: Duration::from_millis(1500),
        submit_timeout: Duration::from_secs(3),
        health_interval: Duration::from_secs(3600),
        ..ModemConfig::default()
    };
    let mut host = Host::start(&host_path, config);

    // Init with PIN.
    let events = host.until(|e| !e.is_empty());
    assert_eq!(events, [Event::Ready { acknowledged_routing: true }]);
    assert!(device.with(|f| f.commands.contains(&"AT+CPIN=\"4321\"".to_owned())));

    // A 7-bit and a UCS-2 submit.
    host.submit("Hello from the pty {ok} 5€", &SubmitOptions::default());
    host.submit("Grüße 😀 Привет", &SubmitOptions::default());
    let events = host.until(|e| e.len() == 2);
    assert!(events.iter().all(|e| matches!(e, Event::Submitted { mr: Some(_), .. })), "{events:?}");
    let ucs2 = device.with(|f| modem::decode_submit(&f.submitted[1]).unwrap());
    assert_eq!((ucs2.dcs, text::ucs2::decode(&ucs2.user_data)), (0x08, "Grüße 😀 Привет".to_owned()));

    // A 3-part message with status reports, correlated by mr and confirmed.
    let parts = host.submit(
        &"Concatenated over a pseudo-terminal. ".repeat(11),
        &SubmitOptions { status_report: true, ..SubmitOptions::default() },
    );
    assert_eq!(parts, 3);
    let events = host.until(|e| count(e, |e| matches!(e, Event::StatusReport { .. })) == 3);
    let mrs: Vec<u8> =
        events.iter().filter_map(|e| if let Event::Submitted { mr, .. } = e { *mr } else { None }).collect();
    assert_eq!(mrs, [2, 3, 4]);
    for event in &events {
        if let Event::StatusReport { id, report } = event {
            assert!(mrs.contains(&report.mr));
            assert_eq!(report.stat(), "DELIVRD");
            host.modem.confirm(*id, Instant::now());
        }
    }
    let parts: Vec<Vec<u8>> = device
        .with(|f| f.submitted[2..].iter().map(|p| modem::decode_submit(p).unwrap().user_data[..6].to_vec()).collect());
    assert_eq!(parts, [[5, 0, 3, 9, 3, 1], [5, 0, 3, 9, 3, 2], [5, 0, 3, 9, 3, 3]]);

    // An inbound message announced by +CMTI, read, and deleted after confirm.
    let index = device.with(|f| {
        let pdu = f.deliver_pdu("+4917612345678", "inbound over pty");
        f.store_inbound(&pdu, true)
    });
    let events = host.until(|e| e.iter().any(|e| matches!(e, Event::Received { .. })));
    let Some(Event::Received { id, deliver }) = events.last() else { panic!("{events:?}") };
    assert_eq!(deliver.decode_text().unwrap().1.text.as_deref(), Some("inbound over pty"));
    host.modem.confirm(*id, Instant::now());
    let deadline = Instant::now() + Duration::from_secs(10);
    while device.with(|f| f.stored().contains(&index)) {
        assert!(Instant::now() < deadline, "never deleted");
        assert!(host.settle(Duration::from_millis(50)).is_empty());
    }
    assert!(device.with(|f| f.awaiting_ack()) == 0, "every +CDS acknowledged");

    // +CMS ERROR 38, network out of order: temporary, not sent.
    device.with(|f| f.fail_next_submit("+CMS ERROR: 38"));
    host.submit("will fail", &SubmitOptions::default());
    let events = host.until(|e| !e.is_empty());
    let [Event::SubmitFailed { failure, .. }] = &events[..] else { panic!("{events:?}") };
    assert_eq!((failure.cause, failure.temporary, failure.sent), (Cause::At(AtError::Cms(38)), true, Sent::No));

    // A +CMTI between AT+CMGS and its +CMGS result.
    device.with(|f| {
        let pdu = f.deliver_pdu("+4917612345678", "in between");
        let index = f.store_inbound(&pdu, false);
        f.urc_during_next_submit(&format!("+CMTI: \"SM\",{index}"));
    });
    host.submit("racing", &SubmitOptions::default());
    let events = host.until(|e| e.len() == 2);
    assert!(matches!(events[0], Event::Submitted { mr: Some(5), .. }), "{events:?}");
    assert!(
        matches!(&events[1], Event::Received { deliver, .. } if deliver.user_data == text::gsm7::encode_unpacked("in between").unwrap())
    );

    // The modem stops answering.
    device.with(FakeModem::go_silent);
    host.submit("into the void", &SubmitOptions::default());
    let events = host.until(|e| e.iter().any(|e| matches!(e, Event::Unresponsive { .. })));
    assert!(
        matches!(&events[0], Event::SubmitFailed { failure, .. } if failure.sent == Sent::No && failure.cause == Cause::Timeout),
        "{events:?}"
    );
    assert_eq!(events[1], Event::Unresponsive { command: "AT+CMGS" });
}

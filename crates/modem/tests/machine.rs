//! The Modem state machine against the scripted FakeModem, in memory, with
//! injected time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use modem::fake::FakeModem;
use modem::{
    encode_message, Address, AtError, Cause, Event, InitError, Modem, ModemConfig, Pin, Sent, State, SubmitOptions,
    SubmitPdu,
};
use text::{split, Preference, SplitOptions};

struct Rig {
    modem: Modem,
    fake: FakeModem,
    now: Instant,
    events: Vec<Event>,
}

impl Rig {
    fn new(pin: Option<&str>, sim_pin: Option<&str>) -> Self {
        let now = Instant::now();
        let config = ModemConfig { pin: pin.map(Pin::new), ..ModemConfig::default() };
        let mut rig = Rig { modem: Modem::new(config, now), fake: FakeModem::new(sim_pin), now, events: Vec::new() };
        rig.run();
        rig
    }

    fn ready() -> Self {
        let mut rig = Rig::new(Some("1234"), Some("1234"));
        assert!(matches!(rig.take().first(), Some(Event::Ready { acknowledged_routing: true })));
        rig
    }

    /// Moves bytes both ways until both sides are quiet.
    fn run(&mut self) {
        loop {
            let mut moved = false;
            while let Some(bytes) = self.modem.poll_transmit() {
                self.fake.handle_input(&bytes);
                moved = true;
            }
            let out = self.fake.take_output();
            if !out.is_empty() {
                self.modem.handle_input(&out, self.now);
                moved = true;
            }
            while let Some(event) = self.modem.poll_event() {
                self.events.push(event);
            }
            if !moved {
                return;
            }
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.modem.handle_timeout(self.now);
        self.run();
    }

    fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn submit_text(&mut self, to: &str, text: &str, opts: &SubmitOptions) -> Vec<modem::SubmitId> {
        let message = split(text, Preference::Auto, &SplitOptions { reference: 7, ..SplitOptions::default() }).unwrap();
        let pdus = encode_message(&Address::parse(to), &message, opts).unwrap();
        let ids = pdus.into_iter().map(|pdu| self.modem.submit(pdu, self.now)).collect();
        self.run();
        ids
    }
}

fn with_report() -> SubmitOptions {
    SubmitOptions { status_report: true, ..SubmitOptions::default() }
}

#[test]
fn init_with_pin_runs_the_documented_sequence() {
    let mut rig = Rig::new(Some("1234"), Some("1234"));
    assert_eq!(rig.take(), [Event::Ready { acknowledged_routing: true }]);
    assert_eq!(rig.modem.state(), State::Ready);
    assert_eq!(
        rig.fake.commands,
        [
            "AT",
            "ATE0",
            "AT+CMEE=1",
            "AT+CPIN?",
            "AT+CPIN=\"1234\"",
            "AT+CMGF=0",
            "AT+CSMS=1",
            "AT+CPMS=\"SM\",\"SM\",\"SM\"",
            "AT+CNMI=2,1,0,1,0",
            "AT+CMGL=4",
        ]
    );
    // The PIN never shows in Debug output.
    assert!(!format!("{:?}", rig.modem.config()).contains("1234"));
}

#[test]
fn pin_problems_stop_init_without_retrying() {
    let mut rig = Rig::new(Some("0000"), Some("1234"));
    assert_eq!(rig.take(), [Event::InitFailed(InitError::PinRejected(AtError::Cme(16)))]);
    assert_eq!(rig.modem.state(), State::Failed);
    assert_eq!(rig.fake.commands.iter().filter(|c| c.starts_with("AT+CPIN=")).count(), 1);

    let mut rig = Rig::new(None, Some("1234"));
    assert_eq!(rig.take(), [Event::InitFailed(InitError::PinRequired)]);
}

#[test]
fn submits_gsm_ucs2_and_concatenated_in_order_with_increasing_mr() {
    let mut rig = Rig::ready();
    rig.submit_text("+4915112345678", "Hello {world} 5€", &SubmitOptions::default());
    rig.submit_text("+4915112345678", "Привет 😀", &SubmitOptions::default());
    let long = "The quick brown fox jumps over the lazy dog. ".repeat(9);
    let ids = rig.submit_text("+4915112345678", &long, &SubmitOptions::default());
    assert_eq!(ids.len(), 3);
    let mrs: Vec<Option<u8>> = rig
        .take()
        .into_iter()
        .map(|e| match e {
            Event::Submitted { mr, .. } => mr,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(mrs, [Some(0), Some(1), Some(2), Some(3), Some(4)]);
    let first = modem::decode_submit(&rig.fake.submitted[0]).unwrap();
    assert_eq!(first.to.to_string(), "+4915112345678");
    assert_eq!(text::gsm7::decode_unpacked(&first.user_data), "Hello {world} 5€");
    let last = modem::decode_submit(&rig.fake.submitted[4]).unwrap();
    assert!(last.udhi);
    assert_eq!(&last.user_data[..6], &[5, 0, 3, 7, 3, 3]);
}

#[test]
fn status_reports_correlate_by_mr_and_are_acknowledged_after_confirm() {
    let mut rig = Rig::ready();
    rig.submit_text("+4915112345678", "report me", &with_report());
    let events = rig.take();
    assert!(matches!(events[0], Event::Submitted { mr: Some(0), .. }));
    let Event::StatusReport { id, report } = &events[1] else { panic!("{events:?}") };
    assert_eq!((report.mr, report.stat(), report.recipient.to_string().as_str()), (0, "DELIVRD", "+4915112345678"));
    assert_eq!(rig.fake.awaiting_ack(), 1);
    assert!(rig.modem.confirm(*id, rig.now));
    rig.run();
    assert_eq!(rig.fake.awaiting_ack(), 0);
    assert!(!rig.modem.confirm(*id, rig.now), "an id confirms once");
    assert!(rig.take().is_empty());
}

#[test]
fn stored_inbound_is_read_and_deleted_only_after_confirm() {
    let mut rig = Rig::ready();
    let pdu = rig.fake.deliver_pdu("+4917612345678", "Hi there");
    let index = rig.fake.store_inbound(&pdu, true);
    rig.run();
    let events = rig.take();
    let [Event::Received { id, deliver }] = &events[..] else { panic!("{events:?}") };
    assert_eq!(deliver.from.to_string(), "+4917612345678");
    assert_eq!(deliver.decode_text().unwrap().1.text.as_deref(), Some("Hi there"));
    assert_eq!(rig.fake.stored(), [index], "not deleted before confirm");
    rig.modem.confirm(*id, rig.now);
    rig.run();
    assert!(rig.fake.stored().is_empty());
    assert!(rig.fake.commands.contains(&format!("AT+CMGD={index}")));
}

#[test]
fn messages_stored_before_start_are_listed_once() {
    let now = Instant::now();
    let mut fake = FakeModem::new(None);
    let pdu = fake.deliver_pdu("Shop", "Your code is 1234");
    fake.store_inbound(&pdu, false);
    let mut rig = Rig { modem: Modem::new(ModemConfig::default(), now), fake, now, events: Vec::new() };
    rig.run();
    // A +CMTI for the same index while it awaits confirmation does not repeat it.
    rig.fake.inject_line("+CMTI: \"SM\",1");
    rig.run();
    let events = rig.take();
    assert!(matches!(events[0], Event::Ready { .. }));
    assert_eq!(events.len(), 2, "{events:?}");
    let Event::Received { deliver, .. } = &events[1] else { panic!("{events:?}") };
    assert_eq!(deliver.from, Address::alphanumeric("Shop"));
}

#[test]
fn routed_inbound_is_acknowledged_after_confirm() {
    let mut rig = Rig::ready();
    let pdu = rig.fake.deliver_pdu("+4917612345678", "direct");
    rig.fake.route_inbound(&pdu);
    rig.run();
    let events = rig.take();
    let [Event::Received { id, .. }] = &events[..] else { panic!("{events:?}") };
    assert_eq!(rig.fake.awaiting_ack(), 1);
    rig.modem.confirm(*id, rig.now);
    rig.run();
    assert_eq!(rig.fake.awaiting_ack(), 0);
}

#[test]
fn cms_error_38_is_temporary_and_not_sent() {
    let mut rig = Rig::ready();
    rig.fake.fail_next_submit("+CMS ERROR: 38");
    rig.fake.fail_next_submit("+CMS ERROR: 1");
    rig.submit_text("+4915112345678", "one", &SubmitOptions::default());
    rig.submit_text("+4915112345678", "two", &SubmitOptions::default());
    let failures: Vec<_> = rig
        .take()
        .into_iter()
        .map(|e| match e {
            Event::SubmitFailed { failure, .. } => (failure.cause, failure.temporary, failure.sent),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        failures,
        [(Cause::At(AtError::Cms(38)), true, Sent::No), (Cause::At(AtError::Cms(1)), false, Sent::No)]
    );
}

#[test]
fn cmti_between_cmgs_and_its_result_is_not_lost() {
    let mut rig = Rig::ready();
    let pdu = rig.fake.deliver_pdu("+4917612345678", "sneaky");
    let index = rig.fake.store_inbound(&pdu, false);
    rig.fake.urc_during_next_submit(&format!("+CMTI: \"SM\",{index}"));
    rig.submit_text("+4915112345678", "hello", &SubmitOptions::default());
    let events = rig.take();
    assert!(matches!(events[0], Event::Submitted { mr: Some(0), .. }), "{events:?}");
    assert!(matches!(&events[1], Event::Received { deliver, .. } if deliver.from.value == "4917612345678"));
}

#[test]
fn unknown_lines_are_reported_as_ignored() {
    let mut rig = Rig::ready();
    for line in ["RING", "^BOOT:12345,0,0,0,6", "+CREG: 1"] {
        rig.fake.inject_line(line);
    }
    rig.run();
    let ignored: Vec<_> = rig
        .take()
        .into_iter()
        .map(|e| match e {
            Event::Ignored { line } => line,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(ignored, ["RING", "^BOOT:12345,0,0,0,6", "+CREG: 1"]);
}

#[test]
fn health_is_polled_when_idle() {
    let mut rig = Rig::ready();
    assert_eq!(rig.modem.next_deadline(), Some(rig.now + Duration::from_secs(60)));
    rig.advance(Duration::from_secs(60));
    assert_eq!(rig.take(), [Event::Signal { rssi: 21, ber: 99 }, Event::Registration { status: 1 }]);
}

#[test]
fn silence_before_the_prompt_is_not_sent_and_after_the_pdu_is_unknown() {
    // Silent before the prompt: the PDU was never written.
    let mut rig = Rig::ready();
    rig.fake.go_silent();
    let ids = rig.submit_text("+4915112345678", "lost?", &SubmitOptions::default());
    rig.advance(Duration::from_secs(10));
    let events = rig.take();
    assert!(
        matches!(&events[0], Event::SubmitFailed { id, failure } if *id == ids[0] && failure.sent == Sent::No && failure.cause == Cause::Timeout)
    );
    assert_eq!(events[1], Event::Unresponsive { command: "AT+CMGS" });
    assert_eq!(rig.modem.state(), State::Unresponsive);
    assert_eq!(rig.modem.poll_transmit(), None, "the ESC went out with the timeout");

    // Silent after the PDU: it may have gone out.
    let mut rig = Rig::ready();
    let message = split("maybe", Preference::Auto, &SplitOptions::default()).unwrap();
    let pdu = encode_message(&Address::parse("+4915112345678"), &message, &SubmitOptions::default()).unwrap();
    rig.modem.submit(pdu[0].clone(), rig.now);
    let cmgs = rig.modem.poll_transmit().unwrap();
    rig.fake.handle_input(&cmgs);
    rig.modem.handle_input(&rig.fake.take_output(), rig.now); // the prompt
    rig.fake.go_silent();
    rig.run();
    assert_eq!(rig.fake.submitted.len(), 0);
    rig.advance(Duration::from_secs(59));
    assert!(rig.take().is_empty(), "the submit timeout runs from the PDU");
    rig.advance(Duration::from_secs(1));
    let events = rig.take();
    assert!(matches!(&events[0], Event::SubmitFailed { failure, .. } if failure.sent == Sent::Unknown));
    assert_eq!(events[1], Event::Unresponsive { command: "AT+CMGS" });
}

#[test]
fn after_reset_queued_submits_go_out() {
    let mut rig = Rig::ready();
    rig.fake.go_silent();
    let pdu = SubmitPdu { hex: "0001000B915121436587F9000003C8340B".into(), tpdu_len: 16 };
    rig.modem.submit(pdu.clone(), rig.now);
    rig.modem.submit(pdu, rig.now);
    rig.run();
    rig.advance(Duration::from_secs(10));
    assert_eq!(rig.modem.queued_submits(), 1);
    // The port is reopened to a modem that answers again.
    rig.fake = FakeModem::new(Some("1234"));
    rig.take();
    rig.modem.reset(rig.now);
    rig.run();
    let events = rig.take();
    assert!(matches!(events[0], Event::Ready { .. }));
    assert!(matches!(events[1], Event::Submitted { mr: Some(0), .. }), "{events:?}");
}

#[test]
fn stored_status_reports_when_routed_ones_are_refused() {
    let now = Instant::now();
    let mut fake = FakeModem::new(None);
    fake.refuse_routed_reports();
    let mut rig = Rig { modem: Modem::new(ModemConfig::default(), now), fake, now, events: Vec::new() };
    rig.run();
    assert!(rig.fake.commands.contains(&"AT+CNMI=2,1,0,2,0".to_owned()));
    rig.fake.report_status = 0x46;
    rig.submit_text("+4915112345678", "expire me", &with_report());
    let events = rig.take();
    let Some(Event::StatusReport { id, report }) = events.last() else { panic!("{events:?}") };
    assert_eq!((report.stat(), report.finality()), ("EXPIRED", modem::Finality::Final));
    assert_eq!(rig.fake.stored().len(), 1);
    rig.modem.confirm(*id, rig.now);
    rig.run();
    assert!(rig.fake.stored().is_empty());
}

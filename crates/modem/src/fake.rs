//! A scripted GSM modem for tests and simulators, sans-IO like [`crate::Modem`]:
//! feed it what the host writes ([`FakeModem::handle_input`]), send what
//! [`FakeModem::take_output`] returns.
//!
//! It answers the commands [`crate::Modem`] uses the way TS 27.005/27.007 modems
//! do: echo until `ATE0`, `+CPIN: SIM PIN` until the right PIN, the `> ` prompt
//! after `AT+CMGS=<len>`, `+CMGS: <mr>` with an incrementing TP-MR, a `+CDS` status
//! report after a submit with TP-SRR, `+CMTI` for injected messages whose PDUs
//! `AT+CMGR`/`AT+CMGL` read and `AT+CMGD` deletes. Faults are injected: an error
//! for the next submit, a URC between a submit's PDU and its `+CMGS`, arbitrary
//! lines, silence.

use std::collections::{BTreeMap, VecDeque};

use crate::address::Address;
use crate::deliver::Deliver;
use crate::status_report::StatusReport;
use crate::submit::decode_submit;
use crate::timestamp::Timestamp;

/// A message in the fake's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    /// 0 received unread, 1 received read (TS 27.005 §3.1 `<stat>`).
    stat: u8,
    pdu: String,
}

#[derive(Debug)]
enum Input {
    Command(Vec<u8>),
    /// After the prompt: the PDU up to Ctrl-Z.
    Pdu(Vec<u8>),
}

/// The scripted modem.
#[derive(Debug)]
pub struct FakeModem {
    /// PIN the SIM asks for; `None` for a SIM without PIN.
    pin: Option<String>,
    unlocked: bool,
    echo: bool,
    input: Input,
    output: Vec<u8>,
    next_mr: u8,
    next_index: u32,
    storage: BTreeMap<u32, Stored>,
    /// `AT+CSMS=1` taken: `+CMT`/`+CDS` wait for `AT+CNMA`.
    phase2_plus: bool,
    /// Status reports: 1 routed (`+CDS`), 2 stored (`+CDSI`), 0 none.
    ds: u8,
    refuse_ds1: bool,
    awaiting_ack: usize,
    submit_errors: VecDeque<String>,
    urcs_in_next_submit: Vec<String>,
    silent: bool,
    /// TP-ST of the status reports it makes.
    pub report_status: u8,
    /// Clock for SCTS and TP-DT, epoch ms.
    pub clock_ms: i64,
    /// Every command line received, PIN included (it is a test double).
    pub commands: Vec<String>,
    /// Every PDU received after a prompt, hex.
    pub submitted: Vec<String>,
}

const OK: &str = "OK";

impl FakeModem {
    /// A modem whose SIM wants `pin` (or none).
    pub fn new(pin: Option<&str>) -> Self {
        FakeModem {
            pin: pin.map(str::to_owned),
            unlocked: pin.is_none(),
            echo: true,
            input: Input::Command(Vec::new()),
            output: Vec::new(),
            next_mr: 0,
            next_index: 1,
            storage: BTreeMap::new(),
            phase2_plus: false,
            ds: 0,
            refuse_ds1: false,
            awaiting_ack: 0,
            submit_errors: VecDeque::new(),
            urcs_in_next_submit: Vec::new(),
            silent: false,
            report_status: 0x00,
            clock_ms: 1_700_000_000_000,
            commands: Vec::new(),
            submitted: Vec::new(),
        }
    }

    /// Bytes for the host.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// The next submit ends with this final result code (`+CMS ERROR: 38`, `ERROR`).
    pub fn fail_next_submit(&mut self, result: &str) {
        self.submit_errors.push_back(result.to_owned());
    }

    /// The next submit's response carries `line` between the PDU and `+CMGS`.
    pub fn urc_during_next_submit(&mut self, line: &str) {
        self.urcs_in_next_submit.push(line.to_owned());
    }

    /// `AT+CNMI` with ds 1 answers ERROR, as on modems without routed reports.
    pub fn refuse_routed_reports(&mut self) {
        self.refuse_ds1 = true;
    }

    /// From now on nothing is answered.
    pub fn go_silent(&mut self) {
        self.silent = true;
    }

    /// Sends a line as an unsolicited result code.
    pub fn inject_line(&mut self, line: &str) {
        self.line(line);
    }

    /// Stores a received message and returns its index; `announce` sends `+CMTI`.
    pub fn store_inbound(&mut self, pdu: &str, announce: bool) -> u32 {
        let index = self.next_index;
        self.next_index += 1;
        self.storage.insert(index, Stored { stat: 0, pdu: pdu.to_owned() });
        if announce {
            self.line(&format!("+CMTI: \"SM\",{index}"));
        }
        index
    }

    /// Routes a received message directly: `+CMT: ,<len>` and the PDU.
    pub fn route_inbound(&mut self, pdu: &str) {
        self.line(&format!("+CMT: ,{}", tpdu_len(pdu)));
        self.line(pdu);
        if self.phase2_plus {
            self.awaiting_ack += 1;
        }
    }

    /// Indexes still in storage.
    pub fn stored(&self) -> Vec<u32> {
        self.storage.keys().copied().collect()
    }

    /// `+CNMA`s the fake still waits for.
    pub fn awaiting_ack(&self) -> usize {
        self.awaiting_ack
    }

    /// An SMS-DELIVER PDU from `from` with `text` (GSM 7-bit or UCS-2, one part).
    pub fn deliver_pdu(&self, from: &str, text: &str) -> String {
        let message = text::split(text, text::Preference::Auto, &text::SplitOptions::default());
        let (dcs, body) = match message {
            Ok(m) if m.segments.len() == 1 => (m.data_coding, m.segments[0].payload.clone()),
            _ => (0x00, Vec::new()),
        };
        let deliver = Deliver {
            smsc: Some(Address::international("4917000000")),
            from: Address::parse(from),
            protocol_id: 0,
            dcs,
            data_coding: dcs,
            scts: Timestamp::from_epoch_ms(self.clock_ms, 4),
            udhi: false,
            status_report_indication: false,
            user_data: body,
        };
        deliver.encode().unwrap_or_default()
    }

    /// Bytes written by the host.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if self.silent {
            return;
        }
        for &b in bytes {
            match &mut self.input {
                Input::Command(line) => match b {
                    b'\r' => {
                        let line = std::mem::take(line);
                        if self.echo {
                            self.output.extend_from_slice(&line);
                            self.output.push(b'\r');
                        }
                        let command = String::from_utf8_lossy(&line).trim().to_owned();
                        if !command.is_empty() {
                            self.command(&command);
                        }
                    }
                    b'\n' => {}
                    _ => line.push(b),
                },
                Input::Pdu(pdu) => match b {
                    0x1A => {
                        let pdu = String::from_utf8_lossy(pdu).trim().to_owned();
                        self.input = Input::Command(Vec::new());
                        self.pdu(&pdu);
                    }
                    0x1B => self.input = Input::Command(Vec::new()),
                    _ => pdu.push(b),
                },
            }
        }
    }

    fn line(&mut self, line: &str) {
        self.output.extend_from_slice(b"\r\n");
        self.output.extend_from_slice(line.as_bytes());
        self.output.extend_from_slice(b"\r\n");
    }

    fn command(&mut self, command: &str) {
        self.commands.push(command.to_owned());
        let upper = command.to_ascii_uppercase();
        let needs_sim = upper.starts_with("AT+CM") || upper.starts_with("AT+CPMS") || upper.starts_with("AT+CNM");
        if needs_sim && !self.unlocked {
            return self.line("+CME ERROR: 11"); // SIM PIN required
        }
        match upper.as_str() {
            "AT" | "AT+CMEE=1" | "AT+CMGF=0" => self.line(OK),
            "ATE0" => {
                self.echo = false;
                self.line(OK)
            }
            "AT+CPIN?" => {
                self.line(if self.unlocked { "+CPIN: READY" } else { "+CPIN: SIM PIN" });
                self.line(OK)
            }
            "AT+CSMS=1" => {
                self.phase2_plus = true;
                self.line("+CSMS: 1,1,1");
                self.line(OK)
            }
            "AT+CNMA" if self.awaiting_ack > 0 => {
                self.awaiting_ack -= 1;
                self.line(OK)
            }
            "AT+CNMA" => self.line("+CMS ERROR: 340"),
            "AT+CSQ" => {
                self.line("+CSQ: 21,99");
                self.line(OK)
            }
            "AT+CREG?" => {
                self.line("+CREG: 0,1");
                self.line(OK)
            }
            "AT+CMGL=4" => {
                let all: Vec<(u32, Stored)> = self.storage.iter().map(|(&i, s)| (i, s.clone())).collect();
                for (index, stored) in all {
                    self.line(&format!("+CMGL: {index},{},,{}", stored.stat, tpdu_len(&stored.pdu)));
                    self.line(&stored.pdu);
                }
                self.line(OK)
            }
            _ => self.command_with_argument(&upper),
        }
    }

    fn command_with_argument(&mut self, upper: &str) {
        let number = |prefix: &str| upper.strip_prefix(prefix).and_then(|n| n.trim().parse::<u32>().ok());
        if let Some(pin) = upper.strip_prefix("AT+CPIN=") {
            let right = self.pin.as_deref().is_some_and(|p| pin.trim_matches('"') == p);
            self.unlocked |= right;
            return self.line(if right { OK } else { "+CME ERROR: 16" }); // incorrect password
        }
        if upper.starts_with("AT+CPMS=") {
            self.line("+CPMS: 0,30,0,30,0,30");
            return self.line(OK);
        }
        if let Some(values) = upper.strip_prefix("AT+CNMI=") {
            let ds = values.split(',').nth(3).and_then(|d| d.trim().parse().ok()).unwrap_or(0);
            if ds == 1 && self.refuse_ds1 {
                return self.line("+CMS ERROR: 303");
            }
            self.ds = ds;
            return self.line(OK);
        }
        if number("AT+CMGS=").is_some() {
            self.input = Input::Pdu(Vec::new());
            return self.output.extend_from_slice(b"\r\n> ");
        }
        if let Some(index) = number("AT+CMGR=") {
            let Some(stored) = self.storage.get_mut(&index) else {
                return self.line("+CMS ERROR: 321"); // invalid memory index
            };
            let header = format!("+CMGR: {},,{}", stored.stat, tpdu_len(&stored.pdu));
            stored.stat = 1;
            let pdu = stored.pdu.clone();
            self.line(&header);
            self.line(&pdu);
            return self.line(OK);
        }
        if let Some(index) = number("AT+CMGD=") {
            self.storage.remove(&index);
            return self.line(OK);
        }
        self.line("ERROR")
    }

    fn pdu(&mut self, pdu: &str) {
        self.submitted.push(pdu.to_owned());
        for line in std::mem::take(&mut self.urcs_in_next_submit) {
            self.line(&line);
        }
        if let Some(result) = self.submit_errors.pop_front() {
            return self.line(&result);
        }
        let Ok(submit) = decode_submit(pdu) else {
            return self.line("+CMS ERROR: 304"); // invalid PDU mode parameter
        };
        let mr = self.next_mr;
        self.next_mr = self.next_mr.wrapping_add(1);
        self.line(&format!("+CMGS: {mr}"));
        self.line(OK);
        if submit.status_report && self.ds != 0 {
            let now = Timestamp::from_epoch_ms(self.clock_ms, 4);
            let report = StatusReport {
                smsc: Some(Address::international("4917000000")),
                mr,
                recipient: submit.to,
                scts: now,
                discharge: now,
                status: self.report_status,
                about_command: false,
            };
            let Ok(report) = report.encode() else { return };
            if self.ds == 1 {
                self.line(&format!("+CDS: {}", tpdu_len(&report)));
                self.line(&report);
                if self.phase2_plus {
                    self.awaiting_ack += 1;
                }
            } else {
                let index = self.next_index;
                self.next_index += 1;
                self.storage.insert(index, Stored { stat: 0, pdu: report });
                self.line(&format!("+CDSI: \"SM\",{index}"));
            }
        }
    }
}

/// TPDU octets of a hex PDU with its SMSC address in front.
pub fn tpdu_len(pdu: &str) -> usize {
    let smsc = pdu.get(..2).and_then(|h| u8::from_str_radix(h, 16).ok()).map_or(0, usize::from);
    (pdu.len() / 2).saturating_sub(smsc + 1)
}

//! The modem state machine: initialisation, one command at a time, submits through
//! the `AT+CMGS` prompt, unsolicited result codes at any point, health polling and
//! command timeouts — with time passed in and no I/O.
//!
//! The connection task loops: write everything [`Modem::poll_transmit`] gives,
//! read what arrives into [`Modem::handle_input`], act on every
//! [`Modem::poll_event`], and call [`Modem::handle_timeout`] when
//! [`Modem::next_deadline`] passes. On [`Event::Unresponsive`] it closes and
//! reopens the port and calls [`Modem::reset`]. What the modem writes is
//! sorted out in `machine/input.rs`, what each command's result does is in
//! `machine/results.rs`.
//!
//! **Nothing lost.** A stored message (`+CMTI`, `+CMGL` at start) is deleted with
//! `AT+CMGD` only after the caller [`Modem::confirm`]s its event; a routed one
//! (`+CMT`, `+CDS`) is acknowledged with `AT+CNMA` only then, when `AT+CSMS=1`
//! made acknowledgement part of the protocol (TS 27.005 §3.2.1, §3.4.1). After a
//! reset, unconfirmed ids are void and the messages come again (at least once).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

use crate::command::Command;
use crate::config::ModemConfig;
use crate::event::{Cause, Event, InboundId, Sent, SubmitFailure, SubmitId};
use crate::line::{Frame, LineReader};
use crate::submit::SubmitPdu;
use crate::tpdu::{self, Tpdu};

mod input;
mod results;

/// Ctrl-Z ends the PDU after the prompt (TS 27.005 §3.5.1).
const CTRL_Z: u8 = 0x1A;
/// ESC abandons it.
const ESC: u8 = 0x1B;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Running the init sequence.
    Initializing,
    /// Sending submits and reading messages.
    Ready,
    /// Init stopped ([`Event::InitFailed`]); [`Modem::reset`] tries again.
    Failed,
    /// A command timed out ([`Event::Unresponsive`]); reopen the port and reset.
    Unresponsive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the final result code (or, for a submit, the prompt).
    Response,
    /// A submit's PDU was written; waiting for `+CMGS` and OK.
    Sent,
}

/// What [`Modem::confirm`] does for an inbound id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ack {
    Delete(u32),
    Acknowledge,
    Nothing,
}

#[derive(Debug)]
struct InFlight {
    command: Command,
    deadline: Instant,
    phase: Phase,
    /// `+CMGS: <mr>`.
    mr: Option<u8>,
    /// The first information response's fields (`+CPIN`, `+CSMS`, `+CSQ`, `+CREG`).
    info: Option<String>,
    /// `+CMGR`/`+CMGL` header seen: (index, length) of the PDU line that follows.
    pdu_next: Option<(u32, usize)>,
    /// (index, length, pdu) read by `+CMGR`/`+CMGL`.
    stored: Vec<(u32, usize, String)>,
}

#[derive(Debug)]
pub struct Modem {
    config: ModemConfig,
    state: State,
    reader: LineReader,
    frames: Vec<Frame>,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    current: Option<InFlight>,
    init: VecDeque<Command>,
    /// `AT+CNMA` and `AT+CNMI` again: time-critical.
    urgent: VecDeque<Command>,
    /// Reads, lists and deletes of stored messages.
    inbound: VecDeque<Command>,
    submits: VecDeque<(SubmitId, SubmitPdu)>,
    health: VecDeque<Command>,
    /// After `+CMT`/`+CDS`: the length the next line's PDU announces.
    urc_pdu: Option<usize>,
    acks: BTreeMap<InboundId, Ack>,
    /// Storage indexes being read or awaiting confirmation, so a `+CMTI` and the
    /// listing at start do not report one message twice.
    indexes: BTreeSet<u32>,
    next_submit: u64,
    next_inbound: u64,
    acknowledged_routing: bool,
    indications: usize,
    next_health: Instant,
}

fn init_sequence() -> VecDeque<Command> {
    VecDeque::from([
        Command::Sync,
        Command::EchoOff,
        Command::ErrorCodes,
        Command::PinQuery,
        Command::PduMode,
        Command::ServiceSelect,
        Command::Storage,
        Command::Indications(0),
    ])
}

impl Modem {
    /// A modem whose port was just opened; the init sequence starts at once.
    pub fn new(config: ModemConfig, now: Instant) -> Self {
        let mut modem = Modem {
            next_health: now + config.health_interval,
            config,
            state: State::Initializing,
            reader: LineReader::new(),
            frames: Vec::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            current: None,
            init: init_sequence(),
            urgent: VecDeque::new(),
            inbound: VecDeque::new(),
            submits: VecDeque::new(),
            health: VecDeque::new(),
            urc_pdu: None,
            acks: BTreeMap::new(),
            indexes: BTreeSet::new(),
            next_submit: 1,
            next_inbound: 1,
            acknowledged_routing: false,
            indications: 0,
        };
        modem.pump(now);
        modem
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn config(&self) -> &ModemConfig {
        &self.config
    }

    /// Starts over on a reopened port: forgets partial input, the command in flight
    /// (already reported) and unconfirmed inbound ids, and runs the init sequence.
    /// Queued submits stay queued.
    pub fn reset(&mut self, now: Instant) {
        self.state = State::Initializing;
        self.reader.clear();
        self.current = None;
        self.init = init_sequence();
        self.forget_connection();
        self.acknowledged_routing = false;
        self.indications = 0;
        self.pump(now);
    }

    fn forget_connection(&mut self) {
        self.urgent.clear();
        self.inbound.clear();
        self.health.clear();
        self.urc_pdu = None;
        self.acks.clear();
        self.indexes.clear();
    }

    /// Queues a PDU for `AT+CMGS`. Exactly one of [`Event::Submitted`] and
    /// [`Event::SubmitFailed`] follows for the returned id, unless the caller takes
    /// it back with [`Modem::take_queued`].
    pub fn submit(&mut self, pdu: SubmitPdu, now: Instant) -> SubmitId {
        let id = SubmitId(self.next_submit);
        self.next_submit += 1;
        self.submits.push_back((id, pdu));
        self.pump(now);
        id
    }

    /// Submits not yet started, for sending through another modem.
    pub fn take_queued(&mut self) -> Vec<(SubmitId, SubmitPdu)> {
        self.submits.drain(..).collect()
    }

    pub fn queued_submits(&self) -> usize {
        self.submits.len()
    }

    /// The caller has durably recorded inbound `id`: delete it from storage or
    /// acknowledge it. `false` if the id is unknown (already confirmed, or from
    /// before a reset).
    pub fn confirm(&mut self, id: InboundId, now: Instant) -> bool {
        let Some(ack) = self.acks.remove(&id) else {
            return false;
        };
        match ack {
            Ack::Delete(index) => self.inbound.push_back(Command::Delete { index }),
            Ack::Acknowledge => self.urgent.push_back(Command::Acknowledge),
            Ack::Nothing => {}
        }
        self.pump(now);
        true
    }

    /// Bytes to write to the port, in order.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Modem::handle_timeout`] must be called next.
    pub fn next_deadline(&self) -> Option<Instant> {
        match (&self.current, self.state) {
            (Some(cur), _) => Some(cur.deadline),
            (None, State::Ready) => Some(self.next_health),
            _ => None,
        }
    }

    /// Bytes read from the port.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant) {
        let mut frames = std::mem::take(&mut self.frames);
        self.reader.push(bytes, &mut frames);
        for frame in frames.drain(..) {
            match frame {
                Frame::Line(line) => self.on_line(line, now),
                Frame::Prompt => self.on_prompt(now),
                Frame::Overlong(n) => self.events.push_back(Event::Ignored { line: format!("<{n} octets dropped>") }),
            }
        }
        self.frames = frames;
        self.pump(now);
    }

    /// Reports a command past its deadline and starts the health checks when due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.current.as_ref().is_some_and(|cur| cur.deadline <= now) {
            if let Some(cur) = self.current.take() {
                self.timed_out(cur);
            }
        }
        self.pump(now);
    }

    fn timed_out(&mut self, cur: InFlight) {
        if let Command::Submit { id, .. } = cur.command {
            let event = match (cur.phase, cur.mr) {
                (_, Some(mr)) => Event::Submitted { id, mr: Some(mr) },
                (Phase::Response, None) => {
                    // Never got the prompt, so the PDU was never written; ESC ends the
                    // input mode should the prompt still come.
                    self.transmit.push_back(vec![ESC]);
                    failed(id, Cause::Timeout, true, Sent::No)
                }
                (Phase::Sent, None) => failed(id, Cause::Timeout, true, Sent::Unknown),
            };
            self.events.push_back(event);
        }
        self.state = State::Unresponsive;
        self.init.clear();
        self.forget_connection();
        self.events.push_back(Event::Unresponsive { command: cur.command.name() });
    }

    fn new_inbound(&mut self, ack: Ack) -> InboundId {
        let id = InboundId(self.next_inbound);
        self.next_inbound += 1;
        self.acks.insert(id, ack);
        id
    }

    fn inbound_event(&mut self, pdu: &str, length: usize, ack: Ack) {
        let id = self.new_inbound(ack);
        let event = match tpdu::decode(pdu, Some(length)) {
            Ok(Tpdu::Deliver(deliver)) => Event::Received { id, deliver },
            Ok(Tpdu::StatusReport(report)) => Event::StatusReport { id, report },
            Ok(Tpdu::Submit(_)) => Event::Undecodable {
                id,
                pdu: pdu.to_owned(),
                error: crate::DecodeError::WrongType { expected: "sms-deliver or sms-status-report", mti: 1 },
            },
            Err(error) => Event::Undecodable { id, pdu: pdu.to_owned(), error },
        };
        self.events.push_back(event);
    }

    fn next_command(&mut self, now: Instant) -> Option<Command> {
        match self.state {
            State::Initializing => self.init.pop_front(),
            State::Ready => {
                let next = self
                    .urgent
                    .pop_front()
                    .or_else(|| self.inbound.pop_front())
                    .or_else(|| self.submits.pop_front().map(|(id, pdu)| Command::Submit { id, pdu }))
                    .or_else(|| self.health.pop_front());
                if next.is_none() && now >= self.next_health {
                    self.next_health = now + self.config.health_interval;
                    self.health.push_back(Command::Registration);
                    return Some(Command::SignalQuality);
                }
                next
            }
            State::Failed | State::Unresponsive => None,
        }
    }

    /// Starts the next command when none is in flight.
    fn pump(&mut self, now: Instant) {
        if self.current.is_some() {
            return;
        }
        if let Some(command) = self.next_command(now) {
            self.transmit.push_back(command.line(&self.config));
            self.current = Some(InFlight {
                deadline: now + command.timeout(&self.config),
                command,
                phase: Phase::Response,
                mr: None,
                info: None,
                pdu_next: None,
                stored: Vec::new(),
            });
        }
    }
}

fn failed(id: SubmitId, cause: Cause, temporary: bool, sent: Sent) -> Event {
    Event::SubmitFailed { id, failure: SubmitFailure { cause, temporary, sent } }
}

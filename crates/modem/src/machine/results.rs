//! What each command's final result code does: the init sequence goes on
//! or fails, a submit is reported, stored messages become events, health
//! answers become events.

use std::time::Instant;

use super::{failed, Ack, InFlight, Modem, State};
use crate::at_error::AtError;
use crate::command::{Command, INDICATIONS};
use crate::event::{Cause, Event, InitError, Sent};
use crate::response::{self, Final};

impl Modem {
    pub(super) fn complete(&mut self, cur: InFlight, result: Final, now: Instant) {
        let error = match result {
            Final::Ok => None,
            Final::Error(e) => Some(e),
        };
        let name = cur.command.name();
        match cur.command {
            Command::Sync | Command::EchoOff | Command::PduMode => {
                if let Some(error) = error {
                    self.init_failed(InitError::Command { command: name, error });
                }
            }
            Command::ErrorCodes | Command::Storage => {}
            Command::ServiceSelect => {
                // +CSMS: <mt>,<mo>,<bm>; mt 1 = phase 2+ for mobile terminated.
                let mt = cur.info.as_deref().and_then(|f| response::numbers(f).first().copied().flatten());
                self.acknowledged_routing = error.is_none() && mt == Some(1);
            }
            Command::PinQuery => match (error, cur.info.as_deref()) {
                (Some(error), _) => self.init_failed(InitError::Command { command: name, error }),
                (None, Some("READY")) => {}
                (None, Some("SIM PIN")) if self.config.pin.is_some() => self.init.push_front(Command::PinEnter),
                (None, Some("SIM PIN")) => self.init_failed(InitError::PinRequired),
                (None, other) => self.init_failed(InitError::SimLocked(other.unwrap_or_default().to_owned())),
            },
            Command::PinEnter => {
                if let Some(error) = error {
                    self.init_failed(InitError::PinRejected(error));
                }
            }
            Command::Indications(variant) => self.indications_done(variant, error, now),
            Command::Submit { id, .. } => {
                let event = match (error, cur.mr) {
                    (None, mr) | (Some(_), mr @ Some(_)) => Event::Submitted { id, mr },
                    (Some(e), None) => failed(id, Cause::At(e), e.is_temporary(), Sent::No),
                };
                self.events.push_back(event);
            }
            Command::Read { index } => {
                if let Some(error) = error {
                    self.events.push_back(Event::CommandFailed { command: name, error });
                }
                if cur.stored.is_empty() {
                    self.indexes.remove(&index);
                }
                for (index, length, pdu) in cur.stored {
                    self.inbound_event(&pdu, length, Ack::Delete(index));
                }
            }
            Command::List => {
                if let Some(error) = error {
                    self.events.push_back(Event::CommandFailed { command: name, error });
                }
                for (index, length, pdu) in cur.stored {
                    if self.indexes.insert(index) {
                        self.inbound_event(&pdu, length, Ack::Delete(index));
                    }
                }
            }
            Command::Delete { index } => {
                self.indexes.remove(&index);
                if let Some(error) = error {
                    self.events.push_back(Event::CommandFailed { command: name, error });
                }
            }
            Command::Acknowledge => {
                if let Some(error) = error {
                    // A late acknowledgement makes the ME turn routing off
                    // (TS 27.005 §3.4.1): set the indications again.
                    self.events.push_back(Event::CommandFailed { command: name, error });
                    self.urgent.push_back(Command::Indications(self.indications));
                }
            }
            Command::SignalQuality => match (error, cur.info.as_deref().map(response::numbers).as_deref()) {
                (Some(error), _) => self.events.push_back(Event::CommandFailed { command: name, error }),
                (None, Some([Some(rssi), Some(ber), ..])) => {
                    self.events.push_back(Event::Signal { rssi: *rssi as u8, ber: *ber as u8 })
                }
                (None, _) => self.events.push_back(Event::Ignored { line: format!("{name}: no +CSQ") }),
            },
            Command::Registration => match (error, cur.info.as_deref().map(response::numbers).as_deref()) {
                (Some(error), _) => self.events.push_back(Event::CommandFailed { command: name, error }),
                // +CREG: <n>,<stat>[,...]; a lone value from odd firmware is <stat>.
                (None, Some([_, Some(stat), ..] | [Some(stat)])) => {
                    self.events.push_back(Event::Registration { status: *stat as u8 })
                }
                (None, _) => self.events.push_back(Event::Ignored { line: format!("{name}: no +CREG") }),
            },
        }
    }

    fn indications_done(&mut self, variant: usize, error: Option<AtError>, now: Instant) {
        match error {
            None => {
                self.indications = variant;
                if self.state == State::Initializing {
                    self.state = State::Ready;
                    self.next_health = now + self.config.health_interval;
                    self.events.push_back(Event::Ready { acknowledged_routing: self.acknowledged_routing });
                    // Messages stored while nobody listened.
                    self.inbound.push_back(Command::List);
                }
            }
            Some(_) if variant + 1 < INDICATIONS.len() => {
                let retry = Command::Indications(variant + 1);
                if self.state == State::Initializing {
                    self.init.push_front(retry);
                } else {
                    self.urgent.push_front(retry);
                }
            }
            Some(error) => {
                if self.state == State::Initializing {
                    self.init_failed(InitError::Command { command: "AT+CNMI", error });
                } else {
                    self.events.push_back(Event::CommandFailed { command: "AT+CNMI", error });
                }
            }
        }
    }

    fn init_failed(&mut self, error: InitError) {
        self.state = State::Failed;
        self.init.clear();
        self.events.push_back(Event::InitFailed(error));
    }
}

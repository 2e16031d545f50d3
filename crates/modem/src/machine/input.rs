//! What the modem writes, sorted out: result lines, the submit prompt,
//! unsolicited result codes and the PDU lines that follow some of them.

use std::time::Instant;

use super::{Ack, InFlight, Modem, Phase, CTRL_Z};
use crate::command::Command;
use crate::event::Event;
use crate::response::{self, Urc};

fn is_hex(line: &str) -> bool {
    line.len() % 2 == 0 && line.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Modem {
    pub(super) fn on_prompt(&mut self, now: Instant) {
        match &mut self.current {
            Some(cur @ InFlight { command: Command::Submit { .. }, phase: Phase::Response, .. }) => {
                if let Command::Submit { pdu, .. } = &cur.command {
                    let mut bytes = pdu.hex.clone().into_bytes();
                    bytes.push(CTRL_Z);
                    self.transmit.push_back(bytes);
                }
                cur.phase = Phase::Sent;
                cur.deadline = now + self.config.submit_timeout;
            }
            _ => self.events.push_back(Event::Ignored { line: "> ".to_owned() }),
        }
    }

    pub(super) fn on_line(&mut self, line: String, now: Instant) {
        if let Some(length) = self.urc_pdu.take() {
            if is_hex(&line) {
                self.routed_pdu(&line, length);
                return;
            }
        }
        if let Some(cur) = self.current.as_mut() {
            if let Some((index, length)) = cur.pdu_next.take() {
                if is_hex(&line) {
                    cur.stored.push((index, length, line));
                    return;
                }
            }
        }
        if let Some(urc) = response::urc(&line) {
            self.on_urc(urc);
            return;
        }
        let Some(cur) = self.current.as_mut() else {
            self.events.push_back(Event::Ignored { line });
            return;
        };
        if let Some(result) = response::final_result(&line) {
            if let Some(cur) = self.current.take() {
                self.complete(cur, result, now);
            }
            return;
        }
        if let Some(fields) = cur.command.info_prefix().and_then(|p| response::info(&line, p)) {
            match cur.command {
                Command::Submit { .. } => {
                    cur.mr = fields.split(',').next().and_then(|mr| mr.trim().parse().ok());
                }
                Command::Read { index } => cur.pdu_next = response::cmgr(fields).map(|len| (index, len)),
                Command::List => cur.pdu_next = response::cmgl(fields),
                _ => {
                    cur.info.get_or_insert_with(|| fields.to_owned());
                }
            }
            return;
        }
        // Echo of our own command, before ATE0 took effect.
        let echo = cur.command.line(&self.config);
        if line.as_bytes() == &echo[..echo.len() - 1] {
            return;
        }
        self.events.push_back(Event::Ignored { line });
    }

    fn on_urc(&mut self, urc: Urc) {
        match urc {
            // The index is in <mem>; we set all three CPMS memories alike, so
            // AT+CMGR reads the same memory.
            Urc::Cmti { index, .. } | Urc::Cdsi { index, .. } => {
                if self.indexes.insert(index) {
                    self.inbound.push_back(Command::Read { index });
                }
            }
            Urc::Cmt { length } | Urc::Cds { length } => self.urc_pdu = Some(length),
        }
    }

    fn routed_pdu(&mut self, pdu: &str, length: usize) {
        let ack = if self.acknowledged_routing { Ack::Acknowledge } else { Ack::Nothing };
        self.inbound_event(pdu, length, ack);
    }
}

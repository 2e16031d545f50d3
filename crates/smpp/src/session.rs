//! The SMPP session state machine (spec 2.2, 2.8): bind state, sequence
//! numbers, window, response timeouts and enquire_link keep-alive.
//!
//! Sans-IO: every method takes `now` and returns PDUs to send or events to act
//! on; nothing here reads the clock, sleeps or touches a socket. The
//! connection task feeds it decoded PDUs, calls [`Session::poll_action`] until
//! it returns `None`, and sleeps until [`Session::next_deadline`].

use std::time::{Duration, Instant};

use outstanding::{KeepAlive, Outstanding, Role};

use crate::bind::{Bind, BindResp};
use crate::pdu::{Body, CommandId, Pdu};
use crate::status;

/// Largest sequence number (spec 5.1.4: 0x00000001..=0x7FFFFFFF).
pub const MAX_SEQUENCE: u32 = 0x7FFF_FFFF;

#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// How many submit/deliver/data requests may await a response at once.
    /// bind, unbind and enquire_link do not count.
    pub window: usize,
    /// How long a request may wait for its response.
    pub response_timeout: Duration,
    /// Send enquire_link after this long without receiving anything.
    pub enquire_link_interval: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { window: 10, response_timeout: Duration::from_secs(30), enquire_link_interval: Duration::from_secs(30) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindKind {
    Transmitter,
    Receiver,
    Transceiver,
}

impl BindKind {
    fn body(self, bind: Bind) -> Body {
        match self {
            BindKind::Transmitter => Body::BindTransmitter(bind),
            BindKind::Receiver => Body::BindReceiver(bind),
            BindKind::Transceiver => Body::BindTransceiver(bind),
        }
    }

    fn of(id: CommandId) -> Option<Self> {
        match id {
            CommandId::BIND_TRANSMITTER | CommandId::BIND_TRANSMITTER_RESP => Some(BindKind::Transmitter),
            CommandId::BIND_RECEIVER | CommandId::BIND_RECEIVER_RESP => Some(BindKind::Receiver),
            CommandId::BIND_TRANSCEIVER | CommandId::BIND_TRANSCEIVER_RESP => Some(BindKind::Transceiver),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Connected, not bound.
    Open,
    /// bind sent, bind_resp awaited.
    Binding(BindKind),
    Bound(BindKind),
    /// unbind sent, unbind_resp awaited.
    Unbinding,
    /// Nothing more may be sent; drop the connection.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    #[error("window full ({window} requests outstanding)")]
    WindowFull { window: usize },
    #[error("{command} not allowed in state {state:?}")]
    InvalidState { command: CommandId, state: State },
    #[error("{command} is a response; answer requests with Pdu::response_to")]
    NotARequest { command: CommandId },
}

/// What a received PDU means.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// The response to one of our requests, matched by sequence number and
    /// removed from the outstanding set.
    Response { request: CommandId, pdu: Pdu },
    /// Our bind was accepted; the session is now bound.
    BindOk { pdu: Pdu },
    /// Our bind was refused (state is back to `Open`).
    BindFailed { status: u32, pdu: Pdu },
    /// A request from the peer. If `reply` is `Some`, the session has already
    /// answered it (enquire_link, unbind) and the caller just sends the reply;
    /// otherwise the application must answer (deliver_sm, data_sm, ...).
    Request { pdu: Pdu, reply: Option<Pdu> },
    /// Something that does not fit the session: an unknown command, a request
    /// in the wrong state, or a response nobody is waiting for.
    Unexpected { pdu: Pdu, reply: Option<Pdu> },
    /// generic_nack from the peer. `request` is set when it matched (and so
    /// failed) one of our outstanding requests.
    GenericNack { sequence: u32, status: u32, request: Option<CommandId> },
}

/// Something the connection task must do, from [`Session::poll_action`]:
/// write the keep-alive enquire_link, give up on a request by its sequence
/// number and command id, or drop the connection (an enquire_link, bind or
/// unbind went unanswered; the state is now `Closed`).
pub type Action = outstanding::Action<Pdu, u32, CommandId>;

#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    next_sequence: u32,
    /// Our requests awaiting responses, by sequence number, with their command ids.
    outstanding: Outstanding<u32, CommandId>,
    keep_alive: KeepAlive,
}

impl Session {
    pub fn new(config: SessionConfig, now: Instant) -> Self {
        Self {
            state: State::Open,
            next_sequence: 1,
            outstanding: Outstanding::new(|command| Self::role(*command)),
            keep_alive: KeepAlive::new(config.enquire_link_interval, now),
            config,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Number of requests awaiting a response, window-counted or not.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    /// The next sequence number, 1..=0x7FFFFFFF, wrapping, skipping any still
    /// outstanding.
    pub fn next_sequence(&mut self) -> u32 {
        loop {
            let s = self.next_sequence;
            self.next_sequence = if s >= MAX_SEQUENCE { 1 } else { s + 1 };
            if !self.outstanding.contains(s) {
                return s;
            }
        }
    }

    /// Continue numbering from `sequence` (clamped to 1..=0x7FFFFFFF), e.g.
    /// after a reconnect, for SMSCs that dislike a sequence restarting at 1.
    pub fn set_next_sequence(&mut self, sequence: u32) {
        self.next_sequence = sequence.clamp(1, MAX_SEQUENCE);
    }

    pub fn window_available(&self) -> usize {
        self.config.window.saturating_sub(self.outstanding.in_window())
    }

    /// The bind request to send. State becomes `Binding(kind)`.
    ///
    /// Infallible by design (a bind is the first thing sent); a bind in the
    /// wrong state is still produced, and the SMSC will say ESME_RALYBND.
    pub fn bind_request(&mut self, bind: Bind, kind: BindKind, now: Instant) -> Pdu {
        let pdu = Pdu::new(self.next_sequence(), kind.body(bind));
        self.register(&pdu, now);
        self.state = State::Binding(kind);
        pdu
    }

    /// The unbind request to send. State becomes `Unbinding`; the peer's
    /// unbind_resp moves it to `Closed`.
    pub fn unbind(&mut self, now: Instant) -> Pdu {
        let pdu = Pdu::new(self.next_sequence(), Body::Unbind);
        self.register(&pdu, now);
        self.state = State::Unbinding;
        pdu
    }

    /// Assigns a sequence number to a request and starts its response timer.
    pub fn send_request(&mut self, body: Body, now: Instant) -> Result<Pdu, SessionError> {
        let command = body.command_id();
        if command.is_response() {
            return Err(SessionError::NotARequest { command });
        }
        let state = self.state;
        let invalid = || SessionError::InvalidState { command, state };
        match (command, self.state) {
            (CommandId::ENQUIRE_LINK, State::Open | State::Binding(_) | State::Bound(_)) => {}
            (CommandId::UNBIND, State::Bound(_)) => return Ok(self.unbind(now)),
            (_, State::Open) if BindKind::of(command).is_some() => {
                let kind = BindKind::of(command).ok_or_else(invalid)?;
                let pdu = Pdu::new(self.next_sequence(), body);
                self.register(&pdu, now);
                self.state = State::Binding(kind);
                return Ok(pdu);
            }
            (CommandId::ENQUIRE_LINK | CommandId::UNBIND, _) => return Err(invalid()),
            (_, State::Bound(_)) if BindKind::of(command).is_none() && command != CommandId::OUTBIND => {
                if self.outstanding.in_window() >= self.config.window {
                    return Err(SessionError::WindowFull { window: self.config.window });
                }
            }
            _ => return Err(invalid()),
        }
        let pdu = Pdu::new(self.next_sequence(), body);
        self.register(&pdu, now);
        Ok(pdu)
    }

    /// bind, unbind and enquire_link do not count against the window; any
    /// of them unanswered means the session is dead.
    fn role(command: CommandId) -> Role {
        match command {
            CommandId::ENQUIRE_LINK => Role::KeepAlive,
            CommandId::UNBIND => Role::Session,
            _ if BindKind::of(command).is_some() => Role::Session,
            _ => Role::Traffic,
        }
    }

    fn register(&mut self, pdu: &Pdu, now: Instant) {
        self.outstanding.insert(pdu.sequence, pdu.command_id(), now + self.config.response_timeout);
    }

    /// Interprets a PDU from the peer.
    pub fn receive(&mut self, pdu: Pdu, now: Instant) -> Received {
        self.keep_alive.received(now);
        let id = pdu.command_id();
        if id == CommandId::GENERIC_NACK {
            let request = self.outstanding.remove(pdu.sequence);
            if request.is_some_and(|c| BindKind::of(c).is_some()) {
                self.state = State::Open;
            }
            return Received::GenericNack { sequence: pdu.sequence, status: pdu.status, request };
        }
        if id.is_response() {
            return self.receive_response(pdu, id);
        }
        self.receive_request(pdu, id)
    }

    fn receive_response(&mut self, pdu: Pdu, id: CommandId) -> Received {
        match self.outstanding.get(pdu.sequence) {
            Some(command) if command.response() == id => {}
            _ => return Received::Unexpected { pdu, reply: None },
        }
        let Some(request) = self.outstanding.remove(pdu.sequence) else {
            return Received::Unexpected { pdu, reply: None };
        };
        if let Some(kind) = BindKind::of(request) {
            if pdu.status == status::ESME_ROK {
                self.state = State::Bound(kind);
                return Received::BindOk { pdu };
            }
            self.state = State::Open;
            return Received::BindFailed { status: pdu.status, pdu };
        }
        if request == CommandId::UNBIND {
            self.state = State::Closed;
        }
        Received::Response { request, pdu }
    }

    fn receive_request(&mut self, pdu: Pdu, id: CommandId) -> Received {
        match id {
            CommandId::ENQUIRE_LINK => {
                let reply = Pdu::response_to(&pdu, status::ESME_ROK, Body::EnquireLinkResp);
                Received::Request { pdu, reply: Some(reply) }
            }
            CommandId::UNBIND => {
                self.state = State::Closed;
                let reply = Pdu::response_to(&pdu, status::ESME_ROK, Body::UnbindResp);
                Received::Request { pdu, reply: Some(reply) }
            }
            // The application decides (outbind: bind_receiver; a bind on a
            // server session: check credentials).
            CommandId::OUTBIND
            | CommandId::BIND_TRANSMITTER
            | CommandId::BIND_RECEIVER
            | CommandId::BIND_TRANSCEIVER => Received::Request { pdu, reply: None },
            CommandId::SUBMIT_SM | CommandId::DELIVER_SM | CommandId::DATA_SM => {
                if matches!(self.state, State::Bound(_)) {
                    return Received::Request { pdu, reply: None };
                }
                let reply = Body::empty_response_to(id).map(|b| Pdu::response_to(&pdu, status::ESME_RINVBNDSTS, b));
                Received::Unexpected { pdu, reply }
            }
            _ => {
                let reply = Pdu::generic_nack(pdu.sequence, status::ESME_RINVCMDID);
                Received::Unexpected { pdu, reply: Some(reply) }
            }
        }
    }

    /// The next thing to do at `now`, or `None` until [`Self::next_deadline`].
    pub fn poll_action(&mut self, now: Instant) -> Option<Action> {
        if self.state == State::Closed {
            return None;
        }
        if let Some(action) = self.outstanding.expire(now) {
            if matches!(action, Action::Dead) {
                self.state = State::Closed;
            }
            return Some(action);
        }
        if let Some(due) = self.enquire_link_due() {
            if due <= now {
                let pdu = Pdu::new(self.next_sequence(), Body::EnquireLink);
                self.register(&pdu, now);
                return Some(Action::Send(pdu));
            }
        }
        None
    }

    /// All actions due at `now`.
    pub fn poll(&mut self, now: Instant) -> Vec<Action> {
        std::iter::from_fn(|| self.poll_action(now)).collect()
    }

    fn enquire_link_due(&self) -> Option<Instant> {
        self.keep_alive.due(matches!(self.state, State::Bound(_)), &self.outstanding)
    }

    /// When [`Self::poll_action`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        self.outstanding.next_deadline().into_iter().chain(self.enquire_link_due()).min()
    }
}

/// A convenience for tests and servers: the bind_resp body for `kind`.
pub fn bind_resp_body(kind: BindKind, resp: BindResp) -> Body {
    match kind {
        BindKind::Transmitter => Body::BindTransmitterResp(resp),
        BindKind::Receiver => Body::BindReceiverResp(resp),
        BindKind::Transceiver => Body::BindTransceiverResp(resp),
    }
}

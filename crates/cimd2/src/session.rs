//! The CIMD2 session state machine for the application side: login state,
//! packet numbers, window, response timeouts and alive keep-alive (spec 4.1
//! "Packet structure" for numbering, "Operations" for the exchanges).
//!
//! Sans-IO: every method takes `now` and returns packets to send or events
//! to act on; nothing here reads the clock, sleeps or touches a socket. The
//! connection task feeds it decoded packets, calls [`Session::poll_action`]
//! until it returns `None`, and sleeps until [`Session::next_deadline`].
//!
//! Numbering: the application numbers its requests with odd numbers 1, 3,
//! ..., 255, wrapping to 1 and skipping any still outstanding; the SMSC uses
//! even numbers. A response carries the number of the request it answers, so
//! responses are matched by number (and operation code).

use outstanding::{KeepAlive, Outstanding, Role};
use std::time::{Duration, Instant};

use crate::login::Login;
use crate::packet::{op, Body, Packet};
use crate::response::Response;

/// Error code 1, "unexpected operation" (spec, "Error codes").
pub const ERROR_UNEXPECTED_OPERATION: u16 = crate::error_code::UNEXPECTED_OPERATION;

/// Odd packet numbers available to the application.
pub const APPLICATION_NUMBERS: usize = 128;

/// The largest window: alive and logout must always find a packet number.
pub const MAX_WINDOW: usize = APPLICATION_NUMBERS - 3;

#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// How many submits (and other operations the application chooses to
    /// send) may await a response at once. Login, logout and alive do not
    /// count. At most [`MAX_WINDOW`] (larger values are clamped).
    pub window: usize,
    /// How long a request may wait for its response.
    pub response_timeout: Duration,
    /// Send alive (40) after this long without receiving anything. SMSCs
    /// drop idle connections (often after a minute or more).
    pub alive_interval: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { window: 10, response_timeout: Duration::from_secs(30), alive_interval: Duration::from_secs(60) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Connected, not logged in.
    Open,
    /// Login sent, its response awaited.
    LoggingIn,
    LoggedIn,
    /// Logout sent, its response awaited.
    LoggingOut,
    /// Nothing more may be sent; drop the connection.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    #[error("window full ({window} requests outstanding)")]
    WindowFull { window: usize },
    #[error("operation {op:02} not allowed in state {state:?}")]
    InvalidState { op: u8, state: State },
    #[error("operation {op:02} is not a request; answer requests with Packet::response_to")]
    NotARequest { op: u8 },
    #[error("all odd packet numbers are outstanding")]
    NoFreeNumber,
}

/// What a received packet means.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// The response to one of our requests (operation code `request`),
    /// matched by number and removed from the outstanding set. Check
    /// [`Response::is_ok`] on its body.
    Response { request: u8, packet: Packet },
    /// Our login was accepted; the session is now logged in.
    LoginOk { packet: Packet },
    /// Our login was refused (state is back to `Open`).
    LoginFailed { error_code: Option<u16>, packet: Packet },
    /// A request from the SMSC. If `reply` is `Some` the session has
    /// answered it (alive) and the caller just sends the reply; otherwise the
    /// application must answer (deliver message → 70, deliver status report
    /// → 73, with [`Packet::response_to`]) once it has taken the message.
    Request { packet: Packet, reply: Option<Packet> },
    /// Something that does not fit the session: a request the application
    /// side does not take, a deliver before login, or a response nobody is
    /// waiting for. `reply` is the general error response (98) to send, if
    /// any.
    Unexpected { packet: Packet, reply: Option<Packet> },
    /// NACK (99) from the SMSC: it could not read the packet with this
    /// number. `request` is set when that was one of our outstanding
    /// requests, which is now failed and its window slot freed; the caller
    /// may send it again.
    Nack { number: u8, request: Option<u8> },
    /// General error response (98). As for `Nack`, a matched request is
    /// failed. A failed login leaves the state `Open`.
    GeneralError { request: Option<u8>, packet: Packet },
}

/// Something the connection task must do, from [`Session::poll_action`]:
/// write the keep-alive alive, give up on a request by its packet number and
/// operation code, or drop the connection (an alive, login or logout went
/// unanswered; the state is now `Closed`).
pub type Action = outstanding::Action<Packet, u8, u8>;

#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    next_number: u8,
    /// Our requests awaiting responses, by packet number, with their operation codes.
    outstanding: Outstanding<u8, u8>,
    keep_alive: KeepAlive,
}

/// Login, logout and alive do not count against the window; any of them
/// unanswered means the session is dead.
fn role(op: &u8) -> Role {
    match *op {
        op::LOGIN | op::LOGOUT => Role::Session,
        op::ALIVE => Role::KeepAlive,
        _ => Role::Traffic,
    }
}

impl Session {
    pub fn new(mut config: SessionConfig, now: Instant) -> Self {
        config.window = config.window.clamp(1, MAX_WINDOW);
        Self {
            state: State::Open,
            next_number: 1,
            outstanding: Outstanding::new(role),
            keep_alive: KeepAlive::new(config.alive_interval, now),
            config,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Requests awaiting a response, window-counted or not.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    pub fn window_available(&self) -> usize {
        self.config.window.saturating_sub(self.outstanding.in_window())
    }

    /// The next odd packet number, wrapping from 255 to 1 and skipping any
    /// still outstanding.
    pub fn next_number(&mut self) -> Result<u8, SessionError> {
        for _ in 0..APPLICATION_NUMBERS {
            let n = self.next_number;
            // Odd numbers only: 253, 255, then 255 + 2 wraps to 1.
            self.next_number = n.wrapping_add(2);
            if !self.outstanding.contains(n) {
                return Ok(n);
            }
        }
        Err(SessionError::NoFreeNumber)
    }

    /// The login to send. State becomes `LoggingIn`.
    pub fn login(&mut self, login: Login, now: Instant) -> Result<Packet, SessionError> {
        self.send_request(Body::Login(login), now)
    }

    /// The logout to send. State becomes `LoggingOut`; the SMSC's logout
    /// response (52) moves it to `Closed`.
    pub fn logout(&mut self, now: Instant) -> Result<Packet, SessionError> {
        self.send_request(Body::Logout, now)
    }

    /// Numbers a request and starts its response timer.
    pub fn send_request(&mut self, body: Body, now: Instant) -> Result<Packet, SessionError> {
        let op = body.op();
        if !op::is_request(op) {
            return Err(SessionError::NotARequest { op });
        }
        let allowed = match (op, self.state) {
            (op::LOGIN, State::Open) => true,
            (op::ALIVE, State::Open | State::LoggingIn | State::LoggedIn) => true,
            (op::LOGIN | op::ALIVE, _) => false,
            (_, State::LoggedIn) => true,
            _ => false,
        };
        if !allowed {
            return Err(SessionError::InvalidState { op, state: self.state });
        }
        if role(&op) == Role::Traffic && self.outstanding.in_window() >= self.config.window {
            return Err(SessionError::WindowFull { window: self.config.window });
        }
        let packet = Packet::new(self.next_number()?, body);
        self.register(&packet, now);
        match op {
            op::LOGIN => self.state = State::LoggingIn,
            op::LOGOUT => self.state = State::LoggingOut,
            _ => {}
        }
        Ok(packet)
    }

    fn register(&mut self, packet: &Packet, now: Instant) {
        self.outstanding.insert(packet.number, packet.op(), now + self.config.response_timeout);
    }

    /// Interprets a packet from the SMSC.
    pub fn receive(&mut self, packet: Packet, now: Instant) -> Received {
        self.keep_alive.received(now);
        match packet.op() {
            op::NACK => {
                let request = self.fail(packet.number);
                Received::Nack { number: packet.number, request }
            }
            op::GENERAL_ERROR => {
                let request = self.fail(packet.number);
                Received::GeneralError { request, packet }
            }
            o if op::is_request(o) => self.receive_request(packet, o),
            o => self.receive_response(packet, o),
        }
    }

    /// Completes a request the SMSC refused as a whole.
    fn fail(&mut self, number: u8) -> Option<u8> {
        let request = self.outstanding.remove(number)?;
        match request {
            op::LOGIN => self.state = State::Open,
            // A refused logout still ends the session from our side.
            op::LOGOUT => self.state = State::Closed,
            _ => {}
        }
        Some(request)
    }

    fn receive_response(&mut self, packet: Packet, o: u8) -> Received {
        match self.outstanding.get(packet.number) {
            Some(req) if req + op::RESPONSE == o => {}
            _ => return Received::Unexpected { packet, reply: None },
        }
        let Some(request) = self.outstanding.remove(packet.number) else {
            return Received::Unexpected { packet, reply: None };
        };
        match request {
            op::LOGIN => {
                let error_code = packet.body.response().and_then(|r| r.error_code);
                if error_code.is_none_or(|c| c == 0) {
                    self.state = State::LoggedIn;
                    return Received::LoginOk { packet };
                }
                self.state = State::Open;
                Received::LoginFailed { error_code, packet }
            }
            op::LOGOUT => {
                self.state = State::Closed;
                Received::Response { request, packet }
            }
            _ => Received::Response { request, packet },
        }
    }

    fn receive_request(&mut self, packet: Packet, o: u8) -> Received {
        let unexpected = |packet: Packet| {
            let reply = Packet::new(packet.number, Body::GeneralError(Response::error(ERROR_UNEXPECTED_OPERATION)));
            Received::Unexpected { packet, reply: Some(reply) }
        };
        match o {
            op::ALIVE => {
                let reply = Packet::response_to(&packet);
                Received::Request { packet, reply }
            }
            // A deliver may overtake our login response: the SMSC had our
            // login when it sent it.
            op::DELIVER_MESSAGE | op::DELIVER_STATUS_REPORT
                if matches!(self.state, State::LoggingIn | State::LoggedIn | State::LoggingOut) =>
            {
                Received::Request { packet, reply: None }
            }
            _ => unexpected(packet),
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
        if self.alive_due().is_some_and(|due| due <= now) {
            let number = self.next_number().ok()?;
            let packet = Packet::new(number, Body::Alive);
            self.register(&packet, now);
            return Some(Action::Send(packet));
        }
        None
    }

    /// All actions due at `now`.
    pub fn poll(&mut self, now: Instant) -> Vec<Action> {
        std::iter::from_fn(|| self.poll_action(now)).collect()
    }

    fn alive_due(&self) -> Option<Instant> {
        self.keep_alive.due(self.state == State::LoggedIn, &self.outstanding)
    }

    /// When [`Self::poll_action`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        self.outstanding.next_deadline().into_iter().chain(self.alive_due()).min()
    }
}

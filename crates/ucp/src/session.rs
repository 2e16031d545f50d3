//! The UCP session state machine: login (OT 60, EMI 4.x spec §6.3), TRN
//! allocation and the window (§2: TRN 00–99, so at most 100 operations
//! outstanding per direction), matching results to operations by TRN and OT,
//! response timeouts, and OT 31 alerts (§4.6) as keep-alive when idle.
//!
//! Sans-IO, like `smpp::Session`: every method takes `now` and returns messages
//! to send or events to act on; nothing here reads the clock, sleeps or touches
//! a socket. The connection task feeds it decoded messages, calls
//! [`Session::poll_action`] until it returns `None`, and sleeps until
//! [`Session::next_deadline`].
//!
//! The two directions have separate TRN spaces: ours number the operations we
//! send, the SMSC's number its OT 52/53; a result always echoes the TRN of its
//! operation ([`Message::ack`], [`Message::nack`]).

use std::time::{Duration, Instant};

use crate::alert::{Alert, PID_PC_OVER_TCP_IP};
use outstanding::{KeepAlive, Outstanding, Role};

use crate::error_code;
use crate::login::Login;
use crate::message::{Body, Kind, Message, Ot, Trn};

/// Window ceiling: the number of distinct TRNs.
pub const MAX_WINDOW: usize = 100;

#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// How many operations other than login and alert may await their result
    /// at once; at most [`MAX_WINDOW`] (larger values are clamped).
    pub window: usize,
    /// How long an operation may wait for its result.
    pub response_timeout: Duration,
    /// Send an OT 31 alert after this long without receiving anything.
    pub keepalive_interval: Duration,
    /// AdC of the keep-alive alert (often our own account or short code).
    pub alert_adc: String,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            window: 10,
            response_timeout: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(30),
            alert_adc: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Connected, not logged in.
    Open,
    /// OT 60 sent, its result awaited.
    LoggingIn,
    /// Login accepted: submits may be sent, deliveries arrive.
    Ready,
    /// Nothing more may be sent; drop the connection.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    #[error("window full ({window} operations outstanding)")]
    WindowFull { window: usize },
    #[error("all 100 trns are outstanding")]
    NoFreeTrn,
    #[error("{ot} not allowed in state {state:?}")]
    InvalidState { ot: Ot, state: State },
    #[error("{ot} is a result; answer operations with Message::ack or Message::nack")]
    NotAnOperation { ot: Ot },
}

/// What a received message means.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// The result (ACK or NACK) of one of our operations, matched by TRN and
    /// OT and removed from the outstanding set.
    Result { request: Ot, message: Message },
    /// Our login was accepted; the session is ready.
    LoginOk { message: Message },
    /// Our login was refused with error code `ec` (state is back to `Open`).
    LoginFailed { ec: u8, message: Message },
    /// An operation from the SMSC (OT 52, 53). The caller answers it with
    /// [`Message::ack`] or [`Message::nack`], which keep its TRN.
    Operation { message: Message },
    /// Something that does not fit the session: an unknown operation, an
    /// operation before login, a result nobody waits for. `reply` is the NACK
    /// to send, when one is due (never for results).
    Unexpected { message: Message, reply: Option<Message> },
    /// An OT 31 alert from the SMSC, already answered: send `reply`.
    Alert { message: Message, reply: Message },
}

/// Something the connection task must do, from [`Session::poll_action`]:
/// write the keep-alive alert, give up on an operation by its TRN and OT, or
/// drop the connection (a login or alert went unanswered; the state is now
/// `Closed`).
pub type Action = outstanding::Action<Message, Trn, Ot>;

#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    next_trn: Trn,
    /// Our operations awaiting results, by TRN, with their OTs.
    outstanding: Outstanding<Trn, Ot>,
    keep_alive: KeepAlive,
}

impl Session {
    pub fn new(mut config: SessionConfig, now: Instant) -> Self {
        config.window = config.window.min(MAX_WINDOW);
        Self {
            state: State::Open,
            next_trn: Trn::default(),
            outstanding: Outstanding::new(|ot| Self::role(*ot)),
            keep_alive: KeepAlive::new(config.keepalive_interval, now),
            config,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Operations awaiting a result, window-counted or not.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    pub fn window_available(&self) -> usize {
        self.config.window.saturating_sub(self.outstanding.in_window())
    }

    /// The next free TRN, 00–99 wrapping, skipping those still outstanding.
    fn allocate(&mut self) -> Result<Trn, SessionError> {
        for _ in 0..=Trn::MAX {
            let trn = self.next_trn;
            self.next_trn = trn.next();
            if !self.outstanding.contains(trn) {
                return Ok(trn);
            }
        }
        Err(SessionError::NoFreeTrn)
    }

    /// The OT 60 login to send. State becomes `LoggingIn`.
    pub fn login(&mut self, login: Login, now: Instant) -> Result<Message, SessionError> {
        self.send(Body::Login(login), now)
    }

    /// Gives an operation a TRN and starts its result timer. Logins are allowed
    /// when `Open`, alerts in any state but `Closed`, everything else only when
    /// `Ready` and within the window.
    pub fn send(&mut self, body: Body, now: Instant) -> Result<Message, SessionError> {
        let ot = body.ot();
        if body.kind() == Kind::Result {
            return Err(SessionError::NotAnOperation { ot });
        }
        let allowed = match (ot, self.state) {
            (_, State::Closed) => false,
            (Ot::SESSION, state) => state == State::Open,
            (Ot::ALERT, _) => true,
            (_, state) => state == State::Ready,
        };
        if !allowed {
            return Err(SessionError::InvalidState { ot, state: self.state });
        }
        if Self::role(ot) == Role::Traffic && self.outstanding.in_window() >= self.config.window {
            return Err(SessionError::WindowFull { window: self.config.window });
        }
        let trn = self.allocate()?;
        self.outstanding.insert(trn, ot, now + self.config.response_timeout);
        if ot == Ot::SESSION {
            self.state = State::LoggingIn;
        }
        Ok(Message::new(trn, body))
    }

    /// Login and alert do not count against the window; either unanswered
    /// means the session is dead.
    fn role(ot: Ot) -> Role {
        match ot {
            Ot::SESSION => Role::Session,
            Ot::ALERT => Role::KeepAlive,
            _ => Role::Traffic,
        }
    }

    /// Interprets a message from the SMSC.
    pub fn receive(&mut self, message: Message, now: Instant) -> Received {
        self.keep_alive.received(now);
        if message.is_result() {
            return self.receive_result(message);
        }
        match &message.body {
            Body::Alert(_) => {
                let reply = message.ack("");
                Received::Alert { message, reply }
            }
            Body::Deliver(_) | Body::Notification(_) if self.state == State::Ready => Received::Operation { message },
            Body::Deliver(_) | Body::Notification(_) => {
                let reply = Some(message.nack(error_code::OPERATION_NOT_ALLOWED, ""));
                Received::Unexpected { message, reply }
            }
            // An SMSC does not submit to us or log in to us; and OTs we do not
            // model are "operation not supported" (§8, error code 03).
            _ => {
                let ec = if matches!(message.body, Body::Unknown { .. }) {
                    error_code::OPERATION_NOT_SUPPORTED
                } else {
                    error_code::OPERATION_NOT_ALLOWED
                };
                let reply = Some(message.nack(ec, ""));
                Received::Unexpected { message, reply }
            }
        }
    }

    fn receive_result(&mut self, message: Message) -> Received {
        let ot = message.body.ot();
        match self.outstanding.get(message.trn) {
            Some(o) if o == ot => {}
            _ => return Received::Unexpected { message, reply: None },
        }
        let Some(request) = self.outstanding.remove(message.trn) else {
            return Received::Unexpected { message, reply: None };
        };
        if request == Ot::SESSION {
            return match &message.body {
                Body::Nack(n) => {
                    self.state = State::Open;
                    Received::LoginFailed { ec: n.ec, message }
                }
                _ => {
                    self.state = State::Ready;
                    Received::LoginOk { message }
                }
            };
        }
        Received::Result { request, message }
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
        if self.keepalive_due().is_some_and(|due| due <= now) {
            let alert = Alert { adc: self.config.alert_adc.clone(), pid: PID_PC_OVER_TCP_IP.into() };
            // With every TRN outstanding there is no room for an alert; the
            // result timers will decide about the link instead.
            if let Ok(message) = self.send(Body::Alert(alert), now) {
                return Some(Action::Send(message));
            }
        }
        None
    }

    /// All actions due at `now`.
    pub fn poll(&mut self, now: Instant) -> Vec<Action> {
        std::iter::from_fn(|| self.poll_action(now)).collect()
    }

    /// Due only while a TRN is free for the alert.
    fn keepalive_due(&self) -> Option<Instant> {
        let ready = self.state == State::Ready && self.outstanding.len() <= usize::from(Trn::MAX);
        self.keep_alive.due(ready, &self.outstanding)
    }

    /// When [`Self::poll_action`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        self.outstanding.next_deadline().into_iter().chain(self.keepalive_due()).min()
    }
}

//! Session state machine with injected time: no sockets, no sleeping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use ucp::{
    error_code, Action, Alphabet, Body, Login, Message, Msg, Ot, Received, Session, SessionConfig, SessionError, Sm,
    State, Trn,
};

const TIMEOUT: Duration = Duration::from_secs(10);
const IDLE: Duration = Duration::from_secs(30);

fn config(window: usize) -> SessionConfig {
    SessionConfig { window, response_timeout: TIMEOUT, keepalive_interval: IDLE, alert_adc: "1234".into() }
}

fn submit() -> Body {
    Body::Submit(Sm {
        adc: "31612345678".into(),
        msg: Msg::alphanumeric("hi", Alphabet::Ira).unwrap(),
        ..Sm::default()
    })
}

fn ready(window: usize, t0: Instant) -> Session {
    let mut s = Session::new(config(window), t0);
    let login = s.login(Login::open_session("acct", "pw"), t0).unwrap();
    assert_eq!(s.state(), State::LoggingIn);
    assert!(matches!(s.receive(login.ack(""), t0), Received::LoginOk { .. }));
    assert_eq!(s.state(), State::Ready);
    s
}

#[test]
fn submit_requires_login() {
    let t0 = Instant::now();
    let mut s = Session::new(config(2), t0);
    assert_eq!(s.send(submit(), t0), Err(SessionError::InvalidState { ot: Ot::SUBMIT, state: State::Open }));
    // An alert is fine before login.
    assert!(s.send(Body::Alert(ucp::Alert::default()), t0).is_ok());
}

#[test]
fn login_refused_returns_to_open() {
    let t0 = Instant::now();
    let mut s = Session::new(config(2), t0);
    let login = s.login(Login::open_session("acct", "bad"), t0).unwrap();
    let r = s.receive(login.nack(error_code::AUTHENTICATION_FAILURE, ""), t0);
    assert!(matches!(r, Received::LoginFailed { ec: error_code::AUTHENTICATION_FAILURE, .. }));
    assert_eq!(s.state(), State::Open);
    assert_eq!(s.outstanding(), 0);
}

#[test]
fn login_timeout_is_dead() {
    let t0 = Instant::now();
    let mut s = Session::new(config(2), t0);
    s.login(Login::default(), t0).unwrap();
    assert_eq!(s.next_deadline(), Some(t0 + TIMEOUT));
    assert_eq!(s.poll(t0 + TIMEOUT - Duration::from_millis(1)), vec![]);
    assert_eq!(s.poll(t0 + TIMEOUT), vec![Action::Dead]);
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn window_fills_and_frees_on_result() {
    let t0 = Instant::now();
    let mut s = ready(2, t0);
    let a = s.send(submit(), t0).unwrap();
    let b = s.send(submit(), t0).unwrap();
    assert_ne!(a.trn, b.trn);
    assert_eq!(s.window_available(), 0);
    assert_eq!(s.send(submit(), t0), Err(SessionError::WindowFull { window: 2 }));
    // Alerts do not count against the window.
    assert!(s.send(Body::Alert(ucp::Alert::default()), t0).is_ok());

    match s.receive(b.ack("31612345678:010125101010"), t0) {
        Received::Result { request, message } => {
            assert_eq!(request, Ot::SUBMIT);
            assert_eq!(message.trn, b.trn);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.window_available(), 1);
    // A NACK is a result too.
    assert!(matches!(s.receive(a.nack(24, ""), t0), Received::Result { .. }));
    assert_eq!(s.window_available(), 2);
}

#[test]
fn results_match_by_trn_and_ot() {
    let t0 = Instant::now();
    let mut s = ready(5, t0);
    let a = s.send(submit(), t0).unwrap();
    // Same TRN, other OT: not ours.
    let wrong_ot = Message::new(a.trn, Body::Ack(ucp::Ack { ot: Ot::DELIVER, ..Default::default() }));
    assert!(matches!(s.receive(wrong_ot, t0), Received::Unexpected { reply: None, .. }));
    // A TRN nobody waits for.
    let stray = Message::new(Trn::new(77).unwrap(), Body::Ack(ucp::Ack { ot: Ot::SUBMIT, ..Default::default() }));
    assert!(matches!(s.receive(stray, t0), Received::Unexpected { reply: None, .. }));
    assert_eq!(s.outstanding(), 1);
    assert!(matches!(s.receive(a.ack(""), t0), Received::Result { .. }));
    // A second result for the same TRN is unexpected.
    assert!(matches!(s.receive(a.ack(""), t0), Received::Unexpected { .. }));
}

#[test]
fn trns_wrap_at_100_and_skip_outstanding() {
    let t0 = Instant::now();
    let mut s = ready(100, t0);
    // The login took 00.
    let first = s.send(submit(), t0).unwrap();
    assert_eq!(first.trn.get(), 1);
    let mut held = vec![first];
    for n in 2..=99u8 {
        let m = s.send(submit(), t0).unwrap();
        assert_eq!(m.trn.get(), n);
        held.push(m);
    }
    // Wraps to 00 (the login's, long answered).
    let m = s.send(submit(), t0).unwrap();
    assert_eq!(m.trn.get(), 0);
    assert_eq!(s.send(submit(), t0), Err(SessionError::WindowFull { window: 100 }));
    // Free 05 and 50: the next TRNs skip everything still outstanding.
    for n in [5usize, 50] {
        let m = &held[n - 1];
        assert!(matches!(s.receive(m.ack(""), t0), Received::Result { .. }));
    }
    assert_eq!(s.send(submit(), t0).unwrap().trn.get(), 5);
    assert_eq!(s.send(submit(), t0).unwrap().trn.get(), 50);
    // With every TRN taken there is no room even for an alert.
    assert_eq!(s.send(Body::Alert(ucp::Alert::default()), t0), Err(SessionError::NoFreeTrn));
}

#[test]
fn result_timeout_frees_the_slot() {
    let t0 = Instant::now();
    let mut s = ready(1, t0);
    let a = s.send(submit(), t0).unwrap();
    let t1 = t0 + TIMEOUT;
    assert_eq!(s.poll_action(t1), Some(Action::TimedOut { key: a.trn, kind: Ot::SUBMIT }));
    assert_eq!(s.window_available(), 1);
    // The late result is no longer matched.
    assert!(matches!(s.receive(a.ack(""), t1), Received::Unexpected { .. }));
}

#[test]
fn alert_keepalive_when_idle_and_dead_when_unanswered() {
    let t0 = Instant::now();
    let mut s = ready(2, t0);
    assert_eq!(s.next_deadline(), Some(t0 + IDLE));
    assert_eq!(s.poll(t0 + IDLE - Duration::from_secs(1)), vec![]);

    let t1 = t0 + IDLE;
    let alert = match s.poll(t1).as_slice() {
        [Action::Send(m)] => m.clone(),
        other => panic!("{other:?}"),
    };
    let Body::Alert(a) = &alert.body else { panic!("{alert:?}") };
    assert_eq!((a.adc.as_str(), a.pid.as_str()), ("1234", "0539"));
    // Only one alert at a time.
    assert_eq!(s.poll(t1 + Duration::from_secs(1)), vec![]);

    // Answered: the idle clock restarts from what we received.
    let t2 = t1 + Duration::from_secs(2);
    assert!(matches!(s.receive(alert.ack("0000"), t2), Received::Result { request: Ot::ALERT, .. }));
    assert_eq!(s.next_deadline(), Some(t2 + IDLE));

    // Unanswered: the link is dead.
    let t3 = t2 + IDLE;
    assert!(matches!(s.poll(t3).as_slice(), [Action::Send(_)]));
    assert_eq!(s.poll(t3 + TIMEOUT), vec![Action::Dead]);
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn traffic_from_the_smsc_postpones_the_alert() {
    let t0 = Instant::now();
    let mut s = ready(2, t0);
    let t1 = t0 + Duration::from_secs(20);
    let deliver = Message::new(Trn::new(42).unwrap(), Body::Deliver(Sm::default()));
    assert!(matches!(s.receive(deliver, t1), Received::Operation { .. }));
    assert_eq!(s.next_deadline(), Some(t1 + IDLE));
}

#[test]
fn incoming_operations_are_answered_by_the_caller_with_their_trn() {
    let t0 = Instant::now();
    let mut s = ready(2, t0);
    let report = Message::new(
        Trn::new(42).unwrap(),
        Body::Notification(Sm { adc: "316".into(), scts: "010125101010".into(), dst: "0".into(), ..Sm::default() }),
    );
    let Received::Operation { message } = s.receive(report, t0) else { panic!() };
    let reply = message.ack("");
    assert_eq!(reply.trn.get(), 42);
    assert!(matches!(&reply.body, Body::Ack(a) if a.ot == Ot::NOTIFICATION));
    // Incoming TRNs are the SMSC's: they do not touch ours.
    assert_eq!(s.outstanding(), 0);
    assert_eq!(s.send(submit(), t0).unwrap().trn.get(), 1);
}

#[test]
fn unexpected_operations_are_nacked() {
    let t0 = Instant::now();
    // Before login: a delivery is "operation not allowed".
    let mut s = Session::new(config(2), t0);
    let deliver = Message::new(Trn::new(1).unwrap(), Body::Deliver(Sm::default()));
    let Received::Unexpected { reply: Some(nack), .. } = s.receive(deliver, t0) else { panic!() };
    assert!(matches!(nack.body, Body::Nack(ucp::Nack { ot: Ot::DELIVER, ec: error_code::OPERATION_NOT_ALLOWED, .. })));

    // An OT we do not model: "operation not supported" (03).
    let mut s = ready(2, t0);
    let unknown =
        Message::new(Trn::new(9).unwrap(), Body::Unknown { ot: Ot(55), kind: ucp::Kind::Operation, fields: vec![] });
    let Received::Unexpected { reply: Some(nack), .. } = s.receive(unknown, t0) else { panic!() };
    assert_eq!(nack.trn.get(), 9);
    assert!(matches!(nack.body, Body::Nack(ucp::Nack { ot: Ot(55), ec: error_code::OPERATION_NOT_SUPPORTED, .. })));

    // An alert from the SMSC is answered by the session.
    let alert = Message::new(Trn::new(3).unwrap(), Body::Alert(ucp::Alert::default()));
    let Received::Alert { reply, .. } = s.receive(alert, t0) else { panic!() };
    assert!(matches!(reply.body, Body::Ack(ucp::Ack { ot: Ot::ALERT, .. })));
}

#[test]
fn results_cannot_be_sent_as_operations() {
    let t0 = Instant::now();
    let mut s = ready(2, t0);
    let ack = Body::Ack(ucp::Ack { ot: Ot::DELIVER, ..Default::default() });
    assert_eq!(s.send(ack, t0), Err(SessionError::NotAnOperation { ot: Ot::DELIVER }));
    assert_eq!(s.login(Login::default(), t0), Err(SessionError::InvalidState { ot: Ot::SESSION, state: State::Ready }));
}

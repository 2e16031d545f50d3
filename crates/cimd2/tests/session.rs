//! Session state machine with injected time: no sockets, no sleeping.

use std::time::{Duration, Instant};

use bytes::Bytes;
use cimd2::session::ERROR_UNEXPECTED_OPERATION;
use cimd2::{
    op, Action, Body, DeliverMessage, DeliverStatusReport, Login, Packet, Received, Response, Session, SessionConfig,
    SessionError, State, Submit,
};

const TIMEOUT: Duration = Duration::from_secs(10);
const IDLE: Duration = Duration::from_secs(30);

fn config(window: usize) -> SessionConfig {
    SessionConfig { window, response_timeout: TIMEOUT, alive_interval: IDLE }
}

fn submit() -> Body {
    Body::Submit(Submit {
        destinations: vec!["4477".into()],
        user_data: Some(Bytes::from_static(b"hi")),
        ..Submit::default()
    })
}

fn submit_ok(req: &Packet) -> Packet {
    let resp = Response {
        destination: Some("4477".into()),
        mc_timestamp: Some(format!("2511261855{:02}", req.number % 60)),
        ..Response::default()
    };
    Packet::new(req.number, Body::SubmitResp(resp))
}

fn must<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e:?}"),
    }
}

fn logged_in(window: usize, t0: Instant) -> Session {
    let mut s = Session::new(config(window), t0);
    let login = must(s.login(Login { user_identity: "foo".into(), password: "bar".into(), extra: vec![] }, t0));
    assert_eq!(login.number, 1);
    assert_eq!(s.state(), State::LoggingIn);
    let r = s.receive(Packet::new(login.number, Body::LoginResp(Response::default())), t0);
    assert!(matches!(r, Received::LoginOk { .. }), "{r:?}");
    assert_eq!(s.state(), State::LoggedIn);
    s
}

#[test]
fn submit_requires_login() {
    let t0 = Instant::now();
    let mut s = Session::new(config(2), t0);
    assert_eq!(s.send_request(submit(), t0), Err(SessionError::InvalidState { op: op::SUBMIT, state: State::Open }));
    // Alive is fine before login.
    assert!(s.send_request(Body::Alive, t0).is_ok());
    assert_eq!(
        s.send_request(Body::LoginResp(Response::default()), t0),
        Err(SessionError::NotARequest { op: op::LOGIN_RESP })
    );
}

#[test]
fn refused_login_returns_to_open() {
    let t0 = Instant::now();
    let mut s = Session::new(config(2), t0);
    let login = must(s.login(Login::default(), t0));
    let refused = Response { error_code: Some(100), error_text: Some("invalid login".into()), ..Response::default() };
    let r = s.receive(Packet::new(login.number, Body::LoginResp(refused)), t0);
    assert!(matches!(r, Received::LoginFailed { error_code: Some(100), .. }), "{r:?}");
    assert_eq!(s.state(), State::Open);
    assert_eq!(s.outstanding(), 0);
}

#[test]
fn numbers_are_odd_and_wrap_from_255_to_1_skipping_outstanding() {
    let t0 = Instant::now();
    let mut s = logged_in(125, t0); // login used 1
    let mut numbers = Vec::new();
    for _ in 0..127 {
        numbers.push(must(s.next_number()));
    }
    assert_eq!(numbers.first(), Some(&3));
    assert_eq!(numbers.last(), Some(&255));
    assert!(numbers.iter().all(|n| n % 2 == 1));
    assert_eq!(must(s.next_number()), 1, "wraps to 1");
    // With 3 outstanding, the wrap skips it.
    let a = must(s.send_request(submit(), t0));
    assert_eq!(a.number, 3);
    for _ in 0..127 {
        must(s.next_number());
    }
    assert_eq!(must(s.next_number()), 5, "3 is outstanding and skipped");
}

#[test]
fn window_fills_and_frees_on_response_matched_by_number() {
    let t0 = Instant::now();
    let mut s = logged_in(2, t0);
    let a = must(s.send_request(submit(), t0));
    let b = must(s.send_request(submit(), t0));
    assert_eq!((a.number, b.number), (3, 5));
    assert_eq!(s.window_available(), 0);
    assert_eq!(s.send_request(submit(), t0), Err(SessionError::WindowFull { window: 2 }));
    // Alive does not count against the window.
    assert!(s.send_request(Body::Alive, t0).is_ok());

    match s.receive(submit_ok(&b), t0) {
        Received::Response { request, packet } => {
            assert_eq!(request, op::SUBMIT);
            assert_eq!(packet.number, 5);
            assert!(packet.body.response().is_some_and(Response::is_ok));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.window_available(), 1);
    // The same response again matches nothing.
    assert!(matches!(s.receive(submit_ok(&b), t0), Received::Unexpected { reply: None, .. }));
    // A response with the right number but the wrong operation does not complete.
    let wrong = Packet::new(a.number, Body::DeliverMessageResp(Response::default()));
    assert!(matches!(s.receive(wrong, t0), Received::Unexpected { reply: None, .. }));
    assert_eq!(s.window_available(), 1);
}

#[test]
fn response_timeout_fires_at_the_deadline_not_before() {
    let t0 = Instant::now();
    let mut s = logged_in(5, t0);
    let t1 = t0 + Duration::from_secs(1);
    let req = must(s.send_request(submit(), t1));
    assert_eq!(s.next_deadline(), Some(t1 + TIMEOUT));
    assert_eq!(s.poll(t1 + TIMEOUT - Duration::from_nanos(1)), vec![]);
    assert_eq!(s.poll(t1 + TIMEOUT), vec![Action::TimedOut { key: req.number, kind: op::SUBMIT }]);
    assert_eq!(s.window_available(), 5);
    assert_eq!(s.state(), State::LoggedIn, "a submit timeout is not fatal");
}

#[test]
fn alive_after_idle_then_dead_if_unanswered() {
    let t0 = Instant::now();
    let mut s = logged_in(5, t0);
    assert_eq!(s.next_deadline(), Some(t0 + IDLE));
    assert_eq!(s.poll(t0 + IDLE - Duration::from_millis(1)), vec![]);
    let actions = s.poll(t0 + IDLE);
    let [Action::Send(alive)] = actions.as_slice() else { panic!("{actions:?}") };
    assert_eq!(alive.body, Body::Alive);
    assert_eq!(alive.number % 2, 1);
    // Only one alive in flight.
    assert_eq!(s.poll(t0 + IDLE + Duration::from_secs(1)), vec![]);
    assert_eq!(s.next_deadline(), Some(t0 + IDLE + TIMEOUT));
    assert_eq!(s.poll(t0 + IDLE + TIMEOUT), vec![Action::Dead]);
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn answered_alive_keeps_the_session_alive() {
    let t0 = Instant::now();
    let mut s = logged_in(5, t0);
    let actions = s.poll(t0 + IDLE);
    let [Action::Send(alive)] = actions.as_slice() else { panic!("{actions:?}") };
    let t2 = t0 + IDLE + Duration::from_secs(2);
    let r = s.receive(Packet::new(alive.number, Body::AliveResp(Response::default())), t2);
    assert!(matches!(r, Received::Response { request: op::ALIVE, .. }), "{r:?}");
    assert_eq!(s.next_deadline(), Some(t2 + IDLE));
    assert_eq!(s.poll(t0 + IDLE + TIMEOUT), vec![]);
}

#[test]
fn deliveries_postpone_alive_and_are_left_to_the_application() {
    let t0 = Instant::now();
    let mut s = logged_in(5, t0);
    let t1 = t0 + Duration::from_secs(20);
    let deliver = Packet::new(0, Body::DeliverMessage(DeliverMessage::default()));
    let r = s.receive(deliver.clone(), t1);
    assert_eq!(r, Received::Request { packet: deliver.clone(), reply: None });
    assert_eq!(s.poll(t0 + IDLE), vec![]);
    assert_eq!(s.next_deadline(), Some(t1 + IDLE));
    assert_eq!(Packet::response_to(&deliver), Some(Packet::new(0, Body::DeliverMessageResp(Response::default()))));

    let report = Packet::new(2, Body::DeliverStatusReport(DeliverStatusReport::default()));
    assert!(matches!(s.receive(report.clone(), t1), Received::Request { reply: None, .. }));
    assert_eq!(Packet::response_to(&report).map(|p| p.op()), Some(op::DELIVER_STATUS_REPORT_RESP));
}

#[test]
fn deliver_overtaking_the_login_response_is_accepted() {
    let t0 = Instant::now();
    let mut s = Session::new(config(1), t0);
    must(s.login(Login::default(), t0));
    let deliver = Packet::new(0, Body::DeliverMessage(DeliverMessage::default()));
    assert!(matches!(s.receive(deliver, t0), Received::Request { reply: None, .. }));
}

#[test]
fn deliver_before_login_is_refused() {
    let t0 = Instant::now();
    let mut s = Session::new(config(1), t0);
    let deliver = Packet::new(4, Body::DeliverMessage(DeliverMessage::default()));
    let r = s.receive(deliver, t0);
    let expected = Packet::new(4, Body::GeneralError(Response::error(ERROR_UNEXPECTED_OPERATION)));
    assert!(matches!(r, Received::Unexpected { reply: Some(ref p), .. } if *p == expected), "{r:?}");
}

#[test]
fn smsc_alive_is_answered() {
    let t0 = Instant::now();
    let mut s = logged_in(1, t0);
    let r = s.receive(Packet::new(6, Body::Alive), t0);
    let Received::Request { reply: Some(reply), .. } = r else { panic!("{r:?}") };
    assert_eq!(reply, Packet::new(6, Body::AliveResp(Response::default())));
}

#[test]
fn requests_the_application_does_not_take_get_a_general_error() {
    let t0 = Instant::now();
    let mut s = logged_in(1, t0);
    let r = s.receive(Packet::new(8, submit()), t0);
    let Received::Unexpected { reply: Some(reply), .. } = r else { panic!("{r:?}") };
    assert_eq!(reply, Packet::new(8, Body::GeneralError(Response::error(ERROR_UNEXPECTED_OPERATION))));
}

#[test]
fn nack_and_general_error_fail_the_matching_request() {
    let t0 = Instant::now();
    let mut s = logged_in(2, t0);
    let a = must(s.send_request(submit(), t0));
    let b = must(s.send_request(submit(), t0));
    assert_eq!(
        s.receive(Packet::new(a.number, Body::Nack(Response::default())), t0),
        Received::Nack { number: a.number, request: Some(op::SUBMIT) }
    );
    let r = s.receive(Packet::new(b.number, Body::GeneralError(Response::error(1))), t0);
    assert!(matches!(r, Received::GeneralError { request: Some(op::SUBMIT), .. }), "{r:?}");
    assert_eq!(s.window_available(), 2);
    assert_eq!(
        s.receive(Packet::new(201, Body::Nack(Response::default())), t0),
        Received::Nack { number: 201, request: None }
    );
}

#[test]
fn logout_closes_on_its_response() {
    let t0 = Instant::now();
    let mut s = logged_in(1, t0);
    let out = must(s.logout(t0));
    assert_eq!(out.body, Body::Logout);
    assert_eq!(s.state(), State::LoggingOut);
    assert!(s.send_request(submit(), t0).is_err());
    let r = s.receive(Packet::new(out.number, Body::LogoutResp(Response::default())), t0);
    assert!(matches!(r, Received::Response { request: op::LOGOUT, .. }), "{r:?}");
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn login_timeout_is_fatal() {
    let t0 = Instant::now();
    let mut s = Session::new(config(1), t0);
    must(s.login(Login::default(), t0));
    assert_eq!(s.poll(t0 + TIMEOUT), vec![Action::Dead]);
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn window_is_clamped_so_alive_and_logout_find_numbers() {
    let t0 = Instant::now();
    let s = Session::new(config(1000), t0);
    assert_eq!(s.config().window, 125);
}

//! Session state machine with injected time: no sockets, no sleeping.

use std::time::{Duration, Instant};

use bytes::Bytes;
use smpp::session::bind_resp_body;
use smpp::{
    status, Action, Bind, BindKind, BindResp, Body, CommandId, Pdu, Received, Session, SessionConfig, SessionError, Sm,
    SmResp, State,
};

const TIMEOUT: Duration = Duration::from_secs(10);
const IDLE: Duration = Duration::from_secs(30);

fn config(window: usize) -> SessionConfig {
    SessionConfig { window, response_timeout: TIMEOUT, enquire_link_interval: IDLE }
}

fn submit() -> Body {
    Body::SubmitSm(Sm { destination_addr: "4477".into(), short_message: Bytes::from_static(b"hi"), ..Sm::default() })
}

fn resp_ok(req: &Pdu) -> Pdu {
    Pdu::response_to(
        req,
        status::ESME_ROK,
        Body::SubmitSmResp(SmResp { message_id: format!("m{}", req.sequence), tlvs: vec![] }),
    )
}

fn bound(window: usize, t0: Instant) -> Session {
    let mut s = Session::new(config(window), t0);
    let bind = s.bind_request(Bind { system_id: "esme".into(), ..Bind::default() }, BindKind::Transceiver, t0);
    assert_eq!(s.state(), State::Binding(BindKind::Transceiver));
    let resp = Pdu::response_to(&bind, status::ESME_ROK, bind_resp_body(BindKind::Transceiver, BindResp::default()));
    assert!(matches!(s.receive(resp, t0), Received::BindOk { .. }));
    assert_eq!(s.state(), State::Bound(BindKind::Transceiver));
    s
}

#[test]
fn submit_requires_bound_state() {
    let t0 = Instant::now();
    let mut s = Session::new(config(2), t0);
    assert!(matches!(s.send_request(submit(), t0), Err(SessionError::InvalidState { state: State::Open, .. })));
    // enquire_link is fine before binding.
    assert!(s.send_request(Body::EnquireLink, t0).is_ok());
}

#[test]
fn bind_failure_returns_to_open() {
    let t0 = Instant::now();
    let mut s = Session::new(config(2), t0);
    let bind = s.bind_request(Bind::default(), BindKind::Transmitter, t0);
    let resp = Pdu::response_to(&bind, status::ESME_RINVPASWD, Body::BindTransmitterResp(BindResp::default()));
    assert!(matches!(s.receive(resp, t0), Received::BindFailed { status: status::ESME_RINVPASWD, .. }));
    assert_eq!(s.state(), State::Open);
    assert_eq!(s.outstanding(), 0);
}

#[test]
fn window_fills_and_frees_on_response() {
    let t0 = Instant::now();
    let mut s = bound(2, t0);
    assert_eq!(s.window_available(), 2);
    let a = s.send_request(submit(), t0).ok();
    let b = s.send_request(submit(), t0).ok();
    assert_eq!(s.window_available(), 0);
    assert_eq!(s.send_request(submit(), t0), Err(SessionError::WindowFull { window: 2 }));
    // enquire_link does not count against the window.
    assert!(s.send_request(Body::EnquireLink, t0).is_ok());

    let (Some(a), Some(b)) = (a, b) else { panic!("window refused a request") };
    assert_ne!(a.sequence, b.sequence);
    match s.receive(resp_ok(&b), t0) {
        Received::Response { request, pdu } => {
            assert_eq!(request, CommandId::SUBMIT_SM);
            assert_eq!(pdu.sequence, b.sequence);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.window_available(), 1);
    assert!(s.send_request(submit(), t0).is_ok());
    assert_eq!(s.window_available(), 0);
    // A duplicate response matches nothing any more.
    assert!(matches!(s.receive(resp_ok(&b), t0), Received::Unexpected { reply: None, .. }));
    let _ = a;
}

#[test]
fn response_with_wrong_command_does_not_complete_request() {
    let t0 = Instant::now();
    let mut s = bound(1, t0);
    let req = s.send_request(submit(), t0).ok().unwrap_or_else(|| Pdu::new(0, Body::Unbind));
    let wrong = Pdu::response_to(&req, 0, Body::DeliverSmResp(SmResp::default()));
    assert!(matches!(s.receive(wrong, t0), Received::Unexpected { .. }));
    assert_eq!(s.window_available(), 0);
}

#[test]
fn response_timeout_fires_at_the_deadline_not_before() {
    let t0 = Instant::now();
    let mut s = bound(5, t0);
    let t1 = t0 + Duration::from_secs(1);
    let req = s.send_request(submit(), t1).ok().map(|p| p.sequence);
    assert_eq!(s.next_deadline(), Some(t1 + TIMEOUT));
    // Keep the link "alive" so enquire_link does not interfere.
    assert_eq!(s.poll(t1 + TIMEOUT - Duration::from_nanos(1)), vec![]);
    assert_eq!(s.window_available(), 4);
    let actions = s.poll(t1 + TIMEOUT);
    assert_eq!(actions, vec![Action::TimedOut { key: req.unwrap_or(0), kind: CommandId::SUBMIT_SM }]);
    assert_eq!(s.window_available(), 5);
    assert_eq!(s.poll(t1 + TIMEOUT), vec![]);
}

#[test]
fn enquire_link_after_idle_then_dead_if_unanswered() {
    let t0 = Instant::now();
    let mut s = bound(5, t0);
    assert_eq!(s.next_deadline(), Some(t0 + IDLE));
    assert_eq!(s.poll(t0 + IDLE - Duration::from_millis(1)), vec![]);
    let actions = s.poll(t0 + IDLE);
    let [Action::Send(el)] = actions.as_slice() else { panic!("{actions:?}") };
    assert_eq!(el.body, Body::EnquireLink);
    // Only one keep-alive in flight.
    assert_eq!(s.poll(t0 + IDLE + Duration::from_secs(1)), vec![]);
    assert_eq!(s.next_deadline(), Some(t0 + IDLE + TIMEOUT));
    assert_eq!(s.poll(t0 + IDLE + TIMEOUT - Duration::from_millis(1)), vec![]);
    assert_eq!(s.poll(t0 + IDLE + TIMEOUT), vec![Action::Dead]);
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn answered_enquire_link_keeps_the_session_alive() {
    let t0 = Instant::now();
    let mut s = bound(5, t0);
    let actions = s.poll(t0 + IDLE);
    let [Action::Send(el)] = actions.as_slice() else { panic!("{actions:?}") };
    let t2 = t0 + IDLE + Duration::from_secs(2);
    let r = s.receive(Pdu::response_to(el, 0, Body::EnquireLinkResp), t2);
    assert!(matches!(r, Received::Response { request: CommandId::ENQUIRE_LINK, .. }));
    assert_eq!(s.next_deadline(), Some(t2 + IDLE));
    assert_eq!(s.poll(t0 + IDLE + TIMEOUT), vec![]);
    assert_eq!(s.state(), State::Bound(BindKind::Transceiver));
}

#[test]
fn received_traffic_postpones_enquire_link() {
    let t0 = Instant::now();
    let mut s = bound(5, t0);
    let t1 = t0 + Duration::from_secs(20);
    let deliver = Pdu::new(77, Body::DeliverSm(Sm::default()));
    assert!(matches!(s.receive(deliver, t1), Received::Request { reply: None, .. }));
    assert_eq!(s.poll(t0 + IDLE), vec![]);
    assert_eq!(s.next_deadline(), Some(t1 + IDLE));
}

#[test]
fn peer_enquire_link_is_answered() {
    let t0 = Instant::now();
    let mut s = bound(5, t0);
    let r = s.receive(Pdu::new(900, Body::EnquireLink), t0);
    let Received::Request { reply: Some(reply), .. } = r else { panic!("{r:?}") };
    assert_eq!(reply, Pdu { sequence: 900, status: 0, body: Body::EnquireLinkResp });
}

#[test]
fn peer_unbind_is_answered_and_closes() {
    let t0 = Instant::now();
    let mut s = bound(5, t0);
    let r = s.receive(Pdu::new(901, Body::Unbind), t0);
    let Received::Request { reply: Some(reply), .. } = r else { panic!("{r:?}") };
    assert_eq!(reply, Pdu { sequence: 901, status: 0, body: Body::UnbindResp });
    assert_eq!(s.state(), State::Closed);
    assert!(s.send_request(submit(), t0).is_err());
}

#[test]
fn our_unbind_closes_on_unbind_resp() {
    let t0 = Instant::now();
    let mut s = bound(5, t0);
    let u = s.unbind(t0);
    assert_eq!(s.state(), State::Unbinding);
    assert!(s.send_request(submit(), t0).is_err());
    let r = s.receive(Pdu::response_to(&u, 0, Body::UnbindResp), t0);
    assert!(matches!(r, Received::Response { request: CommandId::UNBIND, .. }));
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn generic_nack_fails_the_matching_request() {
    let t0 = Instant::now();
    let mut s = bound(1, t0);
    let req = s.send_request(submit(), t0).ok().map_or(0, |p| p.sequence);
    assert_eq!(s.window_available(), 0);
    let r = s.receive(Pdu::generic_nack(req, status::ESME_RINVCMDLEN), t0);
    assert_eq!(
        r,
        Received::GenericNack { sequence: req, status: status::ESME_RINVCMDLEN, request: Some(CommandId::SUBMIT_SM) }
    );
    assert_eq!(s.window_available(), 1);
    let r = s.receive(Pdu::generic_nack(12345, status::ESME_RSYSERR), t0);
    assert_eq!(r, Received::GenericNack { sequence: 12345, status: status::ESME_RSYSERR, request: None });
}

#[test]
fn unknown_command_gets_generic_nack_invcmdid() {
    let t0 = Instant::now();
    let mut s = bound(1, t0);
    let r = s.receive(Pdu::new(55, Body::Unknown { command_id: 0x0000_0003, body: Bytes::new() }), t0);
    let Received::Unexpected { reply: Some(reply), .. } = r else { panic!("{r:?}") };
    assert_eq!(reply, Pdu::generic_nack(55, status::ESME_RINVCMDID));
}

#[test]
fn deliver_sm_before_bind_is_refused_with_invbndsts() {
    let t0 = Instant::now();
    let mut s = Session::new(config(1), t0);
    let r = s.receive(Pdu::new(8, Body::DeliverSm(Sm::default())), t0);
    let Received::Unexpected { reply: Some(reply), .. } = r else { panic!("{r:?}") };
    assert_eq!(
        reply,
        Pdu { sequence: 8, status: status::ESME_RINVBNDSTS, body: Body::DeliverSmResp(SmResp::default()) }
    );
}

#[test]
fn sequence_wraps_from_max_to_one_skipping_outstanding() {
    let t0 = Instant::now();
    let mut s = Session::new(config(1), t0);
    // An outstanding enquire_link holds sequence 1.
    let el = s.send_request(Body::EnquireLink, t0).ok().map(|p| p.sequence);
    assert_eq!(el, Some(1));
    s.set_next_sequence(smpp::session::MAX_SEQUENCE - 1);
    assert_eq!(s.next_sequence(), 0x7FFF_FFFE);
    assert_eq!(s.next_sequence(), 0x7FFF_FFFF);
    assert_eq!(s.next_sequence(), 2, "1 is outstanding and must be skipped after the wrap");
    s.set_next_sequence(0);
    assert_eq!(s.next_sequence(), 2, "0 is not a valid sequence; 1 is still outstanding");
}

#[test]
fn bind_timeout_is_fatal() {
    let t0 = Instant::now();
    let mut s = Session::new(config(1), t0);
    s.bind_request(Bind::default(), BindKind::Receiver, t0);
    assert_eq!(s.poll(t0 + TIMEOUT), vec![Action::Dead]);
    assert_eq!(s.state(), State::Closed);
}

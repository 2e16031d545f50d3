//! The contract between the link task ([`super::run`]) and a protocol:
//! [`Codec`] (frames to and from bytes, typed errors), [`Protocol`] (the
//! sans-IO adapter around the protocol crate's session) and the
//! [`Effect`]s it asks of the link, with the two helpers the SMPP, UCP and
//! CIMD2 adapters share.

use std::time::Instant;

use bytes::BytesMut;
use outstanding::Action;

use crate::link::{Answer, Incoming, Submission, SubmitError};

/// What one received frame (or a timer) means for the link.
#[derive(Debug)]
pub enum Effect<F> {
    /// Write this frame (a reply, a keep-alive).
    Send(F),
    /// The session is open: submissions may flow, deliveries arrive.
    Bound,
    /// The answer to the submission sent under `key`.
    Answer { key: u32, result: Result<Answer, SubmitError> },
    /// A report or message from the SMSC in the frame numbered `key`; write
    /// `recorded` once it is on the broker, `refused` if it could not be (the
    /// SMSC delivers it again).
    Deliver { incoming: Incoming, key: u32, recorded: F, refused: F },
    /// The session is over (refused login, unbind, dead peer).
    Close(String),
}

/// A protocol's codec crate as the driver uses it (`crates/smpp`, `ucp`,
/// `cimd2`): frames in and out, and its typed errors, which say whether the
/// stream can go on after a bad frame and what the protocol answers to one.
pub trait Codec: Send + 'static {
    type Frame: Send + std::fmt::Debug + 'static;
    type DecodeError: std::error::Error + Send + Sync + 'static;
    type EncodeError: std::error::Error + Send + Sync + 'static;

    /// Reads one frame from `buf`; `Ok(None)` wants more bytes.
    fn decode(buf: &mut BytesMut) -> Result<Option<Self::Frame>, Self::DecodeError>;
    /// `Some(answer)` when the stream can go on after `error` (the bad frame
    /// was skipped), with the protocol's answer to it (a NACK), if any;
    /// `None` when it cannot be resynchronised.
    fn skip(error: &Self::DecodeError) -> Option<Option<Self::Frame>>;
    /// Appends `frame` to `out`.
    fn encode(frame: &Self::Frame, out: &mut BytesMut) -> Result<(), Self::EncodeError>;
    /// The frame by its command and sequence number, never its contents
    /// (addresses, text, passwords), for errors and logs.
    fn describe(frame: &Self::Frame) -> String;
}

/// A protocol's session, sans IO. Time is passed in.
pub trait Protocol: Send + 'static {
    type Codec: Codec<Frame = Self::Frame>;
    type Frame: Send + std::fmt::Debug + 'static;
    /// The frames that open the session (bind, login).
    fn open(&mut self, now: Instant) -> Vec<Self::Frame>;
    /// True when a submission may be sent now (bound, window room).
    fn can_submit(&self) -> bool;
    /// The frame for one submission and the key its answer will carry;
    /// `now_ms` is the wall clock (epoch ms), for protocols that write times.
    fn submit(&mut self, submission: &Submission, now: Instant, now_ms: i64)
        -> Result<(Self::Frame, u32), SubmitError>;
    /// What a received frame means.
    fn receive(&mut self, frame: Self::Frame, now: Instant) -> Vec<Effect<Self::Frame>>;
    /// What the timers say (keep-alives, response timeouts as `Answer`s with `Timeout`, a dead peer).
    fn poll(&mut self, now: Instant) -> Vec<Effect<Self::Frame>>;
    /// When [`Protocol::poll`] next has something to say.
    fn next_deadline(&self) -> Option<Instant>;
    /// The frame that ends the session politely (unbind, logout), if the
    /// session is open and the protocol has one; then wait for `Close`.
    fn close(&mut self, now: Instant) -> Option<Self::Frame>;
}

/// A submission's frame as the session numbered it, with the key its answer
/// will carry (`key` reads it from the frame); refused by the session
/// (window full, not bound), it is `NotSent`.
pub fn submitted<F, E: std::fmt::Display>(sent: Result<F, E>, key: fn(&F) -> u32) -> Result<(F, u32), SubmitError> {
    match sent {
        Ok(frame) => {
            let key = key(&frame);
            Ok((frame, key))
        }
        Err(e) => {
            tracing::warn!(error = %e, "submit refused by the session");
            Err(SubmitError::NotSent)
        }
    }
}

/// [`Protocol::poll`] for the SMPP, UCP and CIMD2 sessions: their timers'
/// [`Action`]s as effects. A request without response answers its
/// submission `Timeout` (`name` is the spec's name of its kind, for the
/// log); a dead session closes the link, the reason naming the requests
/// whose silence kills it (`unanswered`, such as "enquire_link or bind").
pub fn timers<F, K, C>(
    actions: impl IntoIterator<Item = Action<F, K, C>>,
    name: fn(C) -> &'static str,
    unanswered: &str,
) -> Vec<Effect<F>>
where
    u32: From<K>,
{
    let mut effects = Vec::new();
    for action in actions {
        match action {
            Action::Send(frame) => effects.push(Effect::Send(frame)),
            Action::TimedOut { key, kind } => {
                let key = u32::from(key);
                tracing::warn!(key, request = name(kind), "response timed out");
                effects.push(Effect::Answer { key, result: Err(SubmitError::Timeout) });
            }
            Action::Dead => {
                effects.push(Effect::Close(format!("SMSC stopped answering ({unanswered} timed out)")));
                break;
            }
            _ => {}
        }
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_answer_timeouts_and_close_a_dead_session() {
        let actions: Vec<Action<&str, u8, u8>> =
            vec![Action::Send("alive"), Action::TimedOut { key: 3, kind: 3 }, Action::Dead, Action::Send("after")];
        let effects = timers(actions, |_| "submit message", "login or alive");
        match effects.as_slice() {
            [Effect::Send("alive"), Effect::Answer { key: 3, result: Err(SubmitError::Timeout) }, Effect::Close(reason)] =>
            {
                assert_eq!(reason, "SMSC stopped answering (login or alive timed out)")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn submitted_keys_the_frame_and_a_refusal_is_not_sent() {
        let key = |n: &u8| u32::from(*n);
        assert!(matches!(submitted(Ok::<u8, &str>(7), key), Ok((7, 7))));
        assert!(matches!(submitted(Err::<u8, &str>("window full"), key), Err(SubmitError::NotSent)));
    }
}

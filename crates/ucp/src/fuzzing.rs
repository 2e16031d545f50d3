//! The body of the `ucp_decode` fuzz target, here so that a test runs exactly
//! the same code on random input on stable (cargo-fuzz needs nightly).

use bytes::BytesMut;

use crate::codec::{decode_with_max, encode};

/// Decodes `data` as a stream of frames until it runs out or hits a fatal
/// error, checking on the way that:
/// - each step makes progress or asks for more input;
/// - a decoded message that re-encodes decodes back to itself;
/// - a recoverable error with a header yields a NACK that encodes.
///
/// Panics when an invariant breaks (that is the fuzzer's signal).
pub fn decode_stream(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    loop {
        let before = buf.len();
        match decode_with_max(&mut buf, 2048) {
            Ok(None) => {
                assert_eq!(buf.len(), before, "Ok(None) must not consume input");
                return;
            }
            Ok(Some(message)) => {
                assert!(buf.len() < before, "a decoded message must consume its frame");
                let mut out = BytesMut::new();
                if encode(&message, &mut out).is_ok() {
                    let again = decode_with_max(&mut out, usize::MAX);
                    assert_eq!(again, Ok(Some(message)), "re-encoded message must decode to itself");
                    assert!(out.is_empty());
                }
            }
            Err(e) if e.is_recoverable() => {
                assert!(buf.len() < before, "a recoverable error must consume input");
                if let Some(nack) = e.nack() {
                    assert!(encode(&nack, &mut BytesMut::new()).is_ok(), "nack must encode");
                }
            }
            Err(_) => return,
        }
    }
}

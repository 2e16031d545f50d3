//! The body of the `smpp_decode` fuzz target, here so that a unit test runs
//! exactly the same code on random input (cargo-fuzz needs nightly).

use bytes::BytesMut;

use crate::codec::{decode_with_max, encode};

/// Decodes `data` as a stream of PDUs until it runs out or hits an
/// unrecoverable error, checking on the way that:
/// - each step makes progress or asks for more input;
/// - a decoded PDU that re-encodes decodes back to itself.
///
/// Panics when an invariant breaks (that is the fuzzer's signal).
pub fn decode_stream(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    loop {
        let before = buf.len();
        match decode_with_max(&mut buf, 4096) {
            Ok(None) => {
                assert_eq!(buf.len(), before, "Ok(None) must not consume input");
                return;
            }
            Ok(Some(pdu)) => {
                assert!(buf.len() + 16 <= before, "a decoded pdu must consume its frame");
                let mut out = BytesMut::new();
                if encode(&pdu, &mut out).is_ok() {
                    let again = decode_with_max(&mut out, usize::MAX);
                    assert_eq!(again, Ok(Some(pdu)), "re-encoded pdu must decode to itself");
                    assert!(out.is_empty());
                }
            }
            Err(e) if e.is_recoverable() => {
                assert!(buf.len() + 16 <= before, "a recoverable error must consume its frame");
            }
            Err(_) => return,
        }
    }
}

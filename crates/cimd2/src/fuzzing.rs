//! The body of the `cimd2_decode` fuzz target, here so that a unit test runs
//! exactly the same code on random input (cargo-fuzz needs nightly).

use bytes::BytesMut;

use crate::charset;
use crate::codec::{decode_with_max, encode};
use crate::packet::Body;

/// Decodes `data` as a stream of packets until it runs out or hits an
/// unrecoverable error, checking on the way that:
/// - each step makes progress or asks for more input;
/// - a decoded packet that re-encodes decodes back to itself;
/// - user data converts to text without panicking.
///
/// Panics when an invariant breaks (that is the fuzzer's signal).
pub fn decode_stream(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    loop {
        let before = buf.len();
        match decode_with_max(&mut buf, 1024) {
            Ok(None) => {
                assert_eq!(buf.len(), before, "Ok(None) must not consume input");
                return;
            }
            Ok(Some(packet)) => {
                assert!(buf.len() + 9 <= before, "a decoded packet must consume at least STX ZZ:NNN TAB ETX");
                if let Body::Submit(s) = &packet.body {
                    let _ = s.user_data.as_deref().map(charset::decode);
                }
                if let Body::DeliverMessage(d) = &packet.body {
                    let _ = d.user_data.as_deref().map(charset::decode);
                }
                let mut out = BytesMut::new();
                if encode(&packet, &mut out).is_ok() {
                    let again = decode_with_max(&mut out, usize::MAX);
                    assert_eq!(again, Ok(Some(packet)), "re-encoded packet must decode to itself");
                    assert!(out.is_empty());
                }
            }
            Err(e) if e.is_recoverable() => {
                assert!(buf.len() < before, "a recoverable error must consume input");
            }
            Err(_) => return,
        }
    }
}

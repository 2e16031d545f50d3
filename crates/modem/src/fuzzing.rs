//! The bodies of the fuzz targets `modem_pdu` and `modem_at` in `fuzz/`, here so
//! that property tests run the very same code on stable Rust.

use std::time::{Duration, Instant};

use crate::config::ModemConfig;
use crate::event::{Event, SubmitId};
use crate::machine::Modem;
use crate::submit::SubmitPdu;
use crate::{hex, tpdu, Tpdu};

/// Decodes `data` as a PDU (as octets, and as the text of a modem line) with and
/// without an SMSC address. Must never panic; an SMS-DELIVER that decodes to sane
/// fields must encode back to itself.
pub fn pdu(data: &[u8]) {
    let as_hex = hex::encode(data);
    for len in [None, Some(data.len()), Some(data.len().saturating_sub(1))] {
        if let Ok(Tpdu::Deliver(d)) = tpdu::decode(&as_hex, len) {
            let sane = !d.from.is_alphanumeric()
                && !d.smsc.as_ref().is_some_and(|a| a.is_alphanumeric())
                && d.scts.year <= 2068
                && d.scts.epoch_ms().is_some();
            if sane {
                if let Ok(again) = d.encode() {
                    assert_eq!(tpdu::decode(&again, None), Ok(Tpdu::Deliver(d)), "deliver round trip");
                }
            }
        }
    }
    let _ = tpdu::decode(&String::from_utf8_lossy(data), None);
    let _ = crate::decode_submit(&as_hex);
    let _ = crate::decode_status_report(&as_hex);
}

/// Feeds `data` to a [`Modem`] as modem output, in chunks, with time passing and
/// two submits queued; confirms everything it reports. Checks that every submit
/// ends in at most one terminal event, and in exactly one or is still queued once
/// the last command has timed out.
pub fn at(data: &[u8]) {
    let start = Instant::now();
    let mut modem = Modem::new(ModemConfig::default(), start);
    let pdu = SubmitPdu { hex: "0001000B911234567890F0000000".into(), tpdu_len: 13 };
    let ids = [modem.submit(pdu.clone(), start), modem.submit(pdu, start)];
    let mut terminal = std::collections::BTreeMap::<SubmitId, usize>::new();
    let mut now = start;
    let drain = |modem: &mut Modem, now: Instant, terminal: &mut std::collections::BTreeMap<SubmitId, usize>| {
        while modem.poll_transmit().is_some() {}
        while let Some(event) = modem.poll_event() {
            match event {
                Event::Submitted { id, .. } | Event::SubmitFailed { id, .. } => *terminal.entry(id).or_default() += 1,
                Event::Received { id, .. } | Event::StatusReport { id, .. } | Event::Undecodable { id, .. } => {
                    modem.confirm(id, now);
                }
                _ => {}
            }
        }
    };
    // A prelude that gets through init, so later bytes reach the Ready state.
    if data.first().is_some_and(|b| b & 1 == 1) {
        modem.handle_input(b"OK\r\nOK\r\nOK\r\n+CPIN: READY\r\nOK\r\nOK\r\nOK\r\nOK\r\nOK\r\n", now);
    }
    let mut rest = data.get(1..).unwrap_or_default();
    while !rest.is_empty() {
        let n = usize::from(rest[0] % 32) + 1;
        let (chunk, tail) = rest.split_at(n.min(rest.len()));
        rest = tail;
        if chunk[0] == 0xFF {
            now += Duration::from_secs(30);
            modem.handle_timeout(now);
        }
        modem.handle_input(chunk, now);
        drain(&mut modem, now, &mut terminal);
    }
    now += Duration::from_secs(3600);
    modem.handle_timeout(now);
    drain(&mut modem, now, &mut terminal);
    assert!(terminal.values().all(|&n| n == 1), "a submit ended twice: {terminal:?}");
    let ended = ids.iter().filter(|id| terminal.contains_key(id)).count();
    assert_eq!(ended + modem.queued_submits(), ids.len(), "a submit vanished");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_inputs() {
        pdu(&[]);
        pdu(&[0x00, 0x04, 0x0B, 0x91]);
        at(&[]);
        at(&[1]);
        at(b"\x01\r\n> \r\n+CMGS: 3\r\nOK\r\n+CMT: ,3\r\n00\r\n+CMTI: \"SM\",1\r\n+CMGR: 0,,3\r\nZZ\r\nOK\r\n");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn pdu_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            pdu(&data);
        }

        #[test]
        fn at_never_loses_a_submit(lines in proptest::collection::vec(prop_oneof![
            Just("OK".to_owned()), Just("ERROR".to_owned()), Just("> ".to_owned()), Just("+CMGS: 7".to_owned()),
            Just("+CMS ERROR: 38".to_owned()), Just("+CMTI: \"SM\",2".to_owned()), Just("+CDS: 25".to_owned()),
            Just("+CMGR: 0,,3".to_owned()), Just("+CMGL: 4,0,,3".to_owned()), Just("RING".to_owned()),
            Just("+CPIN: READY".to_owned()), Just("+CSQ: 20,99".to_owned()), Just("\u{FF}".to_owned()),
            "[0-9A-F]{0,40}",
        ], 0..60), first in any::<u8>()) {
            let mut data = vec![first];
            for line in lines {
                data.extend_from_slice(line.as_bytes());
                if !line.starts_with('>') {
                    data.extend_from_slice(b"\r\n");
                }
            }
            at(&data);
        }

        #[test]
        fn at_never_panics_on_bytes(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            at(&data);
        }
    }
}

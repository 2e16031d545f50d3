//! UCP 50-series operations to and from the simulator's canonical SMPP shape
//! ([`crate::canonical`]).

use ucp::xser::{self, ExtraService};
use ucp::{ira, Alphabet, Msg, Sm};

use crate::canonical::{self, Body, Content};

/// OTOA for an international number (EMI 4.x §5.3: TON 1, NPI 1, as Kannel
/// writes a `+` sender).
const OTOA_INTERNATIONAL: &str = "1139";

/// The originator of an OT 51: the name for an alphanumeric OAdC (OTOA 5039,
/// EMI 4.x §5.3), else OAdC as sent.
pub(crate) fn source(sm: &Sm) -> String {
    sm.alphanumeric_originator().unwrap_or_else(|| sm.oadc.clone())
}

/// The canonical body of an OT 51 (EMI 4.x §5.3): AMsg/NMsg as GSM septets
/// with `data_coding` 0; TMsg (MT=4) as its octets under the DCS of XSer 02,
/// or 0x04 (8-bit data) without one; the UDH of XSer 01 in front.
pub(crate) fn submit_body(sm: &Sm, alphabet: Alphabet) -> Body {
    let udh = sm.udh();
    match &sm.msg {
        Msg::Alphanumeric(octets) => Body::gsm(udh, &ira::decode_text(octets, alphabet)),
        Msg::Numeric(digits) => Body::gsm(udh, digits),
        Msg::Transparent { data, .. } => {
            let dcs = xser::find(&sm.xser, xser::GSM_DCS).and_then(|d| d.first().copied());
            Body::with_udh(udh, dcs.unwrap_or(0x04), data)
        }
        Msg::None | Msg::Other { .. } => Body::with_udh(udh, 0, &[]),
    }
}

/// Whether an OT 51 asks for a delivery notification: NRq 1 and NT with the
/// delivery bit (1), or NT left to the SMSC's default (EMI 4.x §5.3, NRq/NT).
pub(crate) fn wants_notification(sm: &Sm) -> bool {
    sm.nrq == "1" && (sm.nt.is_empty() || sm.nt.parse::<u8>().is_ok_and(|nt| nt & 1 != 0))
}

/// The OT 52 for a canonical mobile-originated message (EMI 4.x §5.4): AdC
/// the destination, OAdC the source (packed with OTOA 5039 when it is a
/// name), GSM text as AMsg in `alphabet`, anything else as TMsg with the DCS
/// in XSer 02; a UDH in XSer 01.
pub(crate) fn deliver(sm: &smpp::Sm, alphabet: Alphabet, scts: String) -> Sm {
    let mo = canonical::mo(sm);
    let mut out = Sm { adc: sm.destination_addr.clone(), scts, ..Sm::default() };
    set_originator(&mut out, &sm.source_addr);
    if let Some(udh) = mo.udh {
        out.xser.push(ExtraService::udh(udh));
    }
    let (dcs, data) = match mo.content {
        Content::Gsm(text) => match Msg::alphanumeric(&text, alphabet) {
            Ok(msg) => {
                out.msg = msg;
                return out;
            }
            // Text IRA cannot carry: send it as UCS-2.
            Err(_) => (0x08, text::ucs2::encode(&text)),
        },
        Content::Binary { dcs, data } => (dcs, data),
    };
    out.msg = Msg::transparent(data);
    out.xser.push(ExtraService::dcs(dcs));
    out
}

fn set_originator(out: &mut Sm, source: &str) {
    if canonical::is_numeric(source) {
        match source.strip_prefix('+') {
            Some(digits) => {
                out.oadc = digits.to_owned();
                out.otoa = OTOA_INTERNATIONAL.into();
            }
            None => out.oadc = source.to_owned(),
        }
    } else if out.set_alphanumeric_originator(source).is_err() {
        out.oadc = source.to_owned();
    }
}

/// The OT 53 saying the message of an OT 51 was delivered (EMI 4.x §5.5 and
/// its example): AdC the party notified (NAdC if the submit named one, else
/// its numeric OAdC, else the account logged in), OAdC the recipient of the
/// message reported on (the AdC of the submit and of the ACK's `AdC:SCTS`),
/// SCTS that of the ACK, Dst 0 (delivered), Rsn 000, DSCTS when.
pub(crate) fn notification(
    submit: &Sm,
    account: &str,
    scts: &str,
    dscts: String,
    alphabet: Alphabet,
    delivered: bool,
) -> Sm {
    let notified = if !submit.nadc.is_empty() {
        submit.nadc.clone()
    } else if submit.otoa != ucp::alphanumeric::OTOA_ALPHANUMERIC && canonical::is_numeric(&submit.oadc) {
        submit.oadc.clone()
    } else {
        account.to_owned()
    };
    let outcome = if delivered { "has been delivered" } else { "could not be delivered" };
    let text = format!("Message for {}, with identification {scts} {outcome}", submit.adc);
    Sm {
        adc: notified,
        oadc: submit.adc.clone(),
        scts: scts.to_owned(),
        // Dst 0 delivered, 2 not delivered (Rsn 001, §5.5 reason codes: unknown subscriber).
        dst: if delivered { "0" } else { "2" }.into(),
        rsn: if delivered { "000" } else { "001" }.into(),
        dscts,
        msg: Msg::alphanumeric(&text, alphabet).unwrap_or_default(),
        ..Sm::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submit_bodies() {
        let mut sm = Sm { msg: Msg::alphanumeric("@€", Alphabet::Gsm).unwrap(), ..Sm::default() };
        let body = submit_body(&sm, Alphabet::Gsm);
        assert_eq!((body.esm_class, body.data_coding, &body.short_message[..]), (0, 0, &[0x00, 0x1B, 0x65][..]));

        sm.msg = Msg::alphanumeric("@", Alphabet::Ira).unwrap();
        assert_eq!(&submit_body(&sm, Alphabet::Ira).short_message[..], &[0x00]);

        sm.msg = Msg::transparent(text::ucs2::encode("Ж"));
        sm.xser = vec![ExtraService::udh(vec![5, 0, 3, 1, 2, 1]), ExtraService::dcs(8)];
        let body = submit_body(&sm, Alphabet::Gsm);
        assert_eq!((body.esm_class, body.data_coding), (0x40, 8));
        assert_eq!(&body.short_message[..], &[5, 0, 3, 1, 2, 1, 0x04, 0x16]);
    }

    #[test]
    fn notification_requests() {
        let asks = |nrq: &str, nt: &str| wants_notification(&Sm { nrq: nrq.into(), nt: nt.into(), ..Sm::default() });
        assert!(asks("1", ""));
        assert!(asks("1", "3"));
        assert!(asks("1", "7"));
        assert!(!asks("1", "2"));
        assert!(!asks("", "3"));
    }

    #[test]
    fn deliveries() {
        let sm = smpp::Sm {
            source_addr: "+4479".into(),
            destination_addr: "1234".into(),
            short_message: text::gsm7::encode_unpacked("hi").unwrap().into(),
            ..smpp::Sm::default()
        };
        let out = deliver(&sm, Alphabet::Ira, "010125000000".into());
        assert_eq!((out.adc.as_str(), out.oadc.as_str(), out.otoa.as_str()), ("1234", "4479", "1139"));
        assert_eq!(out.msg, Msg::Alphanumeric(b"hi".to_vec()));

        let sm = smpp::Sm { source_addr: "Bank".into(), ..sm };
        let out = deliver(&sm, Alphabet::Gsm, String::new());
        assert_eq!(out.alphanumeric_originator().as_deref(), Some("Bank"));

        // '€' has no IRA code: UCS-2 instead.
        let sm = smpp::Sm { short_message: text::gsm7::encode_unpacked("€").unwrap().into(), ..sm };
        let out = deliver(&sm, Alphabet::Ira, String::new());
        assert_eq!(out.msg, Msg::transparent(vec![0x20, 0xAC]));
        assert_eq!(out.xser, vec![ExtraService::dcs(8)]);
    }
}

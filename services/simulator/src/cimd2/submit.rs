//! Submit (03): its fate, its record, its status report.

use std::sync::atomic::Ordering;
use std::time::Instant;

use cimd2::Response;

use super::{convert, Session};
use crate::deliver::{Delivery, Outgoing};
use crate::errors;
use crate::state::{Fate, SubmitRecord};
use crate::wire;

impl Session {
    /// Decides a submit's fate, records it and schedules its status report;
    /// returns the submit response.
    pub(super) fn submit(&self, submit: &cimd2::Submit) -> Response {
        let (config, state) = (&self.shared.config, &self.shared.state);
        let Some(user) = &self.user else {
            return Response::error(errors::CIMD2_UNEXPECTED_OPERATION);
        };
        let destination = convert::destination(submit).unwrap_or_default();
        let fate =
            if destination.is_empty() { Err((errors::CIMD2_INCORRECT_DESTINATION, "")) } else { Ok(config.roll()) };
        let requested = convert::wants_report(submit);
        let (response, id, status) = match fate {
            Ok(Fate::Accept) => {
                let now = state.service_centre_time(destination);
                let mc_time = wire::cimd2_time(now);
                if config.wants_receipt(requested) {
                    let at = now + config.receipt_delay.as_secs();
                    let report = convert::report(destination, &mc_time, wire::cimd2_time(at), config.delivered());
                    let out = Outgoing::new(user, Delivery::Cimd2Report(report));
                    wire::deliver_after(state, config.receipt_delay, out);
                }
                state.submits_ok.fetch_add(1, Ordering::Relaxed);
                let id = format!("{destination}:{mc_time}");
                let response = Response {
                    destination: Some(destination.to_owned()),
                    mc_timestamp: Some(mc_time),
                    ..Response::default()
                };
                (response, id, 0)
            }
            refused => {
                let (code, text) = match refused {
                    Err(error) => error,
                    Ok(Fate::Throttle) => errors::CIMD2_THROTTLED,
                    Ok(_) => errors::cimd2_error(config.error_status),
                };
                state.submits_refused.fetch_add(1, Ordering::Relaxed);
                let error_text = (!text.is_empty()).then(|| text.to_owned());
                (Response { error_code: Some(code), error_text, ..Response::default() }, String::new(), u32::from(code))
            }
        };
        if config.record {
            let body = convert::submit_body(submit);
            state.record(SubmitRecord {
                at: Instant::now(),
                system_id: user.clone(),
                bind: self.number,
                source_addr: convert::source(submit),
                destination_addr: destination.to_owned(),
                esm_class: body.esm_class,
                data_coding: body.data_coding,
                registered_delivery: u8::from(requested),
                short_message: body.short_message,
                tlvs: Vec::new(),
                message_id: id,
                status,
            });
        }
        response
    }
}

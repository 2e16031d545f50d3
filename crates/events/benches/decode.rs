//! `cargo bench -p events --bench decode`: what reading one Avro record
//! costs, on one core: a send request (as the sender reads its queue) and a
//! status event (as consumers of the status topic read it), whole
//! (`decode_request`, `decode_status`), and the Avro datum alone two ways in
//! alternating rounds: through a reader that resolved the schema's named
//! types once (what `events` does for the current schema) and through
//! `apache_avro::from_avro_datum`, which resolves them for every datum.
//! Prints nanoseconds per record and the ratio.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use events::apache_avro::headers::HeaderBuilder;
use events::apache_avro::{from_avro_datum, GenericSingleObjectReader};
use events::{Framing, SchemaKind, SendRequest, Status, StatusEvent};

const ROUNDS: usize = 7;
const ITERATIONS: u32 = 100_000;
/// The single-object header: 2 bytes of marker, 8 of fingerprint.
const HEADER: usize = 10;

fn request() -> Vec<u8> {
    let request = SendRequest {
        id: "bench-000042".into(),
        to: "+4915112345678".into(),
        from: Some("BENCH".into()),
        text: Some("Your code is 123456".into()),
        delivery_report: true,
        metadata: [("campaign".to_owned(), "otp".to_owned())].into_iter().collect(),
        ..SendRequest::default()
    };
    events::encode_request(&request, Framing::SingleObject).expect("encodes")
}

fn status() -> Vec<u8> {
    let mut event = StatusEvent::new("bench-000042", Status::Delivered, 1_796_000_000_000);
    event.connection = Some("sim".into());
    event.message_ids = vec!["1000042".into()];
    event.segments = 1;
    event.submitted_at = Some(1_796_000_000_000);
    event.done_at = Some(1_796_000_000_100);
    event.metadata = [("campaign".to_owned(), "otp".to_owned())].into_iter().collect();
    events::encode_status(&event, Framing::SingleObject).expect("encodes")
}

/// No header: the reader reads a bare datum.
struct Bare;

impl HeaderBuilder for Bare {
    fn build_header(&self) -> Vec<u8> {
        Vec::new()
    }
}

/// Nanoseconds per call of `f`, over one round.
fn round(mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..ITERATIONS {
        f();
    }
    started.elapsed().as_nanos() as f64 / f64::from(ITERATIONS)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    for (name, kind, bytes) in
        [("send request", SchemaKind::SendRequest, request()), ("status event", SchemaKind::StatusEvent, status())]
    {
        let whole = |bytes: &[u8]| match kind {
            SchemaKind::SendRequest => drop(black_box(events::decode_request(bytes, None).expect("decodes"))),
            _ => drop(black_box(events::decode_status(bytes, None).expect("decodes"))),
        };
        let schema = events::schema(kind);
        let resolved = GenericSingleObjectReader::new_with_header_builder(schema.clone(), Bare).expect("resolves");
        let body = &bytes[HEADER..];
        assert_eq!(
            resolved.read_value(&mut &body[..]).expect("decodes"),
            from_avro_datum(schema, &mut &body[..], None).expect("decodes"),
            "the two ways read the same value"
        );
        let (mut all, mut once, mut each) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            all.push(round(|| whole(black_box(&bytes))));
            once.push(round(|| drop(black_box(resolved.read_value(&mut black_box(body)).expect("decodes")))));
            each.push(round(|| drop(black_box(from_avro_datum(schema, &mut black_box(body), None).expect("decodes")))));
        }
        let (all, once, each) = (median(all), median(once), median(each));
        println!(
            "{name} ({} bytes): decoded {all:.0} ns; the datum {once:.0} ns resolved once, {each:.0} ns resolved each time ({:.2}× as fast)",
            bytes.len(),
            each / once
        );
    }
}

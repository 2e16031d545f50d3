//! smsgw's metrics: a few counters, gauges and one histogram in one
//! process-wide registry, rendered in the Prometheus text exposition format
//! (0.0.4) and served on `GET /metrics`; and the process's liveness and
//! readiness ([`health`]), served beside them on `GET /healthz` and `GET /readyz`.
//!
//! **What it is.** [`Counter`] and [`Gauge`] (one atomic each), [`Seconds`]
//! (a duration gauge in base units), [`Histogram`] (fixed buckets, one atomic
//! each), [`Family`] (the series of one metric, keyed by a small fixed set of
//! labels), the gateway's families as typed accessors
//! (`counters::submits("sim", "ok").inc()`), [`render`] and [`serve`].
//!
//! **What it is not.** Not a general metrics library: no summaries, no
//! native or exemplar-carrying histograms, no push, no series removal. Why
//! not the `prometheus` or `metrics` (+ exporter) crates: they bring
//! protobuf or a recorder/exporter stack, hyper and a dozen transitive
//! dependencies for what is here a few hundred lines, and we need a handful
//! of counters. Adding a family is one static and one accessor.
//!
//! **Why one histogram.** Submit latency is alerted on by its p99 per
//! connection (issue 11), and a quantile over many pods and minutes needs
//! buckets that add up (`histogram_quantile` over `rate(..._bucket)`); a
//! gauge of the last latency or an average cannot give it. [`Histogram`]
//! stays tiny: bucket bounds fixed per family in the code, no dynamic
//! buckets, no per-observation allocation or lock. Add another only for a
//! latency someone alerts on.
//!
//! **Label values are low-cardinality** (STYLE.md §9): connection ids from
//! the configuration and values from fixed sets — never a phone number,
//! request id or message id. Accessors take the fixed-set labels as
//! `&'static str` so a runtime string cannot slip in by accident. Every
//! series lives for the whole process (it is leaked once, on first use).
//!
//! **Where to start reading.** [`families`] (what smsgw counts and the
//! meaning of each label value), then [`family`] and [`histogram`], then
//! [`http`].

pub mod families;
pub mod family;
pub mod health;
pub mod histogram;
pub mod http;

pub use families::*;
pub use family::{Counter, Family, Gauge, Seconds};
pub use histogram::Histogram;
pub use http::serve;

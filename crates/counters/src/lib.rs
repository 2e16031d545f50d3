//! smsgw's metrics: a few counters and gauges in one process-wide registry,
//! rendered in the Prometheus text exposition format (0.0.4) and served on
//! `GET /metrics`; and the process's liveness and readiness ([`health`]),
//! served beside them on `GET /healthz` and `GET /readyz`.
//!
//! **What it is.** [`Counter`] and [`Gauge`] (one atomic each), [`Family`]
//! (the series of one metric, keyed by a small fixed set of labels), the
//! gateway's families as typed accessors (`counters::submits("sim", "ok").inc()`),
//! [`render`] and [`serve`].
//!
//! **What it is not.** Not a general metrics library: no histograms, no
//! summaries, no push, no series removal. Why not the `prometheus` or
//! `metrics` (+ exporter) crates: they bring protobuf or a recorder/exporter
//! stack, hyper and a dozen transitive dependencies for what is here about
//! 200 lines, and we need a handful of counters. Adding a family is one
//! static and one accessor; if we ever need histograms, revisit.
//!
//! **Label values are low-cardinality** (STYLE.md §9): connection ids from
//! the configuration and values from fixed sets — never a phone number,
//! request id or message id. Accessors take the fixed-set labels as
//! `&'static str` so a runtime string cannot slip in by accident. Every
//! series lives for the whole process (it is leaked once, on first use).
//!
//! **Where to start reading.** [`families`] (what smsgw counts and the
//! meaning of each label value), then [`family`], then [`http`].

pub mod families;
pub mod family;
pub mod health;
pub mod http;

pub use families::*;
pub use family::{Counter, Family, Gauge};
pub use http::serve;

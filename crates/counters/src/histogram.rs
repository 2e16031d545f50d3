//! A histogram with fixed buckets, for latencies an operator alerts on by
//! quantile (`histogram_quantile` over the `_bucket` rates): averages hide
//! the slow tail that fills a window.
//!
//! Lock-free like the rest: one atomic count per bucket, and the sum as an
//! `f64`'s bits updated in a compare-and-swap loop. Counts are kept per
//! bucket (not cumulative), so an observation touches one bucket; the
//! cumulative `_bucket` lines, `+Inf` and `_count` are added up when
//! rendered, which keeps them consistent with each other within a scrape.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::family::{sample, Metric};

/// Observations counted into buckets by upper bound.
#[derive(Debug)]
pub struct Histogram {
    /// Upper bounds, ascending and finite (`+Inf` is implied).
    bounds: &'static [f64],
    /// `counts[i]`: observations ≤ `bounds[i]` and above the bound before;
    /// the last one: above every bound.
    counts: Box<[AtomicU64]>,
    /// Sum of the observations, as `f64::to_bits` (std has no atomic float).
    sum: AtomicU64,
}

impl Histogram {
    /// A histogram with buckets up to each of `bounds` (ascending, finite) and `+Inf`.
    pub fn new(bounds: &'static [f64]) -> Self {
        debug_assert!(valid_bounds(bounds), "bucket bounds must be finite and ascending: {bounds:?}");
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }

    /// Counts a duration, in seconds.
    pub fn observe(&self, d: Duration) {
        self.observe_seconds(d.as_secs_f64());
    }

    /// Counts a value in the family's unit. A NaN or infinite value is
    /// ignored: it would make `_sum` meaningless for good.
    pub fn observe_seconds(&self, value: f64) {
        if !value.is_finite() {
            return;
        }
        // The first bound ≥ value (buckets are "less than or equal").
        let bucket = self.bounds.partition_point(|b| *b < value);
        if let Some(count) = self.counts.get(bucket) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| Some((f64::from_bits(bits) + value).to_bits()));
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Sum of the observations so far.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.sum.load(Ordering::Relaxed))
    }
}

/// True when `bounds` can be a histogram's: finite and strictly ascending.
pub fn valid_bounds(bounds: &[f64]) -> bool {
    bounds.iter().all(|b| b.is_finite()) && bounds.windows(2).all(|w| w[0] < w[1])
}

impl Metric for Histogram {
    const TYPE: &'static str = "histogram";
    type Config = &'static [f64];

    fn new(bounds: &'static [f64]) -> Self {
        Histogram::new(bounds)
    }

    /// `_bucket` lines (cumulative, `le` last among the labels, `+Inf`
    /// included), then `_sum` and `_count`.
    fn write(&self, name: &str, labels: &str, out: &mut String) {
        let mut with_le = String::with_capacity(labels.len() + 16);
        let mut cumulative = 0u64;
        let bounds = self.bounds.iter().map(|b| Some(*b)).chain([None]);
        for (bound, count) in bounds.zip(self.counts.iter()) {
            cumulative += count.load(Ordering::Relaxed);
            with_le.clear();
            with_le.push_str(labels);
            if !labels.is_empty() {
                with_le.push(',');
            }
            let _ = match bound {
                Some(b) => write!(with_le, "le=\"{b}\""),
                None => write!(with_le, "le=\"+Inf\""),
            };
            sample(out, name, "_bucket", &with_le, cumulative);
        }
        sample(out, name, "_sum", labels, self.sum());
        sample(out, name, "_count", labels, cumulative);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::family::Family;

    static BOUNDS: &[f64] = &[0.005, 0.5, 1.0, 2.5];
    static ONE: &[f64] = &[1.0];

    #[test]
    fn renders_cumulative_buckets_sum_and_count() {
        let f: Family<Histogram, 1> = Family::with_config("lat_seconds", "Latency.", ["connection"], BOUNDS);
        let h = f.with(["sim"]);
        h.observe(Duration::from_millis(5)); // on a bound: counted in it
        h.observe(Duration::from_millis(250));
        h.observe(Duration::from_millis(750));
        h.observe_seconds(0.25);
        h.observe_seconds(40.0);
        h.observe_seconds(f64::NAN);
        f.with(["b"]);
        let mut out = String::new();
        f.render(&mut out);
        assert_eq!(
            out,
            "# HELP lat_seconds Latency.\n\
             # TYPE lat_seconds histogram\n\
             lat_seconds_bucket{connection=\"b\",le=\"0.005\"} 0\n\
             lat_seconds_bucket{connection=\"b\",le=\"0.5\"} 0\n\
             lat_seconds_bucket{connection=\"b\",le=\"1\"} 0\n\
             lat_seconds_bucket{connection=\"b\",le=\"2.5\"} 0\n\
             lat_seconds_bucket{connection=\"b\",le=\"+Inf\"} 0\n\
             lat_seconds_sum{connection=\"b\"} 0\n\
             lat_seconds_count{connection=\"b\"} 0\n\
             lat_seconds_bucket{connection=\"sim\",le=\"0.005\"} 1\n\
             lat_seconds_bucket{connection=\"sim\",le=\"0.5\"} 3\n\
             lat_seconds_bucket{connection=\"sim\",le=\"1\"} 4\n\
             lat_seconds_bucket{connection=\"sim\",le=\"2.5\"} 4\n\
             lat_seconds_bucket{connection=\"sim\",le=\"+Inf\"} 5\n\
             lat_seconds_sum{connection=\"sim\"} 41.255\n\
             lat_seconds_count{connection=\"sim\"} 5\n"
        );
        assert_eq!(h.count(), 5);
    }

    #[test]
    fn unlabelled_and_escaped() {
        let bare: Family<Histogram, 0> = Family::with_config("wait_seconds", "W.", [], ONE);
        bare.with([]).observe_seconds(0.5);
        let odd: Family<Histogram, 1> = Family::with_config("odd_seconds", "O.", ["connection"], ONE);
        odd.with(["a\"b\\c\nd"]).observe_seconds(2.0);
        let mut out = String::new();
        bare.render(&mut out);
        odd.render(&mut out);
        assert_eq!(
            out,
            "# HELP wait_seconds W.\n\
             # TYPE wait_seconds histogram\n\
             wait_seconds_bucket{le=\"1\"} 1\n\
             wait_seconds_bucket{le=\"+Inf\"} 1\n\
             wait_seconds_sum 0.5\n\
             wait_seconds_count 1\n\
             # HELP odd_seconds O.\n\
             # TYPE odd_seconds histogram\n\
             odd_seconds_bucket{connection=\"a\\\"b\\\\c\\nd\",le=\"1\"} 0\n\
             odd_seconds_bucket{connection=\"a\\\"b\\\\c\\nd\",le=\"+Inf\"} 1\n\
             odd_seconds_sum{connection=\"a\\\"b\\\\c\\nd\"} 2\n\
             odd_seconds_count{connection=\"a\\\"b\\\\c\\nd\"} 1\n"
        );
    }

    #[test]
    fn observations_from_many_threads_all_count() {
        let h: &'static Histogram = Box::leak(Box::new(Histogram::new(BOUNDS)));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        h.observe_seconds(0.25);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(h.count(), 4000);
        assert_eq!(h.sum(), 1000.0, "quarters add up exactly in binary");
    }

    #[test]
    fn bounds_must_ascend() {
        assert!(valid_bounds(BOUNDS));
        assert!(valid_bounds(&[]));
        assert!(!valid_bounds(&[1.0, 1.0]));
        assert!(!valid_bounds(&[2.0, 1.0]));
        assert!(!valid_bounds(&[1.0, f64::INFINITY]));
    }
}

//! Counters, gauges, and families of them keyed by label values; rendering
//! in the Prometheus text format 0.0.4.

use std::fmt::{Display, Write as _};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

/// A value that only goes up.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub fn inc(&self) {
        self.add(1);
    }

    pub fn dec(&self) {
        self.add(-1);
    }

    pub fn add(&self, n: i64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn set(&self, n: i64) {
        self.0.store(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A duration as a gauge, exposed in seconds: Prometheus wants base units,
/// and an integer [`Gauge`] of seconds would round a fast restore to 0.
/// Kept in nanoseconds, so it needs no float atomics.
#[derive(Debug, Default)]
pub struct Seconds(AtomicU64);

impl Seconds {
    pub fn set(&self, d: Duration) {
        self.0.store(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub fn get(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

/// What a family holds: its Prometheus type, what each of its series is
/// built from, and how a series prints.
pub trait Metric: Send + Sync + 'static {
    const TYPE: &'static str;
    /// Given by the family to every series it creates: nothing for counters
    /// and gauges, the bucket bounds for a [`crate::Histogram`].
    type Config: Copy + Send + Sync + 'static;
    fn new(config: Self::Config) -> Self;
    /// Appends the series' sample lines. `labels` are its label pairs,
    /// rendered and escaped (`a="x",b="y"`; empty for a family without labels).
    fn write(&self, name: &str, labels: &str, out: &mut String);
}

/// Appends one sample line: `name` + `suffix`, the label pairs in braces
/// (none when `labels` is empty), the value.
pub(crate) fn sample(out: &mut String, name: &str, suffix: &str, labels: &str, value: impl Display) {
    out.push_str(name);
    out.push_str(suffix);
    if !labels.is_empty() {
        out.push('{');
        out.push_str(labels);
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

impl Metric for Counter {
    const TYPE: &'static str = "counter";
    type Config = ();
    fn new(_: ()) -> Self {
        Self::default()
    }
    fn write(&self, name: &str, labels: &str, out: &mut String) {
        sample(out, name, "", labels, self.get());
    }
}

impl Metric for Gauge {
    const TYPE: &'static str = "gauge";
    type Config = ();
    fn new(_: ()) -> Self {
        Self::default()
    }
    fn write(&self, name: &str, labels: &str, out: &mut String) {
        sample(out, name, "", labels, self.get());
    }
}

impl Metric for Seconds {
    const TYPE: &'static str = "gauge";
    type Config = ();
    fn new(_: ()) -> Self {
        Self::default()
    }
    fn write(&self, name: &str, labels: &str, out: &mut String) {
        sample(out, name, "", labels, self.get().as_secs_f64());
    }
}

/// The series of one metric: one `M` per combination of the `N` label values.
pub struct Family<M: Metric, const N: usize> {
    name: &'static str,
    help: &'static str,
    labels: [&'static str; N],
    config: M::Config,
    /// Few series (connections × a fixed set), so a scan beats hashing and
    /// needs no allocation on the hot path.
    series: RwLock<Vec<([String; N], &'static M)>>,
}

impl<M: Metric<Config = ()>, const N: usize> Family<M, N> {
    pub const fn new(name: &'static str, help: &'static str, labels: [&'static str; N]) -> Self {
        Family::with_config(name, help, labels, ())
    }
}

impl<M: Metric, const N: usize> Family<M, N> {
    /// A family whose series are built from `config` (a histogram's buckets).
    pub const fn with_config(
        name: &'static str,
        help: &'static str,
        labels: [&'static str; N],
        config: M::Config,
    ) -> Self {
        Family { name, help, labels, config, series: RwLock::new(Vec::new()) }
    }

    /// The series for `values` (in the order of the family's labels), created at zero on first use.
    pub fn with(&self, values: [&str; N]) -> &'static M {
        let find = |series: &[([String; N], &'static M)]| {
            series.iter().find(|(k, _)| k.iter().zip(values).all(|(a, b)| a == b)).map(|(_, m)| *m)
        };
        if let Some(m) = find(&self.series.read().unwrap_or_else(|e| e.into_inner())) {
            return m;
        }
        let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = find(&series) {
            return m;
        }
        // Leaked on purpose: a series lives as long as the process, and there are few.
        let m: &'static M = Box::leak(Box::new(M::new(self.config)));
        series.push((values.map(str::to_owned), m));
        m
    }

    /// Appends `# HELP`, `# TYPE` and the lines of each series, sorted by label values.
    /// A family without labels always shows its value, even before first use.
    pub fn render(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, escape_help(self.help));
        let _ = writeln!(out, "# TYPE {} {}", self.name, M::TYPE);
        if N == 0 {
            self.with([""; N]).write(self.name, "", out);
            return;
        }
        let mut series: Vec<([String; N], &'static M)> =
            self.series.read().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, m)| (k.clone(), *m)).collect();
        series.sort_by(|a, b| a.0.cmp(&b.0));
        let mut labels = String::new();
        for (values, m) in series {
            labels.clear();
            for (i, (label, value)) in self.labels.iter().zip(&values).enumerate() {
                if i > 0 {
                    labels.push(',');
                }
                let _ = write!(labels, "{label}=\"{}\"", escape_label(value));
            }
            m.write(self.name, &labels, out);
        }
    }
}

/// Label values escape backslash, double quote and line feed.
pub fn escape_label(value: &str) -> String {
    value.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

/// Help text escapes backslash and line feed.
fn escape_help(help: &str) -> String {
    help.replace('\\', r"\\").replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn renders_exact_text() {
        let f: Family<Counter, 2> = Family::new("x_total", "Things done.", ["connection", "result"]);
        f.with(["sim", "ok"]).add(20);
        f.with(["b", "ok"]).inc();
        f.with(["sim", "timeout"]).inc();
        f.with(["sim", "ok"]).inc();
        let mut out = String::new();
        f.render(&mut out);
        assert_eq!(
            out,
            "# HELP x_total Things done.\n\
             # TYPE x_total counter\n\
             x_total{connection=\"b\",result=\"ok\"} 1\n\
             x_total{connection=\"sim\",result=\"ok\"} 21\n\
             x_total{connection=\"sim\",result=\"timeout\"} 1\n"
        );
    }

    #[test]
    fn unlabelled_and_gauges() {
        let g: Family<Gauge, 0> = Family::new("waiting", "Now waiting.", []);
        let mut out = String::new();
        g.render(&mut out);
        assert_eq!(out, "# HELP waiting Now waiting.\n# TYPE waiting gauge\nwaiting 0\n");
        g.with([]).inc();
        g.with([]).inc();
        g.with([]).dec();
        let binds: Family<Gauge, 1> = Family::new("binds", "Bound.", ["connection"]);
        binds.with(["a"]).dec();
        let mut out = String::new();
        g.render(&mut out);
        binds.render(&mut out);
        assert_eq!(
            out,
            "# HELP waiting Now waiting.\n# TYPE waiting gauge\nwaiting 1\n\
             # HELP binds Bound.\n# TYPE binds gauge\nbinds{connection=\"a\"} -1\n"
        );
    }

    #[test]
    fn escapes_labels_and_help() {
        let f: Family<Counter, 1> = Family::new("e_total", "A \\ and\na line.", ["connection"]);
        f.with(["a\"b\\c\nd"]).inc();
        let mut out = String::new();
        f.render(&mut out);
        assert_eq!(
            out,
            "# HELP e_total A \\\\ and\\na line.\n\
             # TYPE e_total counter\n\
             e_total{connection=\"a\\\"b\\\\c\\nd\"} 1\n"
        );
        assert_eq!(escape_label("plain"), "plain");
    }

    #[test]
    fn durations_in_seconds() {
        let f: Family<Seconds, 1> = Family::new("took_seconds", "Took.", ["stage"]);
        f.with(["a"]).set(Duration::from_millis(1500));
        f.with(["b"]).set(Duration::from_nanos(1));
        f.with(["c"]);
        let mut out = String::new();
        f.render(&mut out);
        assert_eq!(
            out,
            "# HELP took_seconds Took.\n\
             # TYPE took_seconds gauge\n\
             took_seconds{stage=\"a\"} 1.5\n\
             took_seconds{stage=\"b\"} 0.000000001\n\
             took_seconds{stage=\"c\"} 0\n"
        );
    }

    #[test]
    fn same_values_same_series() {
        let f: Family<Counter, 1> = Family::new("s_total", "S.", ["connection"]);
        assert!(std::ptr::eq(f.with(["a"]), f.with(["a"])));
        assert!(!std::ptr::eq(f.with(["a"]), f.with(["b"])));
    }
}

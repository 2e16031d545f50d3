//! CPU time per request over every process a benchmark runs on (this one
//! and others by pid: the broker, Kannel's boxes), read from each process's
//! own counters (`/proc/PID/stat`, utime + stime: every thread, user and
//! kernel), between two readings around the measured load.

use std::fmt;

/// Linux's USER_HZ, the unit of utime and stime in `/proc/PID/stat`
/// (proc(5)); 100 on every architecture Linux runs on.
const TICKS_PER_SECOND: f64 = 100.0;

/// utime + stime of a `/proc/PID/stat` file, in seconds; 0 when it cannot
/// be read (the process is gone).
pub fn seconds(stat: &str) -> f64 {
    let Ok(text) = std::fs::read_to_string(stat) else { return 0.0 };
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / TICKS_PER_SECOND
}

/// The processes whose CPU a run adds up, each with its reading at the start.
pub struct Meter {
    parts: Vec<(String, String, f64)>,
    since: std::time::SystemTime,
}

impl Meter {
    /// Starts counting for this process (named `this`) and `others`
    /// (name, pid).
    pub fn start(this: &str, others: &[(String, u32)]) -> Meter {
        let stats = std::iter::once((this.to_owned(), "/proc/self/stat".to_owned()))
            .chain(others.iter().map(|(name, pid)| (name.clone(), format!("/proc/{pid}/stat"))));
        let parts = stats.map(|(name, stat)| (name, stat.clone(), seconds(&stat))).collect();
        Meter { parts, since: std::time::SystemTime::now() }
    }

    /// CPU seconds each process has used since [`Meter::start`]. Also
    /// prints the wall-clock window measured to stderr, as `perf script
    /// --time` takes it for a `perf record -k realtime` profile
    /// (`scripts/profile` keeps the samples inside the last window).
    pub fn read(&self) -> Usage {
        let epoch =
            |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        eprintln!("measured window: {:.6},{:.6}", epoch(self.since), epoch(std::time::SystemTime::now()));
        Usage(self.parts.iter().map(|(name, stat, start)| (name.clone(), (seconds(stat) - start).max(0.0))).collect())
    }
}

/// CPU seconds used, per process.
#[derive(Debug, Clone)]
pub struct Usage(pub Vec<(String, f64)>);

impl Usage {
    pub fn total(&self) -> f64 {
        self.0.iter().map(|(_, s)| s).sum()
    }

    /// Per request, in microseconds, for `requests` done.
    pub fn per_request(&self, requests: usize) -> PerRequest<'_> {
        PerRequest { usage: self, requests: requests.max(1) as f64 }
    }
}

/// "cpu 212 us/request (bench process 150, tansu 62)": the form
/// `scripts/bench` reads (`cpu N us/request`).
pub struct PerRequest<'a> {
    usage: &'a Usage,
    requests: f64,
}

impl fmt::Display for PerRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        breakdown(f, self.usage, "us/request", |s| s * 1e6 / self.requests)
    }
}

/// "cpu 85 ms/s (bench process 60, tansu 25)": CPU used per second of
/// `over`, the fixed cost of a process that has nothing to do.
pub struct PerSecond<'a>(pub &'a Usage, pub std::time::Duration);

impl fmt::Display for PerSecond<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        breakdown(f, self.0, "ms/s", |s| s * 1e3 / self.1.as_secs_f64().max(1e-9))
    }
}

/// "cpu {total} {unit} ({name} {part}, ...)", each figure `scaled`.
fn breakdown(f: &mut fmt::Formatter<'_>, usage: &Usage, unit: &str, scaled: impl Fn(f64) -> f64) -> fmt::Result {
    write!(f, "cpu {:.0} {unit} (", scaled(usage.total()))?;
    for (i, (name, s)) in usage.0.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        write!(f, "{sep}{name} {:.0}", scaled(*s))?;
    }
    write!(f, ")")
}

/// `NAME=PID` (`--cpu-of tansu=1234`).
pub fn parse_pid(s: &str) -> Result<(String, u32), String> {
    match s.split_once('=') {
        Some((name, pid)) if !name.is_empty() => {
            Ok((name.to_owned(), pid.parse().map_err(|e| format!("`{pid}` is not a pid: {e}"))?))
        }
        _ => Err("expected NAME=PID".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_this_process_and_reads_nothing_of_a_gone_one() {
        assert_eq!(seconds("/nonexistent"), 0.0);
        let meter = Meter::start("bench", &[("gone".into(), u32::MAX)]);
        // Burn some CPU so the counter moves by at least a tick.
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while started.elapsed() < std::time::Duration::from_millis(100) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(std::hint::black_box(1));
        }
        std::hint::black_box(x);
        let usage = meter.read();
        assert!(usage.0[0].1 > 0.0, "{usage:?}");
        assert_eq!(usage.0[1].1, 0.0);
    }

    #[test]
    fn prints_microseconds_per_request() {
        let usage = Usage(vec![("bench".into(), 1.5), ("tansu".into(), 0.5)]);
        assert_eq!(usage.per_request(10_000).to_string(), "cpu 200 us/request (bench 150, tansu 50)");
        let second = std::time::Duration::from_secs(2);
        assert_eq!(PerSecond(&usage, second).to_string(), "cpu 1000 ms/s (bench 750, tansu 250)");
        assert_eq!(parse_pid("tansu=42"), Ok(("tansu".into(), 42)));
        assert!(parse_pid("tansu").is_err() && parse_pid("=1").is_err() && parse_pid("a=b").is_err());
    }
}

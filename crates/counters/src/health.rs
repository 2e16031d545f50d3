//! Liveness and readiness, answered on `GET /healthz` and `GET /readyz`
//! beside `/metrics` (Kubernetes probes them).
//!
//! A part of the process registers what it vouches for and keeps the handle
//! while it runs; dropping the handle withdraws it (several gateways may run
//! in one test process, one after another):
//! - a [`Beat`]: a loop that touches it each time it comes round (at least
//!   every second or so). The process is *live* while every beat is newer
//!   than its own limit — a loop stuck in a blocking call fails the probe
//!   and the orchestrator restarts the process.
//! - a [`Check`]: a condition the process needs to do its work (broker
//!   reachable, partitions assigned, state restored, a bind up). The process
//!   is *ready* while it is live and every check holds.
//!
//! The answer's body names every beat and check with its state, so a failing
//! probe says why (`kubectl describe pod` shows it).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// A loop's sign of life.
#[derive(Debug)]
pub struct Beat {
    name: String,
    /// Milliseconds since [`start`] at the last touch.
    last: AtomicU64,
    stale_after: Duration,
}

impl Beat {
    /// The loop came round.
    pub fn touch(&self) {
        self.last.store(since_start(), Ordering::Relaxed);
    }

    fn age(&self, now: u64) -> Duration {
        Duration::from_millis(now.saturating_sub(self.last.load(Ordering::Relaxed)))
    }
}

/// A condition readiness depends on; false until set.
#[derive(Debug)]
pub struct Check {
    name: String,
    ok: AtomicBool,
}

impl Check {
    pub fn set(&self, ok: bool) {
        self.ok.store(ok, Ordering::Relaxed);
    }

    pub fn get(&self) -> bool {
        self.ok.load(Ordering::Relaxed)
    }
}

#[derive(Default)]
struct Registry {
    beats: Vec<Weak<Beat>>,
    checks: Vec<Weak<Check>>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    let registry = REGISTRY.get_or_init(|| Mutex::new(Registry::default()));
    // Only vectors of weak references: nothing a panic could leave half-done.
    let mut guard = registry.lock().unwrap_or_else(|e| e.into_inner());
    guard.beats.retain(|b| b.strong_count() > 0);
    guard.checks.retain(|c| c.strong_count() > 0);
    guard
}

fn since_start() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// Registers a loop that must come round at least every `stale_after`;
/// touched once now.
pub fn beat(name: impl Into<String>, stale_after: Duration) -> Arc<Beat> {
    let beat = Arc::new(Beat { name: name.into(), last: AtomicU64::new(since_start()), stale_after });
    registry().beats.push(Arc::downgrade(&beat));
    beat
}

/// Registers a condition of readiness, initially `ok`.
pub fn check(name: impl Into<String>, ok: bool) -> Arc<Check> {
    let check = Arc::new(Check { name: name.into(), ok: AtomicBool::new(ok) });
    registry().checks.push(Arc::downgrade(&check));
    check
}

/// Whether every loop came round in time, and a line per loop.
pub fn live() -> (bool, String) {
    let now = since_start();
    let mut all = true;
    let mut body = String::new();
    for beat in registry().beats.iter().filter_map(Weak::upgrade) {
        let age = beat.age(now);
        let ok = age <= beat.stale_after;
        all &= ok;
        body.push_str(&format!(
            "{} {}: last came round {} ms ago (limit {} ms)\n",
            if ok { "ok" } else { "FAIL" },
            beat.name,
            age.as_millis(),
            beat.stale_after.as_millis()
        ));
    }
    (all, body)
}

/// Whether the process is live and every check holds (and there is at
/// least one: before the roles register theirs, it is starting), and a line
/// per beat and check.
pub fn ready() -> (bool, String) {
    let (live, mut body) = live();
    let checks: Vec<Arc<Check>> = registry().checks.iter().filter_map(Weak::upgrade).collect();
    if checks.is_empty() {
        // Nothing vouches for anything yet: the roles are still starting.
        body.push_str("FAIL starting: no role has registered its checks yet\n");
        return (false, body);
    }
    let mut all = live;
    for check in checks {
        let ok = check.get();
        all &= ok;
        body.push_str(&format!("{} {}\n", if ok { "ok" } else { "FAIL" }, check.name));
    }
    (all, body)
}

/// Tests that register beats or checks take this: the registry is process-wide.
#[cfg(test)]
pub(crate) static TEST_LOCK: Mutex<()> = Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_and_checks_decide_and_withdraw() {
        let _serial = TEST_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let beat = beat("loop-a", Duration::from_millis(50));
        let check = check("broker", false);
        assert!(live().0);
        let (ready_now, body) = ready();
        assert!(!ready_now && body.contains("FAIL broker"), "{body}");
        check.set(true);
        assert!(ready().0);
        std::thread::sleep(Duration::from_millis(80));
        let (live_now, body) = live();
        assert!(!live_now && body.contains("FAIL loop-a"), "{body}");
        assert!(!ready().0, "not ready while not live");
        beat.touch();
        assert!(live().0 && ready().0);
        drop(check);
        drop(beat);
        let (_, body) = ready();
        assert!(!body.contains("broker") && !body.contains("loop-a"), "withdrawn: {body}");
    }
}

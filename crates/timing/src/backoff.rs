//! Reconnect delays: exponential with full jitter (AWS architecture blog,
//! "Exponential Backoff And Jitter"). The random draw is passed in so the
//! schedule is deterministic under test and this crate needs no `rand`.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    /// Delay ceiling before jitter for attempt 0.
    pub base: Duration,
    /// Cap on the ceiling, however many attempts.
    pub max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self { base, max, attempt: 0 }
    }

    /// Delay before reconnect `attempt` (0-based): a uniform draw from
    /// `[0, min(max, base * 2^attempt)]`, where `jitter` in `0.0..=1.0` is the
    /// draw. Out-of-range or NaN jitter is clamped rather than trusted.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let ceiling = if attempt >= 32 {
            self.max
        } else {
            self.base.checked_mul(1u32 << attempt).map_or(self.max, |d| d.min(self.max))
        };
        let jitter = if jitter.is_nan() { 0.0 } else { jitter.clamp(0.0, 1.0) };
        ceiling.mul_f64(jitter)
    }

    /// The delay for the current attempt; advances the attempt counter.
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let d = self.delay(self.attempt, jitter);
        self.attempt = self.attempt.saturating_add(1);
        d
    }

    /// Call once a connection is bound again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_then_caps() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        assert_eq!(b.delay(0, 1.0), Duration::from_millis(100));
        assert_eq!(b.delay(1, 1.0), Duration::from_millis(200));
        assert_eq!(b.delay(3, 1.0), Duration::from_millis(800));
        assert_eq!(b.delay(7, 1.0), Duration::from_secs(10)); // 12.8 s capped
        assert_eq!(b.delay(40, 1.0), Duration::from_secs(10));
        assert_eq!(b.delay(u32::MAX, 1.0), Duration::from_secs(10));
    }

    #[test]
    fn jitter_is_bounded() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        assert_eq!(b.delay(2, 0.0), Duration::ZERO);
        assert_eq!(b.delay(2, 0.5), Duration::from_millis(200));
        assert_eq!(b.delay(2, 7.0), Duration::from_millis(400));
        assert_eq!(b.delay(2, -1.0), Duration::ZERO);
        assert_eq!(b.delay(2, f64::NAN), Duration::ZERO);
        for i in 0..=100 {
            assert!(b.delay(5, f64::from(i) / 100.0) <= Duration::from_millis(3200));
        }
    }

    #[test]
    fn next_delay_advances_and_reset_restarts() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(b.next_delay(1.0), Duration::from_secs(1));
        assert_eq!(b.next_delay(1.0), Duration::from_secs(2));
        assert_eq!(b.next_delay(1.0), Duration::from_secs(4));
        b.reset();
        assert_eq!(b.attempt(), 0);
        assert_eq!(b.next_delay(1.0), Duration::from_secs(1));
    }
}

//! The delay levels: which topic a scheduled record waits in next, and when
//! it may leave it. Pure arithmetic on epoch milliseconds, so every edge is
//! unit-tested.
//!
//! Every record of one level topic waits the same delay from the time it was
//! written, so within a partition write order is due order: the scheduler
//! only ever looks at the head of each partition — no index of what waits.
//! A message due days ahead hops once a day, then at most about 25 times on
//! its last day, each hop a write and a read.

/// One delay level and the topic suffix naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub name: &'static str,
    pub delay_ms: i64,
}

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;

/// Shortest first, each about four times the one before: a message takes
/// at most three hops per level on its way down (fewer levels meant more
/// hops: with 1s, 10s, 1m, ... 100,000 messages due over five minutes made
/// eighteen hops each). Level `0s` is the way in for messages due within
/// [`HOLD_WITHIN_MS`]: the router cannot hold them, so it writes them where
/// the scheduler takes them up at once and holds them in memory.
pub const LEVELS: [Level; 10] = [
    Level { name: "0s", delay_ms: 0 },
    Level { name: "1s", delay_ms: SECOND },
    Level { name: "4s", delay_ms: 4 * SECOND },
    Level { name: "15s", delay_ms: 15 * SECOND },
    Level { name: "1m", delay_ms: MINUTE },
    Level { name: "4m", delay_ms: 4 * MINUTE },
    Level { name: "15m", delay_ms: 15 * MINUTE },
    Level { name: "1h", delay_ms: HOUR },
    Level { name: "4h", delay_ms: 4 * HOUR },
    Level { name: "1d", delay_ms: 24 * HOUR },
];

/// Kept between a level's gate and `send_at` when the hold is the shortest
/// one: a gate is noticed late by the scheduler's lag (a fetch, a busy
/// loop, another record ahead of it in the partition written a little later
/// by a replica with a slower clock), and a record taken up after its
/// `send_at` goes out late.
pub const MARGIN_MS: i64 = 500;

/// Messages due within this are always held in memory and released at
/// `send_at`: what the shortest real level cannot bring closer.
pub const HOLD_WITHIN_MS: i64 = SECOND + MARGIN_MS;

/// Where a record due at `send_at` goes next, at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Due within the hold (or overdue): hold it in memory until `send_at`.
    Hold,
    /// Wait in this level's topic.
    Wait(&'static Level),
}

/// Where a record goes next when messages due within `hold_ms` are held
/// in memory (`scheduler.hold`; [`HOLD_WITHIN_MS`] when the hold is full).
///
/// Otherwise it waits in the longest level whose gate leaves a slack before
/// the hold begins: a quarter of the hold, at least [`MARGIN_MS`]. The
/// slack is what the scheduler may lag behind a gate without sending late —
/// with the 60 s hold, 15 s, so a burst of gates (everything written in
/// one minute coming out of `4m` four minutes later) is absorbed; the
/// shortest hold leaves 500 ms and needs the short levels, a hop or three
/// each, to come that close.
pub fn next(send_at: i64, now: i64, hold_ms: i64) -> Next {
    let remaining = send_at.saturating_sub(now);
    let hold_ms = hold_ms.max(HOLD_WITHIN_MS);
    if remaining < hold_ms {
        return Next::Hold;
    }
    let slack = (hold_ms / 4).max(MARGIN_MS);
    let fits = |l: &&Level| l.delay_ms > 0 && l.delay_ms <= remaining - slack;
    match LEVELS.iter().rev().find(fits) {
        Some(level) => Next::Wait(level),
        None => Next::Hold,
    }
}

/// The level a router writes a new scheduled request to: [`next`], with
/// level `0s` standing for the hold it does not have.
pub fn entry(send_at: i64, now: i64, hold_ms: i64) -> &'static Level {
    match next(send_at, now, hold_ms) {
        Next::Wait(level) => level,
        Next::Hold => &LEVELS[0],
    }
}

/// When a record written to `level` at `written_at` may leave it.
pub fn gate(level: &Level, written_at: i64) -> i64 {
    written_at.saturating_add(level.delay_ms)
}

/// The level named `name` (a topic suffix), if it is one.
pub fn by_name(name: &str) -> Option<&'static Level> {
    LEVELS.iter().find(|l| l.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: Next) -> &'static str {
        match n {
            Next::Hold => "hold",
            Next::Wait(l) => l.name,
        }
    }

    /// The shortest hold: the hold is full, or `scheduler.hold` is set that short.
    const SHORT: i64 = 0;

    #[test]
    fn the_longest_level_that_leaves_the_margin() {
        let now = 1_000_000;
        let next = |send_at, now| next(send_at, now, SHORT);
        assert_eq!(name(next(now - 5, now)), "hold", "overdue");
        assert_eq!(name(next(now + HOLD_WITHIN_MS - 1, now)), "hold");
        assert_eq!(name(next(now + HOLD_WITHIN_MS, now)), "1s");
        assert_eq!(name(next(now + 4 * SECOND + MARGIN_MS - 1, now)), "1s");
        assert_eq!(name(next(now + 4 * SECOND + MARGIN_MS, now)), "4s");
        assert_eq!(name(next(now + 15 * SECOND + MARGIN_MS, now)), "15s");
        assert_eq!(name(next(now + MINUTE + MARGIN_MS, now)), "1m");
        assert_eq!(name(next(now + 5 * MINUTE, now)), "4m");
        assert_eq!(name(next(now + HOUR, now)), "15m", "an hour ahead has no room for the margin in 1h");
        assert_eq!(name(next(now + 3 * HOUR, now)), "1h");
        assert_eq!(name(next(now + 23 * HOUR, now)), "4h");
        assert_eq!(name(next(now + 30 * 24 * HOUR, now)), "1d");
        assert_eq!(name(next(i64::MAX, now)), "1d", "no overflow");
        assert_eq!(entry(now + 200, now, SHORT).name, "0s");
        assert_eq!(entry(now + 2 * SECOND, now, SHORT).name, "1s");
    }

    #[test]
    fn a_long_hold_leaves_a_quarter_of_it_as_slack() {
        let now = 1_000_000;
        let hold = MINUTE;
        assert_eq!(name(next(now + MINUTE - 1, now, hold)), "hold");
        assert_eq!(name(next(now + MINUTE, now, hold)), "15s", "15 s in, 45 s left: held then");
        assert_eq!(name(next(now + MINUTE + hold / 4 - 1, now, hold)), "15s");
        assert_eq!(name(next(now + MINUTE + hold / 4, now, hold)), "1m");
        assert_eq!(name(next(now + 4 * MINUTE + hold / 4, now, hold)), "4m");
        assert_eq!(entry(now + 50 * SECOND, now, hold).name, "0s", "the router writes it where it is held at once");
        // Up to ten minutes ahead: held with at least 15 s to spare, after a few long hops.
        for remaining in (MINUTE..10 * MINUTE).step_by(997) {
            let (mut at, mut hops) = (now, 0);
            while let Next::Wait(l) = next(now + remaining, at, hold) {
                at = gate(l, at);
                hops += 1;
            }
            assert!(now + remaining - at >= hold / 4, "{remaining}: held with too little slack");
            assert!(hops <= 6, "{remaining}: {hops} hops");
        }
    }

    #[test]
    fn a_gate_never_passes_send_at_less_the_margin() {
        // Whatever the distance, the level chosen opens its gate no later than
        // send_at - MARGIN, and a record is held only within HOLD_WITHIN_MS.
        let now = 5_000;
        for remaining in (0..3 * 24 * HOUR).step_by(7_919) {
            match next(now + remaining, now, SHORT) {
                Next::Hold => assert!(remaining < HOLD_WITHIN_MS, "{remaining}"),
                Next::Wait(level) => {
                    assert!(gate(level, now) <= now + remaining - MARGIN_MS, "{remaining}: {}", level.name);
                    // Following the chain from the gate always ends in the hold, in few hops.
                    let (mut at, mut hops) = (gate(level, now), 1);
                    while let Next::Wait(l) = next(now + remaining, at, SHORT) {
                        at = gate(l, at);
                        hops += 1;
                    }
                    assert!(hops <= 30, "{remaining}: {hops} hops");
                    assert!(now + remaining - at < HOLD_WITHIN_MS && at <= now + remaining);
                }
            }
        }
    }

    #[test]
    fn gates_and_names() {
        assert_eq!(gate(by_name("1m").unwrap(), 10), 10 + MINUTE);
        assert_eq!(gate(&LEVELS[0], 10), 10);
        assert_eq!(gate(by_name("1d").unwrap(), i64::MAX - 1), i64::MAX);
        assert!(by_name("10s").is_none());
        assert!(LEVELS.windows(2).all(|w| w[0].delay_ms < w[1].delay_ms), "shortest first");
    }
}

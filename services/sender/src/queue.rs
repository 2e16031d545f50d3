//! The queue the links of one connection pull from (SMPP binds, UCP and
//! CIMD2 sessions, HTTP clients, a modem): one bounded lane per priority
//! ([`crate::lanes`]: urgent first, bulk with its guaranteed share), the
//! connection-wide throughput limiter, the throttle pause, this replica's
//! share of the binds, and which links are up. It sits below the links:
//! every link takes its submissions here and answers in [`crate::link`]
//! terms; [`crate::pool`], above them, builds the links.

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use events::Priority;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use runtime::config::ConnectionConfig;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::lanes::Lanes;
use crate::link::{Answer, Delivered, Submission, SubmitError};

/// One submission waiting for a link.
pub struct Submit {
    pub submission: Submission,
    /// Not sent after this instant.
    pub deadline: Option<Instant>,
    /// Not sent once cancelled (its request's partition is being given up in
    /// a rebalance, and nothing of the request reached the SMSC yet).
    pub withdraw: Option<CancellationToken>,
    pub reply: oneshot::Sender<Result<Answer, SubmitError>>,
    /// The span of the request's handling: its exchange with the SMSC is a child.
    pub parent: tracing::Span,
}

/// Answers a submission without sending when it may no longer go: withdrawn
/// or expired. True when it was answered (and taken).
fn settled(submit: &mut Option<Submit>) -> bool {
    let error = match submit.as_ref() {
        Some(s) if s.withdraw.as_ref().is_some_and(CancellationToken::is_cancelled) => SubmitError::Withdrawn,
        Some(s) if s.deadline.is_some_and(|d| d <= Instant::now()) => SubmitError::Expired,
        _ => return false,
    };
    if let Some(s) = submit.take() {
        let _ = s.reply.send(Err(error));
    }
    true
}

/// The queue the links of one connection pull from, and what they share.
pub struct Queue {
    pub config: ConnectionConfig,
    /// The submit queue, one bounded lane per priority.
    lanes: Lanes<Submit>,
    /// `max_tps`, or this replica's share of it ([`Queue::set_share`]), and that rate.
    limiter: std::sync::RwLock<Option<(u32, Arc<DefaultDirectRateLimiter>)>>,
    paused_until: Mutex<Option<Instant>>,
    pub inbound: mpsc::Sender<Delivered>,
    /// Links up, and since when there has been none.
    links: tokio::sync::watch::Sender<LinksUp>,
    /// Framed protocols: how many of the connection's `binds` this replica
    /// may hold ([`Queue::set_share`]); link `i` is up only while `i` is below.
    binds_allowed: tokio::sync::watch::Sender<usize>,
}

/// How many links of a connection are up in this replica; with none, since when.
#[derive(Debug, Clone, Copy)]
struct LinksUp {
    up: usize,
    none_since: Instant,
}

impl Queue {
    /// The queue of one connection, with no link up yet.
    pub fn new(config: ConnectionConfig, inbound: mpsc::Sender<Delivered>) -> Queue {
        Queue {
            lanes: Lanes::new(config.binds * config.window * 2, config.bulk_share),
            limiter: std::sync::RwLock::new(limiter(config.max_tps).map(|l| (config.max_tps, Arc::new(l)))),
            paused_until: Mutex::new(None),
            inbound,
            links: tokio::sync::watch::Sender::new(LinksUp { up: 0, none_since: Instant::now() }),
            // None until the group assigns this replica its share (connection::share).
            binds_allowed: tokio::sync::watch::Sender::new(0),
            config,
        }
    }

    /// Queues `submit` in `lane`, once the lane has room; an error once the queue is closed.
    pub async fn push(&self, lane: Priority, submit: Submit) -> Result<(), SubmitError> {
        self.lanes.push(lane, submit).await.map_err(|_| SubmitError::Closed)
    }

    /// Stops accepting submits; links finish what they hold.
    pub fn close(&self) {
        self.lanes.close();
    }

    /// Once every link has ended: answers what is still queued as not sent
    /// (its request is redone after the restart), so no caller waits for a
    /// link that is gone.
    pub fn drain_unsent(&self) {
        while let Some(submit) = self.lanes.take_any() {
            let _ = submit.reply.send(Err(SubmitError::Closed));
        }
    }

    /// How long this replica has had no link of the connection up; `None` while one is.
    pub fn down_for(&self) -> Option<Duration> {
        let links = *self.links.borrow();
        (links.up == 0).then(|| links.none_since.elapsed())
    }

    /// Returns once this replica has had no link up for `at_least` (at once
    /// if it has been down that long already).
    pub async fn down_at_least(&self, at_least: Duration) {
        let mut links = self.links.subscribe();
        loop {
            let now = *links.borrow_and_update();
            if now.up == 0 {
                let due = now.none_since + at_least;
                if due <= Instant::now() {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(due.into()) => {}
                    _ = links.changed() => {}
                }
            } else if links.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// The next submission a link may send now. Once something is queued,
    /// the throttle pause and a rate token are waited for, and only then is
    /// the submission chosen ([`crate::lanes::LanePolicy`]): an urgent one
    /// queued while the link waited for its token goes before the bulk that
    /// was there first, and the token is fresh when it goes out (a token
    /// taken while idle would allow a burst later). Submissions withdrawn or
    /// expired meanwhile are answered here, without spending a token. A
    /// token can go unused when another link took the last submission
    /// first: that only happens when the queue runs dry, where the rate is
    /// not the limit anyway. `None` once the pool is closed and empty.
    ///
    /// Cancel-safe: nothing is taken from the queue across an await.
    pub async fn next_submit(&self) -> Option<Submit> {
        loop {
            if !self.lanes.wait().await {
                return None;
            }
            self.ready_to_send().await;
            while let Some((_, submit)) = self.lanes.take() {
                let mut submit = Some(submit);
                if !settled(&mut submit) {
                    return submit;
                }
            }
        }
    }

    /// Waits for the throttle pause to end and for a throughput-limit token.
    pub async fn ready_to_send(&self) {
        loop {
            let until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => break,
            }
        }
        // A token of a limiter replaced meanwhile ([`Queue::set_share`]) does
        // not count: the new one's spacing follows on from the last token
        // either gave, and a link still waiting on the old one would add its
        // token to the new rate (at most one per link, but a rebalance that
        // gives this replica the whole connection has no margin to spare).
        loop {
            let limiter = self.limiter.read().unwrap_or_else(|e| e.into_inner()).as_ref().map(|(_, l)| l.clone());
            let Some(limiter) = limiter else { return };
            limiter.until_ready().await;
            let current = self.limiter.read().unwrap_or_else(|e| e.into_inner());
            if current.as_ref().is_none_or(|(_, now)| Arc::ptr_eq(now, &limiter)) {
                return;
            }
        }
    }

    /// This replica holds `held` of the `total` queue partitions of the
    /// connection: it sends at that share of `max_tps` (rounded down, at
    /// least 1 per second), so that the replicas together stay within it
    /// (DESIGN principle 4). Called at every rebalance.
    ///
    /// A replica that shares the connection leaves one submit per second of
    /// its share unused: the replicas' submits reach the SMSC with jitter of
    /// their own, and two of them bunched into one second must not make one
    /// more than `max_tps` there. A new limiter starts with its first token
    /// spent, so a rebalance is no burst.
    ///
    /// The binds of SMPP, UCP and CIMD2 follow the same share (an SMSC
    /// refuses an account more sessions than it allows): `binds × held /
    /// total` rounded down, at least one while the replica holds any
    /// partition, none while it holds none. With partitions spread evenly
    /// (the range assignor, the same count in every lane) and at least as
    /// many binds as replicas, the replicas together never hold more than
    /// `binds`; a link given up stops taking submissions, waits for the
    /// answers of those in flight, then unbinds.
    pub fn set_share(&self, held: usize, total: usize) {
        let allowed = binds_share(self.config.binds, held, total);
        let framed = self.config.smsc().is_some();
        self.binds_allowed.send_if_modified(|now| {
            if !framed {
                return false;
            }
            let changed = *now != allowed;
            if changed {
                tracing::info!(held, total, binds = allowed, "share of the connection's binds");
            }
            if *now == 0 && allowed > 0 {
                // No link could be up before: "down since" starts now (reroute_after).
                self.links.send_modify(|l| {
                    if l.up == 0 {
                        l.none_since = Instant::now();
                    }
                });
            }
            *now = allowed;
            changed
        });
        let Some(max_tps) = NonZeroU32::new(self.config.max_tps) else { return };
        let whole = u64::from(max_tps.get());
        let share = (whole * held as u64).checked_div(total as u64).unwrap_or(0);
        let share = if share < whole { share.saturating_sub(1) } else { share };
        let rate = u32::try_from(share).unwrap_or(u32::MAX).clamp(1, max_tps.get());
        let mut current = self.limiter.write().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|(r, _)| *r == rate) {
            return;
        }
        tracing::info!(held, total, max_tps = rate, "throughput share of the connection");
        *current = limiter(rate).map(|l| {
            let _ = l.check();
            (rate, Arc::new(l))
        });
    }

    /// Waits until link `index` may be up (this replica's share of `binds`
    /// counts it); then the token says when it no longer may. `None` at `shutdown`.
    pub async fn turn(&self, index: usize, shutdown: &CancellationToken) -> Option<CancellationToken> {
        let mut allowed = self.binds_allowed.subscribe();
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            ok = allowed.wait_for(|n| index < *n) => if ok.is_err() { return None },
        }
        let leave = CancellationToken::new();
        let token = leave.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = token.cancelled() => {}
                _ = allowed.wait_for(|n| index >= *n) => token.cancel(),
            }
        });
        Some(leave)
    }

    /// A link (bind, session, HTTP client, modem) is up: counts for
    /// `smsgw_binds` and for [`Queue::down_for`]. Call [`Queue::link_down`] once when it goes.
    pub fn link_up(&self) {
        counters::binds(&self.config.id).inc();
        self.links.send_modify(|l| l.up += 1);
    }

    /// A link that was up is gone.
    pub fn link_down(&self) {
        counters::binds(&self.config.id).dec();
        self.links.send_modify(|l| {
            l.up = l.up.saturating_sub(1);
            if l.up == 0 {
                l.none_since = Instant::now();
            }
        });
    }

    /// Answers every queued submission that was withdrawn, without sending it.
    pub fn answer_withdrawn(&self) {
        let withdrawn = |s: &Submit| s.withdraw.as_ref().is_some_and(CancellationToken::is_cancelled);
        for submit in self.lanes.remove_where(withdrawn) {
            let _ = submit.reply.send(Err(SubmitError::Withdrawn));
        }
    }

    /// The SMSC asks us to slow down (SMPP ESME_RTHROTTLED, ...), so every
    /// link of the connection pauses for `throttle_pause`.
    pub fn throttled(&self) {
        self.pause_for(self.config.throttle_pause);
    }

    /// Pauses every link of the connection for `pause` (or longer, if already
    /// paused longer): what an HTTP API's `Retry-After` asks for.
    pub fn pause_for(&self, pause: Duration) {
        let until = Instant::now() + pause;
        let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }
}

/// This replica's share of `binds` when it holds `held` of `total` queue
/// partitions (see [`Queue::set_share`]).
fn binds_share(binds: usize, held: usize, total: usize) -> usize {
    if held == 0 {
        return 0;
    }
    (binds * held).checked_div(total).unwrap_or(binds).max(1).min(binds)
}

/// How late one submit may reach the SMSC behind its token (scheduling on
/// a loaded host, another bind's socket) without making a one-second window
/// there hold more than `max_tps`.
const JITTER: Duration = Duration::from_millis(30);

/// The spacing of tokens for `tps` submits per second: `max_tps` of them
/// span one second plus [`JITTER`], so an SMSC counting submits in any
/// one-second window never sees more than `max_tps`, even when the first
/// of a window was held up by that much (a 1 % margin, 10 ms, was not
/// enough with three binds on a busy machine: 41 in a second at 40/s). It
/// costs 3 % of the rate, whatever the rate.
fn spacing(tps: NonZeroU32) -> Duration {
    (Duration::from_secs(1) + JITTER) / tps.get()
}

/// The limiter for `max_tps` messages per second: burst 1 (evenly spaced
/// submits), spaced by [`spacing`].
fn limiter(max_tps: u32) -> Option<DefaultDirectRateLimiter> {
    let tps = NonZeroU32::new(max_tps)?;
    Quota::with_period(spacing(tps)).map(|q| RateLimiter::direct(q.allow_burst(NonZeroU32::MIN)))
}

/// [`Queue::next_submit`], boxed so it stays pinned across loop turns and
/// keeps its place (a rate token being waited for) while the link does other
/// work. It takes a submission from the queue only as it returns it, so
/// dropping it loses nothing.
pub fn next_submit(queue: Arc<Queue>) -> Pin<Box<dyn Future<Output = Option<Submit>> + Send>> {
    Box::pin(async move { queue.next_submit().await })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_follow_the_share_of_partitions() {
        // 3 binds, 18 partitions (6 per lane): one replica, then 2, then 3.
        assert_eq!(binds_share(3, 18, 18), 3);
        assert_eq!([binds_share(3, 9, 18), binds_share(3, 9, 18)], [1, 1], "never more than 3 together");
        assert_eq!(binds_share(3, 6, 18), 1);
        assert_eq!(binds_share(4, 9, 18), 2);
        assert_eq!(binds_share(3, 0, 18), 0, "no partitions, no binds");
        assert_eq!(binds_share(1, 1, 18), 1, "any partition needs a bind to go out");
        assert_eq!(binds_share(0, 1, 18), 0);
    }

    /// The most of `at` (sorted) within any one second.
    fn busiest_second(at: &[Instant]) -> usize {
        let mut start = 0;
        (0..at.len())
            .map(|end| {
                while at[end].duration_since(at[start]) >= Duration::from_secs(1) {
                    start += 1;
                }
                end - start + 1
            })
            .max()
            .unwrap_or(0)
    }

    /// A rebalance gives this replica the whole connection while its three
    /// links wait for tokens of its smaller share: none of those waits may
    /// add a token to the new rate (each link's would, one each, if it kept
    /// the limiter it started waiting on: 41 and more in a second at 40).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_share_that_changes_under_waiting_links_keeps_max_tps() {
        let config = runtime::Settings::from_toml(
            "[kafka]\nbrokers = \"x:1\"\n[[connections]]\nid = \"c\"\nprotocol = \"smpp\"\nhost = \"h\"\nport = 1\nsystem_id = \"s\"\nmax_tps = 40\n",
        )
        .unwrap()
        .connections
        .remove(0);
        let queue = Arc::new(Queue::new(config, mpsc::channel(1).0));
        // 6 of 18 partitions: 12 per second.
        queue.set_share(6, 18);
        let granted = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        let links: Vec<_> = (0..3)
            .map(|_| {
                let (queue, granted, stop) = (queue.clone(), granted.clone(), stop.clone());
                tokio::spawn(async move {
                    while !stop.is_cancelled() {
                        queue.ready_to_send().await;
                        granted.lock().unwrap().push(Instant::now());
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(400)).await;
        for held in [9, 12, 18] {
            queue.set_share(held, 18);
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        tokio::time::sleep(Duration::from_millis(1_300)).await;
        stop.cancel();
        for link in links {
            link.await.unwrap();
        }
        let mut at = granted.lock().unwrap().clone();
        at.sort();
        let busiest = busiest_second(&at);
        assert!(busiest <= 40, "{busiest} tokens in one second at max_tps 40");
        assert!(busiest >= 30, "the whole share is used once held: {busiest}");
    }

    #[test]
    fn limiter_spacing_has_margin() {
        // 50 tps → one token every 20.6 ms: 50 of them span 1.03 s.
        assert_eq!(spacing(NonZeroU32::new(50).unwrap()), Duration::from_micros(20_600));
        for tps in [1, 40, 100, 1_000, 10_000] {
            let tps = NonZeroU32::new(tps).unwrap();
            assert!(spacing(tps) * tps.get() >= Duration::from_secs(1) + JITTER, "{tps}");
        }
        let l = limiter(50).unwrap();
        assert!(l.check().is_ok());
        assert!(l.check().is_err(), "burst must be 1");
        assert!(limiter(0).is_none());
    }
}

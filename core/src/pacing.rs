//! Opt-in pacing under the API's rate limits ([`crate::ClientBuilder::pace_rate_limit`]):
//! before each request the client waits, when it must, so that it never draws a 429.
//!
//! Every response reports `X-RateLimit-Remaining-Minute` and `-Hour`; the reset times
//! (`X-RateLimit-Reset-*`) may only come with a 429. So the pacer keeps, per bucket, its own
//! count of what is left in the current window — the smallest of what the server last said and
//! what it has spent since — and the start of the window (the first request sent in it). When
//! the count reaches zero no request is sent until the server's reset time when it gave one,
//! else until the window start plus the window's length: a fixed window has rolled over by then
//! wherever it started, and a token bucket refilling continuously at `limit` per window (as the
//! mock's does) holds at least one token again — every request of the window was counted, and
//! the first answer of a window gives the count exactly. After such a wait the count is unknown
//! until one request (the probe) has been answered; others wait for that answer.
//!
//! The state is shared by clones of a client (the limits are the account's); clients with
//! another key get their own.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::meta::RateLimit;

/// Added to every computed wait: reset times are whole seconds and clocks differ.
const MARGIN: Duration = Duration::from_millis(250);
/// The most a resume time is spread by at random.
const MAX_JITTER: Duration = Duration::from_secs(3);
/// Waiting for a probe's answer is re-checked at least this often (a safety net: the answer
/// also wakes waiters).
const PROBE_POLL: Duration = Duration::from_millis(500);

const MINUTE: usize = 0;
const HOUR: usize = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    /// Not known since the last window ended: the next request is a probe.
    Unknown,
    /// The server does not report this bucket: it never holds a request back.
    Untracked,
    Left(u64),
}

#[derive(Debug)]
struct Bucket {
    window: Duration,
    count: Count,
    /// When the first request of the current window was sent.
    window_start: Option<Instant>,
    /// The server's reset time for this bucket, when it sent one.
    reset_at: Option<Instant>,
    /// No request is sent before this.
    blocked_until: Option<Instant>,
    /// Bumped when a window ends, so that late answers to requests of an earlier window are
    /// not taken for the new one's count.
    generation: u64,
}

impl Bucket {
    fn new(window: Duration) -> Bucket {
        Bucket {
            window,
            count: Count::Unknown,
            window_start: None,
            reset_at: None,
            blocked_until: None,
            generation: 0,
        }
    }

    /// Ends the window when its wait is over; returns the time to wait for otherwise.
    fn check(&mut self, now: Instant) -> Option<Instant> {
        // Pacing stops when the bucket is empty.
        if let Count::Left(0) = self.count
            && self.blocked_until.is_none()
        {
            self.blocked_until = Some(self.resume_at(now));
        }
        let until = self.blocked_until?;
        if now < until {
            return Some(until);
        }
        // The window is over: its count no longer holds.
        self.count = Count::Unknown;
        self.window_start = None;
        self.reset_at = None;
        self.blocked_until = None;
        self.generation += 1;
        None
    }

    /// When an exhausted bucket may be used again: the reset, plus a random share of a
    /// twentieth of the window (at most 3 s), so that the processes sharing an account (a
    /// fleet of shards) do not all come back at the same instant.
    fn resume_at(&self, now: Instant) -> Instant {
        let by_window = self.window_start.unwrap_or(now) + self.window + MARGIN;
        let at = match self.reset_at {
            Some(r) if r > now => r.min(now + self.window + MARGIN),
            _ => by_window,
        };
        let spread = (self.window / 20).min(MAX_JITTER);
        at + spread.mul_f64(rand::random::<f64>())
    }

    fn spend(&mut self, now: Instant) {
        self.window_start.get_or_insert(now);
        if let Count::Left(n) = self.count {
            self.count = Count::Left(n.saturating_sub(1));
        }
    }

    fn observe(
        &mut self,
        generation: u64,
        remaining: Option<u64>,
        reset: Option<u64>,
        limited: bool,
    ) {
        let now = Instant::now();
        if let Some(r) = reset.and_then(epoch_to_instant) {
            self.reset_at = Some(r.min(now + self.window) + MARGIN);
        }
        if limited {
            // The server refused: nothing is left until it says, or until the window ends.
            self.count = Count::Left(0);
            self.window_start.get_or_insert(now);
            return;
        }
        if generation != self.generation {
            return;
        }
        self.count = match (self.count, remaining) {
            (Count::Left(n), Some(h)) => Count::Left(n.min(h)),
            (_, Some(h)) => Count::Left(h),
            (Count::Unknown, None) => Count::Untracked,
            (c, None) => c,
        };
    }
}

fn epoch_to_instant(secs: u64) -> Option<Instant> {
    let now_epoch = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    let at = Duration::from_secs(secs);
    Some(Instant::now() + at.checked_sub(now_epoch).unwrap_or_default())
}

#[derive(Debug)]
struct State {
    buckets: [Bucket; 2],
    /// A request sent while some count was unknown and not yet answered.
    probe_in_flight: bool,
    /// With a maximum request rate: the time between two requests, and the earliest time of
    /// the next one.
    spacing: Option<Duration>,
    next_slot: Option<Instant>,
    /// The rate-limit headers of the last response that had them.
    last_seen: Option<RateLimit>,
    /// Requests let through so far.
    sent: u64,
}

/// The shared pacing state of a client.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
    answered: tokio::sync::Notify,
}

enum Decision {
    Go { generations: [u64; 2], probe: bool },
    WaitUntil(Instant),
    WaitForProbe,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new()
    }
}

impl Pacer {
    pub fn new() -> Pacer {
        Pacer::with_max_rate(None)
    }

    /// A pacer that also spaces requests evenly so that at most `per_minute` go out a minute
    /// (leaving the rest of the account's limit to its other programs).
    pub fn with_max_rate(per_minute: Option<u32>) -> Pacer {
        Pacer {
            state: Mutex::new(State {
                buckets: [
                    Bucket::new(Duration::from_secs(60)),
                    Bucket::new(Duration::from_secs(3600)),
                ],
                probe_in_flight: false,
                spacing: per_minute
                    .filter(|n| *n > 0)
                    .map(|n| Duration::from_secs(60) / n),
                next_slot: None,
                last_seen: None,
                sent: 0,
            }),
            answered: tokio::sync::Notify::new(),
        }
    }

    /// The rate-limit headers of the last response that carried them.
    pub fn last_seen(&self) -> Option<RateLimit> {
        self.lock().last_seen.clone()
    }

    /// Requests (attempts) let through so far.
    pub fn sent(&self) -> u64 {
        self.lock().sent
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn decide(&self, now: Instant) -> Decision {
        let mut st = self.lock();
        let mut wait: Option<Instant> = None;
        for b in &mut st.buckets {
            if let Some(until) = b.check(now) {
                wait = Some(wait.map_or(until, |w| w.max(until)));
            }
        }
        if let Some(next) = st.next_slot.filter(|t| *t > now) {
            wait = Some(wait.map_or(next, |w| w.max(next)));
        }
        if let Some(until) = wait {
            return Decision::WaitUntil(until);
        }
        let unknown = st.buckets.iter().any(|b| b.count == Count::Unknown);
        if unknown && st.probe_in_flight {
            return Decision::WaitForProbe;
        }
        for b in &mut st.buckets {
            b.spend(now);
        }
        if let Some(spacing) = st.spacing {
            st.next_slot = Some(now + spacing);
        }
        st.sent += 1;
        if unknown {
            st.probe_in_flight = true;
        }
        Decision::Go {
            generations: [st.buckets[MINUTE].generation, st.buckets[HOUR].generation],
            probe: unknown,
        }
    }

    /// Waits until a request may be sent; the ticket reports its answer.
    pub async fn acquire(self: &Arc<Self>) -> Ticket {
        let started = Instant::now();
        loop {
            // Created before the state is read, so an answer in between still wakes it.
            let answered = self.answered.notified();
            match self.decide(Instant::now()) {
                Decision::Go { generations, probe } => {
                    return Ticket {
                        pacer: Some(self.clone()),
                        generations,
                        probe,
                        waited: started.elapsed(),
                    };
                }
                Decision::WaitUntil(until) => {
                    tracing::info!(
                        wait_ms =
                            until.saturating_duration_since(Instant::now()).as_millis() as u64,
                        "rate limit reached; pacing"
                    );
                    tokio::time::sleep_until(tokio::time::Instant::from_std(until)).await;
                }
                Decision::WaitForProbe => {
                    let _ = tokio::time::timeout(PROBE_POLL, answered).await;
                }
            }
        }
    }

    fn observe(&self, generations: [u64; 2], probe: bool, rl: &RateLimit, status: u16) {
        {
            let mut st = self.lock();
            if rl.limit_minute.is_some() || rl.remaining_minute.is_some() {
                st.last_seen = Some(rl.clone());
            }
            let limited = status == 429;
            // On a 429, the exhausted bucket is the one at 0 or with a reset time; the minute
            // bucket when the headers do not say.
            let hour_out = rl.remaining_hour == Some(0) || rl.reset_hour.is_some();
            let minute_out =
                rl.remaining_minute == Some(0) || rl.reset_minute.is_some() || !hour_out;
            st.buckets[MINUTE].observe(
                generations[MINUTE],
                rl.remaining_minute,
                rl.reset_minute,
                limited && minute_out,
            );
            st.buckets[HOUR].observe(
                generations[HOUR],
                rl.remaining_hour,
                rl.reset_hour,
                limited && hour_out,
            );
            if probe {
                st.probe_in_flight = false;
            }
        }
        self.answered.notify_waiters();
    }

    fn abandon(&self, probe: bool) {
        if probe {
            self.lock().probe_in_flight = false;
            self.answered.notify_waiters();
        }
    }
}

/// The right to send one request; report its answer with [`Ticket::observe`]. Dropped without
/// an answer (a transport failure), it frees the way for the next probe.
#[derive(Debug)]
pub struct Ticket {
    pacer: Option<Arc<Pacer>>,
    generations: [u64; 2],
    probe: bool,
    waited: Duration,
}

impl Ticket {
    /// A ticket that paces nothing (pacing is off).
    pub fn none() -> Ticket {
        Ticket {
            pacer: None,
            generations: [0; 2],
            probe: false,
            waited: Duration::ZERO,
        }
    }

    /// How long the pacer held the request back.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// Records the rate-limit headers of the response to the request.
    pub fn observe(mut self, rate_limit: &RateLimit, status: u16) {
        if let Some(p) = self.pacer.take() {
            p.observe(self.generations, self.probe, rate_limit, status);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(p) = self.pacer.take() {
            p.abandon(self.probe);
        }
    }
}

/// Waits for the pacer when there is one; a no-op ticket otherwise.
pub async fn acquire(pacer: Option<&Arc<Pacer>>) -> Ticket {
    match pacer {
        Some(p) => p.acquire().await,
        None => Ticket::none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rl(remaining_minute: u64) -> RateLimit {
        RateLimit {
            limit_minute: Some(30),
            remaining_minute: Some(remaining_minute),
            limit_hour: Some(10_000),
            remaining_hour: Some(9_000),
            ..Default::default()
        }
    }

    #[test]
    fn counts_down_then_waits_for_the_window() {
        let p = Pacer::new();
        let now = Instant::now();
        // The first request probes; others wait for its answer.
        let Decision::Go { generations, probe } = p.decide(now) else {
            panic!("first request goes")
        };
        assert!(probe);
        assert!(matches!(p.decide(now), Decision::WaitForProbe));
        p.observe(generations, probe, &rl(2), 200);
        for _ in 0..2 {
            assert!(matches!(p.decide(now), Decision::Go { probe: false, .. }));
        }
        match p.decide(now) {
            Decision::WaitUntil(t) => {
                assert!(
                    t >= now + Duration::from_secs(60),
                    "a minute after the first request"
                );
                assert!(
                    t <= now + Duration::from_secs(64),
                    "and no more than the jitter"
                );
            }
            _ => panic!("the window is spent"),
        }
        // After the window: unknown again, one probe.
        let later = now + Duration::from_secs(65);
        assert!(matches!(p.decide(later), Decision::Go { probe: true, .. }));
    }

    #[test]
    fn late_answers_of_an_old_window_are_ignored() {
        let p = Pacer::new();
        let now = Instant::now();
        let Decision::Go {
            generations: g0,
            probe,
        } = p.decide(now)
        else {
            panic!()
        };
        p.observe(g0, probe, &rl(1), 200);
        let Decision::Go {
            generations: g1, ..
        } = p.decide(now)
        else {
            panic!()
        };
        assert!(matches!(p.decide(now), Decision::WaitUntil(_)));
        let later = now + Duration::from_secs(65);
        let Decision::Go {
            generations: g2,
            probe,
        } = p.decide(later)
        else {
            panic!()
        };
        p.observe(g2, probe, &rl(20), 200);
        // The answer to the request of the old window says 0: not this window's count.
        p.observe(g1, false, &rl(0), 200);
        assert!(matches!(p.decide(later), Decision::Go { .. }));
    }

    #[test]
    fn servers_without_headers_are_not_paced() {
        let p = Pacer::new();
        let now = Instant::now();
        let Decision::Go { generations, probe } = p.decide(now) else {
            panic!()
        };
        p.observe(generations, probe, &RateLimit::default(), 200);
        for _ in 0..100 {
            assert!(matches!(p.decide(now), Decision::Go { probe: false, .. }));
        }
    }

    #[test]
    fn a_maximum_rate_spaces_requests_evenly() {
        let p = Pacer::with_max_rate(Some(120));
        let now = Instant::now();
        let Decision::Go { generations, probe } = p.decide(now) else {
            panic!()
        };
        p.observe(generations, probe, &rl(20), 200);
        assert_eq!(p.last_seen().unwrap().remaining_minute, Some(20));
        match p.decide(now) {
            Decision::WaitUntil(t) => assert_eq!(t, now + Duration::from_millis(500)),
            _ => panic!("the next slot is half a second later"),
        }
        let later = now + Duration::from_millis(500);
        assert!(matches!(p.decide(later), Decision::Go { .. }));
        assert!(matches!(p.decide(later), Decision::WaitUntil(_)));
    }

    #[test]
    fn a_429_blocks_until_the_reset() {
        let p = Pacer::new();
        let now = Instant::now();
        let Decision::Go { generations, probe } = p.decide(now) else {
            panic!()
        };
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let limited = RateLimit {
            remaining_minute: Some(0),
            reset_minute: Some(epoch + 5),
            ..Default::default()
        };
        p.observe(generations, probe, &limited, 429);
        match p.decide(Instant::now()) {
            Decision::WaitUntil(t) => assert!(t <= Instant::now() + Duration::from_secs(10)),
            _ => panic!("blocked after a 429"),
        }
    }
}

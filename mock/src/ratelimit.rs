//! Per-account token buckets: one per minute window and one per hour window.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug)]
struct Bucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    last: Instant,
}

impl Bucket {
    fn new(capacity: u32, window: Duration) -> Self {
        Bucket {
            capacity: capacity as f64,
            tokens: capacity as f64,
            per_sec: capacity as f64 / window.as_secs_f64(),
            last: Instant::now(),
        }
    }
    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.per_sec).min(self.capacity);
        self.last = now;
    }
    /// Seconds until one whole token is available.
    fn wait_secs(&self) -> u64 {
        if self.tokens >= 1.0 || self.per_sec <= 0.0 {
            0
        } else {
            ((1.0 - self.tokens) / self.per_sec).ceil().max(1.0) as u64
        }
    }
}

/// What the `X-RateLimit-*` headers report after a request.
#[derive(Debug, Clone)]
pub struct RateState {
    pub limit_minute: u32,
    pub remaining_minute: u32,
    pub limit_hour: u32,
    pub remaining_hour: u32,
    /// Set when a bucket is exhausted: `(retry_after_secs, reset_minute_epoch, reset_hour_epoch)`.
    pub exhausted: Option<(u64, Option<u64>, Option<u64>)>,
}

#[derive(Debug)]
pub struct Buckets {
    minute: Bucket,
    hour: Bucket,
}

fn epoch_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Buckets {
    pub fn new(per_minute: u32, per_hour: u32) -> Self {
        Buckets {
            minute: Bucket::new(per_minute, Duration::from_secs(60)),
            hour: Bucket::new(per_hour, Duration::from_secs(3600)),
        }
    }

    /// Takes one token from both buckets, or reports which is exhausted.
    pub fn take(&mut self) -> RateState {
        let now = Instant::now();
        self.minute.refill(now);
        self.hour.refill(now);
        let exhausted = self.minute.tokens < 1.0 || self.hour.tokens < 1.0;
        if !exhausted {
            self.minute.tokens -= 1.0;
            self.hour.tokens -= 1.0;
        }
        let state = |b: &Bucket| (b.capacity as u32, b.tokens.max(0.0).floor() as u32);
        let (lm, rm) = state(&self.minute);
        let (lh, rh) = state(&self.hour);
        let exhausted = exhausted.then(|| {
            let (wm, wh) = (self.minute.wait_secs(), self.hour.wait_secs());
            let e = epoch_now();
            (
                wm.max(wh),
                (wm > 0).then_some(e + wm),
                (wh > 0).then_some(e + wh),
            )
        });
        RateState {
            limit_minute: lm,
            remaining_minute: rm,
            limit_hour: lh,
            remaining_hour: rh,
            exhausted,
        }
    }
}

//! What a run spends of the account's rate limit (200 requests a minute, shared by every key of
//! the account): a few requests to set up (availability, names, schema), two per export
//! (create, download listing) and status polls shared by every export in flight. `--dry-run`
//! reports it, with the time the limit implies.

use std::time::Duration;

use ticksupply::RateLimit;

use super::poll::{PAGE, interval};

/// How long an export is assumed to take on the server, to estimate status polls.
pub const TYPICAL_EXPORT: Duration = Duration::from_secs(120);

/// Requests a run will send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Sent already while planning (availability, names, schema).
    pub setup: u64,
    pub creates: u64,
    pub listings: u64,
    pub polls: u64,
}

/// Poll rounds while one export of `typical` duration is waited for.
fn rounds_for(typical: Duration) -> u64 {
    let (mut t, mut n) = (Duration::ZERO, 0);
    while t < typical {
        t += interval(t);
        n += 1;
    }
    n
}

impl Budget {
    /// `exports` exports, at most `in_flight` waited for at once, each taking `typical`.
    pub fn estimate(setup: u64, exports: u64, in_flight: u64, typical: Duration) -> Budget {
        let polls = if exports == 0 {
            0
        } else {
            let in_flight = in_flight.clamp(1, exports);
            let waves = exports.div_ceil(in_flight);
            let pages = in_flight.div_ceil(u64::from(PAGE));
            // The first wave's rounds, then rounds at the steady interval while the rest run.
            let steady = interval(typical).as_secs_f64();
            let rest = (waves - 1) as f64 * typical.as_secs_f64() / steady;
            (rounds_for(typical) + rest.ceil() as u64) * pages
        };
        Budget {
            setup,
            creates: exports,
            listings: exports,
            polls,
        }
    }

    pub fn total(&self) -> u64 {
        self.setup + self.creates + self.listings + self.polls
    }

    /// The least time the account's limits (and `--max-request-rate`) allow for the requests
    /// still to send.
    pub fn time_at(&self, limit: &RateLimit, max_rate: Option<u32>) -> Option<Duration> {
        let left = (self.total() - self.setup) as f64;
        let per_minute = match (limit.limit_minute, max_rate) {
            (Some(l), Some(m)) => Some(l.min(u64::from(m))),
            (l, m) => l.or(m.map(u64::from)),
        };
        let by_minute = per_minute.map(|m| left / m.max(1) as f64 * 60.0);
        let by_hour = limit.limit_hour.map(|h| left / h.max(1) as f64 * 3600.0);
        let secs = match (by_minute, by_hour) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b)?,
        };
        Some(Duration::from_secs_f64(secs))
    }
}

/// `2 h 5 min`, `40 min`, `12 s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s.div_ceil(60)),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_grow_with_exports_not_files() {
        let one_day = Budget::estimate(2, 2, 64, Duration::from_secs(2));
        assert_eq!((one_day.creates, one_day.listings), (2, 2));
        assert!(one_day.polls <= 8, "{one_day:?}");
        // 20 instruments × 183 days: a few thousand requests, not hundreds of thousands.
        let half_year = Budget::estimate(20, 3660, 64, TYPICAL_EXPORT);
        assert!(half_year.total() < 9000, "{half_year:?}");
        let limit = RateLimit {
            limit_minute: Some(200),
            limit_hour: Some(10_000),
            ..Default::default()
        };
        let t = half_year.time_at(&limit, None).unwrap();
        assert!(
            t > Duration::from_secs(1800) && t < Duration::from_secs(3600),
            "{t:?}"
        );
        let slower = half_year.time_at(&limit, Some(100)).unwrap();
        assert!(slower > t);
        assert_eq!(human(Duration::from_secs(7500)), "2 h 5 min");
    }
}

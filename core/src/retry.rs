//! Retry policy (contract §5): which failures are retried, how long to wait, when to give up.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::Method;
use reqwest::header::HeaderMap;

/// A wait longer than this is not slept: the call fails with `retry_after` at once.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Statuses retried whatever their body: timeout, rate limit, transient server failures.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether repeating the request cannot duplicate its effect.
pub fn replay_safe(method: &Method, has_idempotency_key: bool) -> bool {
    has_idempotency_key
        || matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        )
}

/// Exponential backoff with "equal jitter": `d = min(max, base·2^(n-1))`, wait uniform in
/// `[d/2, d]`, so simultaneous clients spread out but never retry immediately.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            max: Duration::from_secs(8),
        }
    }
}

impl Backoff {
    /// Wait before retry number `retry` (1-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let d = exp.min(self.max);
        let half = d / 2;
        half + rand::rng().random_range(Duration::ZERO..=d - half)
    }
}

/// `Retry-After` as seconds (integer or decimal) or an HTTP date; absurd values are ignored.
pub fn parse_retry_after(h: &HeaderMap) -> Option<Duration> {
    let v = h.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && (0.0..1e9).contains(&secs))
            .then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Whole seconds, rounded up, as error values report them.
pub fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, RETRY_AFTER};

    fn ra(v: &str) -> Option<Duration> {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        parse_retry_after(&h)
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(ra("3"), Some(Duration::from_secs(3)));
        assert_eq!(ra("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(ra("-1"), None);
        assert_eq!(ra("NaN"), None);
        assert_eq!(ra("inf"), None);
        assert_eq!(ra("soon"), None);
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let d = ra(&future).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(ra("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
    }

    #[test]
    fn backoff_doubles_within_equal_jitter_bounds_and_caps() {
        let b = Backoff::default();
        for (n, hi) in [
            (1, 500),
            (2, 1000),
            (3, 2000),
            (4, 4000),
            (5, 8000),
            (9, 8000),
            (40, 8000),
        ] {
            for _ in 0..200 {
                let d = b.delay(n).as_millis() as u64;
                assert!(
                    d >= hi / 2 && d <= hi,
                    "retry {n}: {d}ms not in [{}, {hi}]",
                    hi / 2
                );
            }
        }
        // Real randomness: 200 draws are not all equal.
        let draws: std::collections::HashSet<_> = (0..200).map(|_| b.delay(3)).collect();
        assert!(draws.len() > 50);
    }

    #[test]
    fn status_and_method_rules() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(retryable_status(s));
        }
        for s in [400, 401, 402, 403, 404, 409, 422, 501, 505] {
            assert!(!retryable_status(s));
        }
        assert!(replay_safe(&Method::GET, false));
        assert!(replay_safe(&Method::PUT, false));
        assert!(!replay_safe(&Method::POST, false));
        assert!(replay_safe(&Method::POST, true));
    }
}

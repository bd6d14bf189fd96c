//! A sync waits out the rate limit instead of failing: the client retries a 429 a few times
//! within a call; past that (or when the server asks for more than a minute), the call is
//! made again after `Retry-After`, plus a random share of it so that the shards of one account
//! do not all come back at the same instant — for as long as the run's deadline allows.

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::error::CliError;
use crate::output::err;

/// When the run must end (`--deadline`); none means no limit.
static DEADLINE: OnceLock<Option<Instant>> = OnceLock::new();

/// Sets the run's deadline (once per process).
pub fn set_deadline(at: Option<Instant>) {
    let _ = DEADLINE.set(at);
}

fn deadline() -> Option<Instant> {
    DEADLINE.get().copied().flatten()
}

/// Whether the run's deadline has passed.
pub fn past_deadline() -> bool {
    deadline().is_some_and(|d| Instant::now() >= d)
}

/// The time left before the deadline, `None` without one.
pub fn time_left() -> Option<Duration> {
    deadline().map(|d| d.saturating_duration_since(Instant::now()))
}

/// How long to wait after a 429: its `Retry-After` (at least a second), plus up to a quarter
/// of it at random.
fn backoff(retry_after: Option<u64>) -> Duration {
    let base = Duration::from_secs(retry_after.unwrap_or(1).max(1));
    let jitter = rand::rng().random_range(0.0..0.25);
    base + base.mul_f64(jitter)
}

/// Runs `call` until it is not refused by the rate limit (or the deadline comes first).
pub async fn retry_rate_limited<T, F, Fut>(mut call: F) -> Result<T, CliError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ticksupply::Result<T>>,
{
    loop {
        match call().await {
            Err(e) if e.status() == Some(429) => {
                let wait = backoff(e.retry_after());
                if let Some(left) = time_left()
                    && left < wait
                {
                    return Err(CliError::Api(e));
                }
                wait_for_rate_limit(wait).await;
            }
            other => return other.map_err(CliError::Api),
        }
    }
}

/// Says until when, then sleeps.
pub async fn wait_for_rate_limit(wait: Duration) {
    let until = chrono::Local::now() + wait;
    err(&format!(
        "waiting for the rate limit until {}",
        until.format("%H:%M:%S")
    ));
    tokio::time::sleep(wait).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_retry_after_plus_a_little() {
        for _ in 0..100 {
            let b = backoff(Some(8));
            assert!(
                b >= Duration::from_secs(8) && b <= Duration::from_secs(10),
                "{b:?}"
            );
        }
        assert!(backoff(None) >= Duration::from_secs(1));
    }
}

//! Idempotency keys: per account, 24 h, replay for the same request, 409 for a different one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub const TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a second request with the same key waits for the first to finish.
pub const IN_FLIGHT_WAIT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Bytes,
}

enum Entry {
    InFlight {
        fingerprint: String,
        since: Instant,
    },
    Done {
        fingerprint: String,
        at: Instant,
        response: StoredResponse,
    },
}

#[derive(Default)]
pub struct IdempotencyCache {
    entries: Mutex<HashMap<String, Entry>>,
}

pub enum Claim {
    /// The caller owns the key and must `complete` or `release` it.
    Owner,
    Replay(StoredResponse),
    Conflict,
    /// The original request is still running.
    Busy,
}

/// Checks the documented format: a UUID (hyphenated, simple, braced or URN), at most 128 chars.
pub fn valid_key(key: &str) -> bool {
    key.len() <= 128 && uuid::Uuid::try_parse(key).is_ok()
}

impl IdempotencyCache {
    pub fn claim(&self, key: &str, fingerprint: &str) -> Claim {
        let mut map = self.entries.lock().unwrap();
        let now = Instant::now();
        match map.get(key) {
            Some(Entry::Done {
                fingerprint: f,
                at,
                response,
            }) if now.duration_since(*at) < TTL => {
                if f == fingerprint {
                    Claim::Replay(response.clone())
                } else {
                    Claim::Conflict
                }
            }
            Some(Entry::InFlight {
                fingerprint: f,
                since,
            }) if now.duration_since(*since) < Duration::from_secs(60) => {
                if f == fingerprint {
                    Claim::Busy
                } else {
                    Claim::Conflict
                }
            }
            _ => {
                map.insert(
                    key.to_string(),
                    Entry::InFlight {
                        fingerprint: fingerprint.to_string(),
                        since: now,
                    },
                );
                Claim::Owner
            }
        }
    }

    pub fn complete(&self, key: &str, fingerprint: &str, response: StoredResponse) {
        self.entries.lock().unwrap().insert(
            key.to_string(),
            Entry::Done {
                fingerprint: fingerprint.to_string(),
                at: Instant::now(),
                response,
            },
        );
    }

    /// Forgets an in-flight claim whose outcome is not cached (a 5xx), so a retry runs again.
    pub fn release(&self, key: &str) {
        let mut map = self.entries.lock().unwrap();
        if matches!(map.get(key), Some(Entry::InFlight { .. })) {
            map.remove(key);
        }
    }
}

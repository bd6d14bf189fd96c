//! Leases: one process at a time works on a window. A lease is a small object
//! (`.ticksupply-sync/leases/<window>.json`) created with a create-if-absent write, naming its
//! holder and an expiry that the holder pushes forward while it works. Another process takes
//! it over only when it expired, was released, or (on the same machine) its holder's process is
//! gone — always with a write conditioned on the version it read, so two takers never both win.
//! A holder that fails to refresh its lease stops working on the window.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::dest::{Conflict, Dest, PutIf, STATE_DIR, Version};
use super::process;
use crate::error::CliError;

/// How long a lease lasts without being refreshed.
pub const TTL: Duration = Duration::from_secs(60);
/// How often a held lease is refreshed.
const REFRESH: Duration = Duration::from_secs(15);
/// How often a lease held by another live process is looked at again.
const RECHECK: Duration = Duration::from_millis(1000);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeaseRecord {
    /// The holder's run id ([`process::run_id`]).
    pub holder: String,
    pub pid: u32,
    /// Milliseconds since the epoch after which the lease is free.
    pub expires_at_ms: u64,
    #[serde(default)]
    pub released: bool,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl LeaseRecord {
    fn mine(released: bool) -> LeaseRecord {
        LeaseRecord {
            holder: process::run_id().to_string(),
            pid: std::process::id(),
            expires_at_ms: if released {
                0
            } else {
                now_ms() + TTL.as_millis() as u64
            },
            released,
        }
    }

    /// Whether another process may take the lease.
    fn is_free(&self) -> bool {
        self.released || self.expires_at_ms <= now_ms() || process::run_is_over(&self.holder, false)
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

fn lease_key(window: &str) -> String {
    format!("{STATE_DIR}/leases/{window}.json")
}

/// A held lease.
pub struct Lease<'a> {
    dest: &'a dyn Dest,
    key: String,
    version: tokio::sync::Mutex<Version>,
}

/// Takes the lease of `window`, waiting while another live process holds it; `on_wait` is told
/// once who that is.
pub async fn acquire<'a>(
    dest: &'a dyn Dest,
    window: &str,
    mut on_wait: impl FnMut(&LeaseRecord),
) -> Result<Lease<'a>, CliError> {
    let key = lease_key(window);
    let mut told = false;
    loop {
        let mine = LeaseRecord::mine(false).encode();
        if let Ok(v) = dest.put_if(&key, mine.clone(), PutIf::Absent).await? {
            return Ok(Lease::held(dest, key, v));
        }
        let Some((bytes, version)) = dest.get(&key).await? else {
            continue;
        };
        let theirs: Option<LeaseRecord> = serde_json::from_slice(&bytes).ok();
        if theirs.as_ref().is_none_or(LeaseRecord::is_free) {
            if let Ok(v) = dest.put_if(&key, mine, PutIf::Matches(version)).await? {
                return Ok(Lease::held(dest, key, v));
            }
            continue;
        }
        if super::retry::past_deadline() {
            return Err(CliError::Usage(format!(
                "the deadline passed while waiting for {} (held by another sync)",
                dest.describe(&key)
            )));
        }
        if !told && let Some(t) = &theirs {
            on_wait(t);
            told = true;
        }
        let jitter = rand::rng().random_range(0..250);
        tokio::time::sleep(RECHECK + Duration::from_millis(jitter)).await;
    }
}

impl<'a> Lease<'a> {
    fn held(dest: &'a dyn Dest, key: String, v: Version) -> Lease<'a> {
        Lease {
            dest,
            key,
            version: tokio::sync::Mutex::new(v),
        }
    }

    async fn write(&self, released: bool) -> Result<Result<(), Conflict>, CliError> {
        let mut v = self.version.lock().await;
        let out = self
            .dest
            .put_if(
                &self.key,
                LeaseRecord::mine(released).encode(),
                PutIf::Matches(v.clone()),
            )
            .await?;
        Ok(out.map(|new| *v = new))
    }

    /// Refreshes the lease until it is lost (then returns): race it against the work it
    /// protects, so that the work stops when the lease is gone.
    pub async fn keep(&self) -> CliError {
        let mut failing_since: Option<std::time::Instant> = None;
        loop {
            tokio::time::sleep(REFRESH).await;
            match self.write(false).await {
                Ok(Ok(())) => failing_since = None,
                Ok(Err(Conflict)) => {
                    return CliError::Usage(format!(
                        "another sync took over {} (this one did not refresh it in time); the \
                         window is left to it",
                        self.dest.describe(&self.key)
                    ));
                }
                Err(e) => {
                    // A passing failure of the store: keep trying until the lease would expire.
                    let since = *failing_since.get_or_insert_with(std::time::Instant::now);
                    if since.elapsed() + REFRESH >= TTL {
                        return e;
                    }
                }
            }
        }
    }

    /// Gives the lease up for the next taker.
    pub async fn release(self) {
        let _ = self.write(true).await;
    }
}

//! Waiting for many exports at the cost of a few requests: one `GET /exports` page shows up to
//! a hundred jobs, so one poller watches every export of the run together. Rounds are spaced by
//! a share of the age of the oldest export waited for (from 0.25 s to 30 s): a quick export is
//! seen at once, and a run with many exports in flight for minutes polls about twice a minute
//! whatever their number. It pages from a cursor placed before the oldest export it waits for
//! (kept in the destination between runs, so that an account's old exports are walked past
//! once), and asks for a job by id only when one export is waited for or the list does not show
//! it (a deleted one).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use ticksupply::Client;
use ticksupply::resources::exports::{ExportJob, ExportStatus};
use tokio::sync::{Notify, oneshot};

use super::retry::retry_rate_limited;
use crate::error::CliError;

/// The interval between rounds: this share of the oldest wait, within these bounds.
const SHARE_OF_AGE: f64 = 0.4;
pub const FIRST: Duration = Duration::from_millis(250);
pub const LONGEST: Duration = Duration::from_secs(30);
pub const PAGE: u32 = 100;

/// The interval after which a round is due when the oldest export has waited `age`.
pub fn interval(age: Duration) -> Duration {
    age.mul_f64(SHARE_OF_AGE).clamp(FIRST, LONGEST)
}

/// How an export ended, for the window waiting on it.
#[derive(Debug)]
pub enum Outcome {
    Succeeded(Box<ExportJob>),
    /// Failed, canceled, deleted, or unknown to the server: a new export is needed.
    Gone {
        status: String,
        reason: Option<String>,
    },
}

type Waiter = oneshot::Sender<Result<Outcome, String>>;

#[derive(Default)]
struct State {
    waiting: HashMap<String, Vec<Waiter>>,
    /// When each export was first waited for.
    since: HashMap<String, std::time::Instant>,
    /// Page token before which no export still waited for lies; `None`: the first page.
    cursor: Option<String>,
}

pub struct Poller {
    client: Client,
    state: Mutex<State>,
    added: Notify,
}

impl Poller {
    pub fn new(client: Client, cursor: Option<String>) -> Poller {
        Poller {
            client,
            state: Mutex::new(State {
                cursor,
                ..State::default()
            }),
            added: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cursor reached, for the next run.
    pub fn cursor(&self) -> Option<String> {
        self.state().cursor.clone()
    }

    /// Waits until export `id` ends (while [`Poller::run`] runs).
    pub async fn wait(&self, id: &str) -> Result<Outcome, CliError> {
        let (tx, rx) = oneshot::channel();
        {
            let mut st = self.state();
            st.waiting.entry(id.to_string()).or_default().push(tx);
            st.since
                .entry(id.to_string())
                .or_insert_with(std::time::Instant::now);
        }
        self.added.notify_one();
        match rx.await {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(message)) => Err(CliError::Usage(message)),
            Err(_) => Err(CliError::Usage("the export poller stopped".into())),
        }
    }

    fn settle(&self, job: &ExportJob) -> bool {
        let outcome = match job.status {
            ExportStatus::Succeeded => Outcome::Succeeded(Box::new(job.clone())),
            ExportStatus::Failed | ExportStatus::Canceled | ExportStatus::Deleted => {
                Outcome::Gone {
                    status: job.status.to_string(),
                    reason: job.reason.clone(),
                }
            }
            _ => return false,
        };
        let Some(waiters) = ({
            let mut st = self.state();
            st.since.remove(&job.id);
            st.waiting.remove(&job.id)
        }) else {
            return false;
        };
        let mut outcome = Some(outcome);
        let n = waiters.len();
        for (i, w) in waiters.into_iter().enumerate() {
            let o = if i + 1 == n {
                outcome.take().expect("once")
            } else {
                match outcome.as_ref().expect("kept") {
                    Outcome::Succeeded(j) => Outcome::Succeeded(j.clone()),
                    Outcome::Gone { status, reason } => Outcome::Gone {
                        status: status.clone(),
                        reason: reason.clone(),
                    },
                }
            };
            let _ = w.send(Ok(o));
        }
        true
    }

    fn fail_all(&self, message: &str) {
        let mut st = self.state();
        st.since.clear();
        for (_, waiters) in st.waiting.drain() {
            for w in waiters {
                let _ = w.send(Err(message.to_string()));
            }
        }
    }

    fn waiting(&self) -> Vec<String> {
        self.state().waiting.keys().cloned().collect()
    }

    /// Polls for as long as it is polled itself (race it against the run).
    pub async fn run(&self) {
        loop {
            let oldest = self.state().since.values().min().copied();
            let Some(oldest) = oldest else {
                self.added.notified().await;
                continue;
            };
            tokio::time::sleep(interval(oldest.elapsed())).await;
            if let Err(e) = self.round().await {
                self.fail_all(&e.to_string());
            }
        }
    }

    /// One look at every export waited for; whether any ended.
    async fn round(&self) -> Result<bool, CliError> {
        let ids = self.waiting();
        let cursor = self.cursor();
        if ids.len() == 1 && cursor.is_none() {
            return self.by_id(&ids[0]).await;
        }
        let mut unseen: std::collections::HashSet<String> = ids.into_iter().collect();
        let mut changed = false;
        let mut token = cursor;
        let mut advance = true;
        loop {
            let page = {
                let t = token.clone();
                let page = retry_rate_limited(|| {
                    let mut req = self.client.exports().list().limit(PAGE);
                    if let Some(t) = &t {
                        req = req.page_token(t.clone());
                    }
                    req.send()
                })
                .await;
                match page {
                    Ok(p) => p,
                    // A cursor the server no longer accepts: start from the first page.
                    Err(CliError::Api(e)) if token.is_some() && e.status() == Some(400) => {
                        self.state().cursor = None;
                        token = None;
                        advance = true;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            };
            let mut still_waiting_here = false;
            for job in &page.items {
                if unseen.remove(&job.id) {
                    if self.settle(job) {
                        changed = true;
                    } else {
                        still_waiting_here = true;
                    }
                }
            }
            let full = page.items.len() as u32 >= page.limit.unwrap_or(PAGE).min(PAGE);
            // Pages before the first export still waited for need not be read again.
            if advance && !still_waiting_here && full && page.next_page_token.is_some() {
                self.state().cursor = page.next_page_token.clone();
            } else {
                advance = false;
            }
            if unseen.is_empty() {
                break;
            }
            match page.next_page_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        // Not listed (deleted exports are not): ask for each.
        for id in unseen {
            changed |= self.by_id(&id).await?;
        }
        Ok(changed)
    }

    async fn by_id(&self, id: &str) -> Result<bool, CliError> {
        match retry_rate_limited(|| self.client.exports().get(id).send()).await {
            Ok(job) => Ok(self.settle(&job)),
            Err(CliError::Api(e)) if e.status() == Some(404) => {
                let gone = {
                    let mut st = self.state();
                    st.since.remove(id);
                    st.waiting.remove(id)
                };
                if let Some(waiters) = gone {
                    for w in waiters {
                        let _ = w.send(Ok(Outcome::Gone {
                            status: "not found".into(),
                            reason: None,
                        }));
                    }
                }
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_are_spaced_by_the_age_of_the_oldest_wait() {
        assert_eq!(interval(Duration::ZERO), FIRST);
        assert_eq!(interval(Duration::from_secs(10)), Duration::from_secs(4));
        assert_eq!(interval(Duration::from_secs(600)), LONGEST);
    }
}

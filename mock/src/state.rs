//! Server state: accounts (each with its keys, data, rate buckets and idempotency cache),
//! faults, and the log of recent requests.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::catalog::Catalog;
use crate::faults::Fault;
use crate::idempotency::IdempotencyCache;
use crate::ratelimit::Buckets;

/// Server settings, from the command line or from a test.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    /// `(account, key)` pairs; empty means one account `demo` with key `ts_demo_key`.
    pub keys: Vec<(String, String)>,
    pub rate_limit_minute: u32,
    pub rate_limit_hour: u32,
    pub export_delay_ms: u64,
    /// Size of every export artifact in bytes; `None` means the default (256 KiB).
    pub artifact_size: Option<u64>,
    /// Lifetime of presigned artifact URLs.
    pub url_ttl_ms: u64,
    /// Port of the artifact listener (the "S3" origin); 0 picks a free one.
    pub artifact_port: u16,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 8080,
            keys: Vec::new(),
            rate_limit_minute: 200,
            rate_limit_hour: 10_000,
            export_delay_ms: 2000,
            artifact_size: None,
            url_ttl_ms: 300_000,
            artifact_port: 0,
        }
    }
}

pub const DEFAULT_ARTIFACT_SIZE: u64 = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubStatus {
    Active,
    Paused,
    Deleted,
}

impl SubStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubStatus::Active => "active",
            SubStatus::Paused => "paused",
            SubStatus::Deleted => "deleted",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Span {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct Subscription {
    pub ordinal: u64,
    pub id: String,
    pub datastream_id: i64,
    pub status: SubStatus,
    pub created_at: DateTime<Utc>,
    pub spans: Vec<Span>,
}

#[derive(Debug, Clone)]
pub struct Artifact {
    pub id: String,
    pub filename: String,
    pub size: u64,
    pub seed: u64,
    pub hour_start_ns: i64,
}

#[derive(Debug, Clone)]
pub struct Export {
    pub ordinal: u64,
    pub id: String,
    pub datastream_id: i64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub format: String,
    pub format_options: Value,
    pub created_at: DateTime<Utc>,
    pub canceled_at: Option<DateTime<Utc>>,
    /// Failed on purpose by the `/_mock/exports/{id}/fail` hook: when, and why.
    pub forced_failure: Option<(DateTime<Utc>, String)>,
    /// Set at creation when the job will fail once processed (for example, a window in the future).
    pub fails_with: Option<String>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub artifacts: Vec<Artifact>,
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub ordinal: u64,
    pub id: String,
    pub name: String,
    pub category: String,
    pub built_in: bool,
    pub created_at: DateTime<Utc>,
    /// Published versions, oldest first: `versions.len()` is the current version number.
    pub versions: Vec<Value>,
    pub draft: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Billing {
    pub access_status: String,
    pub plan_code: Option<String>,
    pub grace_until: Option<String>,
    pub current_period_end: Option<String>,
}

impl Default for Billing {
    fn default() -> Self {
        Billing {
            access_status: "ACTIVE".into(),
            plan_code: Some("starter".into()),
            grace_until: None,
            current_period_end: Some("2027-01-01T00:00:00Z".into()),
        }
    }
}

#[derive(Default)]
pub struct AccountData {
    pub next_ordinal: u64,
    pub subscriptions: BTreeMap<u64, Subscription>,
    pub exports: BTreeMap<u64, Export>,
    pub schemas: BTreeMap<u64, Schema>,
    pub billing: Billing,
}

impl AccountData {
    pub fn ordinal(&mut self) -> u64 {
        self.next_ordinal += 1;
        self.next_ordinal
    }
    pub fn sub_by_id(&mut self, id: &str) -> Option<&mut Subscription> {
        self.subscriptions.values_mut().find(|s| s.id == id)
    }
    pub fn export_by_id(&mut self, id: &str) -> Option<&mut Export> {
        self.exports.values_mut().find(|e| e.id == id)
    }
    pub fn schema_by_id(&mut self, id: &str) -> Option<&mut Schema> {
        self.schemas.values_mut().find(|s| s.id == id)
    }
}

pub struct Account {
    pub name: String,
    pub data: Mutex<AccountData>,
    pub buckets: Mutex<Buckets>,
    pub idempotency: IdempotencyCache,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordedRequest {
    pub request_id: Option<String>,
    pub listener: &'static str,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub account: Option<String>,
    pub status: u16,
    pub time: String,
}

pub struct App {
    pub config: Config,
    pub catalog: Catalog,
    pub keys: RwLock<HashMap<String, Arc<Account>>>,
    pub accounts: Mutex<HashMap<String, Arc<Account>>>,
    pub faults: Mutex<Vec<Fault>>,
    pub requests: Mutex<VecDeque<RecordedRequest>>,
    /// Keys a page-token MAC and presigned-URL signatures; new every run.
    pub secret: RandomState,
    /// `http://host:port` of the artifact listener; set once it is bound.
    pub artifact_origin: RwLock<String>,
    /// Every artifact by id, so the artifact listener can serve it without the API key.
    pub artifacts: RwLock<HashMap<String, (Arc<Account>, Artifact)>>,
}

pub const REQUEST_LOG_CAPACITY: usize = 2000;

impl App {
    pub fn new(config: Config) -> Arc<App> {
        let app = Arc::new(App {
            catalog: Catalog::seed(),
            keys: RwLock::new(HashMap::new()),
            accounts: Mutex::new(HashMap::new()),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(VecDeque::new()),
            secret: RandomState::new(),
            artifact_origin: RwLock::new(String::new()),
            artifacts: RwLock::new(HashMap::new()),
            config,
        });
        let keys = if app.config.keys.is_empty() {
            vec![("demo".to_string(), "ts_demo_key".to_string())]
        } else {
            app.config.keys.clone()
        };
        for (account, key) in keys {
            app.add_key(&account, &key, None);
        }
        app
    }

    /// Adds `key` to `account`, creating the account (optionally with its own rate limits).
    pub fn add_key(&self, account: &str, key: &str, limits: Option<(u32, u32)>) -> Arc<Account> {
        let acct = {
            let mut accounts = self.accounts.lock().unwrap();
            accounts
                .entry(account.to_string())
                .or_insert_with(|| {
                    let (m, h) = limits
                        .unwrap_or((self.config.rate_limit_minute, self.config.rate_limit_hour));
                    let mut data = AccountData::default();
                    crate::routes::schemas::seed_built_ins(&mut data);
                    Arc::new(Account {
                        name: account.to_string(),
                        data: Mutex::new(data),
                        buckets: Mutex::new(Buckets::new(m, h)),
                        idempotency: IdempotencyCache::default(),
                    })
                })
                .clone()
        };
        if let Some((m, h)) = limits {
            *acct.buckets.lock().unwrap() = Buckets::new(m, h);
        }
        self.keys
            .write()
            .unwrap()
            .insert(key.to_string(), acct.clone());
        acct
    }

    pub fn remove_key(&self, key: &str) -> bool {
        self.keys.write().unwrap().remove(key).is_some()
    }

    pub fn account_for_key(&self, key: &str) -> Option<Arc<Account>> {
        self.keys.read().unwrap().get(key).cloned()
    }

    pub fn record(&self, r: RecordedRequest) {
        let mut log = self.requests.lock().unwrap();
        if log.len() >= REQUEST_LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(r);
    }

    pub fn artifact_size(&self) -> u64 {
        self.config.artifact_size.unwrap_or(DEFAULT_ARTIFACT_SIZE)
    }
}

/// The API's resource ids: `{prefix}_{32 lowercase hex}`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

pub fn request_id() -> String {
    format!("req_{:016x}", rand::random::<u64>())
}

/// Shows only the last four characters of a secret.
pub fn redact(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if key.chars().count() <= 4 {
        "****".to_string()
    } else {
        format!("****{tail}")
    }
}

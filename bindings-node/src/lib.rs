//! The Rust core as a Node addon. This file only converts: options and JSON arguments in, JSON
//! text, metadata and error envelopes out. Every rule (URLs, headers, retries, errors) lives in
//! the core; `index.js` turns envelopes into error classes and text into objects.

// napi-derive registers exports only outside test builds; there, they look unused.
#![cfg_attr(test, allow(dead_code))]

mod data;
mod logging;
mod telemetry;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use ticksupply::bindings::ops::{self, Body, Format, Reply as CoreReply};
use ticksupply::{Client, ClientOptions, ResponseMeta};
use tokio::sync::watch;

/// Rejects with the core error as a JSON envelope; `index.js` rethrows it as its class (napi
/// cannot attach fields to an async rejection).
fn reject(e: ticksupply::Error) -> Error {
    Error::new(
        Status::GenericFailure,
        ticksupply::bindings::error_envelope(&e).to_string(),
    )
}

fn millis(ms: f64, what: &str) -> std::result::Result<Duration, ticksupply::Error> {
    Duration::try_from_secs_f64(ms / 1000.0)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            ticksupply::Error::Config(format!(
                "{what} must be a positive number of milliseconds, got {ms}"
            ))
        })
}

#[napi(object)]
pub struct NativeOptions {
    pub api_key: Option<String>,
    pub profile: Option<String>,
    pub base_url: Option<String>,
    /// Per attempt, in milliseconds.
    pub timeout: Option<f64>,
    pub max_retries: Option<u32>,
    pub user_agent: Option<String>,
}

#[napi(object)]
pub struct NativeOverrides {
    pub api_key: Option<String>,
    pub timeout: Option<f64>,
    pub max_retries: Option<u32>,
}

#[napi(object)]
pub struct RateLimit {
    pub limit_minute: Option<i64>,
    pub remaining_minute: Option<i64>,
    pub reset_minute: Option<i64>,
    pub limit_hour: Option<i64>,
    pub remaining_hour: Option<i64>,
    pub reset_hour: Option<i64>,
}

#[napi(object)]
pub struct Meta {
    pub request_id: Option<String>,
    pub status: u32,
    pub attempts: u32,
    pub idempotency_key: Option<String>,
    pub rate_limit: RateLimit,
}

/// A reply: the JSON text of the body and its metadata.
#[napi(object)]
pub struct Reply {
    pub json: String,
    /// Nanosecond fields were sent as strings; `index.js` makes them `bigint`.
    pub nanos: bool,
    pub meta: Meta,
}

fn opt(v: Option<u64>) -> Option<i64> {
    v.map(|n| n.min(i64::MAX as u64) as i64)
}

fn meta(m: ResponseMeta) -> Meta {
    let r = &m.rate_limit;
    Meta {
        rate_limit: RateLimit {
            limit_minute: opt(r.limit_minute),
            remaining_minute: opt(r.remaining_minute),
            reset_minute: opt(r.reset_minute),
            limit_hour: opt(r.limit_hour),
            remaining_hour: opt(r.remaining_hour),
            reset_hour: opt(r.reset_hour),
        },
        request_id: m.request_id,
        status: u32::from(m.status),
        attempts: m.attempts,
        idempotency_key: m.idempotency_key,
    }
}

fn reply((body, m): CoreReply) -> Reply {
    let (json, nanos) = match body {
        Body::Text { json, nanos } => (json, nanos),
        Body::Value(v) => (v.to_string(), false),
    };
    Reply {
        json,
        nanos,
        meta: meta(m),
    }
}

/// What `index.js` passes with a call: cancellation, tripped from an `AbortSignal`, and, when
/// telemetry is on, the caller's tracing context.
#[napi]
pub struct CancelHandle {
    tx: watch::Sender<bool>,
    parent: std::sync::Mutex<Option<ticksupply::telemetry::Parent>>,
}

#[napi]
impl CancelHandle {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelHandle {
            tx: watch::channel(false).0,
            parent: std::sync::Mutex::new(None),
        }
    }

    #[napi]
    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }

    /// The caller's context (a number of `ticksupply/otel`'s table) for the call's spans.
    #[napi]
    pub fn set_parent(&self, context: u32) {
        *self.parent.lock().unwrap_or_else(|p| p.into_inner()) = telemetry::parent(context);
    }
}

/// A call's cancellation and tracing parent, taken from its handle before the call runs.
pub(crate) struct CallScope {
    cancel: Option<watch::Receiver<bool>>,
    parent: Option<ticksupply::telemetry::Parent>,
}

impl CallScope {
    pub(crate) fn of(handle: Option<&CancelHandle>) -> CallScope {
        CallScope {
            cancel: handle.map(|h| h.tx.subscribe()),
            parent: handle.and_then(|h| h.parent.lock().unwrap_or_else(|p| p.into_inner()).clone()),
        }
    }
}

/// Runs `fut` unless the call is canceled first (dropping the future stops the call, its
/// retries and backoff at once), with the caller's context as its spans' parent.
async fn cancellable<T>(
    fut: impl std::future::Future<Output = ticksupply::Result<T>>,
    scope: CallScope,
) -> ticksupply::Result<T> {
    let fut = ticksupply::telemetry::with_parent(scope.parent, fut);
    match scope.cancel {
        None => fut.await,
        Some(mut rx) => tokio::select! {
            out = fut => out,
            _ = rx.wait_for(|c| *c) => Err(ticksupply::Error::Canceled),
        },
    }
}

/// Weak: a progress callback never keeps the process alive by itself.
type ProgressFn = ThreadsafeFunction<
    FnArgs<(f64, f64)>,
    Unknown<'static>,
    FnArgs<(f64, f64)>,
    Status,
    false,
    true,
>;

#[napi]
pub struct NativeClient {
    inner: Arc<Client>,
}

#[napi]
impl NativeClient {
    #[napi(constructor)]
    pub fn new(options: NativeOptions) -> Result<Self> {
        let build = || -> ticksupply::Result<Client> {
            // Every field of the JavaScript errors (httpStatus, details, rateLimit, …) comes from
            // the error context.
            let mut b = Client::builder().error_context(true);
            if let Some(k) = options.api_key {
                b = b.api_key(k);
            }
            if let Some(p) = options.profile {
                b = b.profile(p);
            }
            if let Some(u) = options.base_url {
                b = b.base_url(u);
            }
            if let Some(t) = options.timeout {
                b = b.timeout(millis(t, "timeout")?);
            }
            if let Some(n) = options.max_retries {
                b = b.max_retries(n);
            }
            b.user_agent(
                options
                    .user_agent
                    .unwrap_or_else(|| format!("ticksupply-node/{}", ticksupply::client::VERSION)),
            )
            .build()
        };
        let client = build().map_err(reject)?;
        Ok(NativeClient {
            inner: Arc::new(client),
        })
    }

    #[napi]
    pub fn set_api_key(&self, key: String) -> Result<()> {
        self.inner.set_api_key(key).map_err(reject)
    }

    #[napi]
    pub fn with_options(&self, o: NativeOverrides) -> Result<NativeClient> {
        let options = ClientOptions {
            api_key: o.api_key,
            timeout: o
                .timeout
                .map(|t| millis(t, "timeout"))
                .transpose()
                .map_err(reject)?,
            max_retries: o.max_retries,
            total_timeout: None,
        };
        let client = self.inner.with_options(options).map_err(reject)?;
        Ok(NativeClient {
            inner: Arc::new(client),
        })
    }

    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_string()
    }

    /// The key's last four characters, for display.
    #[napi(getter)]
    pub fn api_key_hint(&self) -> String {
        self.inner.api_key_hint()
    }

    /// Per-attempt timeout in milliseconds.
    #[napi(getter)]
    pub fn timeout(&self) -> f64 {
        self.inner.timeout().as_secs_f64() * 1000.0
    }

    #[napi(getter)]
    pub fn max_retries(&self) -> u32 {
        self.inner.max_retries()
    }

    /// Runs operation `op` (Python-style name, e.g. `subscriptions.list_spans`) with
    /// JSON-encoded `args`.
    #[napi]
    pub async fn call(
        &self,
        op: String,
        args: String,
        cancel: Option<&CancelHandle>,
    ) -> Result<Reply> {
        let rx = CallScope::of(cancel);
        let fut = ops::build(&self.inner, &op, &args, Format::TextQuotedNanos).map_err(reject)?;
        cancellable(fut, rx).await.map(reply).map_err(reject)
    }

    /// `exports.download`, reporting `progress(doneBytes, totalBytes)` as bytes arrive (at most
    /// every 100 ms, and once at the end).
    #[napi(
        ts_args_type = "args: string, progress: (done: number, total: number) => void, cancel?: CancelHandle | null"
    )]
    pub async fn download(
        &self,
        args: String,
        progress: ProgressFn,
        cancel: Option<&CancelHandle>,
    ) -> Result<Reply> {
        let rx = CallScope::of(cancel);
        let report = move |done: u64, total: u64| {
            progress.call(
                (done as f64, total as f64).into(),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        };
        let fut = ops::download_with_progress(
            &self.inner,
            &args,
            Format::TextQuotedNanos,
            Arc::new(report),
        )
        .map_err(reject)?;
        cancellable(fut, rx).await.map(reply).map_err(reject)
    }

    /// The data of an export (`{"id": …, "schema": …}`), read as Arrow.
    #[napi]
    pub fn data(&self, args: String) -> data::NativeData {
        data::NativeData::new(Some(self.inner.clone()), args)
    }

    /// The pages of list operation `op`, driven by the core's pager.
    #[napi]
    pub fn pages(&self, op: String, args: String) -> Result<NativePages> {
        let pages = ops::pages(&self.inner, &op, &args, Format::TextQuotedNanos).map_err(reject)?;
        Ok(NativePages {
            pages: Arc::new(tokio::sync::Mutex::new(pages)),
        })
    }
}

#[napi]
pub struct NativePages {
    pages: Arc<tokio::sync::Mutex<ops::Pages>>,
}

#[napi]
impl NativePages {
    /// The next page, or `null` after the last.
    #[napi]
    pub async fn next(&self, cancel: Option<&CancelHandle>) -> Result<Option<Reply>> {
        let rx = CallScope::of(cancel);
        let pages = self.pages.clone();
        let next = async move { pages.lock().await.next().await.transpose() };
        cancellable(next, rx)
            .await
            .map(|o| o.map(reply))
            .map_err(reject)
    }
}

/// Fields that hold nanoseconds (besides any ending in `_ns`): the core sends them quoted.
#[napi]
pub fn nanos_fields() -> Vec<String> {
    ops::NANOS_FIELDS.iter().map(|s| s.to_string()).collect()
}

#[napi_derive::module_init]
fn init() {
    logging::install();
    // One worker: the client's work is I/O, and with the JavaScript thread that makes two
    // busy threads, which is what a small machine has. More workers only add wake-up hops.
    if let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        napi::bindgen_prelude::create_custom_tokio_runtime(rt);
    }
}

/// The core's version.
#[napi]
pub fn core_version() -> String {
    ticksupply::client::VERSION.to_string()
}

/// Runs the `ticksupply` command line (`argv[0]` is the program name); returns its exit code.
#[napi]
pub fn run_cli(argv: Vec<String>) -> i32 {
    // A thread of its own, outside the addon's runtime (the command builds and drops its own),
    // with a main thread's stack: the command's future runs on it. It blocks the JavaScript
    // thread until it ends, which suits the `ticksupply` bin (`cli.js`).
    std::thread::Builder::new()
        .name("ticksupply-cli-main".into())
        .stack_size(8 << 20)
        .spawn(move || ticksupply_cli::run(argv))
        .map_or(1, |t| t.join().unwrap_or(1))
}

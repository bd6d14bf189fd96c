//! The client: configuration, key rotation and cheap clones that share one connection pool.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use reqwest::header::HeaderValue;

use crate::config::{ApiKey, KeySource, resolve_base_url};
use crate::error::{Error, Result};
use crate::retry::Backoff;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_RETRIES: u32 = 3;
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Ticksupply API client. Cloning is cheap (an `Arc`), and clones share the connection pool and
/// the key (so [`Client::set_api_key`] on one affects all of them).
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    pub base_url: String,
    /// `base_url` parsed once: each request only sets its path and query on a copy.
    pub base: url::Url,
    /// Shared with `with_fresh_pool` copies, so a rotation reaches them too.
    pub key: Arc<ArcSwap<ApiKey>>,
    pub timeout: Duration,
    pub total_timeout: Duration,
    pub max_retries: u32,
    pub user_agent: HeaderValue,
    pub backoff: Backoff,
    /// False when the caller supplied the `reqwest::Client`.
    pub own_http: bool,
    /// Rate-limit pacing state, when pacing is on (shared by clones: the limits are the
    /// account's).
    pub pacer: Option<Arc<crate::pacing::Pacer>>,
    /// Errors as [`Error::Context`] (see [`ClientBuilder::error_context`]).
    pub error_context: bool,
    /// Where attempts are reported ([`ClientBuilder::telemetry`]).
    pub telemetry: crate::telemetry::Reporting,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &self.inner.key.load().hint())
            .field("timeout", &self.inner.timeout)
            .field("max_retries", &self.inner.max_retries)
            .finish()
    }
}

impl Client {
    /// A client whose key comes from `TICKSUPPLY_API_KEY`, else the profile named by
    /// `TICKSUPPLY_PROFILE`, else the default profile (see [`crate::profiles`]); the base URL
    /// from `TICKSUPPLY_BASE_URL`, else production.
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// A client with an explicit key.
    pub fn with_api_key(api_key: impl Into<String>) -> Result<Self> {
        Self::builder().api_key(api_key).build()
    }

    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Replaces the key for every later request (lock-free); requests already sent finish with
    /// the key they were sent with.
    pub fn set_api_key(&self, api_key: impl AsRef<str>) -> Result<()> {
        let key = ApiKey::new(api_key.as_ref(), KeySource::Rotated)?;
        self.inner.key.store(Arc::new(key));
        Ok(())
    }

    /// A new client with some options changed, sharing this one's connection pool.
    pub fn with_options(&self, options: ClientOptions) -> Result<Client> {
        let key = match &options.api_key {
            Some(k) => ApiKey::new(k, KeySource::Argument)?,
            None => (**self.inner.key.load()).clone(),
        };
        // Another key may be another account, with limits of its own.
        let pacer = match (&self.inner.pacer, options.api_key.is_some()) {
            (Some(_), true) => Some(Arc::new(crate::pacing::Pacer::new())),
            (p, _) => p.clone(),
        };
        let timeout = options.timeout.unwrap_or(self.inner.timeout);
        let max_retries = options.max_retries.unwrap_or(self.inner.max_retries);
        check_timeout(timeout)?;
        Ok(Client {
            inner: Arc::new(Inner {
                http: self.inner.http.clone(),
                base_url: self.inner.base_url.clone(),
                base: self.inner.base.clone(),
                key: Arc::new(ArcSwap::from_pointee(key)),
                timeout,
                total_timeout: options
                    .total_timeout
                    .unwrap_or_else(|| default_total(timeout, max_retries)),
                max_retries,
                user_agent: self.inner.user_agent.clone(),
                backoff: self.inner.backoff,
                own_http: self.inner.own_http,
                pacer,
                error_context: self.inner.error_context,
                telemetry: self.inner.telemetry.clone(),
            }),
        })
    }

    /// The same client (the same key: a rotation reaches both) with a connection pool of its
    /// own. Needed after `fork()`, where pooled connections belong to the parent's runtime,
    /// and by callers that drive each thread's requests on that thread's own runtime.
    pub fn with_fresh_pool(&self) -> Result<Client> {
        let inner = &self.inner;
        let http = if inner.own_http {
            default_http(inner.timeout)?
        } else {
            inner.http.clone()
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url: inner.base_url.clone(),
                base: inner.base.clone(),
                key: inner.key.clone(),
                timeout: inner.timeout,
                total_timeout: inner.total_timeout,
                max_retries: inner.max_retries,
                user_agent: inner.user_agent.clone(),
                backoff: inner.backoff,
                own_http: inner.own_http,
                pacer: inner.pacer.clone(),
                error_context: inner.error_context,
                telemetry: inner.telemetry.clone(),
            }),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The key as it may be shown: `****abcd`.
    pub fn api_key_hint(&self) -> String {
        self.inner.key.load().hint().to_string()
    }

    /// Where the key came from: "profile 'staging' (keyring)", `TICKSUPPLY_API_KEY`, …
    pub fn api_key_source(&self) -> KeySource {
        self.inner.key.load().source().clone()
    }

    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    pub fn max_retries(&self) -> u32 {
        self.inner.max_retries
    }

    /// The rate-limit headers of the last response that carried them, when requests are paced
    /// ([`ClientBuilder::pace_rate_limit`]): what is left of the account's budget.
    pub fn rate_limit_seen(&self) -> Option<crate::meta::RateLimit> {
        self.inner.pacer.as_ref().and_then(|p| p.last_seen())
    }

    /// API requests (attempts) sent so far by this client and its clones, when requests are
    /// paced.
    pub fn paced_requests(&self) -> Option<u64> {
        self.inner.pacer.as_ref().map(|p| p.sent())
    }

    /// Whether requests are paced under the rate limits ([`ClientBuilder::pace_rate_limit`]).
    pub fn paces_rate_limit(&self) -> bool {
        self.inner.pacer.is_some()
    }

    /// Whether errors come as [`Error::Context`] ([`ClientBuilder::error_context`]).
    pub fn keeps_error_context(&self) -> bool {
        self.inner.error_context
    }

    /// An error as this client returns it: unwrapped to the official variant unless the client
    /// keeps error context.
    pub(crate) fn shape_error(&self, e: Error) -> Error {
        if self.inner.error_context {
            e
        } else {
            e.into_official()
        }
    }
}

/// Options for [`Client::with_options`]; `None` keeps the current value.
#[derive(Debug, Default, Clone)]
pub struct ClientOptions {
    pub api_key: Option<String>,
    pub timeout: Option<Duration>,
    pub total_timeout: Option<Duration>,
    pub max_retries: Option<u32>,
}

/// Builds a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    api_key: Option<(String, KeySource)>,
    profile: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    max_retries: Option<u32>,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    backoff: Option<Backoff>,
    pace_rate_limit: bool,
    max_request_rate: Option<u32>,
    error_context: bool,
    telemetry: crate::telemetry::Reporting,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field(
                "api_key",
                &self.api_key.as_ref().map(|(k, _)| crate::config::redact(k)),
            )
            .field("profile", &self.profile)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

/// Calls with retries are bounded too: every attempt plus the waits between them.
fn default_total(timeout: Duration, max_retries: u32) -> Duration {
    timeout.saturating_mul(max_retries.saturating_add(1)) + Duration::from_secs(30)
}

fn check_timeout(t: Duration) -> Result<()> {
    if t.is_zero() {
        return Err(Error::Config("timeout must be greater than zero".into()));
    }
    Ok(())
}

impl ClientBuilder {
    /// The API key; without it (and without [`ClientBuilder::profile`]), `TICKSUPPLY_API_KEY`,
    /// else the profile named by `TICKSUPPLY_PROFILE`, else the default profile.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some((key.into(), KeySource::Argument));
        self
    }
    /// The API key and where it was read from, which 401 messages name (a key file, a prompt).
    pub fn api_key_from(mut self, key: impl Into<String>, source: KeySource) -> Self {
        self.api_key = Some((key.into(), source));
        self
    }
    /// Uses the key stored for this profile (`ticksupply auth login --profile NAME`) and the
    /// profile's `base_url`. Naming a key as well is a configuration error. See
    /// [`crate::profiles`].
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }
    /// Base URL including `/v1`; without it, `TICKSUPPLY_BASE_URL`, else production.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// Timeout of each attempt, connect to last body byte (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Deadline of a whole call, retries and waits included (default: every attempt's timeout
    /// plus 30 s).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }
    /// Retries after the first attempt (default 3; 0 disables retries).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }
    /// Appended to the `User-Agent` (`ticksupply-rust/<version> <suffix>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }
    /// Your own `reqwest::Client` (proxies, TLS roots). The SDK still sets timeouts and headers
    /// per request; configure it not to follow redirects, or the key may be forwarded.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }
    /// Backoff between retries (default 0.5 s doubling, capped at 8 s).
    pub fn retry_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff = Some(Backoff {
            base,
            max: max.max(base),
        });
        self
    }

    /// Paces requests under the account's rate limits (default off): before each request, when
    /// the last responses' `X-RateLimit-Remaining-Minute` or `-Hour` reached zero, waits until
    /// the window has rolled over (the `X-RateLimit-Reset-*` time when sent), so that the client
    /// does not draw a 429. Clones of the client share the pacing state. See [`crate::pacing`].
    pub fn pace_rate_limit(mut self, on: bool) -> Self {
        self.pace_rate_limit = on;
        self
    }

    /// Sends at most `per_minute` requests a minute, evenly spaced, whatever the account's
    /// limit allows (turns pacing on): room for the account's other programs.
    pub fn max_request_rate(mut self, per_minute: u32) -> Self {
        self.max_request_rate = Some(per_minute);
        self.pace_rate_limit = true;
        self
    }

    /// Returns every error that came from a response or a failed attempt as
    /// [`Error::Context`] (default off): the official crate's variant together with the
    /// response's status, request id, `details`, `Retry-After`, rate-limit headers and the
    /// attempt count, which the official variants have no fields for. Off, errors have exactly
    /// the official 0.2.1 crate's shapes, and that extra information is dropped. Match
    /// [`Error::official`] to handle both. The Python and Node bindings turn it on.
    pub fn error_context(mut self, on: bool) -> Self {
        self.error_context = on;
        self
    }

    /// Reports every attempt to `observer` (default: the process-wide observer, if one is
    /// installed; else nothing, at no cost). With the `opentelemetry` feature,
    /// `.telemetry(ticksupply::telemetry::OpenTelemetry::global())` gives spans and metrics
    /// through the global OpenTelemetry providers. See [`crate::telemetry`].
    pub fn telemetry(mut self, observer: impl crate::telemetry::Observer + 'static) -> Self {
        self.telemetry = crate::telemetry::Reporting::To(Arc::new(observer));
        self
    }

    /// Reports nothing, even when a process-wide observer is installed (the command line, run
    /// inside a Python or Node program that traces its own clients).
    pub fn without_telemetry(mut self) -> Self {
        self.telemetry = crate::telemetry::Reporting::Off;
        self
    }

    pub fn build(self) -> Result<Client> {
        let resolved = crate::profiles::resolve(
            self.api_key.as_ref().map(|(k, s)| (k.as_str(), s.clone())),
            self.profile.as_deref(),
        )?;
        let profile_url = resolved.profile.as_ref().and_then(|p| {
            let from = format!("profile '{}' in {}", p.name, p.config.display());
            p.base_url.clone().map(|u| (u, from))
        });
        let base_url = resolve_base_url(
            self.base_url.as_deref(),
            profile_url.as_ref().map(|(u, f)| (u.as_str(), f.as_str())),
        )?;
        let key = resolved.key;
        let base = url::Url::parse(&base_url)
            .map_err(|e| Error::Config(format!("base URL '{base_url}' is not a URL: {e}")))?;
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        check_timeout(timeout)?;
        let max_retries = self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        let ua = match self
            .user_agent
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => format!("ticksupply-rust/{VERSION} {s}"),
            None => format!("ticksupply-rust/{VERSION}"),
        };
        let user_agent = HeaderValue::from_str(&ua)
            .map_err(|_| Error::Config("user_agent must be visible ASCII".into()))?;
        let own_http = self.http_client.is_none();
        let http = match self.http_client {
            Some(c) => c,
            None => default_http(timeout)?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                base,
                key: Arc::new(ArcSwap::from_pointee(key)),
                timeout,
                total_timeout: self
                    .total_timeout
                    .unwrap_or_else(|| default_total(timeout, max_retries)),
                max_retries,
                user_agent,
                backoff: self.backoff.unwrap_or_default(),
                own_http,
                pacer: self
                    .pace_rate_limit
                    .then(|| Arc::new(crate::pacing::Pacer::with_max_rate(self.max_request_rate))),
                error_context: self.error_context,
                telemetry: self.telemetry,
            }),
        })
    }
}

/// The HTTP client the SDK builds for itself.
fn default_http(timeout: Duration) -> Result<reqwest::Client> {
    let tls = crate::tls::client_config()
        .map_err(|e| Error::Config(format!("cannot set up TLS: {e}")))?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        // The docs spell the header `X-Api-Key` and call it case-sensitive.
        .http1_title_case_headers()
        // The key must never follow a redirect to another origin.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(60))
        // Retries are the core's (with its idempotency rules), never the HTTP client's.
        .retry(reqwest::retry::never())
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

//! The one request pipeline every call goes through: headers, send, retry, idempotency, error
//! mapping and response metadata.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::Method;
use reqwest::header::{
    ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION, USER_AGENT,
};
use serde::Deserialize;
use serde_json::Value;
use tracing::Instrument;

use crate::client::Client;
use crate::config::ApiKey;
use crate::error::{BODY_EXCERPT_CHARS, Error, ErrorContext, Result, class_status};
use crate::meta::{RateLimit, ResponseMeta};
use crate::retry::{self, MAX_RETRY_AFTER};
use crate::telemetry;

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// A response body larger than this is refused rather than buffered.
pub const MAX_RESPONSE_BYTES: usize = 64 << 20;

/// One logical API call, before it is sent.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub method: Method,
    /// Path below the base URL, segments already encoded (`/subscriptions/sub_…`).
    pub path: String,
    /// The path's template for logs (`/subscriptions/{id}`), never an id.
    pub template: &'static str,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Bytes>,
    pub idempotency_key: Option<String>,
}

impl RequestSpec {
    pub fn new(method: Method, template: &'static str, path: String) -> Self {
        RequestSpec {
            method,
            path,
            template,
            query: Vec::new(),
            body: None,
            idempotency_key: None,
        }
    }
    pub fn query(mut self, name: &'static str, value: Option<impl ToString>) -> Self {
        if let Some(v) = value {
            self.query.push((name, v.to_string()));
        }
        self
    }
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.body = Some(
            serde_json::to_vec(body)
                .expect("request bodies serialize")
                .into(),
        );
        self
    }
    pub fn idempotency_key(mut self, key: Option<String>) -> Self {
        self.idempotency_key = key;
        self
    }
}

/// The final response of a successful call.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub body: Bytes,
    pub meta: ResponseMeta,
}

#[derive(Deserialize)]
struct Envelope {
    error: EnvelopeError,
}
#[derive(Deserialize)]
struct EnvelopeError {
    code: String,
    message: String,
    #[serde(default)]
    details: Option<Value>,
}

/// A bounded, single-line excerpt of a body that is not the error envelope.
fn excerpt(body: &[u8], status: u16) -> String {
    let text = String::from_utf8_lossy(body);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        return format!("HTTP {status} with no body");
    }
    let mut out: String = flat.chars().take(BODY_EXCERPT_CHARS).collect();
    if flat.chars().count() > BODY_EXCERPT_CHARS {
        out.push('…');
    }
    out
}

fn request_id(h: &HeaderMap) -> Option<String> {
    h.get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Maps a non-2xx response to an error: the official crate's variant (by `error.code`, else
/// [`Error::Api`]) wrapped in an [`Error::Context`] with everything else the response said.
/// [`Client::execute`] unwraps it unless the client keeps error context.
pub fn api_error(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    key: &ApiKey,
    attempts: u32,
) -> Error {
    let (code, mut message, details) = match serde_json::from_slice::<Envelope>(body) {
        Ok(e) => (e.error.code, e.error.message, e.error.details),
        Err(_) => ("unknown".to_string(), excerpt(body, status), None),
    };
    if (300..400).contains(&status) {
        let to = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("?");
        message = format!(
            "unexpected redirect (HTTP {status}) to {to}: API requests do not follow redirects, \
             so the API key is never forwarded; check the base URL"
        );
    }
    if status == 401 {
        message = format!(
            "{message}. Check that the API key from {} (ending {}) is complete, not mistyped, \
             and has not been deleted",
            key.source(),
            key.hint()
        );
    }
    let request_id = request_id(headers);
    let retry_after = retry::parse_retry_after(headers).map(retry::ceil_secs);
    // A 429 keeps its `Retry-After` even without the envelope (the official variant is then
    // `Api`, which has no field for it).
    let limited = class_status(&code, status) == 429;
    let error = Error::from_response(
        status,
        code,
        message,
        details.clone(),
        request_id.clone(),
        retry_after,
    );
    ErrorContext {
        status: Some(status),
        request_id,
        details,
        retry_after: retry_after.filter(|_| limited),
        rate_limit: Some(RateLimit::from_headers(headers)),
        attempts,
        ..ErrorContext::new(error)
    }
    .into_error()
}

enum Attempt {
    Done(RawResponse),
    Retry {
        error: Error,
        wait_floor: Option<Duration>,
    },
    Fail(Error),
}

/// One attempt of a call: its number, whether replaying it is safe, the time left for it, its
/// pacing ticket and its `traceparent` (telemetry on).
struct AttemptOf {
    n: u32,
    safe: bool,
    remaining: Duration,
    ticket: crate::pacing::Ticket,
    traceparent: Option<HeaderValue>,
}

impl Attempt {
    /// What the attempt came to, for its span and metrics.
    fn report(&self) -> telemetry::attempt::Outcome<'_> {
        match self {
            Attempt::Done(r) => telemetry::attempt::Outcome {
                status: Some(r.status),
                failure: None,
                request_id: r.meta.request_id.as_deref(),
                rate_limit: Some(&r.meta.rate_limit),
            },
            Attempt::Retry { error, .. } | Attempt::Fail(error) => telemetry::attempt::Outcome {
                status: error.status(),
                failure: Some(telemetry::attempt::Failure::of(error)),
                request_id: error.request_id(),
                rate_limit: error.rate_limit(),
            },
        }
    }
}

impl Client {
    fn build_url(&self, spec: &RequestSpec) -> url::Url {
        let base = &self.inner.base;
        let mut url = base.clone();
        // `spec.path` is encoded already; a base of `https://host` has the path "/".
        let prefix = base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{}", spec.path));
        if !spec.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(spec.query.iter().map(|(k, v)| (&**k, &**v)));
        }
        url
    }

    /// Runs one call: every attempt, the waits between them, and the overall deadline. Errors
    /// come in the official crate's shape, or as [`Error::Context`] when the client keeps error
    /// context ([`crate::ClientBuilder::error_context`]).
    pub async fn execute(&self, mut spec: RequestSpec) -> Result<RawResponse> {
        if let Some(bad) = crate::path::unsendable_segment(&spec.path) {
            let why = if bad.is_empty() {
                "an empty segment addresses another resource (the collection, or no route)"
            } else {
                "URLs resolve it as a relative path, so the request would reach another resource"
            };
            return Err(Error::Config(format!(
                "{bad:?} is not a valid id or name: {why} ({} {})",
                spec.method, spec.template
            )));
        }
        // Every write carries a key made once per call, so a retry can never apply it twice.
        if spec.idempotency_key.is_none() && matches!(spec.method, Method::POST | Method::DELETE) {
            spec.idempotency_key = Some(uuid::Uuid::new_v4().to_string());
        }
        let span =
            tracing::info_span!("ticksupply.request", method = %spec.method, path = spec.template);
        self.execute_inner(spec)
            .instrument(span)
            .await
            .map_err(|e| self.shape_error(e))
    }

    async fn execute_inner(&self, spec: RequestSpec) -> Result<RawResponse> {
        let inner = &self.inner;
        let url = self.build_url(&spec);
        let started = Instant::now();
        let mut deadline = started + inner.total_timeout;
        let safe = retry::replay_safe(&spec.method, spec.idempotency_key.is_some());
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            // Opt-in rate-limit pacing (`pace_rate_limit`); its wait extends the deadline.
            let ticket = crate::pacing::acquire(inner.pacer.as_ref()).await;
            deadline += ticket.waited();
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Error::Timeout {
                    elapsed: started.elapsed(),
                    attempts: attempt - 1,
                });
            }
            let attempt_start = Instant::now();
            let trace = telemetry::attempt::start(
                self,
                telemetry::attempt::Target {
                    method: spec.method.as_str(),
                    template: Some(spec.template),
                    url: telemetry::attempt::UrlRef::Parsed(&url),
                    resend_count: attempt - 1,
                },
            )
            .await;
            let traceparent = trace.as_ref().and_then(|t| t.traceparent().cloned());
            let this = AttemptOf {
                n: attempt,
                safe,
                remaining,
                ticket,
                traceparent,
            };
            let outcome = self.attempt(&spec, &url, this).await;
            if let Some(t) = trace {
                t.end(outcome.report());
            }
            let (error, floor) = match outcome {
                Attempt::Done(mut r) => {
                    r.meta.attempts = attempt;
                    r.meta.elapsed = started.elapsed();
                    r.meta.idempotency_key = spec.idempotency_key.clone();
                    tracing::debug!(
                        status = r.status,
                        request_id = r.meta.request_id.as_deref().unwrap_or(""),
                        attempt,
                        elapsed_ms = attempt_start.elapsed().as_millis() as u64,
                        "ticksupply attempt"
                    );
                    return Ok(r);
                }
                Attempt::Fail(e) => {
                    log_failure(&e, attempt, attempt_start);
                    return Err(e);
                }
                Attempt::Retry { error, wait_floor } => (error, wait_floor),
            };
            log_failure(&error, attempt, attempt_start);
            if attempt > inner.max_retries {
                return Err(error);
            }
            if let Some(f) = floor.filter(|f| *f > MAX_RETRY_AFTER) {
                tracing::info!(
                    retry_after_s = f.as_secs(),
                    "server asked to wait too long; not retrying"
                );
                return Err(error);
            }
            let wait = inner.backoff.delay(attempt).max(floor.unwrap_or_default());
            if Instant::now() + wait >= deadline {
                return Err(error);
            }
            tracing::info!(attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, spec: &RequestSpec, url: &url::Url, this: AttemptOf) -> Attempt {
        let AttemptOf {
            n,
            safe,
            remaining,
            ticket,
            traceparent,
        } = this;
        let inner = &self.inner;
        let key = inner.key.load_full();
        let timeout = inner.timeout.min(remaining);
        let mut req = inner
            .http
            .request(spec.method.clone(), url.clone())
            .timeout(timeout)
            .header(X_API_KEY, key.header().clone())
            .header(USER_AGENT, inner.user_agent.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(k) = &spec.idempotency_key
            && let Ok(v) = HeaderValue::from_str(k)
        {
            req = req.header(IDEMPOTENCY_KEY, v);
        }
        if let Some(t) = traceparent {
            req = req.header(TRACEPARENT, t);
        }
        match &spec.body {
            Some(b) => {
                req = req
                    .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                    .body(b.clone());
            }
            // A body-less POST/PUT says so: some front ends answer 411 otherwise.
            None if matches!(spec.method, Method::POST | Method::PUT) => {
                req = req.header(CONTENT_LENGTH, HeaderValue::from_static("0"));
            }
            None => {}
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return transport_failure(e, n, safe, timeout),
        };
        let status = resp.status().as_u16();
        let success = (200..300).contains(&status);
        let meta = ResponseMeta {
            request_id: request_id(resp.headers()),
            status,
            rate_limit: RateLimit::from_headers(resp.headers()),
            ..Default::default()
        };
        ticket.observe(&meta.rate_limit, status);
        // Only an error needs the headers after the body is read (Retry-After, Location).
        let headers = (!success).then(|| resp.headers().clone());
        let body = match read_body(resp).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                return Attempt::Fail(Error::Protocol {
                    message: format!("response body is larger than {MAX_RESPONSE_BYTES} bytes"),
                    request_id: meta.request_id,
                });
            }
            Err(BodyError::Transport(e)) => return transport_failure(e, n, safe, timeout),
        };
        let Some(headers) = headers else {
            return Attempt::Done(RawResponse { status, body, meta });
        };
        let error = api_error(status, &headers, &body, &key, n);
        if retry::retryable_status(status) {
            Attempt::Retry {
                error,
                wait_floor: retry::parse_retry_after(&headers),
            }
        } else {
            Attempt::Fail(error)
        }
    }
}

fn log_failure(e: &Error, attempt: u32, start: Instant) {
    tracing::debug!(
        status = e.status().unwrap_or(0),
        request_id = e.request_id().unwrap_or(""),
        code = e.code(),
        attempt,
        elapsed_ms = start.elapsed().as_millis() as u64,
        "ticksupply attempt failed"
    );
}

/// Connect failures are retried for any method (nothing was sent); failures after sending only
/// when the request is safe to replay.
fn transport_failure(e: reqwest::Error, attempts: u32, safe: bool, timeout: Duration) -> Attempt {
    if e.is_builder() {
        return Attempt::Fail(Error::Config(format!("cannot build the request: {e}")));
    }
    let sent = !e.is_connect();
    let error = if e.is_timeout() {
        Error::Timeout {
            elapsed: timeout,
            attempts,
        }
    } else {
        ErrorContext {
            attempts,
            request_sent: Some(sent),
            ..ErrorContext::new(Error::Network(e))
        }
        .into_error()
    };
    if !sent || safe {
        Attempt::Retry {
            error,
            wait_floor: None,
        }
    } else {
        Attempt::Fail(error)
    }
}

enum BodyError {
    TooLarge,
    Transport(reqwest::Error),
}

async fn read_body(mut resp: reqwest::Response) -> std::result::Result<Bytes, BodyError> {
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(BodyError::TooLarge);
    }
    if resp.content_length().is_some() {
        // Known, bounded length: let reqwest collect it without an extra copy.
        return resp.bytes().await.map_err(BodyError::Transport);
    }
    let mut buf =
        BytesMut::with_capacity(resp.content_length().unwrap_or(8192).min(1 << 20) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if buf.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

//! Injected faults (`POST /_mock/faults`): what a proxy, a crash or a flaky network does.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Only this method (any when absent).
    pub method: Option<String>,
    /// Only paths starting with this, e.g. `/v1/exports` or `/artifacts/` (any when absent).
    pub path_prefix: Option<String>,
    /// Status to answer with (default 503).
    pub status: Option<u16>,
    /// Perform the operation first, then fail: the case idempotency keys exist for.
    #[serde(default)]
    pub after_commit: bool,
    /// Chance that a matching request is hit (default 1).
    pub probability: Option<f64>,
    /// How many requests to hit before the fault retires (default: until cleared).
    pub times: Option<u64>,
    /// Delay before answering (or before dropping).
    pub delay_ms: Option<u64>,
    /// Close the connection without an answer.
    #[serde(default)]
    pub drop_connection: bool,
    /// Send this many bytes of the body (with the full `Content-Length`), then drop the
    /// connection: a truncated response on the API listener, a cut download on the artifacts one.
    pub drop_after_bytes: Option<u64>,
    /// Raw body to answer with instead of the JSON envelope (e.g. an HTML 502 page).
    pub body: Option<String>,
    /// Raw body as base64, for bytes that are not UTF-8.
    pub body_base64: Option<String>,
    /// A body of this many `x` bytes (an oversized response).
    pub body_bytes: Option<u64>,
    /// `Content-Type` of `body` (default `text/html` when `body` is given).
    pub content_type: Option<String>,
    /// Error code of the JSON envelope (default from the status).
    pub code: Option<String>,
    /// Extra response headers, e.g. `{"Retry-After": "2"}`.
    pub headers: Option<serde_json::Map<String, Value>>,
}

#[derive(Debug, Clone)]
pub struct Fault {
    pub spec: FaultSpec,
    /// `None` applies to every account; otherwise only to the account that registered it.
    pub account: Option<String>,
    pub hits: u64,
}

impl Fault {
    pub fn matches(&self, method: &str, path: &str, account: Option<&str>) -> bool {
        if let Some(a) = &self.account
            && Some(a.as_str()) != account
        {
            return false;
        }
        if let Some(m) = &self.spec.method
            && !m.eq_ignore_ascii_case(method)
        {
            return false;
        }
        if let Some(p) = &self.spec.path_prefix
            && !path.starts_with(p.as_str())
        {
            return false;
        }
        self.spec.times.is_none_or(|t| self.hits < t)
    }
}

/// Finds the first live fault for a request, counting the hit.
pub fn take(
    faults: &std::sync::Mutex<Vec<Fault>>,
    method: &str,
    path: &str,
    account: Option<&str>,
) -> Option<FaultSpec> {
    let mut faults = faults.lock().unwrap();
    for f in faults.iter_mut() {
        if f.matches(method, path, account) {
            let p = f.spec.probability.unwrap_or(1.0);
            if p < 1.0 && rand::random::<f64>() >= p {
                continue;
            }
            f.hits += 1;
            return Some(f.spec.clone());
        }
    }
    None
}

pub fn default_code(status: u16) -> &'static str {
    match status {
        400 => "invalid_argument",
        401 => "unauthenticated",
        402 => "payment_required",
        403 => "permission_denied",
        404 => "not_found",
        408 => "request_timeout",
        409 => "already_exists",
        429 => "rate_limited",
        503 => "unavailable",
        _ => "internal",
    }
}

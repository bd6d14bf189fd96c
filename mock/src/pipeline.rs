//! What every API request goes through before and after its handler, in the documented order:
//! auth → rate limit → (faults) → idempotency → handler → (after-commit faults).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::errors::ApiError;
use crate::faults::{self, FaultSpec};
use crate::idempotency::{self, Claim, StoredResponse};
use crate::ratelimit::RateState;
use crate::serve::ConnKill;
use crate::state::{Account, App, RecordedRequest, redact, request_id};
use crate::timefmt;

/// The authenticated account, for handlers.
#[derive(Clone)]
pub struct Ctx {
    pub account: Arc<Account>,
}

pub const MAX_BODY: usize = 1 << 20;

pub fn log_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
            let v = if k.as_str() == "x-api-key" {
                redact(&v)
            } else {
                v
            };
            (k.as_str().to_string(), v)
        })
        .collect()
}

fn set(resp: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        resp.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

fn rate_headers(resp: &mut Response, r: &RateState) {
    set(resp, "x-ratelimit-limit-minute", r.limit_minute);
    set(resp, "x-ratelimit-remaining-minute", r.remaining_minute);
    set(resp, "x-ratelimit-limit-hour", r.limit_hour);
    set(resp, "x-ratelimit-remaining-hour", r.remaining_hour);
    if let Some((_, reset_m, reset_h)) = r.exhausted {
        if let Some(m) = reset_m {
            set(resp, "x-ratelimit-reset-minute", m);
        }
        if let Some(h) = reset_h {
            set(resp, "x-ratelimit-reset-hour", h);
        }
    }
}

/// The response an injected fault answers with.
pub fn fault_response(f: &FaultSpec) -> Response {
    let status =
        StatusCode::from_u16(f.status.unwrap_or(503)).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let raw: Option<Vec<u8>> = if let Some(b64) = &f.body_base64 {
        use base64::Engine;
        Some(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_else(|_| b64.clone().into_bytes()),
        )
    } else if let Some(n) = f.body_bytes {
        Some(vec![
            b'x';
            usize::try_from(n).unwrap_or(usize::MAX).min(1 << 30)
        ])
    } else {
        f.body.clone().map(String::into_bytes)
    };
    let mut resp = match raw {
        Some(body) => {
            let ct = f.content_type.clone().unwrap_or_else(|| "text/html".into());
            let mut r = (status, body).into_response();
            if let Ok(v) = HeaderValue::from_str(&ct) {
                r.headers_mut().insert(axum::http::header::CONTENT_TYPE, v);
            }
            r
        }
        None => {
            let code = f
                .code
                .clone()
                .unwrap_or_else(|| faults::default_code(status.as_u16()).into());
            let body = serde_json::json!({"error": {"code": code, "message": format!("Injected fault: HTTP {}", status.as_u16())}});
            (status, axum::Json(body)).into_response()
        }
    };
    if let Some(h) = &f.headers {
        for (k, v) in h {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(&v)) {
                resp.headers_mut().insert(k, v);
            }
        }
    }
    resp
}

/// Applies a fault's delay, then drops the connection or answers (in full, or cut short after
/// `drop_after_bytes` of the body).
pub async fn fire(f: &FaultSpec, kill: Option<&ConnKill>) -> Response {
    if let Some(ms) = f.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if f.drop_connection
        && let Some(k) = kill
    {
        k.drop_connection().await;
    }
    let resp = fault_response(f);
    match (f.drop_after_bytes, kill) {
        (Some(n), Some(k)) => truncated(resp, n, k.clone()).await,
        _ => resp,
    }
}

/// `resp` with its full `Content-Length` but only the first `n` body bytes, then a cut connection.
async fn truncated(resp: Response, n: u64, kill: ConnKill) -> Response {
    let (mut parts, body) = resp.into_parts();
    let full = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts.headers.insert(
        axum::http::header::CONTENT_LENGTH,
        HeaderValue::from(full.len() as u64),
    );
    let head = full.slice(..usize::try_from(n).unwrap_or(usize::MAX).min(full.len()));
    use futures_util::StreamExt;
    let cut = futures_util::stream::once(async move {
        // Let the bytes already sent reach the client, then cut the connection.
        tokio::time::sleep(Duration::from_millis(50)).await;
        kill.drop_connection().await;
        #[allow(unreachable_code)]
        Err(std::io::Error::other("injected truncation"))
    });
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(head)]).chain(cut);
    Response::from_parts(parts, Body::from_stream(stream))
}

/// A request's log entry, written when dropped if the request never got an answer.
struct Unanswered {
    app: Arc<App>,
    entry: Option<RecordedRequest>,
}

impl Drop for Unanswered {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            self.app.record(entry);
        }
    }
}

/// Canonical request fingerprint: method, path and body (JSON re-serialised so that key order and
/// whitespace do not matter).
fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let canon = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => v.to_string(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    format!("{method} {path}\n{canon}")
}

pub async fn pipeline(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let rid = request_id();
    let (mut parts, body) = req.into_parts();
    let method = parts.method.as_str().to_string();
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    let query = parts.uri.query().map(str::to_string);
    let kill = parts.extensions.get::<ConnKill>().cloned();
    let logged_headers = log_headers(&parts.headers);
    let account = parts
        .headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .and_then(|k| app.account_for_key(k));

    // Recorded when the request ends; with status 0 if it never got an answer (the client
    // gave up, or a fault dropped the connection), since the future is then dropped.
    let log = std::sync::Mutex::new(Unanswered {
        app: app.clone(),
        entry: Some(RecordedRequest {
            request_id: Some(rid.clone()),
            listener: "api",
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            headers: logged_headers,
            account: account.as_ref().map(|a| a.name.clone()),
            status: 0,
            time: timefmt::rfc3339(timefmt::now()),
        }),
    });
    let record = |status: u16| {
        let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mut entry) = log.entry.take() {
            entry.status = status;
            app.record(entry);
        }
    };
    let finish = |mut resp: Response, rate: Option<&RateState>| {
        set(&mut resp, "x-request-id", &rid);
        match rate {
            Some(r) => rate_headers(&mut resp, r),
            // Unauthenticated: no account bucket; report the configured defaults.
            None => rate_headers(
                &mut resp,
                &RateState {
                    limit_minute: app.config.rate_limit_minute,
                    remaining_minute: app.config.rate_limit_minute,
                    limit_hour: app.config.rate_limit_hour,
                    remaining_hour: app.config.rate_limit_hour,
                    exhausted: None,
                },
            ),
        }
        record(resp.status().as_u16());
        resp
    };

    let Some(account) = account else {
        return finish(ApiError::unauthenticated().into_response(), None);
    };
    let rate = account.buckets.lock().unwrap().take();
    if let Some((retry_after, _, _)) = rate.exhausted {
        let mut resp = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Rate limit exceeded. Retry after {retry_after} seconds."),
        )
        .into_response();
        set(&mut resp, "retry-after", retry_after);
        return finish(resp, Some(&rate));
    }

    let fault = faults::take(&app.faults, &method, &path, Some(&account.name));
    if let Some(f) = fault.as_ref().filter(|f| !f.after_commit) {
        let resp = fire(f, kill.as_ref()).await;
        return finish(resp, Some(&rate));
    }

    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::invalid(format!("Request body is larger than {MAX_BODY} bytes"));
            return finish(e.into_response(), Some(&rate));
        }
    };

    let idem = match (method.as_str(), parts.headers.get("idempotency-key")) {
        ("POST" | "DELETE" | "PUT", Some(v)) => {
            let key = String::from_utf8_lossy(v.as_bytes()).into_owned();
            if !idempotency::valid_key(&key) {
                let e =
                    ApiError::invalid("Idempotency-Key must be a UUID of at most 128 characters");
                return finish(e.into_response(), Some(&rate));
            }
            let fp = fingerprint(&method, &path, &body);
            let started = Instant::now();
            loop {
                match account.idempotency.claim(&key, &fp) {
                    Claim::Owner => break Some((key, fp)),
                    Claim::Replay(stored) => {
                        let mut resp = Response::new(Body::from(stored.body));
                        *resp.status_mut() =
                            StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
                        if !resp.body().is_empty_hint() {
                            set(&mut resp, "content-type", "application/json");
                        }
                        set(&mut resp, "idempotent-replayed", "true");
                        // A replay is a commit too: an after-commit fault still hits it.
                        if let Some(f) = fault.as_ref().filter(|f| f.after_commit) {
                            resp = fire(f, kill.as_ref()).await;
                        }
                        return finish(resp, Some(&rate));
                    }
                    Claim::Conflict => {
                        let e = ApiError::conflict(
                            "Idempotency-Key was already used with a different request",
                        );
                        return finish(e.into_response(), Some(&rate));
                    }
                    Claim::Busy if started.elapsed() < idempotency::IN_FLIGHT_WAIT => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Claim::Busy => {
                        let e = ApiError::conflict(
                            "A request with this Idempotency-Key is still being processed",
                        );
                        return finish(e.into_response(), Some(&rate));
                    }
                }
            }
        }
        _ => None,
    };

    parts.extensions.insert(Ctx {
        account: account.clone(),
    });
    let resp = next.run(Request::from_parts(parts, Body::from(body))).await;

    let resp = match idem {
        Some((key, fp)) if resp.status().as_u16() < 500 => {
            let (rparts, rbody) = resp.into_parts();
            let bytes: Bytes = axum::body::to_bytes(rbody, usize::MAX)
                .await
                .unwrap_or_default();
            account.idempotency.complete(
                &key,
                &fp,
                StoredResponse {
                    status: rparts.status.as_u16(),
                    body: bytes.clone(),
                },
            );
            Response::from_parts(rparts, Body::from(bytes))
        }
        Some((key, _)) => {
            account.idempotency.release(&key);
            resp
        }
        None => resp,
    };

    if let Some(f) = fault.as_ref().filter(|f| f.after_commit) {
        let resp = fire(f, kill.as_ref()).await;
        return finish(resp, Some(&rate));
    }
    finish(resp, Some(&rate))
}

trait EmptyHint {
    fn is_empty_hint(&self) -> bool;
}
impl EmptyHint for Body {
    fn is_empty_hint(&self) -> bool {
        use hyper::body::Body as _;
        self.size_hint().exact() == Some(0)
    }
}

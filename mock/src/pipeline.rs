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
    let mut resp = match &f.body {
        Some(body) => {
            let ct = f.content_type.clone().unwrap_or_else(|| "text/html".into());
            let mut r = (status, body.clone()).into_response();
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

/// Applies a fault's delay, then drops the connection or answers.
pub async fn fire(f: &FaultSpec, kill: Option<&ConnKill>) -> Response {
    if let Some(ms) = f.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if f.drop_connection
        && let Some(k) = kill
    {
        k.drop_connection().await;
    }
    fault_response(f)
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

    let finish = |mut resp: Response, account: Option<&Account>, rate: Option<&RateState>| {
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
        app.record(RecordedRequest {
            request_id: Some(rid.clone()),
            listener: "api",
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            headers: logged_headers.clone(),
            account: account.map(|a| a.name.clone()),
            status: resp.status().as_u16(),
            time: timefmt::rfc3339(timefmt::now()),
        });
        resp
    };

    let Some(account) = account else {
        return finish(ApiError::unauthenticated().into_response(), None, None);
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
        return finish(resp, Some(&account), Some(&rate));
    }

    let fault = faults::take(&app.faults, &method, &path, Some(&account.name));
    if let Some(f) = fault.as_ref().filter(|f| !f.after_commit) {
        let resp = fire(f, kill.as_ref()).await;
        return finish(resp, Some(&account), Some(&rate));
    }

    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::invalid(format!("Request body is larger than {MAX_BODY} bytes"));
            return finish(e.into_response(), Some(&account), Some(&rate));
        }
    };

    let idem = match (method.as_str(), parts.headers.get("idempotency-key")) {
        ("POST" | "DELETE" | "PUT", Some(v)) => {
            let key = String::from_utf8_lossy(v.as_bytes()).into_owned();
            if !idempotency::valid_key(&key) {
                let e =
                    ApiError::invalid("Idempotency-Key must be a UUID of at most 128 characters");
                return finish(e.into_response(), Some(&account), Some(&rate));
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
                        return finish(resp, Some(&account), Some(&rate));
                    }
                    Claim::Conflict => {
                        let e = ApiError::conflict(
                            "Idempotency-Key was already used with a different request",
                        );
                        return finish(e.into_response(), Some(&account), Some(&rate));
                    }
                    Claim::Busy if started.elapsed() < idempotency::IN_FLIGHT_WAIT => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Claim::Busy => {
                        let e = ApiError::conflict(
                            "A request with this Idempotency-Key is still being processed",
                        );
                        return finish(e.into_response(), Some(&account), Some(&rate));
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
        return finish(resp, Some(&account), Some(&rate));
    }
    finish(resp, Some(&account), Some(&rate))
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

//! Test control under `/_mock` (not part of the real API): faults, recorded requests, billing
//! status, keys and export outcomes. A request carrying `X-Api-Key` is scoped to that key's
//! account, so parallel tests in separate accounts do not see each other.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use bytes::Bytes;
use serde_json::{Value, json};

use super::{AppState, json_body, no_content, ok, query};
use crate::errors::{ApiError, ApiResult};
use crate::faults::{Fault, FaultSpec};
use crate::state::{Account, App};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/faults",
            post(add_fault).delete(clear_faults).get(list_faults),
        )
        .route("/requests", get(requests).delete(clear_requests))
        .route("/billing", post(set_billing))
        .route("/keys", post(add_key))
        .route("/keys/{key}", delete(delete_key))
        .route("/exports/{id}/fail", post(fail_export))
        .route("/clock", get(get_clock).post(set_clock))
        .route("/health", get(|| async { ok(json!({ "ok": true })) }))
}

/// The account named by the request's `X-Api-Key`, if any (an unknown key is an error).
fn scoped(app: &App, headers: &HeaderMap) -> ApiResult<Option<Arc<Account>>> {
    match headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        None => Ok(None),
        Some(k) => app
            .account_for_key(k)
            .map(Some)
            .ok_or_else(ApiError::unauthenticated),
    }
}

fn required(app: &App, headers: &HeaderMap) -> ApiResult<Arc<Account>> {
    scoped(app, headers)?
        .ok_or_else(|| ApiError::invalid("X-Api-Key is required to select the account"))
}

async fn add_fault(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let account = scoped(&app, &headers)?;
    let spec: FaultSpec = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("Invalid fault: {e}")))?;
    app.faults.lock().unwrap().push(Fault {
        spec,
        account: account.map(|a| a.name.clone()),
        hits: 0,
    });
    Ok((StatusCode::CREATED, axum::Json(json!({ "ok": true }))).into_response())
}

async fn list_faults(State(app): State<AppState>) -> Response {
    let faults = app.faults.lock().unwrap();
    ok(Value::Array(
        faults.iter().map(|f| json!({ "account": f.account, "hits": f.hits, "path_prefix": f.spec.path_prefix })).collect(),
    ))
}

async fn clear_faults(State(app): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let account = scoped(&app, &headers)?.map(|a| a.name.clone());
    app.faults
        .lock()
        .unwrap()
        .retain(|f| account.is_some() && f.account != account);
    Ok(no_content())
}

async fn requests(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let account = scoped(&app, &headers)?.map(|a| a.name.clone());
    let q = query(raw);
    let log = app.requests.lock().unwrap();
    let items: Vec<Value> = log
        .iter()
        .filter(|r| account.is_none() || r.account == account)
        .filter(|r| q.get("listener").is_none_or(|l| l == r.listener))
        .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
        .collect();
    Ok(ok(Value::Array(items)))
}

async fn clear_requests(State(app): State<AppState>) -> Response {
    app.requests.lock().unwrap().clear();
    no_content()
}

async fn set_billing(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let account = required(&app, &headers)?;
    let body = json_body(&body)?;
    let status = body
        .get("access_status")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !["ACTIVE", "TRIALING", "GRACE", "SUSPENDED", "NONE"].contains(&status) {
        return Err(ApiError::invalid(
            "access_status must be ACTIVE, TRIALING, GRACE, SUSPENDED or NONE",
        ));
    }
    let mut data = account.data.lock().unwrap();
    let b = &mut data.billing;
    b.access_status = status.to_string();
    if let Some(p) = body.get("plan_code") {
        b.plan_code = p.as_str().map(str::to_string);
    }
    if let Some(g) = body.get("grace_until") {
        b.grace_until = g.as_str().map(str::to_string);
    }
    if let Some(c) = body.get("current_period_end") {
        b.current_period_end = c.as_str().map(str::to_string);
    }
    Ok(no_content())
}

async fn add_key(State(app): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let account = body
        .get("account")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let key = body
        .get("key")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let (Some(account), Some(key)) = (account, key) else {
        return Err(ApiError::invalid("account and key are required"));
    };
    let limits = match (body.get("rate_limit_minute"), body.get("rate_limit_hour")) {
        (None, None) => None,
        (m, h) => Some((
            m.and_then(Value::as_u64)
                .unwrap_or(app.config.rate_limit_minute as u64) as u32,
            h.and_then(Value::as_u64)
                .unwrap_or(app.config.rate_limit_hour as u64) as u32,
        )),
    };
    app.add_key(account, key, limits);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "account": account })),
    )
        .into_response())
}

async fn delete_key(State(app): State<AppState>, Path(key): Path<String>) -> ApiResult<Response> {
    if app.remove_key(&key) {
        Ok(no_content())
    } else {
        Err(ApiError::not_found("No such key"))
    }
}

async fn fail_export(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let account = required(&app, &headers)?;
    let reason = if body.is_empty() {
        None
    } else {
        json_body(&body)?
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut data = account.data.lock().unwrap();
    let e = data
        .export_by_id(&id)
        .ok_or_else(|| ApiError::not_found(format!("Export {id} not found")))?;
    super::exports::force_failure(
        &app,
        e,
        reason.unwrap_or_else(|| "Export failed (injected)".into()),
    )?;
    Ok(no_content())
}

/// `GET /_mock/clock`: the collection clock of the key's account (or the server's).
async fn get_clock(State(app): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let account = scoped(&app, &headers)?;
    let ns = app.collection_now_ns(account.as_deref());
    Ok(ok(json!({
        "now": crate::timefmt::rfc3339(chrono::DateTime::from_timestamp_nanos(ns)),
        "now_ns": ns,
    })))
}

/// `POST /_mock/clock {"now": T}`: sets the collection clock (RFC 3339 or integer nanoseconds)
/// of the key's account, or the server's without a key; it runs on from there. `{"now": null}`
/// puts it back on the wall clock. Only what has been collected moves: availability's last
/// range ends at this clock, and an export holds no row at or after it.
async fn set_clock(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let account = scoped(&app, &headers)?;
    let body = json_body(&body)?;
    let offset = match body.get("now") {
        Some(Value::Null) => None,
        Some(v) => {
            let t = crate::timefmt::parse_time_input(v)
                .map_err(|m| ApiError::invalid(format!("now {m}")))?;
            Some(t - crate::timefmt::to_ns(crate::timefmt::now()))
        }
        None => return Err(ApiError::invalid("now is required")),
    };
    match account {
        Some(a) => *a.clock_offset_ns.lock().unwrap() = offset,
        None => app
            .clock_offset_ns
            .store(offset.unwrap_or(0), std::sync::atomic::Ordering::Relaxed),
    }
    Ok(no_content())
}

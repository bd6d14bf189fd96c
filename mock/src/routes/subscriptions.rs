//! Subscriptions and their spans (spec §13.1).

use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{AppState, created, datastream_id, json_body, no_content, ok, paging, query};
use crate::errors::{ApiError, ApiResult};
use crate::pipeline::Ctx;
use crate::state::{AccountData, Span, SubStatus, Subscription, new_id};
use crate::timefmt::{now, rfc3339};

/// Billing-gated operations.
#[derive(Clone, Copy, PartialEq)]
pub enum Gate {
    Subscribe,
    Export,
}

/// SUSPENDED and NONE deny every gated call; GRACE denies starting new recording.
pub fn billing_gate(data: &AccountData, gate: Gate) -> ApiResult<()> {
    let status = data.billing.access_status.as_str();
    let denied = match status {
        "SUSPENDED" | "NONE" => true,
        "GRACE" => gate == Gate::Subscribe,
        _ => false,
    };
    if denied {
        return Err(ApiError::payment(format!(
            "Billing does not allow this operation (access status {status})"
        ))
        .with_details(json!({ "access_status": status })));
    }
    Ok(())
}

fn span_json(s: &Span) -> Value {
    json!({ "id": s.id, "started_at": rfc3339(s.started_at), "ended_at": s.ended_at.map(rfc3339) })
}

fn sub_json(app: &AppState, s: &Subscription) -> Value {
    let ds = app.catalog.datastream(s.datastream_id).map(|d| d.to_json());
    json!({
        "id": s.id, "datastream_id": s.datastream_id, "status": s.status.as_str(),
        "created_at": rfc3339(s.created_at), "datastream": ds,
    })
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Subscription {id} not found"))
}

pub async fn list(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = query(raw);
    let p = paging(&app, "subscriptions".into());
    let req = p.from_query(&q, 50, 100)?;
    let data = ctx.account.data.lock().unwrap();
    let live = data
        .subscriptions
        .values()
        .filter(|s| s.status != SubStatus::Deleted);
    Ok(ok(p.page(&req, live.map(|s| (s.ordinal, s)), |s| {
        sub_json(&app, s)
    })))
}

pub async fn create(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let ds_id = datastream_id(body.get("datastream_id"))?;
    let ds = app.catalog.datastream(ds_id).ok_or_else(|| {
        ApiError::invalid(format!(
            "Invalid datastream_id: datastream {ds_id} does not exist"
        ))
    })?;
    let mut data = ctx.account.data.lock().unwrap();
    if let Some(existing) = data
        .subscriptions
        .values()
        .find(|s| s.datastream_id == ds_id)
        && existing.status != SubStatus::Deleted
    {
        return Err(ApiError::conflict(format!(
            "Subscription already exists for datastream {ds_id}"
        ))
        .with_details(json!({ "subscription_id": existing.id })));
    }
    billing_gate(&data, Gate::Subscribe)?;
    let t = now();
    let span = Span {
        id: new_id("spn"),
        started_at: t,
        ended_at: None,
    };
    // Re-subscribing to a deleted datastream reuses the subscription id.
    let sub = match data
        .subscriptions
        .values_mut()
        .find(|s| s.datastream_id == ds_id)
    {
        Some(s) => {
            s.status = SubStatus::Active;
            s.created_at = t;
            s.spans = vec![span];
            s.clone()
        }
        None => {
            let ordinal = data.ordinal();
            let s = Subscription {
                ordinal,
                id: new_id("sub"),
                datastream_id: ds_id,
                status: SubStatus::Active,
                created_at: t,
                spans: vec![span],
            };
            data.subscriptions.insert(ordinal, s.clone());
            s
        }
    };
    Ok(created(
        StatusCode::CREATED,
        json!({
            "id": sub.id, "status": "active", "datastream": ds.to_json(),
            "created_at": rfc3339(sub.created_at), "spans": [],
        }),
    ))
}

pub async fn get(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let s = data.sub_by_id(&id).ok_or_else(|| not_found(&id))?;
    Ok(ok(sub_json(&app, s)))
}

pub async fn delete(Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let s = data.sub_by_id(&id).ok_or_else(|| not_found(&id))?;
    s.status = SubStatus::Deleted;
    s.spans.clear();
    Ok(no_content())
}

pub async fn pause(Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let s = data.sub_by_id(&id).ok_or_else(|| not_found(&id))?;
    match s.status {
        SubStatus::Deleted => Err(ApiError::invalid("Cannot pause a deleted subscription")),
        SubStatus::Paused => Ok(no_content()),
        SubStatus::Active => {
            s.status = SubStatus::Paused;
            let t = now();
            for span in s.spans.iter_mut().filter(|sp| sp.ended_at.is_none()) {
                span.ended_at = Some(t);
            }
            Ok(no_content())
        }
    }
}

pub async fn resume(Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let status = data.sub_by_id(&id).ok_or_else(|| not_found(&id))?.status;
    match status {
        SubStatus::Deleted => Err(ApiError::invalid(
            "Cannot resume a deleted subscription; create a new one instead",
        )),
        SubStatus::Active => Ok(no_content()),
        SubStatus::Paused => {
            billing_gate(&data, Gate::Subscribe)?;
            let s = data.sub_by_id(&id).expect("checked above");
            s.status = SubStatus::Active;
            s.spans.push(Span {
                id: new_id("spn"),
                started_at: now(),
                ended_at: None,
            });
            Ok(no_content())
        }
    }
}

pub async fn spans(Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let s = data.sub_by_id(&id).ok_or_else(|| not_found(&id))?;
    Ok(ok(Value::Array(s.spans.iter().map(span_json).collect())))
}

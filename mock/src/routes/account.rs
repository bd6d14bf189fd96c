//! Availability and billing.

use axum::extract::{Extension, RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, DurationRound, TimeDelta};
use serde_json::json;

use super::exports::view;
use super::{AppState, ok, query};
use crate::errors::{ApiError, ApiResult};
use crate::pipeline::Ctx;
use crate::rows;
use crate::timefmt::{now, rfc3339, to_ns};

/// What has been collected ([`crate::rows::collected`]) up to the account's collection clock,
/// its end truncated to the minute as `updated_at` is; the estimate is the exact row count.
pub async fn availability(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = query(raw);
    let id = match q.get("datastream_id").map(|s| s.parse::<i64>()) {
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            return Err(ApiError::invalid(
                "datastream_id must be a positive integer",
            ));
        }
        None => return Err(ApiError::invalid("datastream_id is required")),
    };
    let ds = app
        .catalog
        .datastream(id)
        .ok_or_else(|| ApiError::not_found(format!("Datastream {id} not found")))?;
    let collected_to = app.collection_now_ns(Some(&ctx.account));
    let updated = DateTime::from_timestamp_nanos(collected_to)
        .duration_trunc(TimeDelta::minutes(1))
        .unwrap_or_else(|_| now());
    let per_hour = app.rows_per_hour();
    let ranges: Vec<_> = rows::collected(to_ns(updated))
        .into_iter()
        .map(|(from, to)| json!({ "from": from, "to": to, "rows_estimate": rows::count(per_hour, from, to) }))
        .collect();
    Ok(ok(json!({
        "datastream": ds.to_json(),
        "ranges": ranges,
        "updated_at": rfc3339(updated),
    })))
}

pub async fn billing(State(app): State<AppState>, Extension(ctx): Extension<Ctx>) -> Response {
    let data = ctx.account.data.lock().unwrap();
    let t = now();
    let bytes: u64 = data
        .exports
        .values()
        .filter(|e| view(&app, e, t).status == "succeeded")
        .flat_map(|e| e.artifacts.iter().map(|a| a.raw_size))
        .sum();
    // GiB as an exact decimal string: bytes / 2^30 has at most 30 fractional digits; keep 6.
    let micro_gib = (bytes as u128 * 1_000_000) / (1u128 << 30);
    let gb_total = format!("{}.{:06}", micro_gib / 1_000_000, micro_gib % 1_000_000);
    let gb_total = gb_total
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string();
    let gb_total = if gb_total.is_empty() {
        "0".to_string()
    } else {
        gb_total
    };
    let b = &data.billing;
    let mut out = json!({
        "access_status": b.access_status,
        "plan_code": b.plan_code,
        "current_period_end": b.current_period_end,
        "usage": {
            "extra_stream_minutes_total": 0,
            "export_gb_total": gb_total,
            "export_gb_extra": 0,
        },
    });
    if b.access_status == "GRACE" {
        out["grace_until"] = json!(
            b.grace_until
                .clone()
                .unwrap_or_else(|| rfc3339(t + TimeDelta::days(7)))
        );
    }
    ok(out)
}

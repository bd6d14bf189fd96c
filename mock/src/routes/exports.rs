//! Export jobs (spec §13.2): created queued, running after a quarter of `--export-delay-ms`,
//! succeeded after all of it; cancel, delete and a test hook to fail them.

use std::sync::Arc;

use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::subscriptions::{Gate, billing_gate};
use super::{AppState, created, datastream_id, json_body, no_content, ok, paging, query};
use crate::artifacts::{presigned_url, served_len};
use crate::errors::{ApiError, ApiResult};
use crate::pipeline::Ctx;
use crate::render::{self, Column, Format, ParquetOptions};
use crate::rows::{self, HOUR_NS, RowSet};
use crate::state::{App, Artifact, Export, SubStatus, new_id};
use crate::timefmt::{now, parse_time_input, rfc3339};

/// Artifacts are hourly partitions; a longer window is cut into at most this many.
const MAX_ARTIFACTS: i64 = 24;

/// An export as seen at `at`: the clock drives queued → running → succeeded.
pub struct View {
    pub status: &'static str,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

pub fn view(app: &App, e: &Export, at: DateTime<Utc>) -> View {
    let delay = Duration::milliseconds(app.config.export_delay_ms as i64);
    let run_at = e.created_at + delay / 4;
    let done_at = e.created_at + delay;
    let started = |t: DateTime<Utc>| (t >= run_at).then_some(run_at);
    let mut v = if let Some(c) = e.canceled_at {
        View {
            status: "canceled",
            started_at: started(c),
            finished_at: Some(c),
            reason: None,
        }
    } else if let Some((t, reason)) = &e.forced_failure {
        View {
            status: "failed",
            started_at: Some(run_at.min(*t)),
            finished_at: Some(*t),
            reason: Some(reason.clone()),
        }
    } else if at < run_at {
        View {
            status: "queued",
            started_at: None,
            finished_at: None,
            reason: None,
        }
    } else if at < done_at {
        View {
            status: "running",
            started_at: Some(run_at),
            finished_at: None,
            reason: None,
        }
    } else if let Some(reason) = &e.fails_with {
        View {
            status: "failed",
            started_at: Some(run_at),
            finished_at: Some(done_at),
            reason: Some(reason.clone()),
        }
    } else {
        View {
            status: "succeeded",
            started_at: Some(run_at),
            finished_at: Some(done_at),
            reason: None,
        }
    };
    if e.deleted_at.is_some() {
        v.status = "deleted";
    }
    v
}

pub fn export_json(app: &App, e: &Export) -> Value {
    let v = view(app, e, now());
    let mut out = json!({
        "id": e.id, "datastream_id": e.datastream_id, "start_time": e.start_ns, "end_time": e.end_ns,
        "format": e.format, "format_options": e.format_options, "status": v.status,
        "created_at": rfc3339(e.created_at), "started_at": v.started_at.map(rfc3339),
        "finished_at": v.finished_at.map(rfc3339),
    });
    if let Some(r) = v.reason {
        out["reason"] = Value::String(r);
    }
    out
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Export {id} not found"))
}

pub async fn list(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = query(raw);
    let p = paging(&app, "exports".into());
    let req = p.from_query(&q, 50, 100)?;
    let data = ctx.account.data.lock().unwrap();
    let live = data.exports.values().filter(|e| e.deleted_at.is_none());
    Ok(ok(p.page(&req, live.map(|e| (e.ordinal, e)), |e| {
        export_json(&app, e)
    })))
}

/// `schema`: absent or `"raw"`, a built-in or custom name, a `sch_` id, or inline content.
/// Returns the content the artifacts are rendered with (its latest published version for a
/// stored schema); `None` is the raw schema.
fn resolve_schema(
    data: &crate::state::AccountData,
    schema: Option<&Value>,
    category: &str,
) -> ApiResult<Option<Value>> {
    match schema {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s == "raw" => Ok(None),
        Some(Value::String(s)) => {
            let name = if s == "normalized_trades" {
                "normalized"
            } else {
                s.as_str()
            };
            let found = if s.starts_with("sch_") {
                let found =
                    data.schemas.values().find(|x| x.id == *s).ok_or_else(|| {
                        ApiError::not_found(format!("Export schema {s} not found"))
                    })?;
                Some(found)
            } else {
                let same_name: Vec<_> = data.schemas.values().filter(|x| x.name == name).collect();
                if same_name.is_empty() {
                    return Err(ApiError::invalid(format!("Unknown schema \"{s}\"")));
                }
                same_name.into_iter().find(|x| x.category == category)
            };
            match found {
                Some(x) if x.category == category => {
                    x.versions.last().cloned().map(Some).ok_or_else(|| {
                        ApiError::invalid(format!("Schema \"{s}\" has no published version"))
                    })
                }
                _ => Err(ApiError::invalid(format!(
                    "Schema \"{s}\" does not apply to {category} datastreams"
                ))),
            }
        }
        Some(v @ Value::Object(_)) => super::schemas::validate_content(v).map(Some),
        Some(_) => Err(ApiError::invalid(
            "schema must be a name, a schema id or an object",
        )),
    }
}

/// The format, its `format_options` resolved as echoed, and both as the renderer takes them.
fn check_format(body: &Value) -> ApiResult<(String, Value, Format)> {
    let format = match body.get("format") {
        None | Some(Value::Null) => "csv",
        Some(Value::String(f)) if f == "csv" || f == "parquet" => f.as_str(),
        _ => return Err(ApiError::invalid("format must be \"csv\" or \"parquet\"")),
    };
    let opts = match body.get("format_options") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(o)) => o.clone(),
        _ => return Err(ApiError::invalid("format_options must be an object")),
    };
    let allowed: &[&str] = if format == "csv" {
        &[]
    } else {
        &["compression", "row_group_size"]
    };
    if let Some(k) = opts.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::invalid(format!(
            "format_options.{k} is not valid for format {format}"
        )));
    }
    let mut resolved = opts;
    let render_format = if format == "parquet" {
        let compression = resolved
            .entry("compression")
            .or_insert(json!("zstd"))
            .as_str()
            .and_then(render::parquet_compression)
            .ok_or_else(|| {
                ApiError::invalid(
                    "format_options.compression must be one of \"zstd\", \"snappy\", \"gzip\", \"lz4\" or \"none\"",
                )
            })?;
        let row_group_size = resolved
            .entry("row_group_size")
            .or_insert(json!(1_000_000))
            .as_u64()
            .filter(|n| *n > 0)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                ApiError::invalid("format_options.row_group_size must be a positive integer")
            })?;
        Format::Parquet(ParquetOptions {
            compression,
            row_group_size,
        })
    } else {
        Format::Csv
    };
    Ok((format.to_string(), Value::Object(resolved), render_format))
}

/// The export's artifacts: its rows (exactly those of `[start, end)` collected by `now_ns`), cut
/// into at most [`MAX_ARTIFACTS`] files of whole hours, one hour each for windows up to a day.
/// Hours without rows have no artifact; a window without rows has none at all.
#[allow(clippy::too_many_arguments)]
fn artifacts_for(
    app: &App,
    ds: &crate::catalog::Datastream,
    start: i64,
    end: i64,
    now_ns: i64,
    format: Format,
    columns: Option<Arc<Vec<Column>>>,
) -> Vec<Artifact> {
    let per_hour = app.rows_per_hour();
    let segments = rows::segments(ds.id, per_hour, start, end, &rows::collected(now_ns));
    let first_hour = start.div_euclid(HOUR_NS);
    let hours = (end - 1).div_euclid(HOUR_NS) - first_hour + 1;
    let hours_per_artifact = ((hours + MAX_ARTIFACTS - 1) / MAX_ARTIFACTS).max(1);
    let inst: String = ds
        .instrument
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let ext = format.extension();
    let mut groups: Vec<(i64, Vec<rows::Segment>)> = Vec::new();
    for seg in segments {
        let group = (seg.hour_start_ns.div_euclid(HOUR_NS) - first_hour) / hours_per_artifact;
        match groups.last_mut() {
            Some((g, segs)) if *g == group => segs.push(seg),
            _ => groups.push((group, vec![seg])),
        }
    }
    groups
        .into_iter()
        .map(|(_, segs)| {
            let stamp = DateTime::from_timestamp_nanos(segs[0].hour_start_ns).format("%Y%m%d%H");
            let set = RowSet {
                per_hour,
                segments: segs.into(),
                full_hour_size: app.artifact_size(),
            };
            Artifact {
                id: new_id("art"),
                filename: format!(
                    "{}_{inst}_{}_part_{stamp}.{ext}",
                    ds.exchange, ds.stream_type
                ),
                raw_size: crate::artifacts::Layout::new(&set).file_size,
                rows: set,
                format,
                columns: columns.clone(),
                exchange: ds.exchange,
            }
        })
        .collect()
}

pub async fn create(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let ds_id = datastream_id(body.get("datastream_id"))?;
    let start = parse_time_input(body.get("start_time").unwrap_or(&Value::Null))
        .map_err(|m| ApiError::invalid(format!("start_time {m}")))?;
    let end = parse_time_input(body.get("end_time").unwrap_or(&Value::Null))
        .map_err(|m| ApiError::invalid(format!("end_time {m}")))?;
    if start >= end {
        return Err(
            ApiError::invalid("Invalid time window: start_time must be before end_time")
                .with_details(json!({ "start_time": start, "end_time": end })),
        );
    }
    let (format, format_options, render_format) = check_format(&body)?;
    let ds = app.catalog.datastream(ds_id).ok_or_else(|| {
        ApiError::invalid(format!(
            "Invalid datastream_id: datastream {ds_id} does not exist"
        ))
    })?;
    let mut data = ctx.account.data.lock().unwrap();
    let content = resolve_schema(&data, body.get("schema"), ds.category())?;
    let columns = content.as_ref().map(|c| Arc::new(render::columns(c)));
    if let (Format::Parquet(_), Some(cols)) = (render_format, &columns) {
        render::check_parquet(cols, ds.exchange).map_err(ApiError::invalid)?;
    }
    match data
        .subscriptions
        .values()
        .find(|s| s.datastream_id == ds_id)
        .map(|s| s.status)
    {
        Some(SubStatus::Active | SubStatus::Paused) => {}
        Some(SubStatus::Deleted) => {
            return Err(ApiError::permission("Subscription has been deleted"));
        }
        None => {
            return Err(ApiError::permission(format!(
                "No active or paused subscription for datastream {ds_id}"
            )));
        }
    }
    billing_gate(&data, Gate::Export)?;
    let t = now();
    let collected_to = app.collection_now_ns(Some(&ctx.account));
    let id = new_id("exp");
    let artifacts = artifacts_for(&app, ds, start, end, collected_to, render_format, columns);
    {
        let mut all = app.artifacts.write().unwrap();
        for a in &artifacts {
            all.insert(a.id.clone(), (ctx.account.clone(), a.clone()));
        }
    }
    let ordinal = data.ordinal();
    let e = Export {
        ordinal,
        id,
        datastream_id: ds_id,
        start_ns: start,
        end_ns: end,
        format,
        format_options,
        created_at: t,
        canceled_at: None,
        forced_failure: None,
        fails_with: (start > collected_to)
            .then(|| "No data has been collected in the requested window".to_string()),
        deleted_at: None,
        artifacts,
    };
    let out = export_json(&app, &e);
    data.exports.insert(ordinal, e);
    Ok(created(StatusCode::ACCEPTED, out))
}

pub async fn get(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let e = data.export_by_id(&id).ok_or_else(|| not_found(&id))?;
    Ok(ok(export_json(&app, e)))
}

pub async fn delete(Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let e = data.export_by_id(&id).ok_or_else(|| not_found(&id))?;
    e.deleted_at.get_or_insert_with(now);
    Ok(no_content())
}

pub async fn cancel(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let e = data.export_by_id(&id).ok_or_else(|| not_found(&id))?;
    let t = now();
    match view(&app, e, t).status {
        "queued" | "running" => {
            e.canceled_at = Some(t);
            Ok(no_content())
        }
        "canceled" => Ok(no_content()),
        other => Err(ApiError::invalid(format!(
            "Export {id} cannot be canceled: it is {other}"
        ))),
    }
}

/// Test hook: make a queued or running export fail with `reason`.
pub fn force_failure(app: &App, e: &mut Export, reason: String) -> ApiResult<()> {
    match view(app, e, now()).status {
        "queued" | "running" => {
            e.forced_failure = Some((now(), reason));
            Ok(())
        }
        other => Err(ApiError::invalid(format!(
            "Export {} is already {other}",
            e.id
        ))),
    }
}

pub async fn download(
    State(app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    // The account lock is released before a typed artifact is rendered for its length.
    let e = {
        let mut data = ctx.account.data.lock().unwrap();
        let e = data.export_by_id(&id).ok_or_else(|| not_found(&id))?;
        let status = view(&app, e, now()).status;
        if status != "succeeded" {
            return Err(ApiError::invalid(format!(
                "Export {id} has no artifacts to download: it is {status}"
            )));
        }
        let e = e.clone();
        billing_gate(&data, Gate::Export)?;
        e
    };
    let mut artifacts = Vec::with_capacity(e.artifacts.len());
    let mut total = 0;
    for a in &e.artifacts {
        let bytes = served_len(&app, a).await.map_err(|err| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("Artifact {} could not be rendered: {err}", a.id),
            )
        })?;
        total += bytes;
        artifacts.push(
            json!({ "id": a.id, "url": presigned_url(&app, a), "bytes": bytes, "filename": a.filename }),
        );
    }
    Ok(ok(
        json!({ "artifacts": artifacts, "count": e.artifacts.len(), "total_bytes": total }),
    ))
}

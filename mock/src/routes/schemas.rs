//! Export schemas: built-ins, custom schemas, versions and drafts (spec §13.3, §15).

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{AppState, created, json_body, no_content, ok};
use crate::errors::{ApiError, ApiResult};
use crate::pipeline::Ctx;
use crate::state::{AccountData, Schema, new_id};
use crate::timefmt::{now, rfc3339};

pub const CATEGORIES: [&str; 7] = [
    "trade",
    "orderbook",
    "book_update",
    "quote",
    "kline",
    "ticker",
    "liquidation",
];
const META_FORMATS: [&str; 5] = ["ns", "us", "ms", "s", "iso8601"];
pub const MAX_COLUMNS: usize = 100;

fn built_in_created() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-05T23:32:01.535516Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Named as in the raw schema, so a normalized file's first column reads like a raw one's.
fn ts_col() -> Value {
    let meta = json!({ "value": "collection_timestamp_ns", "format": "ns" });
    json!({ "output_column": "collection_timestamp_ns", "meta": meta })
}

fn data_col(name: &str, path: &str, ty: &str) -> Value {
    let ex = |p: &str| json!({ "json": { "path": p, "type": ty } });
    json!({ "output_column": name, "data": { "binance": ex(path), "bybit_linear": ex(path) } })
}

/// Built-in schemas, the same in every account, with fixed ids.
pub fn seed_built_ins(data: &mut AccountData) {
    let mut add = |n: u32, name: &str, category: &str, columns: Vec<Value>| {
        let ordinal = data.ordinal();
        data.schemas.insert(
            ordinal,
            Schema {
                ordinal,
                id: format!("sch_{n:032}"),
                name: name.into(),
                category: category.into(),
                built_in: true,
                created_at: built_in_created(),
                versions: vec![json!({ "columns": columns })],
                draft: None,
            },
        );
    };
    let normalized = [
        (
            "trade",
            vec![
                ts_col(),
                data_col("price", "p", "decimal(18)"),
                data_col("qty", "q", "decimal(18)"),
                data_col("side", "m", "bool"),
            ],
        ),
        (
            "orderbook",
            vec![
                ts_col(),
                data_col("bids", "b", "string"),
                data_col("asks", "a", "string"),
            ],
        ),
        (
            "book_update",
            vec![
                ts_col(),
                data_col("bids", "b", "string"),
                data_col("asks", "a", "string"),
            ],
        ),
        (
            "quote",
            vec![
                ts_col(),
                data_col("bid", "b", "decimal(18)"),
                data_col("ask", "a", "decimal(18)"),
            ],
        ),
        (
            "kline",
            vec![
                ts_col(),
                data_col("open", "k.o", "decimal(18)"),
                data_col("close", "k.c", "decimal(18)"),
            ],
        ),
        (
            "liquidation",
            vec![
                ts_col(),
                data_col("price", "o.p", "decimal(18)"),
                data_col("qty", "o.q", "decimal(18)"),
            ],
        ),
    ];
    for (i, (cat, cols)) in normalized.into_iter().enumerate() {
        add(i as u32 + 1, "normalized", cat, cols);
    }
    add(
        7,
        "book_5",
        "orderbook",
        vec![
            ts_col(),
            data_col("bids", "b", "string"),
            data_col("asks", "a", "string"),
        ],
    );
    add(
        8,
        "book_20",
        "orderbook",
        vec![
            ts_col(),
            data_col("bids", "b", "string"),
            data_col("asks", "a", "string"),
        ],
    );
}

fn valid_type(t: &str) -> bool {
    matches!(t, "f64" | "i64" | "string" | "bool")
        || t.strip_prefix("decimal(")
            .and_then(|r| r.strip_suffix(')'))
            .is_some_and(|n| n.parse::<u8>().is_ok())
}

fn nonempty_str<'a>(v: Option<&'a Value>, what: &str) -> ApiResult<&'a str> {
    match v.and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::invalid(format!(
            "{what} must be a non-empty string"
        ))),
    }
}

fn validate_column(i: usize, c: &Value) -> ApiResult<String> {
    let c = c
        .as_object()
        .ok_or_else(|| ApiError::invalid(format!("columns[{i}] must be an object")))?;
    let name = nonempty_str(
        c.get("output_column"),
        &format!("columns[{i}].output_column"),
    )?;
    let meta = c.get("meta").filter(|v| !v.is_null());
    let data = c.get("data").filter(|v| !v.is_null());
    match (meta, data) {
        (Some(m), None) => {
            let value = m.get("value").and_then(Value::as_str);
            if value != Some("collection_timestamp_ns") {
                return Err(ApiError::invalid(format!(
                    "columns[{i}].meta.value must be \"collection_timestamp_ns\""
                )));
            }
            if let Some(f) = m.get("format").filter(|f| !f.is_null())
                && !f.as_str().is_some_and(|f| META_FORMATS.contains(&f))
            {
                return Err(ApiError::invalid(format!(
                    "columns[{i}].meta.format must be one of {META_FORMATS:?}"
                )));
            }
        }
        (None, Some(d)) => {
            let d = d.as_object().filter(|d| !d.is_empty()).ok_or_else(|| {
                ApiError::invalid(format!(
                    "columns[{i}].data must map exchange codes to extractors"
                ))
            })?;
            for (ex, x) in d {
                let j = x.get("json").ok_or_else(|| {
                    ApiError::invalid(format!("columns[{i}].data.{ex}.json is required"))
                })?;
                nonempty_str(j.get("path"), &format!("columns[{i}].data.{ex}.json.path"))?;
                let ty = j.get("type").and_then(Value::as_str).unwrap_or("");
                if !valid_type(ty) {
                    return Err(ApiError::invalid(format!(
                        "columns[{i}].data.{ex}.json.type must be decimal(N), f64, i64, string or bool"
                    )));
                }
                if let Some(t) = x.get("transform").filter(|t| !t.is_null())
                    && !t.is_string()
                {
                    return Err(ApiError::invalid(format!(
                        "columns[{i}].data.{ex}.transform must be a string"
                    )));
                }
            }
        }
        _ => {
            return Err(ApiError::invalid(format!(
                "columns[{i}] must have exactly one of \"meta\" or \"data\""
            )));
        }
    }
    Ok(name.to_string())
}

/// Validates schema content (`columns` + optional `unfold`/`derive`) and returns it normalised:
/// `null` or empty maps are dropped, as the API omits them.
pub fn validate_content(v: &Value) -> ApiResult<Value> {
    let cols = v
        .get("columns")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::invalid("columns is required and must be an array"))?;
    if cols.is_empty() {
        return Err(ApiError::invalid("columns must not be empty"));
    }
    if cols.len() > MAX_COLUMNS {
        return Err(ApiError::invalid("Schema has too many columns")
            .with_details(json!({ "max_columns": MAX_COLUMNS, "provided": cols.len() })));
    }
    let mut names = std::collections::HashSet::new();
    for (i, c) in cols.iter().enumerate() {
        let name = validate_column(i, c)?;
        if !names.insert(name.clone()) {
            return Err(ApiError::invalid(format!(
                "Duplicate output_column \"{name}\""
            )));
        }
    }
    let mut out = Map::new();
    out.insert("columns".into(), Value::Array(cols.clone()));
    if let Some(u) = v.get("unfold").filter(|u| !u.is_null()) {
        let u = u
            .as_object()
            .ok_or_else(|| ApiError::invalid("unfold must be an object"))?;
        for (ex, cfg) in u {
            nonempty_str(cfg.get("path"), &format!("unfold.{ex}.path"))?;
        }
        if !u.is_empty() {
            out.insert("unfold".into(), Value::Object(u.clone()));
        }
    }
    if let Some(d) = v.get("derive").filter(|d| !d.is_null()) {
        let d = d
            .as_object()
            .ok_or_else(|| ApiError::invalid("derive must be an object"))?;
        for (ex, fields) in d {
            let fields = fields
                .as_array()
                .ok_or_else(|| ApiError::invalid(format!("derive.{ex} must be an array")))?;
            for (k, f) in fields.iter().enumerate() {
                let at = format!("derive.{ex}[{k}]");
                nonempty_str(f.get("field"), &format!("{at}.field"))?;
                if f.get("op").and_then(Value::as_str) != Some("tagged_concat") {
                    return Err(ApiError::invalid(format!(
                        "{at}.op must be \"tagged_concat\""
                    )));
                }
                nonempty_str(f.get("tag_field"), &format!("{at}.tag_field"))?;
                nonempty_str(f.get("value_field"), &format!("{at}.value_field"))?;
                let arrays = f
                    .get("arrays")
                    .and_then(Value::as_array)
                    .filter(|a| !a.is_empty());
                for a in arrays.ok_or_else(|| {
                    ApiError::invalid(format!("{at}.arrays must be a non-empty array"))
                })? {
                    nonempty_str(a.get("path"), &format!("{at}.arrays[].path"))?;
                    nonempty_str(a.get("tag"), &format!("{at}.arrays[].tag"))?;
                }
            }
        }
        if !d.is_empty() {
            out.insert("derive".into(), Value::Object(d.clone()));
        }
    }
    Ok(Value::Object(out))
}

fn list_item(s: &Schema) -> Value {
    json!({
        "id": s.id, "name": s.name, "stream_category": s.category, "is_built_in": s.built_in,
        "created_at": rfc3339(s.created_at), "version": s.versions.len(), "has_draft": s.draft.is_some(),
    })
}

/// The schema with content: the latest published version, or the draft when `draft` is set.
fn with_content(s: &Schema, draft: bool) -> Value {
    let mut v = list_item(s);
    let content = if draft {
        s.draft.as_ref()
    } else {
        s.versions.last()
    };
    if let Some(Value::Object(c)) = content {
        for (k, val) in c {
            v[k] = val.clone();
        }
    }
    v
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Export schema {id} not found"))
}

/// A custom (not built-in) schema of this account, for the calls built-ins refuse with 404.
fn custom<'a>(data: &'a mut AccountData, id: &str) -> ApiResult<&'a mut Schema> {
    data.schema_by_id(id)
        .filter(|s| !s.built_in)
        .ok_or_else(|| not_found(id))
}

fn no_draft(id: &str) -> ApiError {
    ApiError::not_found(format!("Export schema {id} has no draft"))
}

pub async fn list(Extension(ctx): Extension<Ctx>) -> Response {
    let data = ctx.account.data.lock().unwrap();
    ok(Value::Array(data.schemas.values().map(list_item).collect()))
}

pub async fn create(
    State(_app): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let name = nonempty_str(body.get("name"), "name")?.to_string();
    if name.len() > 128 {
        return Err(ApiError::invalid("name must be at most 128 characters"));
    }
    let category = body
        .get("stream_category")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !CATEGORIES.contains(&category) {
        return Err(ApiError::invalid(format!(
            "stream_category must be one of {CATEGORIES:?}"
        )));
    }
    let content = validate_content(&body)?;
    let mut data = ctx.account.data.lock().unwrap();
    if data
        .schemas
        .values()
        .any(|s| s.name == name && s.category == category)
    {
        return Err(ApiError::conflict(format!(
            "An export schema named \"{name}\" already exists for category {category}"
        )));
    }
    let ordinal = data.ordinal();
    let s = Schema {
        ordinal,
        id: new_id("sch"),
        name,
        category: category.to_string(),
        built_in: false,
        created_at: now(),
        versions: vec![content],
        draft: None,
    };
    let out = with_content(&s, false);
    data.schemas.insert(ordinal, s);
    Ok(created(StatusCode::CREATED, out))
}

pub async fn get(Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let s = data.schema_by_id(&id).ok_or_else(|| not_found(&id))?;
    Ok(ok(with_content(s, false)))
}

pub async fn update(
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let mut data = ctx.account.data.lock().unwrap();
    let s = custom(&mut data, &id)?;
    let content = validate_content(&body)?;
    s.versions.push(content);
    s.draft = None;
    Ok(ok(with_content(s, false)))
}

pub async fn delete(Extension(ctx): Extension<Ctx>, Path(id): Path<String>) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let ordinal = custom(&mut data, &id)?.ordinal;
    data.schemas.remove(&ordinal);
    Ok(no_content())
}

pub async fn create_draft(
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    // An empty body copies the latest published version.
    let content = if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
        None
    } else {
        Some(validate_content(&json_body(&body)?)?)
    };
    let mut data = ctx.account.data.lock().unwrap();
    let s = custom(&mut data, &id)?;
    let content = match content {
        Some(c) => c,
        None => s.versions.last().cloned().ok_or_else(|| {
            ApiError::not_found(format!(
                "Export schema {id} has no published version to copy"
            ))
        })?,
    };
    s.draft = Some(content);
    Ok(created(StatusCode::CREATED, with_content(s, true)))
}

pub async fn get_draft(
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let s = custom(&mut data, &id)?;
    if s.draft.is_none() {
        return Err(no_draft(&id));
    }
    Ok(ok(with_content(s, true)))
}

pub async fn update_draft(
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let mut data = ctx.account.data.lock().unwrap();
    let s = custom(&mut data, &id)?;
    if s.draft.is_none() {
        return Err(no_draft(&id));
    }
    s.draft = Some(validate_content(&body)?);
    Ok(ok(with_content(s, true)))
}

pub async fn discard_draft(
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let s = custom(&mut data, &id)?;
    if s.draft.take().is_none() {
        return Err(no_draft(&id));
    }
    Ok(no_content())
}

pub async fn publish(
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut data = ctx.account.data.lock().unwrap();
    let s = custom(&mut data, &id)?;
    let draft = s.draft.take().ok_or_else(|| no_draft(&id))?;
    s.versions.push(draft);
    Ok(ok(with_content(s, false)))
}

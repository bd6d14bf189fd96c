//! Catalog: exchanges, instruments, datastreams.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::Value;

use super::{AppState, ok, paging, query};
use crate::catalog::Datastream;
use crate::errors::{ApiError, ApiResult};

pub async fn list_exchanges(State(app): State<AppState>) -> Response {
    ok(Value::Array(
        app.catalog.exchanges.iter().map(|e| e.to_json()).collect(),
    ))
}

fn eq_ci(filter: Option<&String>, value: &str) -> bool {
    filter.is_none_or(|f| f.eq_ignore_ascii_case(value))
}

pub async fn list_instruments(
    State(app): State<AppState>,
    Path(exchange): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = query(raw);
    let ex = app
        .catalog
        .exchange(&exchange)
        .ok_or_else(|| ApiError::not_found(format!("Exchange {exchange} not found")))?;
    let (search, base, quote, ty) = (
        q.get("search"),
        q.get("base"),
        q.get("quote"),
        q.get("instrument_type"),
    );
    let scope = format!(
        "instruments|{}|{search:?}|{base:?}|{quote:?}|{ty:?}",
        ex.code
    );
    let p = paging(&app, scope);
    let req = p.from_query(&q, 100, 1000)?;
    let search = search.map(|s| s.to_ascii_lowercase());
    let matching = app.catalog.instruments.iter().filter(|i| {
        i.exchange == ex.code
            && search
                .as_ref()
                .is_none_or(|s| i.symbol.to_ascii_lowercase().contains(s.as_str()))
            && eq_ci(base, &i.base)
            && eq_ci(quote, &i.quote)
            && eq_ci(ty, i.instrument_type)
    });
    Ok(ok(p.page(&req, matching.map(|i| (i.ordinal, i)), |i| {
        i.to_json()
    })))
}

/// `trade` is accepted as an alias of `trades` (older docs use the singular).
fn stream_type_matches(filter: Option<&String>, ds: &Datastream) -> bool {
    match filter.map(String::as_str) {
        None => true,
        Some("trade") => ds.stream_type == "trades",
        Some(f) => f == ds.stream_type,
    }
}

fn datastream_page(
    app: &AppState,
    q: &std::collections::HashMap<String, String>,
    exchange: Option<&str>,
    instrument: Option<&str>,
    scope: &str,
) -> ApiResult<Response> {
    let (st, wf) = (q.get("stream_type"), q.get("wire_format"));
    let scope = format!("{scope}|{exchange:?}|{instrument:?}|{st:?}|{wf:?}");
    let p = paging(app, scope);
    let req = p.from_query(q, 100, 1000)?;
    let matching = app.catalog.datastreams.iter().filter(|d| {
        exchange.is_none_or(|e| e == d.exchange)
            && instrument.is_none_or(|i| i == d.instrument)
            && stream_type_matches(st, d)
            && wf.is_none_or(|w| w == d.wire_format)
    });
    Ok(ok(p.page(&req, matching.map(|d| (d.id as u64, d)), |d| {
        d.to_json()
    })))
}

pub async fn list_instrument_datastreams(
    State(app): State<AppState>,
    Path((exchange, instrument)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = query(raw);
    let ex = app
        .catalog
        .exchange(&exchange)
        .ok_or_else(|| ApiError::not_found(format!("Exchange {exchange} not found")))?;
    if !app
        .catalog
        .instruments
        .iter()
        .any(|i| i.exchange == ex.code && i.symbol == instrument)
    {
        return Err(ApiError::not_found(format!(
            "Instrument {instrument} not found on exchange {exchange}"
        )));
    }
    datastream_page(
        &app,
        &q,
        Some(ex.code),
        Some(&instrument),
        "instrument-datastreams",
    )
}

pub async fn list_datastreams(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = query(raw);
    let (ex, inst) = (q.get("exchange").cloned(), q.get("instrument").cloned());
    datastream_page(&app, &q, ex.as_deref(), inst.as_deref(), "datastreams")
}

//! The v1 API routes and the `/_mock` control routes.

pub mod account;
pub mod catalog;
pub mod control;
pub mod exports;
pub mod schemas;
pub mod subscriptions;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::errors::{ApiError, ApiResult};
use crate::paging::Paging;
use crate::pipeline::pipeline;
use crate::state::App;

pub type AppState = Arc<App>;

pub fn router(app: AppState) -> Router {
    let api = Router::new()
        .route("/exchanges", get(catalog::list_exchanges))
        .route(
            "/exchanges/{exchange}/instruments",
            get(catalog::list_instruments),
        )
        .route(
            "/exchanges/{exchange}/instruments/{instrument}/datastreams",
            get(catalog::list_instrument_datastreams),
        )
        .route("/datastreams", get(catalog::list_datastreams))
        .route(
            "/subscriptions",
            get(subscriptions::list).post(subscriptions::create),
        )
        .route(
            "/subscriptions/{id}",
            get(subscriptions::get).delete(subscriptions::delete),
        )
        .route("/subscriptions/{id}/pause", post(subscriptions::pause))
        .route("/subscriptions/{id}/resume", post(subscriptions::resume))
        .route("/subscriptions/{id}/spans", get(subscriptions::spans))
        .route("/exports", get(exports::list).post(exports::create))
        .route("/exports/{id}", get(exports::get).delete(exports::delete))
        .route("/exports/{id}/cancel", post(exports::cancel))
        .route("/exports/{id}/download", get(exports::download))
        .route("/export-schemas", get(schemas::list).post(schemas::create))
        .route(
            "/export-schemas/{id}",
            get(schemas::get)
                .put(schemas::update)
                .delete(schemas::delete),
        )
        .route(
            "/export-schemas/{id}/draft",
            get(schemas::get_draft)
                .post(schemas::create_draft)
                .put(schemas::update_draft)
                .delete(schemas::discard_draft),
        )
        .route("/export-schemas/{id}/publish", post(schemas::publish))
        .route("/availability", get(account::availability))
        .route("/billing/summary", get(account::billing))
        .fallback(unknown_route)
        .method_not_allowed_fallback(unknown_route)
        .layer(axum::middleware::from_fn_with_state(app.clone(), pipeline));
    Router::new()
        .nest("/v1", api)
        .nest("/_mock", control::router())
        .fallback(unknown_route)
        .with_state(app)
}

async fn unknown_route(uri: axum::extract::OriginalUri, method: axum::http::Method) -> Response {
    let mut resp =
        ApiError::not_found(format!("No such endpoint: {method} {}", uri.0.path())).into_response();
    resp.headers_mut().insert(
        "x-request-id",
        crate::state::request_id()
            .parse()
            .expect("ascii header value"),
    );
    resp
}

/// Parses a raw query string; repeated names keep the last value.
pub fn query(raw: Option<String>) -> HashMap<String, String> {
    raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

pub fn ok(value: Value) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

pub fn created(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Parses a JSON request body, with a 400 that says what is wrong.
pub fn json_body(body: &[u8]) -> ApiResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid("Request body is required (JSON object)"));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("Request body is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(ApiError::invalid("Request body must be a JSON object"));
    }
    Ok(v)
}

/// A positive `datastream_id` from a JSON value.
pub fn datastream_id(v: Option<&Value>) -> ApiResult<i64> {
    match v.and_then(Value::as_i64) {
        Some(n) if n > 0 => Ok(n),
        _ => Err(ApiError::invalid(
            "Invalid datastream_id: must be a positive integer",
        )),
    }
}

pub fn paging<'a>(app: &'a App, scope: String) -> Paging<'a> {
    Paging {
        secret: &app.secret,
        scope,
    }
}

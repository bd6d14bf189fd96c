//! What the Python and Node bindings share, so that neither re-implements it: one dispatch from
//! an operation name and JSON arguments to a core call, and one log-line layer. Behind the
//! `bindings` feature; Rust users call the typed API instead.

pub mod data;
pub mod log_layer;
pub mod ops;

use serde_json::{Value, json};

use crate::{Error, ErrorKind, RateLimit};

/// The error class each binding raises for a kind; the same names in Python and JavaScript.
pub fn class_name(kind: ErrorKind) -> &'static str {
    kind.class_name()
}

/// Rate-limit headers with camelCase names, for JavaScript.
pub fn rate_limit_json(r: &RateLimit) -> Value {
    json!({
        "limitMinute": r.limit_minute, "remainingMinute": r.remaining_minute,
        "resetMinute": r.reset_minute, "limitHour": r.limit_hour,
        "remainingHour": r.remaining_hour, "resetHour": r.reset_hour,
    })
}

/// Everything a binding needs to rebuild an error as its own class, as one JSON object with
/// camelCase names (`class`, `code`, `message`, `httpStatus`, `requestId`, `details`,
/// `retryAfter`, `rateLimit`, `attempts`, and `job`/`jobId` for export waits). Nanosecond fields
/// of `job` are quoted, as in [`ops::Format::TextQuotedNanos`].
pub fn error_envelope(e: &Error) -> Value {
    let mut v = json!({
        "ticksupply": 1,
        "class": class_name(e.kind()),
        "code": e.code(),
        "message": e.message(),
        "display": e.to_string(),
        "httpStatus": e.status(),
        "requestId": e.request_id(),
        "details": e.details(),
        "retryAfter": e.retry_after(),
        "rateLimit": e.rate_limit().map(rate_limit_json),
        "attempts": e.attempts(),
    });
    match e {
        Error::ExportFailed { job } => {
            let mut j = serde_json::to_value(job).unwrap_or(Value::Null);
            ops::quote_nanos(&mut j);
            v["job"] = j;
        }
        Error::WaitTimeout { job_id, .. } => v["jobId"] = json!(job_id),
        _ => {}
    }
    v
}

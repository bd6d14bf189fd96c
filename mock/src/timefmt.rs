//! Timestamps: RFC 3339 for control-plane fields, integer nanoseconds for market data.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Control-plane timestamps as the API writes them: UTC, microseconds, `Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn to_ns(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Parses an export time in any of the four documented forms: integer ns, decimal string of ns,
/// ISO 8601, ISO 8601 with up to nine fractional digits (any offset).
pub fn parse_time_input(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .filter(|n| *n >= 0)
            .ok_or_else(|| "must be a non-negative integer of nanoseconds".to_string()),
        Value::String(s) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                return s
                    .parse::<i64>()
                    .map_err(|_| "nanoseconds out of range".to_string());
            }
            if let Some(frac) = s.split_once('.').map(|(_, f)| f) {
                let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
                if digits > 9 {
                    return Err("at most 9 fractional digits are allowed".into());
                }
            }
            DateTime::parse_from_rfc3339(s)
                .map_err(|_| format!("'{s}' is not nanoseconds or an ISO 8601 timestamp"))
                .and_then(|t| {
                    t.timestamp_nanos_opt()
                        .ok_or_else(|| "timestamp out of range".to_string())
                })
        }
        Value::Null => Err("is required".into()),
        _ => Err("must be an integer or a string".into()),
    }
}

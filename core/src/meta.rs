//! Response metadata: what every successful call and every API error reports besides its data.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName};

/// The `X-RateLimit-*` headers of a response. A field is `None` when the header was absent or
/// not a number; the reset fields are only sent when a bucket is exhausted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RateLimit {
    pub limit_minute: Option<u64>,
    pub remaining_minute: Option<u64>,
    /// Unix time (seconds) when the minute bucket has capacity again.
    pub reset_minute: Option<u64>,
    pub limit_hour: Option<u64>,
    pub remaining_hour: Option<u64>,
    /// Unix time (seconds) when the hour bucket has capacity again.
    pub reset_hour: Option<u64>,
}

fn header_u64(h: &HeaderMap, name: &HeaderName) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

// Names as constants: looking a header up by `&str` parses the name on every response.
const LIMIT_MINUTE: HeaderName = HeaderName::from_static("x-ratelimit-limit-minute");
const REMAINING_MINUTE: HeaderName = HeaderName::from_static("x-ratelimit-remaining-minute");
const RESET_MINUTE: HeaderName = HeaderName::from_static("x-ratelimit-reset-minute");
const LIMIT_HOUR: HeaderName = HeaderName::from_static("x-ratelimit-limit-hour");
const REMAINING_HOUR: HeaderName = HeaderName::from_static("x-ratelimit-remaining-hour");
const RESET_HOUR: HeaderName = HeaderName::from_static("x-ratelimit-reset-hour");

impl RateLimit {
    /// Field names, in the order of [`RateLimit::to_array`].
    pub const FIELDS: [&'static str; 6] = [
        "limit_minute",
        "remaining_minute",
        "reset_minute",
        "limit_hour",
        "remaining_hour",
        "reset_hour",
    ];

    /// The six values in [`RateLimit::FIELDS`] order (for bindings that carry them flat).
    pub fn to_array(&self) -> [Option<u64>; 6] {
        [
            self.limit_minute,
            self.remaining_minute,
            self.reset_minute,
            self.limit_hour,
            self.remaining_hour,
            self.reset_hour,
        ]
    }

    /// The inverse of [`RateLimit::to_array`].
    pub fn from_array(a: [Option<u64>; 6]) -> RateLimit {
        let [
            limit_minute,
            remaining_minute,
            reset_minute,
            limit_hour,
            remaining_hour,
            reset_hour,
        ] = a;
        RateLimit {
            limit_minute,
            remaining_minute,
            reset_minute,
            limit_hour,
            remaining_hour,
            reset_hour,
        }
    }

    pub(crate) fn from_headers(h: &HeaderMap) -> RateLimit {
        RateLimit {
            limit_minute: header_u64(h, &LIMIT_MINUTE),
            remaining_minute: header_u64(h, &REMAINING_MINUTE),
            reset_minute: header_u64(h, &RESET_MINUTE),
            limit_hour: header_u64(h, &LIMIT_HOUR),
            remaining_hour: header_u64(h, &REMAINING_HOUR),
            reset_hour: header_u64(h, &RESET_HOUR),
        }
    }
}

/// Metadata of one successful call: reach it with `.send_with_meta()` on any request.
#[derive(Debug, Clone, Default)]
pub struct ResponseMeta {
    /// `X-Request-Id` of the response: quote it to support.
    pub request_id: Option<String>,
    /// HTTP status of the final attempt.
    pub status: u16,
    pub rate_limit: RateLimit,
    /// Number of attempts the call took (1 when it was not retried).
    pub attempts: u32,
    /// The `Idempotency-Key` sent with a POST or DELETE (generated unless given).
    pub idempotency_key: Option<String>,
    /// Time from the first attempt to the end of the last one, waits included.
    pub elapsed: Duration,
}

/// A result together with its [`ResponseMeta`].
#[derive(Debug, Clone)]
pub struct Response<T> {
    pub data: T,
    pub meta: ResponseMeta,
}

impl<T> Response<T> {
    pub fn into_data(self) -> T {
        self.data
    }
    pub fn request_id(&self) -> Option<&str> {
        self.meta.request_id.as_deref()
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            data: f(self.data),
            meta: self.meta,
        }
    }
}

impl<T> std::ops::Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

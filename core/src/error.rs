//! One error type for every failure, with the same accessors on every variant.
//!
//! API errors are classified by the envelope's `error.code`; when the body is not the envelope
//! (an HTML 502 from a proxy, an empty 500) by the HTTP status, with `code` then `"unknown"`.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::meta::RateLimit;

/// Longest excerpt of a non-envelope error body kept as the message.
pub const BODY_EXCERPT_CHARS: usize = 512;

/// Fields every error from an HTTP response carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiErrorInfo {
    pub code: String,
    pub message: String,
    pub status: u16,
    pub request_id: Option<String>,
    pub details: Option<Value>,
    pub rate_limit: RateLimit,
    /// Attempts the call made before giving up.
    pub attempts: u32,
}

/// Errors of this crate. Variant names follow the official 0.2 crate; every variant answers the
/// same accessors ([`Error::status`], [`Error::code`], [`Error::request_id`], …).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400 `invalid_argument`.
    #[error("{}", display_api(.0))]
    Validation(Box<ApiErrorInfo>),
    /// 401 `unauthenticated`.
    #[error("{}", display_api(.0))]
    Authentication(Box<ApiErrorInfo>),
    /// 402 `payment_required`.
    #[error("{}", display_api(.0))]
    PaymentRequired(Box<ApiErrorInfo>),
    /// 403 `permission_denied`.
    #[error("{}", display_api(.0))]
    PermissionDenied(Box<ApiErrorInfo>),
    /// 404 `not_found`.
    #[error("{}", display_api(.0))]
    NotFound(Box<ApiErrorInfo>),
    /// 409 `already_exists`, including an idempotency-key conflict.
    #[error("{}", display_api(.0))]
    AlreadyExists(Box<ApiErrorInfo>),
    /// 429 `rate_limited`; `retry_after` is the server's wait in whole seconds.
    #[error("{}{}", display_api(.info), retry_suffix(*.retry_after))]
    RateLimited {
        info: Box<ApiErrorInfo>,
        retry_after: Option<u64>,
    },
    /// 5xx (`internal`, `unavailable`, or any body).
    #[error("{}", display_api(.0))]
    Server(Box<ApiErrorInfo>),
    /// Any other status or code (408 `request_timeout`, an unexpected 3xx, a new code).
    #[error("{}", display_api(.0))]
    Api(Box<ApiErrorInfo>),
    /// The request failed in transport (connect, TLS, reset, body read).
    #[error("network error: {source}{}", attempts_suffix(*.attempts))]
    Network {
        #[source]
        source: reqwest::Error,
        /// False when the failure happened before the request was written.
        request_sent: bool,
        attempts: u32,
    },
    /// An attempt, or the whole call with its retries, ran out of time.
    #[error("request timed out after {:.1}s{}", .elapsed.as_secs_f64(), attempts_suffix(*.attempts))]
    Timeout { elapsed: Duration, attempts: u32 },
    /// A success response whose body does not decode.
    #[error("could not decode the response (HTTP {status}): {source}{}", rid_suffix(.request_id.as_deref()))]
    Decode {
        #[source]
        source: serde_json::Error,
        status: u16,
        request_id: Option<String>,
    },
    /// The server broke the protocol, e.g. a list that repeats its page token.
    #[error("{message}{}", rid_suffix(.request_id.as_deref()))]
    Protocol {
        message: String,
        request_id: Option<String>,
    },
    /// Bad configuration or arguments, found before anything was sent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The caller canceled the call.
    #[error("the request was canceled")]
    Canceled,
    /// An awaited export ended `failed`, `canceled` or `deleted`; the job says why.
    #[error("export {} ended {}{}", .job.id, .job.status, .job.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    ExportFailed {
        job: Box<crate::resources::exports::ExportJob>,
    },
    /// An export did not finish in time; it may still finish later.
    #[error("export {job_id} was still {status} after {:.1}s", .elapsed.as_secs_f64())]
    WaitTimeout {
        job_id: String,
        status: String,
        elapsed: Duration,
    },
    /// Writing or verifying a downloaded artifact failed.
    #[error("download failed: {message}")]
    Download {
        message: String,
        path: Option<std::path::PathBuf>,
        #[source]
        source: Option<std::io::Error>,
    },
    /// An export's data could not be read or written: a truncated or corrupt artifact, CSV
    /// that does not fit its schema, a Parquet file that cannot be written. The message names
    /// the file.
    #[error("{message}")]
    Data {
        message: String,
        /// The artifact's file name, when one artifact is at fault.
        artifact: Option<String>,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

fn display_api(i: &ApiErrorInfo) -> String {
    format!(
        "[{}] {}{}",
        i.code,
        i.message,
        rid_suffix(i.request_id.as_deref())
    )
}

fn rid_suffix(rid: Option<&str>) -> String {
    rid.map(|r| format!(" (request_id: {r})"))
        .unwrap_or_default()
}

fn retry_suffix(s: Option<u64>) -> String {
    s.map(|s| format!(" (retry after {s}s)"))
        .unwrap_or_default()
}

fn attempts_suffix(n: u32) -> String {
    if n > 1 {
        format!(" (after {n} attempts)")
    } else {
        String::new()
    }
}

impl Error {
    /// Builds the error for an API response from its status, code and fields.
    pub(crate) fn from_api(info: ApiErrorInfo, retry_after: Option<u64>) -> Error {
        let by_code = match info.code.as_str() {
            "invalid_argument" => Some(400),
            "unauthenticated" => Some(401),
            "payment_required" => Some(402),
            "permission_denied" => Some(403),
            "not_found" => Some(404),
            "already_exists" => Some(409),
            "rate_limited" => Some(429),
            "internal" | "unavailable" => Some(500),
            _ => None,
        };
        let class = by_code.unwrap_or(info.status);
        let info = Box::new(info);
        match class {
            400 => Error::Validation(info),
            401 => Error::Authentication(info),
            402 => Error::PaymentRequired(info),
            403 => Error::PermissionDenied(info),
            404 => Error::NotFound(info),
            409 => Error::AlreadyExists(info),
            429 => Error::RateLimited { info, retry_after },
            500..=599 => Error::Server(info),
            _ => Error::Api(info),
        }
    }

    /// The fields of an error from an HTTP response.
    pub fn api_info(&self) -> Option<&ApiErrorInfo> {
        match self {
            Error::Validation(i)
            | Error::Authentication(i)
            | Error::PaymentRequired(i)
            | Error::PermissionDenied(i)
            | Error::NotFound(i)
            | Error::AlreadyExists(i)
            | Error::Server(i)
            | Error::Api(i)
            | Error::RateLimited { info: i, .. } => Some(i),
            _ => None,
        }
    }

    /// HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Decode { status, .. } => Some(*status),
            _ => self.api_info().map(|i| i.status),
        }
    }

    /// The API's error code (`not_found`, …), `"unknown"` for a body that is not the envelope,
    /// or a client-side code: `network_error`, `timeout`, `decode_error`, `protocol_error`,
    /// `configuration_error`, `canceled`.
    pub fn code(&self) -> &str {
        match self {
            Error::Network { .. } => "network_error",
            Error::Timeout { .. } => "timeout",
            Error::Decode { .. } => "decode_error",
            Error::Protocol { .. } => "protocol_error",
            Error::Config(_) => "configuration_error",
            Error::Canceled => "canceled",
            Error::ExportFailed { .. } => "export_failed",
            Error::WaitTimeout { .. } => "timeout",
            Error::Download { .. } => "download_error",
            Error::Data { .. } => "data_error",
            _ => self
                .api_info()
                .map(|i| i.code.as_str())
                .unwrap_or("unknown"),
        }
    }

    /// The message without the code and request id decorations.
    pub fn message(&self) -> String {
        match self.api_info() {
            Some(i) => i.message.clone(),
            None => match self {
                Error::Protocol { message, .. } => message.clone(),
                Error::Config(m) => m.clone(),
                Error::Data { message, .. } => message.clone(),
                other => other.to_string(),
            },
        }
    }

    /// `X-Request-Id` of the response, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Decode { request_id, .. } | Error::Protocol { request_id, .. } => {
                request_id.as_deref()
            }
            _ => self.api_info().and_then(|i| i.request_id.as_deref()),
        }
    }

    /// The envelope's `error.details`, when present.
    pub fn details(&self) -> Option<&Value> {
        self.api_info().and_then(|i| i.details.as_ref())
    }

    /// Seconds the server asked to wait (`Retry-After`), on a 429.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Rate-limit headers of the failed response.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.api_info().map(|i| &i.rate_limit)
    }

    /// Whether the pipeline would retry this failure (it already did, up to `max_retries`).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network { .. } | Error::Timeout { .. } | Error::WaitTimeout { .. } => true,
            _ => self.status().is_some_and(crate::retry::retryable_status),
        }
    }

    /// Attempts made before this error was returned (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Network { attempts, .. } | Error::Timeout { attempts, .. } => *attempts,
            _ => self.api_info().map(|i| i.attempts).unwrap_or(0),
        }
    }
}

/// Display of an error kind as the bindings name it (class names in Python and Node).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidArgument,
    Authentication,
    PaymentRequired,
    PermissionDenied,
    NotFound,
    Conflict,
    RateLimit,
    Server,
    Api,
    Network,
    Timeout,
    Decode,
    Configuration,
    Canceled,
    ExportFailed,
    Download,
    Data,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation(_) => ErrorKind::InvalidArgument,
            Error::Authentication(_) => ErrorKind::Authentication,
            Error::PaymentRequired(_) => ErrorKind::PaymentRequired,
            Error::PermissionDenied(_) => ErrorKind::PermissionDenied,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::AlreadyExists(_) => ErrorKind::Conflict,
            Error::RateLimited { .. } => ErrorKind::RateLimit,
            Error::Server(_) => ErrorKind::Server,
            Error::Api(_) => ErrorKind::Api,
            Error::Network { .. } => ErrorKind::Network,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Decode { .. } | Error::Protocol { .. } => ErrorKind::Decode,
            Error::Config(_) => ErrorKind::Configuration,
            Error::Canceled => ErrorKind::Canceled,
            Error::ExportFailed { .. } => ErrorKind::ExportFailed,
            Error::WaitTimeout { .. } => ErrorKind::Timeout,
            Error::Download { .. } => ErrorKind::Download,
            Error::Data { .. } => ErrorKind::Data,
        }
    }
}

impl ErrorKind {
    /// The class the Python and JavaScript packages raise for this kind (they share the names).
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "InvalidArgumentError",
            ErrorKind::Authentication => "AuthenticationError",
            ErrorKind::PaymentRequired => "PaymentRequiredError",
            ErrorKind::PermissionDenied => "PermissionDeniedError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::Conflict => "ConflictError",
            ErrorKind::RateLimit => "RateLimitError",
            ErrorKind::Server => "ServerError",
            ErrorKind::Api => "APIError",
            ErrorKind::Network => "NetworkError",
            ErrorKind::Timeout => "APITimeoutError",
            ErrorKind::Decode => "DecodeError",
            ErrorKind::Configuration => "ConfigurationError",
            ErrorKind::Canceled => "CanceledError",
            ErrorKind::ExportFailed => "ExportFailedError",
            ErrorKind::Download => "DownloadError",
            ErrorKind::Data => "DataError",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

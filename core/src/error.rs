//! One error type for every failure, with the same accessors on every variant.
//!
//! The variants of the official `ticksupply` 0.2.1 crate keep its names, fields and field types,
//! and are produced for the same responses: an error response is classified by its envelope's
//! `error.code` alone (`not_found` → [`Error::NotFound`], …); any other code, `internal` and
//! `unavailable` included, and a body that is not the envelope (an HTML 502 from a proxy; `code`
//! is then `"unknown"`) are [`Error::Api`] with the HTTP status. So a `match` written for the
//! official crate, with or without `..`, compiles and matches the same way here.
//!
//! A response says more than those variants hold: the status of a typed variant, `details` on
//! every code, `Retry-After` on a 429 without the envelope, the rate-limit headers, the attempt
//! count, the request id of an undecodable body. A client built with
//! [`ClientBuilder::error_context(true)`](crate::ClientBuilder::error_context) returns each such
//! error as [`Error::Context`], which wraps the official variant together with all of that; the
//! accessors ([`Error::status`], [`Error::rate_limit`], …) answer for both forms. The Python and
//! Node bindings and the command line use it.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::meta::RateLimit;

/// Longest excerpt of a non-envelope error body kept as the message.
pub const BODY_EXCERPT_CHARS: usize = 512;

/// Errors of this crate. The first eleven variants are the official 0.2.1 crate's, unchanged;
/// the others are this crate's own. Every variant answers the same accessors
/// ([`Error::status`], [`Error::code`], [`Error::request_id`], …).
///
/// ```
/// use ticksupply::Error;
/// # fn pretend() -> Result<(), Error> {
/// # Err(Error::NotFound { message: "demo".into(), request_id: None })
/// # }
/// match pretend() {
///     Err(Error::NotFound { message, request_id }) => eprintln!("missing: {message} ({request_id:?})"),
///     Err(Error::RateLimited { retry_after, .. }) => eprintln!("retry after {retry_after:?}"),
///     Err(Error::Api { status: 500..=599, .. }) => eprintln!("the server failed"),
///     _ => {}
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The requested resource does not exist (code `not_found`).
    NotFound {
        /// Server-provided message.
        message: String,
        /// `X-Request-Id` header value, if present.
        request_id: Option<String>,
    },

    /// The API key is missing, malformed or rejected (code `unauthenticated`). The message also
    /// says where the key came from and shows its last four characters.
    Authentication {
        /// Server-provided message.
        message: String,
        /// `X-Request-Id` header value, if present.
        request_id: Option<String>,
    },

    /// Authenticated, but not allowed (code `permission_denied`).
    PermissionDenied {
        /// Server-provided message.
        message: String,
        /// `X-Request-Id` header value, if present.
        request_id: Option<String>,
    },

    /// Throttled (code `rate_limited`).
    RateLimited {
        /// Server-provided message.
        message: String,
        /// Seconds to wait before retrying (`Retry-After`, rounded up), if sent.
        retry_after: Option<u64>,
        /// `X-Request-Id` header value, if present.
        request_id: Option<String>,
    },

    /// Rejected at validation (code `invalid_argument`).
    Validation {
        /// Server-provided message.
        message: String,
        /// The envelope's `error.details`, if any.
        details: Option<serde_json::Value>,
        /// `X-Request-Id` header value, if present.
        request_id: Option<String>,
    },

    /// Exists already or conflicts with the current state, an idempotency-key conflict included
    /// (code `already_exists`).
    AlreadyExists {
        /// Server-provided message.
        message: String,
        /// `X-Request-Id` header value, if present.
        request_id: Option<String>,
    },

    /// Billing refuses the action (code `payment_required`).
    PaymentRequired {
        /// Server-provided message.
        message: String,
        /// The envelope's `error.details`, if any.
        details: Option<serde_json::Value>,
        /// `X-Request-Id` header value, if present.
        request_id: Option<String>,
    },

    /// Any other error response: another code (`internal`, `unavailable`, `request_timeout`, a
    /// new one), or a body that is not the error envelope (`code` is then `"unknown"` and
    /// `message` a bounded excerpt of the body), such as an HTML 502 from a proxy or a 3xx
    /// (redirects are never followed).
    Api {
        /// The envelope's `error.code`, or `"unknown"`.
        code: String,
        /// Server-provided message, or an excerpt of the body.
        message: String,
        /// HTTP status.
        status: u16,
        /// `X-Request-Id` header value, if present.
        request_id: Option<String>,
    },

    /// The request failed in transport (connect, TLS, reset, a cut body).
    Network(reqwest::Error),

    /// A success response whose body does not decode.
    Decode(serde_json::Error),

    /// Bad configuration or arguments, found before anything was sent (a missing or malformed
    /// key, a plain-`http` URL to a remote host, an id that no URL can carry: empty, `.`, `..`).
    Config(String),

    /// An attempt, or the whole call with its retries, ran out of time.
    Timeout { elapsed: Duration, attempts: u32 },

    /// The server broke the protocol: a list that repeats its page token, an oversized body.
    Protocol {
        message: String,
        request_id: Option<String>,
    },

    /// The caller canceled the call.
    Canceled,

    /// An awaited export ended `failed`, `canceled` or `deleted`; the job says why.
    ExportFailed {
        job: Box<crate::resources::exports::ExportJob>,
    },

    /// An export did not finish in time; it may still finish later.
    WaitTimeout {
        job_id: String,
        status: String,
        elapsed: Duration,
    },

    /// Writing or verifying a downloaded artifact failed.
    Download {
        message: String,
        path: Option<std::path::PathBuf>,
        source: Option<std::io::Error>,
    },

    /// An export's data could not be read or written: a truncated or corrupt artifact, CSV
    /// that does not fit its schema, a Parquet file that cannot be written. The message names
    /// the file.
    Data {
        message: String,
        /// The artifact's file name, when one artifact is at fault.
        artifact: Option<String>,
    },

    /// One of the variants above with everything the response said. Only from a client built
    /// with [`ClientBuilder::error_context(true)`](crate::ClientBuilder::error_context); match
    /// [`Error::official`] to see the variant.
    Context(Box<ErrorContext>),
}

/// What a failed call reported beyond its official variant (see [`Error::Context`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct ErrorContext {
    /// The error as a client without error context returns it (never a `Context`).
    pub error: Error,
    /// HTTP status of the response (`None` for a transport failure).
    pub status: Option<u16>,
    /// `X-Request-Id` of the response.
    pub request_id: Option<String>,
    /// The envelope's `error.details`, whatever the code.
    pub details: Option<Value>,
    /// `Retry-After` in whole seconds (rounded up) of a 429, with or without the envelope.
    pub retry_after: Option<u64>,
    /// Rate-limit headers of an error response.
    pub rate_limit: Option<RateLimit>,
    /// Attempts the call made, the failed one included.
    pub attempts: u32,
    /// For a transport failure: whether the request may have reached the server.
    pub request_sent: Option<bool>,
}

impl ErrorContext {
    pub(crate) fn new(error: Error) -> ErrorContext {
        ErrorContext {
            error,
            status: None,
            request_id: None,
            details: None,
            retry_after: None,
            rate_limit: None,
            attempts: 0,
            request_sent: None,
        }
    }

    pub(crate) fn into_error(self) -> Error {
        Error::Context(Box::new(self))
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

fn write_api(
    f: &mut fmt::Formatter<'_>,
    code: &str,
    message: &str,
    request_id: Option<&str>,
    retry_after: Option<u64>,
) -> fmt::Result {
    write!(
        f,
        "[{code}] {message}{}{}",
        rid_suffix(request_id),
        retry_suffix(retry_after)
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

/// `[code] message (request_id: …)`, with ` (retry after Ns)` on a 429 that said so.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound {
                message,
                request_id,
            }
            | Error::Authentication {
                message,
                request_id,
            }
            | Error::PermissionDenied {
                message,
                request_id,
            }
            | Error::AlreadyExists {
                message,
                request_id,
            }
            | Error::Validation {
                message,
                request_id,
                ..
            }
            | Error::PaymentRequired {
                message,
                request_id,
                ..
            }
            | Error::Api {
                message,
                request_id,
                ..
            } => write_api(f, self.code(), message, request_id.as_deref(), None),
            Error::RateLimited {
                message,
                retry_after,
                request_id,
            } => write_api(
                f,
                "rate_limited",
                message,
                request_id.as_deref(),
                *retry_after,
            ),
            Error::Network(e) => write!(f, "network error: {e}"),
            Error::Decode(e) => write!(f, "could not decode the response: {e}"),
            Error::Config(m) => write!(f, "invalid configuration: {m}"),
            Error::Timeout { elapsed, attempts } => write!(
                f,
                "request timed out after {:.1}s{}",
                elapsed.as_secs_f64(),
                attempts_suffix(*attempts)
            ),
            Error::Protocol {
                message,
                request_id,
            } => write!(f, "{message}{}", rid_suffix(request_id.as_deref())),
            Error::Canceled => f.write_str("the request was canceled"),
            Error::ExportFailed { job } => write!(
                f,
                "export {} ended {}{}",
                job.id,
                job.status,
                job.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            Error::WaitTimeout {
                job_id,
                status,
                elapsed,
            } => write!(
                f,
                "export {job_id} was still {status} after {:.1}s",
                elapsed.as_secs_f64()
            ),
            Error::Download { message, .. } => write!(f, "download failed: {message}"),
            Error::Data { message, .. } => f.write_str(message),
            Error::Context(c) => fmt::Display::fmt(&**c, f),
        }
    }
}

/// The wrapped error's text with what the context adds: the request id and status of an
/// undecodable body, the attempts of a network failure, the `Retry-After` of a 429.
impl fmt::Display for ErrorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rid = self.request_id.as_deref();
        match &self.error {
            Error::Network(e) => write!(f, "network error: {e}{}", attempts_suffix(self.attempts)),
            Error::Decode(e) => {
                f.write_str("could not decode the response")?;
                if let Some(s) = self.status {
                    write!(f, " (HTTP {s})")?;
                }
                write!(f, ": {e}{}", rid_suffix(rid))
            }
            e if e.is_api() => write_api(
                f,
                e.code(),
                e.own_message().unwrap_or_default(),
                rid.or(e.request_id()),
                self.retry_after,
            ),
            e => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Network(e) => Some(e),
            Error::Decode(e) => Some(e),
            Error::Download {
                source: Some(e), ..
            } => Some(e),
            Error::Context(c) => std::error::Error::source(&c.error),
            _ => None,
        }
    }
}

/// The status an error code stands for (`internal` and `unavailable`: 500), else the response's
/// own status: how an error is classified when its variant does not say.
pub(crate) fn class_status(code: &str, status: u16) -> u16 {
    match code {
        "invalid_argument" => 400,
        "unauthenticated" => 401,
        "payment_required" => 402,
        "permission_denied" => 403,
        "not_found" => 404,
        "already_exists" => 409,
        "rate_limited" => 429,
        "internal" | "unavailable" => 500,
        _ => status,
    }
}

impl Error {
    /// The variant the official crate returns for an error response: by `code` alone; every
    /// other code is [`Error::Api`] with `status`.
    pub(crate) fn from_response(
        status: u16,
        code: String,
        message: String,
        details: Option<Value>,
        request_id: Option<String>,
        retry_after: Option<u64>,
    ) -> Error {
        match code.as_str() {
            "not_found" => Error::NotFound {
                message,
                request_id,
            },
            "unauthenticated" => Error::Authentication {
                message,
                request_id,
            },
            "permission_denied" => Error::PermissionDenied {
                message,
                request_id,
            },
            "rate_limited" => Error::RateLimited {
                message,
                retry_after,
                request_id,
            },
            "invalid_argument" => Error::Validation {
                message,
                details,
                request_id,
            },
            "already_exists" => Error::AlreadyExists {
                message,
                request_id,
            },
            "payment_required" => Error::PaymentRequired {
                message,
                details,
                request_id,
            },
            _ => Error::Api {
                code,
                message,
                status,
                request_id,
            },
        }
    }

    /// The context of an [`Error::Context`].
    pub fn context(&self) -> Option<&ErrorContext> {
        match self {
            Error::Context(c) => Some(c),
            _ => None,
        }
    }

    /// The error in the official crate's shape: the wrapped variant of an [`Error::Context`],
    /// else the error itself. `match err.official() { Error::NotFound { .. } => …, … }` works
    /// for clients with and without error context.
    pub fn official(&self) -> &Error {
        match self {
            Error::Context(c) => &c.error,
            e => e,
        }
    }

    /// [`Error::official`] by value; the context is dropped.
    pub fn into_official(self) -> Error {
        match self {
            Error::Context(c) => c.error,
            e => e,
        }
    }

    /// Whether the API answered with an error response (the eight API variants, wrapped or not).
    pub fn is_api(&self) -> bool {
        match self {
            Error::NotFound { .. }
            | Error::Authentication { .. }
            | Error::PermissionDenied { .. }
            | Error::RateLimited { .. }
            | Error::Validation { .. }
            | Error::AlreadyExists { .. }
            | Error::PaymentRequired { .. }
            | Error::Api { .. } => true,
            Error::Context(c) => c.error.is_api(),
            _ => false,
        }
    }

    /// HTTP status of the response, when there was one. A typed variant reports the status of
    /// its code (`NotFound`: 404, …); with error context, the response's own.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Validation { .. } => Some(400),
            Error::Authentication { .. } => Some(401),
            Error::PaymentRequired { .. } => Some(402),
            Error::PermissionDenied { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::AlreadyExists { .. } => Some(409),
            Error::RateLimited { .. } => Some(429),
            Error::Api { status, .. } => Some(*status),
            Error::Context(c) => c.status.or_else(|| c.error.status()),
            _ => None,
        }
    }

    /// The API's error code (`not_found`, …), `"unknown"` for a body that is not the envelope,
    /// or a client-side code: `network_error`, `timeout`, `decode_error`, `protocol_error`,
    /// `configuration_error`, `canceled`, `export_failed`, `download_error`, `data_error`.
    pub fn code(&self) -> &str {
        match self {
            Error::Validation { .. } => "invalid_argument",
            Error::Authentication { .. } => "unauthenticated",
            Error::PaymentRequired { .. } => "payment_required",
            Error::PermissionDenied { .. } => "permission_denied",
            Error::NotFound { .. } => "not_found",
            Error::AlreadyExists { .. } => "already_exists",
            Error::RateLimited { .. } => "rate_limited",
            Error::Api { code, .. } => code.as_str(),
            Error::Network(_) => "network_error",
            Error::Decode(_) => "decode_error",
            Error::Config(_) => "configuration_error",
            Error::Timeout { .. } | Error::WaitTimeout { .. } => "timeout",
            Error::Protocol { .. } => "protocol_error",
            Error::Canceled => "canceled",
            Error::ExportFailed { .. } => "export_failed",
            Error::Download { .. } => "download_error",
            Error::Data { .. } => "data_error",
            Error::Context(c) => c.error.code(),
        }
    }

    /// The message field of the variants that have one.
    fn own_message(&self) -> Option<&str> {
        match self {
            Error::NotFound { message, .. }
            | Error::Authentication { message, .. }
            | Error::PermissionDenied { message, .. }
            | Error::RateLimited { message, .. }
            | Error::Validation { message, .. }
            | Error::AlreadyExists { message, .. }
            | Error::PaymentRequired { message, .. }
            | Error::Api { message, .. }
            | Error::Protocol { message, .. }
            | Error::Data { message, .. }
            | Error::Config(message) => Some(message),
            Error::Context(c) => c.error.own_message(),
            _ => None,
        }
    }

    /// The message without the code and request id decorations.
    pub fn message(&self) -> String {
        match self.own_message() {
            Some(m) => m.to_string(),
            None => self.to_string(),
        }
    }

    /// `X-Request-Id` of the response, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::NotFound { request_id, .. }
            | Error::Authentication { request_id, .. }
            | Error::PermissionDenied { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::Validation { request_id, .. }
            | Error::AlreadyExists { request_id, .. }
            | Error::PaymentRequired { request_id, .. }
            | Error::Api { request_id, .. }
            | Error::Protocol { request_id, .. } => request_id.as_deref(),
            Error::Context(c) => c.request_id.as_deref().or_else(|| c.error.request_id()),
            _ => None,
        }
    }

    /// The envelope's `error.details`: on `Validation` and `PaymentRequired`, and with error
    /// context on every code.
    pub fn details(&self) -> Option<&Value> {
        match self {
            Error::Validation { details, .. } | Error::PaymentRequired { details, .. } => {
                details.as_ref()
            }
            Error::Context(c) => c.details.as_ref(),
            _ => None,
        }
    }

    /// Seconds the server asked to wait (`Retry-After`) on a 429: `RateLimited`, and with
    /// error context also a 429 without the envelope.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            Error::Context(c) => c.retry_after,
            _ => None,
        }
    }

    /// Rate-limit headers of the failed response (with error context).
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        match self {
            Error::Context(c) => c.rate_limit.as_ref(),
            _ => None,
        }
    }

    /// Whether the pipeline would retry this failure (it already did, up to `max_retries`).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network(_) | Error::Timeout { .. } | Error::WaitTimeout { .. } => true,
            Error::Context(c) => match c.status {
                Some(s) => crate::retry::retryable_status(s),
                None => c.error.is_retryable(),
            },
            e => e.status().is_some_and(crate::retry::retryable_status),
        }
    }

    /// Attempts made before this error was returned: on `Timeout`, and with error context;
    /// otherwise 0 (nothing sent, or not recorded).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Timeout { attempts, .. } => *attempts,
            Error::Context(c) => c.attempts,
            _ => 0,
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
    /// The kind: from the variant, and for [`Error::Api`] from its code, else its status (a
    /// 5xx or `internal`/`unavailable` is `Server`, a 404 without the envelope `NotFound`, …).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation { .. } => ErrorKind::InvalidArgument,
            Error::Authentication { .. } => ErrorKind::Authentication,
            Error::PaymentRequired { .. } => ErrorKind::PaymentRequired,
            Error::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. } => ErrorKind::Conflict,
            Error::RateLimited { .. } => ErrorKind::RateLimit,
            Error::Api { code, status, .. } => match class_status(code, *status) {
                400 => ErrorKind::InvalidArgument,
                401 => ErrorKind::Authentication,
                402 => ErrorKind::PaymentRequired,
                403 => ErrorKind::PermissionDenied,
                404 => ErrorKind::NotFound,
                409 => ErrorKind::Conflict,
                429 => ErrorKind::RateLimit,
                500..=599 => ErrorKind::Server,
                _ => ErrorKind::Api,
            },
            Error::Network(_) => ErrorKind::Network,
            Error::Timeout { .. } | Error::WaitTimeout { .. } => ErrorKind::Timeout,
            Error::Decode(_) | Error::Protocol { .. } => ErrorKind::Decode,
            Error::Config(_) => ErrorKind::Configuration,
            Error::Canceled => ErrorKind::Canceled,
            Error::ExportFailed { .. } => ErrorKind::ExportFailed,
            Error::Download { .. } => ErrorKind::Download,
            Error::Data { .. } => ErrorKind::Data,
            Error::Context(c) => c.error.kind(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str) -> Error {
        Error::from_response(
            status,
            code.into(),
            "m".into(),
            Some(serde_json::json!({"k": 1})),
            Some("req_1".into()),
            Some(7),
        )
    }

    /// The official crate's mapping: by code only; everything else is `Api` with its status.
    #[test]
    fn classified_by_code_like_the_official_crate() {
        assert!(
            matches!(api(404, "not_found"), Error::NotFound { message, request_id }
            if message == "m" && request_id.as_deref() == Some("req_1"))
        );
        assert!(matches!(
            api(401, "unauthenticated"),
            Error::Authentication { .. }
        ));
        assert!(matches!(
            api(403, "permission_denied"),
            Error::PermissionDenied { .. }
        ));
        assert!(matches!(
            api(429, "rate_limited"),
            Error::RateLimited {
                retry_after: Some(7),
                ..
            }
        ));
        assert!(matches!(
            api(400, "invalid_argument"),
            Error::Validation {
                details: Some(_),
                ..
            }
        ));
        assert!(matches!(
            api(409, "already_exists"),
            Error::AlreadyExists { .. }
        ));
        assert!(matches!(
            api(402, "payment_required"),
            Error::PaymentRequired {
                details: Some(_),
                ..
            }
        ));
        for (status, code) in [
            (500, "internal"),
            (503, "unavailable"),
            (418, "teapot"),
            (502, "unknown"),
            (404, "unknown"),
        ] {
            match api(status, code) {
                Error::Api {
                    code: c,
                    message,
                    status: s,
                    request_id,
                } => {
                    assert_eq!((c.as_str(), s, message.as_str()), (code, status, "m"));
                    assert_eq!(request_id.as_deref(), Some("req_1"));
                }
                other => panic!("{status} {code}: {other:?}"),
            }
        }
    }

    /// The kinds (the Python and Node classes) are what they were: by code, else by status.
    #[test]
    fn kinds_follow_code_then_status() {
        for (status, code, kind) in [
            (404, "not_found", ErrorKind::NotFound),
            (500, "internal", ErrorKind::Server),
            (503, "unavailable", ErrorKind::Server),
            (502, "unknown", ErrorKind::Server),
            (404, "unknown", ErrorKind::NotFound),
            (429, "unknown", ErrorKind::RateLimit),
            (400, "unknown", ErrorKind::InvalidArgument),
            (409, "unknown", ErrorKind::Conflict),
            (418, "teapot", ErrorKind::Api),
            (302, "unknown", ErrorKind::Api),
            (408, "request_timeout", ErrorKind::Api),
        ] {
            let e = api(status, code);
            assert_eq!(e.kind(), kind, "{status} {code}");
            assert_eq!(e.code(), code);
            let wrapped = ErrorContext {
                status: Some(status),
                attempts: 2,
                ..ErrorContext::new(api(status, code))
            }
            .into_error();
            assert_eq!(wrapped.kind(), kind, "{status} {code} with context");
            assert_eq!(wrapped.status(), Some(status));
            assert_eq!(wrapped.attempts(), 2);
            assert_eq!(wrapped.code(), code);
            assert_eq!(wrapped.message(), "m");
            assert_eq!(wrapped.to_string(), e.to_string());
        }
    }

    #[test]
    fn accessors_and_display() {
        let e = api(404, "not_found");
        assert_eq!(e.status(), Some(404));
        assert_eq!(e.to_string(), "[not_found] m (request_id: req_1)");
        assert_eq!(e.details(), None, "the official NotFound has no details");
        assert!(e.is_api() && !e.is_retryable());
        let e = api(429, "rate_limited");
        assert_eq!(e.retry_after(), Some(7));
        assert_eq!(
            e.to_string(),
            "[rate_limited] m (request_id: req_1) (retry after 7s)"
        );
        assert!(e.is_retryable());
        let e = api(502, "unknown");
        assert_eq!(e.status(), Some(502));
        assert!(e.is_retryable());
        let ctx = ErrorContext {
            status: Some(429),
            retry_after: Some(120),
            request_id: Some("req_2".into()),
            details: Some(serde_json::json!([1])),
            ..ErrorContext::new(api(429, "unknown"))
        }
        .into_error();
        assert_eq!(ctx.retry_after(), Some(120));
        assert_eq!(ctx.request_id(), Some("req_2"));
        assert_eq!(ctx.details(), Some(&serde_json::json!([1])));
        assert_eq!(
            ctx.to_string(),
            "[unknown] m (request_id: req_2) (retry after 120s)"
        );
        assert!(matches!(ctx.official(), Error::Api { status: 429, .. }));
        assert!(matches!(
            ctx.into_official(),
            Error::Api { status: 429, .. }
        ));
        let decode = serde_json::from_str::<u8>("x").unwrap_err();
        let ctx = ErrorContext {
            status: Some(200),
            request_id: Some("req_3".into()),
            ..ErrorContext::new(Error::Decode(decode))
        }
        .into_error();
        assert_eq!(ctx.code(), "decode_error");
        assert_eq!(ctx.kind(), ErrorKind::Decode);
        assert!(!ctx.is_api() && !ctx.is_retryable());
        assert!(
            ctx.to_string()
                .starts_with("could not decode the response (HTTP 200): ")
        );
        assert!(ctx.to_string().ends_with("(request_id: req_3)"));
        assert!(std::error::Error::source(&ctx).is_some());
        assert_eq!(Error::Config("x".into()).message(), "x");
        assert_eq!(Error::Canceled.message(), "the request was canceled");
    }
}

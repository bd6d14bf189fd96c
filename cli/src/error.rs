//! The command line's errors, how they are shown, and their exit codes.

use std::fmt;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// From the SDK: an API error (with its request id), a network failure, an export that
    /// failed, or bad configuration (`Error::Config`, exit 2).
    Api(ticksupply::Error),
    /// Bad arguments found after parsing, or a destination that does not fit them (exit 2).
    Usage(String),
    /// A local file could not be read or written.
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The object store refused or failed.
    Store { what: String, message: String },
    /// Export data that cannot go into the dataset as it is (a file, a column).
    Data(String),
    /// Ctrl-C stopped a sync (exit 130).
    Interrupted,
    /// A sync ended with windows that failed (each already reported).
    Incomplete { failed: usize },
}

impl CliError {
    /// 0 success, 1 an API, export or I/O error, 2 usage and configuration, 130 interrupted.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Api(ticksupply::Error::Config(_)) | CliError::Usage(_) => 2,
            CliError::Interrupted => 130,
            _ => 1,
        }
    }

    /// A short code: the API's (`not_found`, …), the SDK's (`network_error`, …) or this
    /// program's.
    pub fn code(&self) -> &str {
        match self {
            CliError::Api(e) => e.code(),
            CliError::Usage(_) => "usage_error",
            CliError::Io { .. } => "io_error",
            CliError::Store { .. } => "store_error",
            CliError::Data(_) => "data_error",
            CliError::Interrupted => "interrupted",
            CliError::Incomplete { .. } => "incomplete",
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            CliError::Api(e) => e.request_id(),
            _ => None,
        }
    }
}

impl fmt::Display for CliError {
    /// `[code] message (request_id: req_…)`: an API error's own `Display`, and the same shape
    /// for every other error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Api(e) if e.is_api() => write!(f, "{e}"),
            CliError::Api(e) => write!(f, "[{}] {e}", e.code()),
            CliError::Usage(m) => write!(f, "[usage_error] {m}"),
            CliError::Io { what, source } => write!(f, "[io_error] {what}: {source}"),
            CliError::Store { what, message } => write!(f, "[store_error] {what}: {message}"),
            CliError::Data(m) => write!(f, "[data_error] {m}"),
            CliError::Interrupted => {
                f.write_str("[interrupted] stopped by Ctrl-C; run the same command again to resume")
            }
            CliError::Incomplete { failed } => write!(
                f,
                "[incomplete] {failed} window(s) failed (see above); run the same command again \
                 to retry them"
            ),
        }
    }
}

impl std::error::Error for CliError {}

impl From<ticksupply::Error> for CliError {
    fn from(e: ticksupply::Error) -> Self {
        CliError::Api(e)
    }
}

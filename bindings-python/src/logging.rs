//! The core's `tracing` events, forwarded to the standard `logging` logger `ticksupply`.
//! Events below the logger's effective level are dropped in Rust, before touching Python.

use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use ticksupply::bindings::log_layer::{self, LineSink};
use tracing::Level;

/// The `ticksupply` logger and its `_cache` (level -> enabled), which `logging` clears
/// whenever any level changes: reading it costs a few dict lookups, not a Python call.
struct Logger {
    logger: Py<PyAny>,
    cache: Option<Py<PyDict>>,
}

static LOGGER: PyOnceLock<Logger> = PyOnceLock::new();
/// The lowest enabled level (Python numbering), refreshed at every call.
static LEVEL: AtomicU8 = AtomicU8::new(u8::MAX);

fn logger(py: Python<'_>) -> PyResult<&Logger> {
    LOGGER.get_or_try_init(py, || {
        let logger = py
            .import("logging")?
            .call_method1("getLogger", ("ticksupply",))?;
        let cache = logger
            .getattr("_cache")
            .ok()
            .and_then(|c| c.cast_into::<PyDict>().ok())
            .map(Bound::unbind);
        Ok(Logger {
            logger: logger.unbind(),
            cache,
        })
    })
}

/// Levels the core logs at, lowest first.
const LEVELS: [u8; 5] = [5, 10, 20, 30, 40];

fn lowest_enabled(py: Python<'_>, l: &Logger) -> PyResult<u8> {
    let logger = l.logger.bind(py);
    if logger.getattr("disabled")?.is_truthy()? {
        return Ok(u8::MAX);
    }
    for level in LEVELS {
        let cached = match &l.cache {
            Some(c) => c.bind(py).get_item(level)?,
            None => None,
        };
        let on = match cached {
            Some(v) => v.is_truthy()?,
            // Computes and caches the answer.
            None => logger.call_method1("isEnabledFor", (level,))?.is_truthy()?,
        };
        if on {
            return Ok(level);
        }
    }
    Ok(u8::MAX)
}

/// Reads which levels the logger has enabled, so disabled events cost nothing.
pub fn refresh_level(py: Python<'_>) {
    if let Ok(level) = logger(py).and_then(|l| lowest_enabled(py, l)) {
        LEVEL.store(level, Ordering::Relaxed);
    }
}

fn python_level(l: &Level) -> u8 {
    match *l {
        Level::TRACE => 5,
        Level::DEBUG => 10,
        Level::INFO => 20,
        Level::WARN => 30,
        Level::ERROR => 40,
    }
}

struct PythonLogging;

impl LineSink for PythonLogging {
    fn enabled(&self, level: &Level) -> bool {
        python_level(level) >= LEVEL.load(Ordering::Relaxed)
    }
    fn write(&self, level: &Level, line: String) {
        // Only while the interpreter is running: never from a thread it is tearing down.
        let _ = Python::try_attach(|py| {
            if let Some(l) = LOGGER.get(py) {
                let _ = l
                    .logger
                    .call_method1(py, "log", (python_level(level), line));
            }
        });
    }
}

pub fn install() {
    log_layer::install(PythonLogging);
}

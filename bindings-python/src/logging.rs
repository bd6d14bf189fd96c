//! The core's `tracing` events, forwarded to the standard `logging` logger `ticksupply`.
//! Events below the logger's effective level are dropped in Rust, before touching Python.

use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use ticksupply::bindings::log_layer::{self, LineSink};
use tracing::Level;

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// The logger's effective level (Python numbering), refreshed at every call; 0 = unknown.
static LEVEL: AtomicU8 = AtomicU8::new(u8::MAX);

fn logger(py: Python<'_>) -> PyResult<&Py<PyAny>> {
    LOGGER.get_or_try_init(py, || {
        Ok(py
            .import("logging")?
            .call_method1("getLogger", ("ticksupply",))?
            .unbind())
    })
}

/// Reads the logger's effective level so disabled events cost nothing.
pub fn refresh_level(py: Python<'_>) {
    if let Ok(level) =
        logger(py).and_then(|l| l.call_method0(py, "getEffectiveLevel")?.extract::<u32>(py))
    {
        LEVEL.store(level.min(254) as u8, Ordering::Relaxed);
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
                let _ = l.call_method1(py, "log", (python_level(level), line));
            }
        });
    }
}

pub fn install() {
    log_layer::install(PythonLogging);
}

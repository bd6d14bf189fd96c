//! The core's `tracing` events, forwarded to the standard `logging` logger `ticksupply`.
//! Events below the logger's effective level are dropped in Rust, before touching Python.

use std::fmt::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

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

/// `k=v` pairs, with the `message` field kept apart.
#[derive(Default)]
struct Fields {
    message: String,
    pairs: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.pairs, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.pairs, " {}={value}", field.name());
        }
    }
}

struct SpanFields(String);

pub struct PythonLogging;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for PythonLogging {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut f = Fields::default();
        attrs.record(&mut f);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(f.pairs));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let level = python_level(event.metadata().level());
        if level < LEVEL.load(Ordering::Relaxed) {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let mut line = f.message;
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(s)) = span.extensions().get::<SpanFields>() {
                    line.push_str(s);
                }
            }
        }
        line.push_str(&f.pairs);
        // Only while the interpreter is running: never from a thread it is tearing down.
        let _ = Python::try_attach(|py| {
            if let Some(l) = LOGGER.get(py) {
                let _ = l.call_method1(py, "log", (level, line));
            }
        });
    }
}

pub fn install() {
    use tracing_subscriber::layer::SubscriberExt;
    // Another extension may own the global subscriber already; then events stay there.
    let _ =
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(PythonLogging));
}

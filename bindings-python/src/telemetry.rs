//! The core's telemetry into Python's OpenTelemetry SDK. `ticksupply.otel` installs an observer
//! object (`capture()`, `start(...)`, `end(...)`, `record(...)`); this file only converts the
//! core's span and metric descriptions into calls of it. The rules are the core's.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use ticksupply::telemetry::{
    self, Attribute, BoxFuture, Instrument, Measurement, NoSpan, Observer, Parent, SpanEnd,
    SpanHandle, SpanKind, SpanStart, Value,
};

/// The installed Python observer (also kept here to capture the caller's context).
static INSTALLED: Mutex<Option<Arc<Py<PyAny>>>> = Mutex::new(None);

/// An OpenTelemetry `Context` object.
struct PyParent(Py<PyAny>);

fn installed() -> Option<Arc<Py<PyAny>>> {
    if !telemetry::global_observer_installed() {
        return None;
    }
    INSTALLED.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Installs `observer` (or removes it with None) for every client of the process.
#[pyfunction]
pub fn _set_observer(observer: Option<Py<PyAny>>) {
    let shared = observer.map(Arc::new);
    *INSTALLED.lock().unwrap_or_else(|p| p.into_inner()) = shared.clone();
    telemetry::set_global_observer(
        shared.map(|obj| Arc::new(PyObserver { obj }) as Arc<dyn Observer>),
    );
}

/// The caller's current context, when telemetry is on.
pub fn capture(py: Python<'_>) -> Option<Parent> {
    let obj = installed()?;
    match obj.call_method0(py, "capture") {
        Ok(ctx) => Some(Arc::new(PyParent(ctx))),
        Err(e) => {
            e.write_unraisable(py, None);
            None
        }
    }
}

/// `fut` with the caller's context as the parent of its spans (unchanged when telemetry is off).
pub fn scoped<F>(
    py: Python<'_>,
    fut: F,
) -> std::pin::Pin<Box<dyn Future<Output = F::Output> + Send>>
where
    F: Future + Send + 'static,
{
    match capture(py) {
        Some(parent) => Box::pin(telemetry::with_parent(Some(parent), fut)),
        None => Box::pin(fut),
    }
}

fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

fn attributes<'py>(py: Python<'py>, list: Vec<Attribute>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for a in list {
        match a.value {
            Value::Str(s) => d.set_item(a.key, s)?,
            Value::Int(i) => d.set_item(a.key, i)?,
        }
    }
    Ok(d)
}

struct PyObserver {
    obj: Arc<Py<PyAny>>,
}

/// A span that was never started (the observer failed, or Python is shutting down).
struct PySpan {
    obj: Arc<Py<PyAny>>,
    span: Py<PyAny>,
    traceparent: Option<String>,
    context: Option<Parent>,
}

impl SpanHandle for PySpan {
    fn traceparent(&self) -> Option<String> {
        self.traceparent.clone()
    }
    fn as_parent(&self) -> Option<Parent> {
        self.context.clone()
    }
    fn end(self: Box<Self>, end: SpanEnd) {
        let _ = Python::try_attach(|py| {
            let run = || -> PyResult<()> {
                let attrs = attributes(py, end.attributes)?;
                self.obj.call_method1(
                    py,
                    "end",
                    (self.span.clone_ref(py), attrs, end.error, nanos(end.end)),
                )?;
                Ok(())
            };
            if let Err(e) = run() {
                e.write_unraisable(py, None);
            }
        });
    }
}

impl PyObserver {
    fn start_now(&self, span: SpanStart, parent: Option<Parent>) -> Box<dyn SpanHandle> {
        let started = Python::try_attach(|py| {
            let run = || -> PyResult<PySpan> {
                let parent = parent
                    .as_ref()
                    .and_then(|p| p.downcast_ref::<PyParent>())
                    .map(|p| p.0.clone_ref(py));
                let kind = match span.kind {
                    SpanKind::Client => "client",
                    SpanKind::Internal => "internal",
                };
                let attrs = attributes(py, span.attributes)?;
                let out = self.obj.call_method1(
                    py,
                    "start",
                    (span.name, kind, nanos(span.start), attrs, parent),
                )?;
                let (handle, traceparent, context): (Py<PyAny>, Option<String>, Py<PyAny>) =
                    out.extract(py)?;
                Ok(PySpan {
                    obj: self.obj.clone(),
                    span: handle,
                    traceparent,
                    context: Some(Arc::new(PyParent(context))),
                })
            };
            run().map_err(|e| e.write_unraisable(py, None)).ok()
        })
        .flatten();
        match started {
            Some(s) => Box::new(s),
            None => Box::new(NoSpan),
        }
    }
}

impl Observer for PyObserver {
    fn start(&self, span: SpanStart, parent: Option<Parent>) -> BoxFuture<Box<dyn SpanHandle>> {
        // Python answers on this thread (taking the GIL): nothing to wait for after.
        Box::pin(std::future::ready(self.start_now(span, parent)))
    }

    fn record(&self, measurements: Vec<Measurement>) {
        let _ = Python::try_attach(|py| {
            let run = || -> PyResult<()> {
                let list = PyList::empty(py);
                for m in measurements {
                    let kind = match m.instrument {
                        Instrument::Histogram => "histogram",
                        Instrument::Counter => "counter",
                        Instrument::Gauge => "gauge",
                    };
                    let item = PyTuple::new(
                        py,
                        [
                            kind.into_pyobject(py)?.into_any(),
                            m.name.into_pyobject(py)?.into_any(),
                            m.unit.into_pyobject(py)?.into_any(),
                            m.description.into_pyobject(py)?.into_any(),
                            m.value.into_pyobject(py)?.into_any(),
                            attributes(py, m.attributes)?.into_any(),
                            m.boundaries.to_vec().into_pyobject(py)?.into_any(),
                        ],
                    )?;
                    list.append(item)?;
                }
                self.obj.call_method1(py, "record", (list,))?;
                Ok(())
            };
            if let Err(e) = run() {
                e.write_unraisable(py, None);
            }
        });
    }
}

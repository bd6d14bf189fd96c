//! Core values and errors into Python objects.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;
use ticksupply::{Error, ResponseMeta};

static JSON_LOADS: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();

/// JSON text (already checked by the core) into Python objects with `json.loads`: its C parser
/// builds them faster than a conversion from parsed values, and keeps every integer exact.
fn loads(py: Python<'_>, json: &str) -> PyResult<Py<PyAny>> {
    let f = JSON_LOADS.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("json")?.getattr("loads")?.unbind())
    })?;
    f.call1(py, (json,))
}

pub fn value(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any().unbind(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any().unbind(),
            _ => n
                .as_f64()
                .unwrap_or(f64::NAN)
                .into_pyobject(py)?
                .into_any()
                .unbind(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        Value::Array(a) => {
            let items = a
                .iter()
                .map(|x| value(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, value(py, x)?)?;
            }
            d.into_any().unbind()
        }
    })
}

fn rate_limit(py: Python<'_>, r: &ticksupply::RateLimit) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    d.set_item("limit_minute", r.limit_minute)?;
    d.set_item("remaining_minute", r.remaining_minute)?;
    d.set_item("reset_minute", r.reset_minute)?;
    d.set_item("limit_hour", r.limit_hour)?;
    d.set_item("remaining_hour", r.remaining_hour)?;
    d.set_item("reset_hour", r.reset_hour)?;
    Ok(d.unbind())
}

pub fn meta(py: Python<'_>, m: &ResponseMeta) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    d.set_item("request_id", m.request_id.as_deref())?;
    d.set_item("status", m.status)?;
    d.set_item("attempts", m.attempts)?;
    d.set_item("idempotency_key", m.idempotency_key.as_deref())?;
    d.set_item("rate_limit", rate_limit(py, &m.rate_limit)?)?;
    Ok(d.unbind())
}

pub fn outcome(
    py: Python<'_>,
    out: ticksupply::Result<ticksupply::bindings::ops::Reply>,
) -> PyResult<(Py<PyAny>, Py<PyDict>)> {
    use ticksupply::bindings::ops::Body;
    match out {
        Ok((Body::Value(v), m)) => Ok((value(py, &v)?, meta(py, &m)?)),
        Ok((Body::Text { json, .. }, m)) => Ok((loads(py, &json)?, meta(py, &m)?)),
        Err(e) => Err(error(py, e)),
    }
}

/// The matching `ticksupply.exceptions` class, instantiated with the error's fields.
pub fn error(py: Python<'_>, e: Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let module = py.import("ticksupply.exceptions")?;
        let cls = module.getattr(ticksupply::bindings::class_name(e.kind()))?;
        let kw = PyDict::new(py);
        kw.set_item("code", e.code())?;
        kw.set_item("http_status", e.status())?;
        kw.set_item("request_id", e.request_id())?;
        kw.set_item("details", e.details().map(|d| value(py, d)).transpose()?)?;
        kw.set_item("retry_after", e.retry_after())?;
        kw.set_item(
            "rate_limit",
            e.rate_limit().map(|r| rate_limit(py, r)).transpose()?,
        )?;
        match &e {
            Error::ExportFailed { job } => {
                kw.set_item(
                    "job",
                    value(py, &serde_json::to_value(job).unwrap_or(Value::Null))?,
                )?;
            }
            Error::WaitTimeout { job_id, .. } => kw.set_item("job_id", job_id)?,
            _ => {}
        }
        let instance = cls.call((e.message(),), Some(&kw))?;
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|import_failed| import_failed)
}

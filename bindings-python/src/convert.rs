//! Core values and errors into Python objects.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyType};
use serde_json::Value;
use ticksupply::{Error, ResponseMeta};

/// `json`'s C scanner (what `json.loads` ends in), or `json.loads` where there is none.
static JSON_SCAN: pyo3::sync::PyOnceLock<(Py<PyAny>, bool)> = pyo3::sync::PyOnceLock::new();

/// JSON text (already checked by the core) into Python objects with `json`'s C parser: it
/// builds them faster than a conversion from parsed values, and keeps every integer exact.
/// Calling the scanner directly skips `json.loads`'s Python layers and whitespace regexes.
fn loads(py: Python<'_>, json: &str) -> PyResult<Py<PyAny>> {
    let (f, is_scanner) = JSON_SCAN.get_or_try_init(py, || {
        let json = py.import("json")?;
        let scanner = py.import("json.scanner")?.getattr("c_make_scanner")?;
        if scanner.is_none() {
            return Ok::<_, PyErr>((json.getattr("loads")?.unbind(), false));
        }
        let decoder = json.getattr("JSONDecoder")?.call0()?;
        Ok((scanner.call1((decoder,))?.unbind(), true))
    })?;
    if !*is_scanner {
        return f.call1(py, (json,));
    }
    // The scanner starts at a value: skip the whitespace JSON allows before it.
    let start = json.len() - json.trim_start_matches([' ', '\t', '\n', '\r']).len();
    let (value, _end): (Py<PyAny>, usize) = f.call1(py, (json, start))?.extract(py)?;
    Ok(value)
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
    for (k, v) in ticksupply::RateLimit::FIELDS.iter().zip(r.to_array()) {
        d.set_item(k, v)?;
    }
    Ok(d.unbind())
}

/// A response's metadata, converted to Python only when asked for.
#[pyclass(frozen, module = "ticksupply._native", name = "Meta")]
pub struct Meta(ResponseMeta);

/// `Meta`'s constructor arguments, in `__reduce__` order (so results survive `pickle`).
type MetaArgs = (Option<String>, u16, u32, Option<String>, [Option<u64>; 6]);

#[pymethods]
impl Meta {
    #[new]
    #[pyo3(signature = (request_id=None, status=0, attempts=0, idempotency_key=None, rate_limit=[None; 6]))]
    fn new(
        request_id: Option<String>,
        status: u16,
        attempts: u32,
        idempotency_key: Option<String>,
        rate_limit: [Option<u64>; 6],
    ) -> Self {
        Meta(ResponseMeta {
            request_id,
            status,
            attempts,
            idempotency_key,
            rate_limit: ticksupply::RateLimit::from_array(rate_limit),
            ..Default::default()
        })
    }
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, MetaArgs) {
        let m = &slf.get().0;
        (
            slf.get_type(),
            (
                m.request_id.clone(),
                m.status,
                m.attempts,
                m.idempotency_key.clone(),
                m.rate_limit.to_array(),
            ),
        )
    }
    fn __repr__(&self) -> String {
        match &self.0.request_id {
            Some(id) => format!("Meta(request_id='{id}', status={})", self.0.status),
            None => format!("Meta(request_id=None, status={})", self.0.status),
        }
    }
    #[getter]
    fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    #[getter]
    fn status(&self) -> u16 {
        self.0.status
    }
    #[getter]
    fn attempts(&self) -> u32 {
        self.0.attempts
    }
    #[getter]
    fn idempotency_key(&self) -> Option<&str> {
        self.0.idempotency_key.as_deref()
    }
    #[getter]
    fn rate_limit(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        rate_limit(py, &self.0.rate_limit)
    }
}

pub fn outcome(
    py: Python<'_>,
    out: ticksupply::Result<ticksupply::bindings::ops::Reply>,
) -> PyResult<(Py<PyAny>, Py<Meta>)> {
    use ticksupply::bindings::ops::Body;
    match out {
        Ok((body, m)) => {
            let data = match body {
                Body::Value(v) => value(py, &v)?,
                Body::Text { json, .. } => loads(py, &json)?,
            };
            Ok((data, Py::new(py, Meta(m))?))
        }
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

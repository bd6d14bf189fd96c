//! `ticksupply._native`: the Rust core exposed to Python. This file only converts: arguments in,
//! results and errors out. Every rule (URLs, headers, retries, errors) lives in the core.

mod convert;
mod data;
mod logging;
mod runtime;
mod telemetry;

use std::sync::Arc;

use pyo3::prelude::*;

use ticksupply::bindings::ops::{self, Format};
use ticksupply::{Client, ClientOptions};

/// The core client; `ticksupply.Client` and `ticksupply.AsyncClient` wrap it.
#[pyclass(frozen, module = "ticksupply._native")]
struct NativeClient {
    /// The client and the fork generation it was built in: a forked child gets a fresh
    /// connection pool.
    client: std::sync::Mutex<(u64, Arc<Client>)>,
}

impl NativeClient {
    fn from_client(client: Client) -> Self {
        NativeClient {
            client: std::sync::Mutex::new((runtime::generation(), Arc::new(client))),
        }
    }

    fn core(&self, py: Python<'_>) -> PyResult<Arc<Client>> {
        let mut slot = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let generation = runtime::generation();
        if slot.0 != generation {
            let fresh = slot
                .1
                .with_fresh_pool()
                .map_err(|e| convert::error(py, e))?;
            *slot = (generation, Arc::new(fresh));
        }
        Ok(slot.1.clone())
    }
}

impl NativeClient {
    /// The core call for `op`; `exports.download` reports to `progress(done, total)` if given.
    fn start(
        &self,
        py: Python<'_>,
        op: &str,
        args: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<ops::Pending> {
        let core = self.core(py)?;
        let out = match progress {
            Some(f) if op == "exports.download" => {
                let report = move |done: u64, total: u64| {
                    // Never from a thread the interpreter is tearing down.
                    let _ = Python::try_attach(|py| {
                        if let Err(e) = f.call1(py, (done, total)) {
                            e.write_unraisable(py, None);
                        }
                    });
                };
                ops::download_with_progress(&core, args, Format::Text, Arc::new(report))
            }
            _ => ops::build(&core, op, args, Format::Text),
        };
        // The caller's tracing context, when telemetry is on, is the parent of the call's spans.
        out.map(|fut| telemetry::scoped(py, fut) as ops::Pending)
            .map_err(|e| convert::error(py, e))
    }
}

fn duration(secs: f64) -> PyResult<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(secs).map_err(|_| {
        pyo3::exceptions::PyValueError::new_err("timeout must be a positive number of seconds")
    })
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api_key=None, base_url=None, timeout=None, max_retries=None, user_agent=None, profile=None))]
    fn new(
        py: Python<'_>,
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<f64>,
        max_retries: Option<u32>,
        user_agent: Option<String>,
        profile: Option<String>,
    ) -> PyResult<Self> {
        // Every field of the Python exceptions (http_status, details, rate_limit, …) comes from
        // the error context.
        let mut b = Client::builder().error_context(true);
        if let Some(k) = api_key {
            b = b.api_key(k);
        }
        if let Some(p) = profile {
            b = b.profile(p);
        }
        if let Some(u) = base_url {
            b = b.base_url(u);
        }
        if let Some(t) = timeout {
            b = b.timeout(duration(t)?);
        }
        if let Some(n) = max_retries {
            b = b.max_retries(n);
        }
        b = b.user_agent(
            user_agent
                .unwrap_or_else(|| format!("ticksupply-python/{}", ticksupply::client::VERSION)),
        );
        // A profile's key may come from the OS keyring: a D-Bus round trip, or a wait on an
        // unlock prompt, without the GIL.
        let client = py.detach(|| b.build()).map_err(|e| convert::error(py, e))?;
        Ok(NativeClient::from_client(client))
    }

    fn set_api_key(&self, py: Python<'_>, key: &str) -> PyResult<()> {
        self.core(py)?
            .set_api_key(key)
            .map_err(|e| convert::error(py, e))
    }

    #[pyo3(signature = (api_key=None, timeout=None, max_retries=None))]
    fn with_options(
        &self,
        py: Python<'_>,
        api_key: Option<String>,
        timeout: Option<f64>,
        max_retries: Option<u32>,
    ) -> PyResult<Self> {
        let options = ClientOptions {
            api_key,
            timeout: timeout.map(duration).transpose()?,
            max_retries,
            total_timeout: None,
        };
        let client = self
            .core(py)?
            .with_options(options)
            .map_err(|e| convert::error(py, e))?;
        Ok(NativeClient::from_client(client))
    }

    #[getter]
    fn base_url(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.core(py)?.base_url().to_string())
    }
    #[getter]
    fn api_key_hint(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.core(py)?.api_key_hint())
    }
    #[getter]
    fn timeout(&self, py: Python<'_>) -> PyResult<f64> {
        Ok(self.core(py)?.timeout().as_secs_f64())
    }
    #[getter]
    fn max_retries(&self, py: Python<'_>) -> PyResult<u32> {
        Ok(self.core(py)?.max_retries())
    }

    /// Runs operation `op` with JSON-encoded `args`, blocking without the GIL (Ctrl-C
    /// interrupts); returns `(data, meta)`.
    #[pyo3(signature = (op, args, progress=None))]
    fn call(
        &self,
        py: Python<'_>,
        op: &str,
        args: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<(Py<PyAny>, Py<convert::Meta>)> {
        logging::refresh_level(py);
        let fut = self.start(py, op, args, progress)?;
        let out = runtime::block_on_interruptible(py, fut)?;
        convert::outcome(py, out)
    }

    /// Starts operation `op` on the core's runtime and settles the asyncio future `fut` of
    /// `loop_` through `settle(fut, ok, value)` when it ends.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (op, args, loop_, fut, settle, progress=None))]
    fn call_async(
        &self,
        py: Python<'_>,
        op: &str,
        args: &str,
        loop_: Py<PyAny>,
        fut: Py<PyAny>,
        settle: Py<PyAny>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<NativeTask> {
        logging::refresh_level(py);
        let task = self.start(py, op, args, progress)?;
        let join = runtime::handle().spawn(async move {
            let out = task.await;
            // Every Python object is used and dropped inside one attach: touching Python after
            // it (even a decref) can meet an interpreter that is shutting down.
            Python::attach(move |py| {
                let (ok, value) = match convert::outcome(py, out) {
                    Ok(pair) => (
                        true,
                        pair.into_pyobject(py)
                            .map(|p| p.into_any().unbind())
                            .unwrap_or_else(|e| e.into_value(py).into_any()),
                    ),
                    Err(e) => (false, e.into_value(py).into_any()),
                };
                // The loop may be closed already; then nobody is waiting.
                let _ = loop_.call_method1(py, "call_soon_threadsafe", (settle, fut, ok, value));
                drop(loop_);
            });
        });
        Ok(NativeTask(join.abort_handle()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let c = self.core(py)?;
        Ok(format!(
            "NativeClient(base_url={:?}, api_key={:?})",
            c.base_url(),
            c.api_key_hint()
        ))
    }
}

/// A call started by `call_async`; `cancel()` drops it in the core (retries and backoff
/// included) when the asyncio task awaiting it is cancelled.
#[pyclass(frozen, module = "ticksupply._native")]
struct NativeTask(tokio::task::AbortHandle);

#[pymethods]
impl NativeTask {
    fn cancel(&self) {
        self.0.abort();
    }
}

/// Stops the core's runtime; called at interpreter exit.
#[pyfunction]
fn _shutdown(py: Python<'_>) {
    py.detach(runtime::shutdown);
}

/// Runs the `ticksupply` command line (`ticksupply_cli::run`) with `argv` (`argv[0]` is the
/// program name) and returns its exit code; the `ticksupply` console script calls it. Python's
/// buffered output is flushed first so that it lands before the command's, and the GIL is
/// released while the command runs (on its own runtime, not the client's).
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> i32 {
    if let Ok(sys) = py.import("sys") {
        for name in ["stdout", "stderr"] {
            // `None` under pythonw; a closed stream raises: neither stops the command.
            if let Ok(stream) = sys.getattr(name)
                && !stream.is_none()
            {
                let _ = stream.call_method0("flush");
            }
        }
    }
    py.detach(move || ticksupply_cli::run(argv))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::watch_forks();
    logging::install();
    logging::refresh_level(m.py());
    m.add_class::<NativeClient>()?;
    m.add_class::<NativePages>()?;
    m.add_class::<NativeTask>()?;
    m.add_class::<data::NativeData>()?;
    m.add_class::<data::NativeBatches>()?;
    m.add_class::<data::NativePrepared>()?;
    m.add_class::<convert::Meta>()?;
    m.add_function(wrap_pyfunction!(_shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(telemetry::_set_observer, m)?)?;
    m.add("CORE_VERSION", ticksupply::client::VERSION)?;
    Ok(())
}

/// The pages of a list, driven by the core's pager.
#[pyclass(frozen, module = "ticksupply._native")]
struct NativePages {
    pages: Arc<tokio::sync::Mutex<ops::Pages>>,
}

#[pymethods]
impl NativePages {
    #[new]
    fn new(py: Python<'_>, client: &NativeClient, op: &str, args: &str) -> PyResult<Self> {
        let pages = ops::pages(&*client.core(py)?, op, args, Format::Text)
            .map_err(|e| convert::error(py, e))?;
        Ok(NativePages {
            pages: Arc::new(tokio::sync::Mutex::new(pages)),
        })
    }

    /// The next page as `(data, meta)`, or None after the last.
    fn next_page(&self, py: Python<'_>) -> PyResult<Option<(Py<PyAny>, Py<convert::Meta>)>> {
        let pages = self.pages.clone();
        let next = runtime::block_on_interruptible(
            py,
            telemetry::scoped(py, async move {
                use futures_util::StreamExt;
                pages.lock().await.next().await
            }),
        )?;
        next.map(|out| convert::outcome(py, out)).transpose()
    }

    /// Like `next_page`, settling an asyncio future; the value is None after the last page.
    fn next_page_async(
        &self,
        py: Python<'_>,
        loop_: Py<PyAny>,
        fut: Py<PyAny>,
        settle: Py<PyAny>,
    ) -> NativeTask {
        let pages = self.pages.clone();
        let page = telemetry::scoped(py, async move {
            use futures_util::StreamExt;
            pages.lock().await.next().await
        });
        let join = runtime::handle().spawn(async move {
            let next = page.await;
            // Every Python object is used and dropped inside one attach: touching Python after
            // it (even a decref) can meet an interpreter that is shutting down.
            Python::attach(move |py| {
                let (ok, value) = match next.map(|out| convert::outcome(py, out)).transpose() {
                    Ok(v) => (
                        true,
                        v.into_pyobject(py)
                            .map(|p| p.into_any().unbind())
                            .unwrap_or_else(|e| e.into_value(py).into_any()),
                    ),
                    Err(e) => (false, e.into_value(py).into_any()),
                };
                let _ = loop_.call_method1(py, "call_soon_threadsafe", (settle, fut, ok, value));
                drop(loop_);
            });
        });
        NativeTask(join.abort_handle())
    }
}

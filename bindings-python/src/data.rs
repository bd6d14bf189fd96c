//! Export data for Python: a stream of Arrow record batches handed over through the Arrow
//! PyCapsule interface (`__arrow_c_stream__`, `__arrow_c_schema__`), so polars, pyarrow,
//! pandas and DuckDB take it without a pyarrow dependency of ours. Decoding happens in the
//! core's threads; the consumer's `get_next` only waits for the next batch.

use std::ffi::CStr;
use std::sync::{Arc, Mutex};

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::ffi::FFI_ArrowSchema;
use arrow_schema::{ArrowError, SchemaRef};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use ticksupply::data::{DataStream, Prepared};
use ticksupply::{Client, Error};

use crate::{NativeClient, convert, runtime};

const STREAM: &CStr = c"arrow_array_stream";
const SCHEMA: &CStr = c"arrow_schema";

/// What to read: an export's artifacts or files on disk, with the schema and batch size.
#[pyclass(frozen, module = "ticksupply._native")]
pub struct NativeData {
    client: Option<Arc<Client>>,
    args: String,
}

#[pymethods]
impl NativeData {
    /// `args` is JSON: `{"id": …}` or `{"paths": […]}`, plus `schema` (null, a name or an
    /// inline object) and `batch_rows`.
    #[new]
    #[pyo3(signature = (args, client=None))]
    fn new(py: Python<'_>, args: String, client: Option<&NativeClient>) -> PyResult<Self> {
        Ok(NativeData {
            client: client.map(|c| c.core(py)).transpose()?,
            args,
        })
    }

    /// Resolves the schema and lists the artifacts (blocking without the GIL; Ctrl-C
    /// interrupts): a missing export or an unknown schema fails here; nothing is read yet.
    fn prepare(&self, py: Python<'_>) -> PyResult<NativePrepared> {
        let request = ticksupply::bindings::data::request(self.client.as_deref(), &self.args)
            .map_err(|e| convert::error(py, e))?;
        let prepared =
            runtime::block_on_interruptible(py, crate::telemetry::scoped(py, request.prepare()))?
                .map_err(|e| convert::error(py, e))?;
        Ok(NativePrepared { prepared })
    }
}

/// Data ready to read; each `open` starts a read of its own.
#[pyclass(frozen, module = "ticksupply._native")]
pub struct NativePrepared {
    prepared: Prepared,
}

#[pymethods]
impl NativePrepared {
    /// Starts decoding, in batches of `batch_rows` rows when given (blocking without the GIL;
    /// Ctrl-C interrupts).
    #[pyo3(signature = (batch_rows=None))]
    fn open(&self, py: Python<'_>, batch_rows: Option<usize>) -> PyResult<NativeBatches> {
        let prepared = match batch_rows {
            Some(n) => self.prepared.with_batch_rows(n),
            None => self.prepared.clone(),
        };
        let open = crate::telemetry::scoped(py, async move { prepared.open().await });
        let stream =
            runtime::block_on_interruptible(py, open)?.map_err(|e| convert::error(py, e))?;
        Ok(NativeBatches::new(stream))
    }

    /// Writes every batch to one Parquet file (zstd) through `<path>.part`; returns
    /// `(rows, bytes)`. Ctrl-C stops it and leaves no file.
    fn to_parquet(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<(u64, u64)> {
        let prepared = self.prepared.clone();
        let write = crate::telemetry::scoped(py, async move { prepared.to_parquet(path).await });
        let written =
            runtime::block_on_interruptible(py, write)?.map_err(|e| convert::error(py, e))?;
        Ok((written.rows, written.bytes))
    }
}

/// An opened stream of batches; `__arrow_c_stream__` hands it over once.
#[pyclass(frozen, module = "ticksupply._native")]
pub struct NativeBatches {
    schema: SchemaRef,
    stream: Mutex<Option<DataStream>>,
    /// The core error that ended the stream, for the Python layer to raise as its own class
    /// (a consumer only reports a message).
    error: Arc<Mutex<Option<Error>>>,
}

impl NativeBatches {
    fn new(stream: DataStream) -> NativeBatches {
        NativeBatches {
            schema: stream.schema(),
            stream: Mutex::new(Some(stream)),
            error: Arc::new(Mutex::new(None)),
        }
    }
}

#[pymethods]
impl NativeBatches {
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let ffi = FFI_ArrowSchema::try_from(self.schema.as_ref())
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        PyCapsule::new_with_value(py, ffi, SCHEMA)
    }

    /// The batches as an `ArrowArrayStream` capsule. The requested schema is not applied:
    /// the export's schema is the one to read.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let stream = self
            .stream
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| {
                pyo3::exceptions::PyRuntimeError::new_err(
                    "this stream of batches was already consumed; open the data again",
                )
            })?;
        let reader = Reader {
            schema: self.schema.clone(),
            stream,
            error: self.error.clone(),
        };
        PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(Box::new(reader)), STREAM)
    }

    /// The names of the columns.
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Stops the stream if nobody took it yet (its downloads and decoding end); the schema
    /// stays readable.
    fn close(&self) {
        drop(self.stream.lock().unwrap_or_else(|p| p.into_inner()).take());
    }

    /// The core error that ended the stream, as the package's exception (or None).
    fn take_error(&self, py: Python<'_>) -> Option<PyErr> {
        let e = self.error.lock().unwrap_or_else(|p| p.into_inner()).take();
        e.map(|e| convert::error(py, e))
    }
}

/// The consumer's side: each `get_next` waits for the next decoded batch.
struct Reader {
    schema: SchemaRef,
    stream: DataStream,
    error: Arc<Mutex<Option<Error>>>,
}

impl Iterator for Reader {
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.stream.blocking_next()? {
            Ok(b) => Some(Ok(b)),
            Err(e) => {
                let message = e.to_string();
                *self.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                Some(Err(ArrowError::ExternalError(message.into())))
            }
        }
    }
}

impl RecordBatchReader for Reader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

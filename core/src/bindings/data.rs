//! Export data for the bindings: one parser of their JSON arguments, and Arrow IPC bytes for
//! JavaScript (which reads them with apache-arrow's `tableFromIPC`).

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use serde_json::Value;

use crate::data::{ExportData, SchemaSpec, Shape, read_artifacts};
use crate::{Client, Error, Result};

/// The reader for `{"id": …}` (an export; needs the client) or `{"paths": […]}` (files), with
/// `schema` (null, a name or `sch_` id, or inline content), `batch_rows`, `concurrency`,
/// `decimals` (`"decimal"` or `"text"`) and `timestamps` (`"timestamp"` or `"int64"`).
pub fn request(client: Option<&Client>, args: &str) -> Result<ExportData> {
    let a: serde_json::Map<String, Value> = match serde_json::from_str(args) {
        Ok(Value::Object(m)) => m,
        _ => return Err(Error::Config("arguments must be a JSON object".into())),
    };
    let mut r = match (a.get("id"), a.get("paths")) {
        (Some(Value::String(id)), _) => {
            let client =
                client.ok_or_else(|| Error::Config("an export's data needs a client".into()))?;
            client.exports().data(id.clone())
        }
        (_, Some(Value::Array(paths))) => {
            let paths = paths
                .iter()
                .map(|p| {
                    p.as_str().map(str::to_string).ok_or_else(|| {
                        Error::Config("paths must be a list of file paths (strings)".into())
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let mut r = read_artifacts(paths);
            if let Some(c) = client {
                r = r.client(c.clone());
            }
            r
        }
        _ => return Err(Error::Config("give an export id or a list of paths".into())),
    };
    r = r.schema(SchemaSpec::from_json(
        a.get("schema").unwrap_or(&Value::Null),
    )?);
    if let Some(n) = count(&a, "batch_rows")? {
        r = r.batch_rows(n);
    }
    if let Some(n) = count(&a, "concurrency")? {
        r = r.concurrency(n);
    }
    let choice = |k: &str, plain: &str, other: &str| -> Result<bool> {
        match a.get(k) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::String(s)) if s == plain => Ok(false),
            Some(Value::String(s)) if s == other => Ok(true),
            Some(v) => Err(Error::Config(format!(
                "{k} must be {plain:?} or {other:?}, not {v}"
            ))),
        }
    };
    Ok(r.shape(Shape {
        decimals_as_text: choice("decimals", "decimal", "text")?,
        timestamps_as_int64: choice("timestamps", "timestamp", "int64")?,
    }))
}

fn count(a: &serde_json::Map<String, Value>, k: &str) -> Result<Option<usize>> {
    match a.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|n| *n > 0)
            .map(|n| Some(n as usize))
            .ok_or_else(|| Error::Config(format!("{k} must be a positive integer, not {v}"))),
    }
}

/// An Arrow IPC stream (schema, then the batches) in one buffer.
pub fn ipc(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let fail = |e: arrow_schema::ArrowError| Error::Data {
        message: format!("cannot write Arrow IPC: {e}"),
        artifact: None,
    };
    let mut w = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), schema).map_err(fail)?;
    for b in batches {
        w.write(b).map_err(fail)?;
    }
    w.finish().map_err(fail)?;
    w.into_inner().map_err(fail)
}

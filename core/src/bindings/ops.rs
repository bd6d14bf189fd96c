//! Operation name + JSON arguments → a core call. Names mirror the Python resource methods
//! (`subscriptions.list_spans`); the Node binding maps its camelCase names onto them.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::artifacts::Progress;
use crate::resources::catalog::{ListExchangeDatastreamsRequest, ListInstrumentsRequest};
use crate::resources::datastreams::ListDatastreamsRequest;
use crate::resources::export_schemas::{SchemaContent, StreamCategory};
use crate::resources::exports::ListExportsRequest;
use crate::resources::subscriptions::ListSubscriptionsRequest;
use crate::{Client, Error, ResponseMeta, Result};

/// How a reply's body is handed to the binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Parsed JSON.
    Value,
    /// The JSON text as the server sent it (checked, not decoded): Python's `json.loads`
    /// builds objects faster than a conversion from parsed values, and keeps every integer.
    Text,
    /// JSON text for `JSON.parse` (far cheaper in Node than building objects through N-API),
    /// with nanosecond fields quoted so that no digit is lost before they become `bigint`.
    TextQuotedNanos,
}

#[derive(Debug)]
pub enum Body {
    Value(Value),
    Text {
        json: String,
        /// Whether nanosecond fields were quoted (the binding turns them back into integers).
        nanos: bool,
    },
}

pub type Reply = (Body, ResponseMeta);
pub type Pending = Pin<Box<dyn Future<Output = Result<Reply>> + Send>>;
pub type Pages = Pin<Box<dyn futures_util::Stream<Item = Result<Reply>> + Send>>;

/// Fields that hold nanoseconds since the epoch (exports' window, availability ranges), besides
/// any field ending in `_ns`.
pub const NANOS_FIELDS: [&str; 4] = ["start_time", "end_time", "from", "to"];

pub fn is_nanos_field(key: &str) -> bool {
    NANOS_FIELDS.contains(&key) || key.ends_with("_ns")
}

/// Whether an operation's replies can hold nanosecond fields.
fn has_nanos(op: &str) -> bool {
    op.starts_with("exports.") || op.starts_with("availability.")
}

pub(crate) fn quote_nanos(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if x.is_number() && is_nanos_field(k) {
                    *x = Value::String(x.to_string());
                } else {
                    quote_nanos(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(quote_nanos),
        _ => {}
    }
}

/// A parsed value in the wanted format.
fn body(format: Format, mut v: Value) -> Body {
    match format {
        Format::Value => Body::Value(v),
        Format::Text => Body::Text {
            json: v.to_string(),
            nanos: false,
        },
        Format::TextQuotedNanos => {
            quote_nanos(&mut v);
            Body::Text {
                json: v.to_string(),
                nanos: true,
            }
        }
    }
}

fn page_body<T: serde::Serialize>(
    format: Format,
    r: Result<(crate::Page<T>, ResponseMeta)>,
) -> Result<Reply> {
    r.map(|(p, m)| {
        (
            body(format, serde_json::to_value(&p).unwrap_or(Value::Null)),
            m,
        )
    })
}

/// The pages of a list operation, from the first, by the core's pager (filters and limit kept,
/// a repeated token is an error).
pub fn pages(c: &Client, op: &str, args: &str, format: Format) -> Result<Pages> {
    use futures_util::StreamExt;
    let a = parse(args)?;
    Ok(match op {
        "subscriptions.list" => Box::pin(
            subscriptions(c, &a)?
                .pages()
                .map(move |r| page_body(format, r)),
        ),
        "exports.list" => Box::pin(exports(c, &a)?.pages().map(move |r| page_body(format, r))),
        "datastreams.list" => Box::pin(
            datastreams(c, &a)?
                .pages()
                .map(move |r| page_body(format, r)),
        ),
        "exchanges.list_instruments" => Box::pin(
            instruments(c, &a)?
                .pages()
                .map(move |r| page_body(format, r)),
        ),
        "exchanges.list_datastreams" => Box::pin(
            instrument_datastreams(c, &a)?
                .pages()
                .map(move |r| page_body(format, r)),
        ),
        "exports.rows" => row_batches(c, a.req("id")?, format),
        other => return Err(bad(format!("{other:?} is not a list operation"))),
    })
}

/// Rows per batch handed to a binding: one crossing per batch, not per row.
const ROW_BATCH: usize = 1024;

/// The rows of an export as batches (arrays of header-keyed objects). A failure ends the
/// stream after the rows read before it, so nothing read is lost.
fn row_batches(c: &Client, id: String, format: Format) -> Pages {
    use futures_util::StreamExt;
    let batches = c
        .exports()
        .rows(id)
        .ready_chunks(ROW_BATCH)
        .flat_map(move |chunk| {
            let mut out = Vec::with_capacity(2);
            let mut rows = Vec::with_capacity(chunk.len());
            let mut failed = None;
            for r in chunk {
                match r {
                    Ok(row) => rows.push(Value::Object(
                        row.iter()
                            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                            .collect(),
                    )),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            if !rows.is_empty() {
                let json = Value::Array(rows);
                let body = match format {
                    Format::Value => Body::Value(json),
                    // CSV cells are strings: nothing to quote.
                    Format::Text | Format::TextQuotedNanos => Body::Text {
                        json: json.to_string(),
                        nanos: false,
                    },
                };
                out.push(Ok((body, ResponseMeta::default())));
            }
            if let Some(e) = failed {
                out.push(Err(e));
            }
            futures_util::stream::iter(out)
        });
    Box::pin(batches)
}

fn parse(args: &str) -> Result<Args> {
    match serde_json::from_str(args) {
        Ok(Value::Object(m)) => Ok(Args(m)),
        _ => Err(bad("arguments must be a JSON object".into())),
    }
}

struct Args(Map<String, Value>);

fn bad(msg: String) -> Error {
    Error::Config(msg)
}

impl Args {
    fn str(&self, k: &str) -> Option<String> {
        self.0.get(k).and_then(Value::as_str).map(str::to_string)
    }
    fn req(&self, k: &str) -> Result<String> {
        self.str(k)
            .ok_or_else(|| bad(format!("{k} is required and must be a string")))
    }
    fn int(&self, k: &str) -> Result<Option<i64>> {
        match self.0.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| bad(format!("{k} must be an integer"))),
        }
    }
    fn req_int(&self, k: &str) -> Result<i64> {
        self.int(k)?.ok_or_else(|| bad(format!("{k} is required")))
    }
    fn limit(&self) -> Result<Option<u32>> {
        self.int("limit")?
            .map(|n| u32::try_from(n).map_err(|_| bad("limit must be a positive integer".into())))
            .transpose()
    }
    fn secs(&self, k: &str) -> Result<Option<Duration>> {
        match self.0.get(k).and_then(Value::as_f64) {
            None => Ok(None),
            Some(s) => Duration::try_from_secs_f64(s)
                .map(Some)
                .map_err(|_| bad(format!("{k} must be a non-negative number of seconds"))),
        }
    }
    fn time(&self, k: &str) -> Result<String> {
        match self.0.get(k) {
            Some(Value::Number(n)) if n.is_i64() => Ok(n.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(bad(format!(
                "{k} must be a datetime, an integer of nanoseconds or a string"
            ))),
        }
    }
    fn content(&self) -> Result<SchemaContent> {
        let mut m = Map::new();
        for k in ["columns", "unfold", "derive"] {
            if let Some(v) = self.0.get(k).filter(|v| !v.is_null()) {
                m.insert(k.into(), v.clone());
            }
        }
        serde_json::from_value(Value::Object(m))
            .map_err(|e| bad(format!("invalid schema content: {e}")))
    }
}

/// Sends a call, in the format `$f` (a reply whose nanoseconds must be quoted is parsed here).
macro_rules! pending {
    ($f:expr, $op:expr, $call:expr) => {{
        let call = $call;
        let f: Format = $f;
        if f == Format::Text || (f == Format::TextQuotedNanos && !has_nanos($op)) {
            Box::pin(async move {
                call.send_text().await.map(|r| {
                    let json = r.data;
                    (Body::Text { json, nanos: false }, r.meta)
                })
            }) as Pending
        } else {
            Box::pin(async move { call.send_json().await.map(|r| (body(f, r.data), r.meta)) })
                as Pending
        }
    }};
}

// One builder per list, shared by the one-page call (with `page_token`) and the pager.

fn instruments(c: &Client, a: &Args) -> Result<ListInstrumentsRequest> {
    let mut r = c.exchanges().list_instruments(a.req("exchange")?);
    if let Some(v) = a.str("search") {
        r = r.search(v)
    }
    if let Some(v) = a.str("base") {
        r = r.base(v)
    }
    if let Some(v) = a.str("quote") {
        r = r.quote(v)
    }
    if let Some(v) = a.str("instrument_type") {
        r = r.instrument_type(v)
    }
    if let Some(v) = a.limit()? {
        r = r.limit(v)
    }
    Ok(r)
}

fn instrument_datastreams(c: &Client, a: &Args) -> Result<ListExchangeDatastreamsRequest> {
    let mut r = c
        .exchanges()
        .list_datastreams(a.req("exchange")?, a.req("instrument")?);
    if let Some(v) = a.str("stream_type") {
        r = r.stream_type(v)
    }
    if let Some(v) = a.str("wire_format") {
        r = r.wire_format(v)
    }
    if let Some(v) = a.limit()? {
        r = r.limit(v)
    }
    Ok(r)
}

fn datastreams(c: &Client, a: &Args) -> Result<ListDatastreamsRequest> {
    let mut r = c.datastreams().list();
    if let Some(v) = a.str("exchange") {
        r = r.exchange(v)
    }
    if let Some(v) = a.str("instrument") {
        r = r.instrument(v)
    }
    if let Some(v) = a.str("stream_type") {
        r = r.stream_type(v)
    }
    if let Some(v) = a.str("wire_format") {
        r = r.wire_format(v)
    }
    if let Some(v) = a.limit()? {
        r = r.limit(v)
    }
    Ok(r)
}

fn subscriptions(c: &Client, a: &Args) -> Result<ListSubscriptionsRequest> {
    let r = c.subscriptions().list();
    Ok(match a.limit()? {
        Some(v) => r.limit(v),
        None => r,
    })
}

fn exports(c: &Client, a: &Args) -> Result<ListExportsRequest> {
    let r = c.exports().list();
    Ok(match a.limit()? {
        Some(v) => r.limit(v),
        None => r,
    })
}

/// Adds `page_token` when given.
macro_rules! paged {
    ($a:expr, $r:expr) => {{
        let r = $r;
        match $a.str("page_token") {
            Some(t) => r.page_token(t),
            None => r,
        }
    }};
}

/// `exports.download` with a progress callback, called at most every [`PROGRESS_EVERY`] and
/// once at the end (a binding's callback costs a thread hop, so not for every chunk).
pub fn download_with_progress(
    c: &Client,
    args: &str,
    format: Format,
    progress: Progress,
) -> Result<Pending> {
    download(c, &parse(args)?, format, Some(progress))
}

pub const PROGRESS_EVERY: Duration = Duration::from_millis(100);

fn throttled(progress: Progress) -> impl Fn(u64, u64) + Send + Sync + 'static {
    let last = std::sync::Mutex::new(None::<std::time::Instant>);
    move |done, total| {
        let now = std::time::Instant::now();
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        if done >= total || last.is_none_or(|t| now.duration_since(t) >= PROGRESS_EVERY) {
            *last = Some(now);
            drop(last);
            progress(done, total);
        }
    }
}

fn download(c: &Client, a: &Args, format: Format, progress: Option<Progress>) -> Result<Pending> {
    let mut r = c
        .exports()
        .download(a.req("id")?, a.req("dest_dir")?)
        .overwrite(
            a.0.get("overwrite")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        );
    if let Some(n) = a.int("concurrency")? {
        r = r.concurrency(usize::try_from(n.max(1)).unwrap_or(1));
    }
    if a.0.get("durable").and_then(Value::as_bool) == Some(true) {
        r = r.durable(true);
    }
    if let Some(p) = progress {
        r = r.on_progress(throttled(p));
    }
    Ok(Box::pin(async move {
        let paths = r.send().await?;
        let paths: Vec<Value> = paths
            .iter()
            .map(|p| Value::String(p.display().to_string()))
            .collect();
        Ok((body(format, Value::Array(paths)), ResponseMeta::default()))
    }))
}

/// The call for operation `op` with JSON-encoded `args`, not yet started.
pub fn build(c: &Client, op: &str, args: &str, format: Format) -> Result<Pending> {
    let a = parse(args)?;
    let id = || a.req("id");
    // Every POST and DELETE takes a caller's idempotency key; the core generates one otherwise.
    macro_rules! keyed {
        ($call:expr) => {{
            let mut call = $call;
            if let Some(k) = a.str("idempotency_key") {
                call = call.idempotency_key(k);
            }
            pending!(format, op, call)
        }};
    }
    macro_rules! plain {
        ($call:expr) => {
            pending!(format, op, $call)
        };
    }
    Ok(match op {
        "exchanges.list" => plain!(c.exchanges().list()),
        "exchanges.list_instruments" => plain!(paged!(a, instruments(c, &a)?)),
        "exchanges.list_datastreams" => plain!(paged!(a, instrument_datastreams(c, &a)?)),
        "datastreams.list" => plain!(paged!(a, datastreams(c, &a)?)),
        "subscriptions.list" => plain!(paged!(a, subscriptions(c, &a)?)),
        "subscriptions.get" => plain!(c.subscriptions().get(&id()?)),
        "subscriptions.create" => keyed!(c.subscriptions().create(a.req_int("datastream_id")?)),
        "subscriptions.delete" => keyed!(c.subscriptions().delete(id()?)),
        "subscriptions.pause" => keyed!(c.subscriptions().pause(id()?)),
        "subscriptions.resume" => keyed!(c.subscriptions().resume(id()?)),
        "subscriptions.list_spans" => plain!(c.subscriptions().list_spans(&id()?)),
        "exports.list" => plain!(paged!(a, exports(c, &a)?)),
        "exports.get" => plain!(c.exports().get(&id()?)),
        "exports.get_download" => plain!(c.exports().get_download(&id()?)),
        "exports.delete" => keyed!(c.exports().delete(id()?)),
        "exports.cancel" => keyed!(c.exports().cancel(id()?)),
        "exports.create" => {
            let mut r = c.exports().create(
                a.req_int("datastream_id")?,
                a.time("start_time")?,
                a.time("end_time")?,
            );
            match a.0.get("schema") {
                Some(Value::String(s)) => r = r.schema(s.clone()),
                Some(v @ Value::Object(_)) => r = r.inline_schema(v.clone()),
                None | Some(Value::Null) => {}
                Some(_) => return Err(bad("schema must be a name, an id or a dict".into())),
            }
            if let Some(v) = a.str("format") {
                r = r.format(v)
            }
            if let Some(v) = a.0.get("format_options").filter(|v| !v.is_null()) {
                r = r.format_options(v.clone())
            }
            keyed!(r)
        }
        "exports.wait" => {
            let mut r = c.exports().wait(id()?);
            if let Some(t) = a.secs("timeout")? {
                r = r.timeout(t)
            }
            if let Some(p) = a.secs("poll_interval")? {
                r = r.poll_interval(p)
            }
            Box::pin(async move {
                let job = r.send().await?;
                Ok((
                    body(format, serde_json::to_value(&job).unwrap_or(Value::Null)),
                    ResponseMeta::default(),
                ))
            })
        }
        "exports.download" => download(c, &a, format, None)?,
        "export_schemas.list" => plain!(c.export_schemas().list()),
        "export_schemas.get" => plain!(c.export_schemas().get(&id()?)),
        "export_schemas.create" => {
            let category: StreamCategory = a
                .req("stream_category")?
                .parse()
                .unwrap_or_else(|e: std::convert::Infallible| match e {});
            keyed!(
                c.export_schemas()
                    .create(a.req("name")?, category, a.content()?)
            )
        }
        "export_schemas.update" => keyed!(c.export_schemas().update(id()?, a.content()?)),
        "export_schemas.delete" => keyed!(c.export_schemas().delete(id()?)),
        "export_schemas.create_draft" => {
            let mut r = c.export_schemas().create_draft(id()?);
            if a.0.get("columns").is_some_and(|v| !v.is_null()) {
                r = r.content(a.content()?);
            }
            keyed!(r)
        }
        "export_schemas.get_draft" => plain!(c.export_schemas().get_draft(&id()?)),
        "export_schemas.update_draft" => {
            plain!(c.export_schemas().update_draft(id()?, a.content()?))
        }
        "export_schemas.discard_draft" => keyed!(c.export_schemas().discard_draft(id()?)),
        "export_schemas.publish_draft" => keyed!(c.export_schemas().publish_draft(id()?)),
        "availability.get" => plain!(c.availability().get(a.req_int("datastream_id")?)),
        "billing.get_summary" => plain!(c.billing().get_summary()),
        other => return Err(bad(format!("unknown operation {other:?}"))),
    })
}

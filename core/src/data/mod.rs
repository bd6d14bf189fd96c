//! Export data as Arrow record batches (feature `arrow`): an export's artifacts, gzip CSV or
//! Parquet, typed from the export's schema, decoded while they download.
//!
//! ```no_run
//! # async fn run(client: ticksupply::Client) -> ticksupply::Result<()> {
//! use futures_util::StreamExt;
//! let mut batches = client.exports().data("exp_123").schema("normalized").open().await?;
//! println!("{}", batches.schema());
//! while let Some(batch) = batches.next().await {
//!     println!("{} rows", batch?.num_rows());
//! }
//! # Ok(()) }
//! ```
//!
//! Memory stays bounded by the batch size, not the export size: each artifact is decoded on
//! its own threads (inflate, parse) into a short queue, a few artifacts ahead at most, and
//! batches come out in artifact order.

mod cells;
mod columns;
mod csv;
mod gz;
mod parquet;
#[cfg(test)]
mod props;
mod scan;
pub mod schema;
mod shape;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures_core::Stream;
use futures_util::StreamExt;

pub use parquet::ParquetFile;
pub use schema::ReadSchema;

use crate::artifacts::{ChannelReader, Urls, feed};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::resources::export_schemas::{ExportSchemaWithVersion, SchemaContent};
use crate::resources::exports::ArtifactDownload;

/// Errors of the data path are the crate's [`Error::Data`] (or an API error while listing).
pub(crate) type DataError = Error;
/// Where one artifact's batches go.
pub(crate) type Out = tokio::sync::mpsc::Sender<Result<RecordBatch>>;

/// Rows per record batch, unless set.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;
/// Artifacts decoded at once, unless set.
pub const DEFAULT_CONCURRENCY: usize = 2;
/// Batches queued per artifact ahead of the reader.
const QUEUED_BATCHES: usize = 2;

impl Error {
    pub(crate) fn data(message: String, artifact: Option<&str>) -> Error {
        Error::Data {
            message,
            artifact: artifact.map(str::to_string),
        }
    }
    pub(crate) fn corrupt(name: &str, e: &std::io::Error) -> Error {
        Error::data(
            format!("{name}: the file is truncated or corrupt ({e})"),
            Some(name),
        )
    }
    pub(crate) fn corrupt_msg(name: &str, msg: &str) -> Error {
        Error::data(format!("{name}: {msg}"), Some(name))
    }
    pub(crate) fn csv(name: &str, msg: &str) -> Error {
        Error::data(format!("{name}: {msg}"), Some(name))
    }
    pub(crate) fn io(path: &Path, what: &str, e: &std::io::Error) -> Error {
        Error::data(format!("{what} {}: {e}", path.display()), None)
    }
    pub(crate) fn io_msg(path: &Path, msg: &str) -> Error {
        Error::data(format!("{}: {msg}", path.display()), None)
    }
    pub(crate) fn internal(msg: &str) -> Error {
        Error::data(format!("export data: {msg}"), None)
    }
    fn canceled() -> Error {
        Error::data("export data: canceled before it was complete".into(), None)
    }
}

/// Which schema types the data.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum SchemaSpec {
    /// No schema given: a raw header (`collection_timestamp_ns,data`) is read as the raw
    /// schema, any other header as text columns; Parquet has its own types.
    #[default]
    Auto,
    /// The `raw` schema.
    Raw,
    /// A built-in or custom schema name, or a `sch_` id, looked up through the API.
    Named(String),
    /// Inline content, as passed to `exports().create(..).inline_content(..)`.
    Content(SchemaContent),
}

impl From<&str> for SchemaSpec {
    fn from(s: &str) -> Self {
        SchemaSpec::from(s.to_string())
    }
}
impl From<String> for SchemaSpec {
    fn from(s: String) -> Self {
        if s == "raw" {
            SchemaSpec::Raw
        } else {
            SchemaSpec::Named(s)
        }
    }
}
impl From<SchemaContent> for SchemaSpec {
    fn from(c: SchemaContent) -> Self {
        SchemaSpec::Content(c)
    }
}
impl From<&ExportSchemaWithVersion> for SchemaSpec {
    fn from(s: &ExportSchemaWithVersion) -> Self {
        SchemaSpec::Content(content_of(s))
    }
}

fn content_of(s: &ExportSchemaWithVersion) -> SchemaContent {
    SchemaContent {
        columns: s.columns.clone(),
        unfold: s.unfold.clone(),
        derive: s.derive.clone(),
    }
}

impl SchemaSpec {
    /// From a JSON value as the bindings pass it: null, a name or id, or inline content.
    pub fn from_json(v: &serde_json::Value) -> Result<SchemaSpec> {
        use serde_json::Value;
        match v {
            Value::Null => Ok(SchemaSpec::Auto),
            Value::String(s) => Ok(SchemaSpec::from(s.clone())),
            Value::Object(_) => serde_json::from_value(v.clone())
                .map(SchemaSpec::Content)
                .map_err(|e| Error::Config(format!("invalid inline schema: {e}"))),
            _ => Err(Error::Config(
                "schema must be a name, a sch_ id or an inline schema object".into(),
            )),
        }
    }
}

/// The schemas an artifact may follow; each artifact picks by its header.
#[derive(Debug, Clone)]
pub(crate) enum SchemaChoice {
    Auto,
    /// A name can stand for several schemas (`normalized` has one per stream category).
    OneOf(Vec<ReadSchema>),
}

impl SchemaChoice {
    pub(crate) fn pick(&self, name: &str, header: &[String]) -> Result<ReadSchema> {
        match self {
            SchemaChoice::Auto => Ok(ReadSchema::for_header(header)),
            SchemaChoice::OneOf(list) => list
                .iter()
                .find(|s| {
                    s.column_names()
                        .iter()
                        .copied()
                        .eq(header.iter().map(String::as_str))
                })
                .cloned()
                .ok_or_else(|| {
                    let wanted: Vec<String> = list
                        .iter()
                        .map(|s| format!("{} {:?}", s.label, s.column_names()))
                        .collect();
                    Error::csv(
                        name,
                        &format!(
                            "the CSV header {header:?} does not match the schema: {}",
                            wanted.join(" or ")
                        ),
                    )
                }),
        }
    }

    /// The schema of an export with no artifact.
    fn without_data(&self) -> ReadSchema {
        match self {
            SchemaChoice::OneOf(list) if !list.is_empty() => list[0].clone(),
            _ => ReadSchema::raw(),
        }
    }
}

/// How values are handed over, for consumers with weak type support (JavaScript).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Decimals as exact text (`"40000.12"`) instead of `decimal128`.
    pub decimals_as_text: bool,
    /// Timestamps as `int64` counts of their unit instead of `timestamp`.
    pub timestamps_as_int64: bool,
}

enum Source {
    Export { client: Client, id: String },
    Files(Vec<PathBuf>),
}

/// Builder for the data of an export ([`crate::resources::exports::ExportsResource::data`]) or
/// of artifact files on disk ([`read_artifacts`]).
pub struct ExportData {
    source: Source,
    client: Option<Client>,
    schema: SchemaSpec,
    batch_rows: usize,
    concurrency: usize,
    shape: Shape,
}

/// The data of artifact files already on disk (`.csv.gz`, `.csv` or `.parquet`), in the
/// order given.
pub fn read_artifacts<I, P>(paths: I) -> ExportData
where
    I: IntoIterator<Item = P>,
    P: Into<PathBuf>,
{
    ExportData::new(
        Source::Files(paths.into_iter().map(Into::into).collect()),
        None,
    )
}

impl ExportData {
    fn new(source: Source, client: Option<Client>) -> ExportData {
        ExportData {
            source,
            client,
            schema: SchemaSpec::Auto,
            batch_rows: DEFAULT_BATCH_ROWS,
            concurrency: DEFAULT_CONCURRENCY,
            shape: Shape::default(),
        }
    }

    pub(crate) fn for_export(client: Client, id: String) -> ExportData {
        ExportData::new(
            Source::Export {
                client: client.clone(),
                id,
            },
            Some(client),
        )
    }

    /// The schema that types the columns: a name (`"raw"`, `"normalized"`, a custom name), a
    /// `sch_` id, or inline [`SchemaContent`].
    pub fn schema(mut self, s: impl Into<SchemaSpec>) -> Self {
        self.schema = s.into();
        self
    }
    /// The client used to look up a schema name (local files only; an export's data uses its
    /// own client).
    pub fn client(mut self, c: Client) -> Self {
        self.client = Some(c);
        self
    }
    /// Rows per batch (default 65 536).
    pub fn batch_rows(mut self, n: usize) -> Self {
        self.batch_rows = n.max(1);
        self
    }
    /// Artifacts decoded at once (default 2).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
    /// How values are handed over (see [`Shape`]).
    pub fn shape(mut self, shape: Shape) -> Self {
        self.shape = shape;
        self
    }

    /// Lists the artifacts, resolves the schema and starts decoding; the stream knows its
    /// schema before the first batch.
    pub async fn open(self) -> Result<DataStream> {
        self.prepare().await?.open().await
    }

    /// Resolves the schema and lists the artifacts (the API calls: a missing export or an
    /// unknown schema fails here) without reading any; [`Prepared::open`] starts a read, as
    /// many times as needed.
    pub async fn prepare(self) -> Result<Prepared> {
        let choice = resolve_schema(self.client.as_ref(), &self.schema).await?;
        let artifacts = match &self.source {
            Source::Files(paths) => paths
                .iter()
                .map(|p| {
                    std::fs::metadata(p).map_err(|e| Error::io(p, "cannot open", &e))?;
                    Ok(Artifact {
                        name: p.display().to_string(),
                        input: Input::Path(p.clone()),
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            Source::Export { client, id } => {
                let listing = client.exports().get_download(id).await?;
                let urls = Arc::new(Urls::new(client.clone(), id.clone(), &listing.artifacts));
                listing
                    .artifacts
                    .into_iter()
                    .map(|a| Artifact {
                        name: a.filename.clone(),
                        input: Input::Url {
                            client: client.clone(),
                            urls: urls.clone(),
                            artifact: a,
                        },
                    })
                    .collect::<Vec<_>>()
            }
        };
        Ok(Prepared {
            choice,
            artifacts,
            batch_rows: self.batch_rows,
            concurrency: self.concurrency,
            shape: self.shape,
        })
    }

    /// The batches, opened on first poll.
    pub fn batches(self) -> impl Stream<Item = Result<RecordBatch>> + Send + 'static {
        futures_util::stream::once(self.open()).flat_map(|opened| match opened {
            Ok(stream) => stream.left_stream(),
            Err(e) => futures_util::stream::iter([Err(e)]).right_stream(),
        })
    }

    /// Every batch, in memory, with the schema.
    pub async fn collect(self) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let stream = self.open().await?;
        let schema = stream.schema();
        let batches = stream
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<_>>>()?;
        Ok((schema, batches))
    }

    /// Writes the data to one Parquet file (zstd), through `<path>.part` renamed into place
    /// when complete; see [`Prepared::to_parquet`].
    pub async fn to_parquet(self, path: impl AsRef<Path>) -> Result<ParquetWritten> {
        self.prepare().await?.to_parquet(path).await
    }
}

/// The caller of a blocking job is gone.
#[derive(Default)]
struct Cancel {
    gone: Mutex<bool>,
    notify: tokio::sync::Notify,
}

/// Tells the job its caller is gone when dropped (the future was dropped, or completed).
struct CancelOnDrop(Arc<Cancel>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        *self.0.gone.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.0.notify.notify_one();
    }
}

impl std::future::IntoFuture for ExportData {
    type Output = Result<DataStream>;
    type IntoFuture = Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.open())
    }
}

/// An export's data ready to read: its schema resolved and its artifacts listed.
#[derive(Clone)]
pub struct Prepared {
    choice: SchemaChoice,
    artifacts: Vec<Artifact>,
    batch_rows: usize,
    concurrency: usize,
    shape: Shape,
}

impl Prepared {
    /// The same data, read in batches of `n` rows.
    pub fn with_batch_rows(&self, n: usize) -> Prepared {
        Prepared {
            batch_rows: n.max(1),
            ..self.clone()
        }
    }

    /// Starts decoding (the first artifacts download); the stream knows its schema before the
    /// first batch.
    pub async fn open(&self) -> Result<DataStream> {
        let client = self.artifacts.iter().find_map(|a| match &a.input {
            Input::Url { client, .. } => Some(client),
            Input::Path(_) => None,
        });
        let span = match client {
            Some(c) => {
                crate::telemetry::OperationSpan::start(c, "ticksupply.exports.data", || {
                    vec![crate::telemetry::Attribute::int(
                        "ticksupply.export.artifacts",
                        self.artifacts.len() as i64,
                    )]
                })
                .await
            }
            None => None,
        };
        let parent = match &span {
            Some(s) => s.parent(),
            None => crate::telemetry::current_parent(),
        };
        let ctx = Arc::new(Ctx {
            choice: self.choice.clone(),
            batch_rows: self.batch_rows,
            handle: tokio::runtime::Handle::current(),
            first: Mutex::new(None),
            parent,
        });
        let mut rest = self.artifacts.clone().into_iter();
        let mut queue = VecDeque::new();
        let mut first_schema = None;
        for (i, a) in rest.by_ref().take(self.concurrency).enumerate() {
            let (rx, schema_rx) = start(a, &ctx);
            if i == 0 {
                first_schema = Some(schema_rx);
            }
            queue.push_back(rx);
        }
        let schema = match first_schema {
            None => ctx.choice.without_data().arrow().clone(),
            Some(rx) => match rx.await {
                Ok(s) => s,
                // The first artifact failed before its header: its error is first in line.
                Err(_) => match queue.front_mut().expect("started").recv().await {
                    Some(Err(e)) => return Err(e),
                    _ => return Err(Error::internal("the first artifact stopped early")),
                },
            },
        };
        let state = Pipeline {
            queue,
            rest,
            ctx,
            span,
        };
        let batches = futures_util::stream::unfold(state, Pipeline::next);
        Ok(DataStream::shaped(schema, Box::pin(batches), self.shape))
    }

    /// Writes the data to one Parquet file (zstd), through `<path>.part` renamed into place
    /// when complete. Dropping the future (an abort, an interrupt) stops the work and leaves no
    /// file: the rename happens only if the write completed before the drop.
    pub async fn to_parquet(&self, path: impl AsRef<Path>) -> Result<ParquetWritten> {
        let path = path.as_ref().to_path_buf();
        let mut stream = self.open().await?;
        let cancel = Arc::new(Cancel::default());
        let _guard = CancelOnDrop(cancel.clone());
        tokio::task::spawn_blocking(move || {
            let mut file = parquet::ParquetFile::create(&path, stream.schema())?;
            let mut rows = 0u64;
            loop {
                let next = futures_executor::block_on(async {
                    let gone = std::pin::pin!(cancel.notify.notified());
                    match futures_util::future::select(stream.next(), gone).await {
                        futures_util::future::Either::Left((next, _)) => Some(next),
                        futures_util::future::Either::Right(_) => None,
                    }
                });
                match next {
                    Some(Some(batch)) => {
                        let batch = batch?;
                        rows += batch.num_rows() as u64;
                        file.write(&batch)?;
                    }
                    Some(None) => break,
                    None => return Err(Error::canceled()),
                }
            }
            // Renamed into place only if the caller has not gone: a drop either came first
            // (nothing is renamed) or waits for this to finish.
            let gone = cancel.gone.lock().unwrap_or_else(|p| p.into_inner());
            if *gone {
                return Err(Error::canceled());
            }
            let bytes = file.finish()?;
            drop(gone);
            Ok(ParquetWritten { path, rows, bytes })
        })
        .await
        .map_err(|e| Error::internal(&format!("the Parquet writer stopped: {e}")))?
    }
}

/// What [`ExportData::to_parquet`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetWritten {
    pub path: PathBuf,
    pub rows: u64,
    pub bytes: u64,
}

/// The record batches of an export, in artifact order, with their schema.
pub struct DataStream {
    schema: SchemaRef,
    inner: Pin<Box<dyn Stream<Item = Result<RecordBatch>> + Send>>,
}

impl DataStream {
    fn shaped(
        schema: SchemaRef,
        inner: Pin<Box<dyn Stream<Item = Result<RecordBatch>> + Send>>,
        shape: Shape,
    ) -> DataStream {
        if shape == Shape::default() {
            return DataStream { schema, inner };
        }
        let out_schema = shape::schema(&schema, shape);
        let target = out_schema.clone();
        DataStream {
            schema: out_schema,
            inner: Box::pin(inner.map(move |b| b.and_then(|b| shape::batch(&b, &target)))),
        }
    }

    /// The Arrow schema every batch has.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The next batch, blocking the calling thread (which must not be a runtime worker).
    pub fn blocking_next(&mut self) -> Option<Result<RecordBatch>> {
        futures_executor::block_on(self.inner.next())
    }
}

impl Stream for DataStream {
    type Item = Result<RecordBatch>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for DataStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataStream")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// A schema spec made concrete: names are looked up through the API.
async fn resolve_schema(client: Option<&Client>, spec: &SchemaSpec) -> Result<SchemaChoice> {
    let one = |s: ReadSchema| Ok(SchemaChoice::OneOf(vec![s]));
    match spec {
        SchemaSpec::Auto => Ok(SchemaChoice::Auto),
        SchemaSpec::Raw => one(ReadSchema::raw()),
        SchemaSpec::Content(c) => one(ReadSchema::from_content("inline", c)?),
        SchemaSpec::Named(name) => {
            let client = client.ok_or_else(|| {
                Error::Config(format!(
                    "schema {name:?} is looked up through the API: give the reader a client, or pass the schema's content"
                ))
            })?;
            let schemas = client.export_schemas();
            let found = if name.starts_with("sch_") {
                vec![schemas.get(name).await?]
            } else {
                let mut found = Vec::new();
                for item in schemas
                    .list()
                    .await?
                    .into_iter()
                    .filter(|s| &s.name == name)
                {
                    found.push(schemas.get(&item.id).await?);
                }
                found
            };
            if found.is_empty() {
                return Err(Error::Config(format!(
                    "no export schema is named {name:?}: use \"raw\", a built-in name, one of yours (export_schemas.list) or a sch_ id"
                )));
            }
            found
                .iter()
                .map(|s| {
                    ReadSchema::from_content(
                        &format!("{} ({})", s.name, s.stream_category),
                        &content_of(s),
                    )
                })
                .collect::<Result<Vec<_>>>()
                .map(SchemaChoice::OneOf)
        }
    }
}

#[derive(Clone)]
enum Input {
    Path(PathBuf),
    Url {
        client: Client,
        urls: Arc<Urls>,
        artifact: ArtifactDownload,
    },
}

#[derive(Clone)]
struct Artifact {
    name: String,
    input: Input,
}

/// What every artifact's decoder shares.
struct Ctx {
    choice: SchemaChoice,
    batch_rows: usize,
    handle: tokio::runtime::Handle,
    /// The first schema an artifact reported; every other must equal it.
    first: Mutex<Option<(String, SchemaRef)>>,
    /// Where the downloads' spans start (telemetry on).
    parent: Option<crate::telemetry::Parent>,
}

impl Ctx {
    /// A Parquet artifact carries its own types: with a schema chosen, they must be its.
    fn check_parquet(&self, name: &str, found: &ReadSchema) -> Result<()> {
        let SchemaChoice::OneOf(list) = &self.choice else {
            return Ok(());
        };
        let same = |s: &ReadSchema| {
            let (a, b) = (s.arrow().fields(), found.arrow().fields());
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|(x, y)| x.name() == y.name() && x.data_type() == y.data_type())
        };
        if list.iter().any(same) {
            return Ok(());
        }
        let describe = |s: &ReadSchema| {
            s.arrow()
                .fields()
                .iter()
                .map(|f| format!("{} {}", f.name(), f.data_type()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(Error::csv(
            name,
            &format!(
                "its columns ({}) are not those of the schema: {}",
                describe(found),
                list.iter()
                    .map(|s| format!("{} ({})", s.label, describe(s)))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ))
    }

    fn agree(&self, name: &str, schema: &ReadSchema) -> Result<()> {
        let mut first = self.first.lock().unwrap_or_else(|p| p.into_inner());
        match &*first {
            None => {
                *first = Some((name.to_string(), schema.arrow().clone()));
                Ok(())
            }
            Some((_, s)) if s == schema.arrow() => Ok(()),
            Some((other, s)) => Err(Error::csv(
                name,
                &format!(
                    "its columns {:?} differ from those of {other} {:?}: the artifacts of one export must share a schema",
                    schema.column_names(),
                    s.fields().iter().map(|f| f.name()).collect::<Vec<_>>()
                ),
            )),
        }
    }
}

/// Starts decoding one artifact on its own thread; returns its batches and, once known, its
/// schema.
fn start(
    a: Artifact,
    ctx: &Arc<Ctx>,
) -> (
    tokio::sync::mpsc::Receiver<Result<RecordBatch>>,
    tokio::sync::oneshot::Receiver<SchemaRef>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(QUEUED_BATCHES);
    let (schema_tx, schema_rx) = tokio::sync::oneshot::channel();
    let ctx = ctx.clone();
    std::thread::Builder::new()
        .name("ticksupply-decode".into())
        .spawn(move || {
            // A panic must not look like the end of the artifact (fewer rows, no error).
            let guard = tx.clone();
            let name = a.name.clone();
            let run = std::panic::AssertUnwindSafe(|| decode_artifact(a, &ctx, schema_tx, &tx));
            if std::panic::catch_unwind(run).is_err() {
                let _ = guard.blocking_send(Err(Error::corrupt_msg(
                    &name,
                    "decoding stopped unexpectedly (a bug: please report it)",
                )));
            }
        })
        .expect("spawn a decoding thread");
    (rx, schema_rx)
}

fn decode_artifact(
    a: Artifact,
    ctx: &Ctx,
    schema_tx: tokio::sync::oneshot::Sender<SchemaRef>,
    tx: &Out,
) {
    let mut schema_tx = Some(schema_tx);
    let parquet = parquet::is_parquet(&a.name);
    let mut on_schema = |s: &ReadSchema| -> Result<()> {
        if parquet {
            ctx.check_parquet(&a.name, s)?;
        }
        ctx.agree(&a.name, s)?;
        if let Some(t) = schema_tx.take() {
            let _ = t.send(s.arrow().clone());
        }
        Ok(())
    };
    let name = a.name.clone();
    if parquet {
        match a.input {
            Input::Path(p) => match std::fs::File::open(&p) {
                Ok(f) => parquet::decode(&name, f, ctx.batch_rows, &mut on_schema, tx),
                Err(e) => {
                    let _ = tx.blocking_send(Err(Error::io(&p, "cannot open", &e)));
                }
            },
            Input::Url {
                client,
                urls,
                artifact,
            } => {
                // Parquet needs its footer first: the artifact is spooled to disk and read row
                // group by row group from there, so memory never holds more than a row group.
                match spool(url_reader(ctx, client, urls, artifact), tx) {
                    Err(_) if tx.is_closed() => {}
                    Ok(file) => parquet::decode(&name, file, ctx.batch_rows, &mut on_schema, tx),
                    Err(e) => {
                        let _ = tx.blocking_send(Err(Error::corrupt_msg(
                            &name,
                            &format!("download failed: {e}"),
                        )));
                    }
                }
            }
        }
    } else {
        let raw: Box<dyn std::io::Read + Send> = match a.input {
            Input::Path(p) => match std::fs::File::open(&p) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    let _ = tx.blocking_send(Err(Error::io(&p, "cannot open", &e)));
                    return;
                }
            },
            Input::Url {
                client,
                urls,
                artifact,
            } => Box::new(url_reader(ctx, client, urls, artifact)),
        };
        csv::decode(&name, raw, &ctx.choice, ctx.batch_rows, &mut on_schema, tx);
    }
}

/// The bytes of an artifact from its presigned URL, resumed and refreshed as downloads are.
fn url_reader(ctx: &Ctx, client: Client, urls: Arc<Urls>, a: ArtifactDownload) -> ChannelReader {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let reader = ChannelReader::new(rx, &a.filename, a.bytes);
    ctx.handle.spawn(crate::telemetry::carry_parent(
        ctx.parent.clone(),
        feed(client, urls, a, tx),
    ));
    reader
}

/// Copies an artifact's download into an unnamed temporary file (gone when closed, even after a
/// crash), stopping as soon as nobody reads the batches any more.
fn spool(mut reader: ChannelReader, out: &Out) -> std::io::Result<std::fs::File> {
    use std::io::{Read, Write};
    let mut file = tempfile::tempfile()?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if out.is_closed() {
            return Err(std::io::Error::other("the reader of the batches is gone"));
        }
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(file);
        }
        file.write_all(&buf[..n])?;
    }
}

/// Artifacts in order: the one in front is read, a few behind it decode ahead.
struct Pipeline {
    queue: VecDeque<tokio::sync::mpsc::Receiver<Result<RecordBatch>>>,
    rest: std::vec::IntoIter<Artifact>,
    ctx: Arc<Ctx>,
    /// The read's span (telemetry on): ends when the stream ends or is dropped.
    span: Option<crate::telemetry::OperationSpan>,
}

impl Pipeline {
    async fn next(mut self) -> Option<(Result<RecordBatch>, Pipeline)> {
        loop {
            let front = self.queue.front_mut()?;
            match front.recv().await {
                Some(Ok(batch)) => return Some((Ok(batch), self)),
                Some(Err(e)) => {
                    if let Some(s) = &mut self.span {
                        s.fail(&e);
                    }
                    // The first error ends the stream: no artifact after it is read.
                    self.queue.clear();
                    self.rest = Vec::new().into_iter();
                    return Some((Err(e), self));
                }
                None => {
                    self.queue.pop_front();
                    if let Some(a) = self.rest.next() {
                        let (rx, _) = start(a, &self.ctx);
                        self.queue.push_back(rx);
                    }
                }
            }
        }
    }
}

//! From "export created" to data: wait for the job, download its artifacts, or read its rows.
//!
//! Artifact URLs are presigned and expire after minutes, so every fetch here can refresh them;
//! downloads stream to `<name>.part` in constant memory, resume with `Range` after a dropped
//! connection, check the byte count and only then rename into place. The API key is never sent
//! to the artifact host.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::{StreamExt, TryStreamExt};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE, USER_AGENT};
use tokio::io::AsyncWriteExt;

use crate::batch_writer::BatchWriter;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::resources::exports::{ArtifactDownload, ExportJob, ExportStatus};
use crate::telemetry;

/// How often a single artifact fetch may fail in transport before the download gives up.
const MAX_TRANSPORT_RETRIES: u32 = 5;
/// How often expired (403) URLs are refreshed for one artifact before giving up.
const MAX_URL_REFRESHES: u32 = 3;
/// A stalled artifact connection is abandoned (and resumed) after this long without bytes.
const READ_STALL: Duration = Duration::from_secs(60);

fn download_error(
    message: impl Into<String>,
    path: Option<&Path>,
    source: Option<std::io::Error>,
) -> Error {
    Error::Download {
        message: message.into(),
        path: path.map(Path::to_path_buf),
        source,
    }
}

// ---------------------------------------------------------------------------------------------
// wait

/// Builder for [`crate::resources::exports::ExportsResource::wait`].
pub struct WaitRequest {
    pub(crate) client: Client,
    pub(crate) id: String,
    pub(crate) timeout: Duration,
    pub(crate) poll_interval: Duration,
}

impl WaitRequest {
    /// Give up after this long (default 15 minutes) with [`Error::WaitTimeout`].
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// First wait between polls (default 1 s); it grows by half each poll, up to 15 s.
    pub fn poll_interval(mut self, d: Duration) -> Self {
        self.poll_interval = d.max(Duration::from_millis(10));
        self
    }

    /// Polls until the export succeeds (returning it), ends otherwise ([`Error::ExportFailed`],
    /// carrying the job and its reason) or the timeout passes ([`Error::WaitTimeout`]).
    pub async fn send(self) -> Result<ExportJob> {
        let client = self.client.clone();
        let id = self.id.clone();
        telemetry::in_operation(
            &client,
            "ticksupply.exports.wait",
            || vec![telemetry::Attribute::str("ticksupply.export.id", id)],
            self.poll(),
        )
        .await
    }

    async fn poll(self) -> Result<ExportJob> {
        let start = Instant::now();
        let mut interval = self.poll_interval;
        loop {
            let job = self.client.exports().get(&self.id).await?;
            match job.status {
                ExportStatus::Succeeded => return Ok(job),
                ExportStatus::Failed | ExportStatus::Canceled | ExportStatus::Deleted => {
                    return Err(Error::ExportFailed { job: Box::new(job) });
                }
                _ => {}
            }
            let elapsed = start.elapsed();
            if elapsed >= self.timeout {
                return Err(Error::WaitTimeout {
                    job_id: job.id,
                    status: job.status.to_string(),
                    elapsed,
                });
            }
            tokio::time::sleep(interval.min(self.timeout - elapsed)).await;
            interval = interval.mul_f64(1.5).min(Duration::from_secs(15));
        }
    }
}

impl std::future::IntoFuture for WaitRequest {
    type Output = Result<ExportJob>;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

// ---------------------------------------------------------------------------------------------
// URLs that can be refreshed

/// The current presigned URL of each artifact, re-fetched from the API when one is refused.
pub(crate) struct Urls {
    client: Client,
    export_id: String,
    by_artifact: tokio::sync::Mutex<HashMap<String, String>>,
}

impl Urls {
    pub(crate) fn new(client: Client, export_id: String, artifacts: &[ArtifactDownload]) -> Urls {
        Urls {
            client,
            export_id,
            by_artifact: tokio::sync::Mutex::new(
                artifacts
                    .iter()
                    .map(|a| (a.id.clone(), a.url.clone()))
                    .collect(),
            ),
        }
    }

    async fn get(&self, artifact_id: &str) -> Option<String> {
        self.by_artifact.lock().await.get(artifact_id).cloned()
    }

    /// Fetches fresh URLs unless another task already replaced `stale`.
    async fn refresh(&self, artifact_id: &str, stale: &str) -> Result<()> {
        let mut map = self.by_artifact.lock().await;
        if map.get(artifact_id).is_some_and(|u| u != stale) {
            return Ok(());
        }
        let listing = self.client.exports().get_download(&self.export_id).await?;
        for a in listing.artifacts {
            map.insert(a.id, a.url);
        }
        Ok(())
    }
}

/// Bytes of one artifact from `offset`, with the key never attached (nor a `traceparent`: the
/// artifact host is not the API). Traced up to the response's headers.
async fn fetch(
    client: &Client,
    url: &str,
    offset: u64,
    resend_count: u32,
) -> std::result::Result<reqwest::Response, reqwest::Error> {
    let trace = telemetry::attempt::start(
        client,
        telemetry::attempt::Target {
            method: "GET",
            template: None,
            url: telemetry::attempt::UrlRef::Text(url),
            resend_count,
        },
    )
    .await;
    let mut req = client
        .inner
        .http
        .get(url)
        .header(USER_AGENT, client.inner.user_agent.clone());
    if offset > 0 {
        req = req.header(RANGE, format!("bytes={offset}-"));
    }
    let resp = req.send().await;
    if let Some(t) = trace {
        let (status, failure) = match &resp {
            Ok(r) => (Some(r.status().as_u16()), None),
            // reqwest's message names the URL, whose query is a signature: not in telemetry.
            Err(e) => (
                None,
                Some(telemetry::attempt::Failure {
                    code: if e.is_timeout() {
                        "timeout"
                    } else {
                        "network_error"
                    }
                    .into(),
                    message: "the artifact request failed before a response".into(),
                }),
            ),
        };
        t.end(telemetry::attempt::Outcome {
            status,
            failure,
            request_id: None,
            rate_limit: None,
        });
    }
    resp
}

/// Whether a 206 starts where we asked.
fn range_starts_at(resp: &reqwest::Response, offset: u64) -> bool {
    resp.headers()
        .get(CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes "))
        .and_then(|v| v.split('-').next())
        .and_then(|v| v.parse::<u64>().ok())
        == Some(offset)
}

// ---------------------------------------------------------------------------------------------
// download

/// Progress callback: `(done_bytes, total_bytes)` over all artifacts.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Builder for [`crate::resources::exports::ExportsResource::download`].
pub struct DownloadRequest {
    pub(crate) client: Client,
    pub(crate) id: String,
    pub(crate) dest: PathBuf,
    pub(crate) overwrite: bool,
    pub(crate) concurrency: usize,
    pub(crate) progress: Option<Progress>,
    pub(crate) durable: bool,
}

impl DownloadRequest {
    /// Flush each file to the disk (`fsync`) before renaming it into place (default off).
    ///
    /// Without it a file still only appears under its name once complete, whatever happens to
    /// the process; `fsync` adds that it survives a power loss, at the cost of waiting for the
    /// disk (on a 512 MiB artifact, about a fifth of the download time here).
    pub fn durable(mut self, yes: bool) -> Self {
        self.durable = yes;
        self
    }
    /// Replace files that already exist (default: refuse).
    pub fn overwrite(mut self, yes: bool) -> Self {
        self.overwrite = yes;
        self
    }
    /// Artifacts fetched at once (default 4).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
    /// Called with `(done_bytes, total_bytes)` as bytes arrive.
    pub fn on_progress(mut self, f: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Downloads every artifact into the destination directory; returns their paths in the
    /// order the API lists them.
    pub async fn send(self) -> Result<Vec<PathBuf>> {
        let client = self.client.clone();
        let id = self.id.clone();
        telemetry::in_operation(
            &client,
            "ticksupply.exports.download",
            || vec![telemetry::Attribute::str("ticksupply.export.id", id)],
            self.run(),
        )
        .await
    }

    async fn run(self) -> Result<Vec<PathBuf>> {
        let listing = self.client.exports().get_download(&self.id).await?;
        tokio::fs::create_dir_all(&self.dest).await.map_err(|e| {
            download_error(
                "cannot create the destination directory",
                Some(&self.dest),
                Some(e),
            )
        })?;
        let mut names = std::collections::HashSet::new();
        for a in &listing.artifacts {
            let n = a.filename.as_str();
            let unsafe_name =
                n.is_empty() || n == "." || n == ".." || n.contains(['/', '\\', '\0']);
            if unsafe_name || !names.insert(n) {
                return Err(download_error(
                    format!("artifact filename {n:?} is not a plain, unique file name"),
                    None,
                    None,
                ));
            }
            let target = self.dest.join(n);
            if !self.overwrite && tokio::fs::try_exists(&target).await.unwrap_or(false) {
                return Err(download_error(
                    format!(
                        "{} already exists; pass overwrite to replace it",
                        target.display()
                    ),
                    Some(&target),
                    None,
                ));
            }
        }
        let urls = Arc::new(Urls::new(
            self.client.clone(),
            self.id.clone(),
            &listing.artifacts,
        ));
        let total: u64 = listing.artifacts.iter().map(|a| a.bytes).sum();
        let counters: Arc<Vec<AtomicU64>> = Arc::new(
            listing
                .artifacts
                .iter()
                .map(|_| AtomicU64::new(0))
                .collect(),
        );
        let report = {
            let (counters, progress) = (counters.clone(), self.progress.clone());
            move || {
                if let Some(p) = &progress {
                    p(
                        counters.iter().map(|c| c.load(Ordering::Relaxed)).sum(),
                        total,
                    );
                }
            }
        };
        report();
        let jobs = listing.artifacts.iter().cloned().enumerate().map(|(i, a)| {
            let (client, urls, dest) = (self.client.clone(), urls.clone(), self.dest.clone());
            let durable = self.durable;
            let (counters, report) = (counters.clone(), report.clone());
            // Each artifact is its own task, so its chunks are polled where the socket is
            // driven: a caller that blocks on this future (as the Python binding does) is not
            // woken for every chunk.
            Task(tokio::spawn(telemetry::carry(async move {
                let seen = |n: u64| {
                    counters[i].store(n, Ordering::Relaxed);
                    report();
                };
                download_one(&client, &urls, &a, &dest, durable, &seen).await
            })))
        });
        futures_util::stream::iter(jobs)
            .buffered(self.concurrency)
            .map(|joined| match joined {
                Ok(result) => result,
                Err(e) => Err(download_error(
                    format!("a download task failed: {e}"),
                    None,
                    None,
                )),
            })
            .try_collect()
            .await
    }
}

/// A spawned task, aborted when this handle is dropped: a cancelled download stops.
struct Task<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for Task<T> {
    type Output = std::result::Result<T, tokio::task::JoinError>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl std::future::IntoFuture for DownloadRequest {
    type Output = Result<Vec<PathBuf>>;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

async fn download_one(
    client: &Client,
    urls: &Urls,
    a: &ArtifactDownload,
    dest: &Path,
    durable: bool,
    seen: &(dyn Fn(u64) + Send + Sync),
) -> Result<PathBuf> {
    let target = dest.join(&a.filename);
    let part = dest.join(format!("{}.part", a.filename));
    let io = |what: &str, e: std::io::Error| {
        download_error(format!("{what} {}", part.display()), Some(&part), Some(e))
    };
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&part)
        .await
        .map_err(|e| io("cannot open", e))?;
    // A `.part` left by an earlier run is resumed; one longer than the artifact is stale.
    let mut have = file
        .metadata()
        .await
        .map_err(|e| io("cannot read", e))?
        .len();
    if have > a.bytes {
        file.set_len(0)
            .await
            .map_err(|e| io("cannot truncate", e))?;
        have = 0;
    }
    seen(have);
    let (mut failures, mut refreshes, mut sent) = (0u32, 0u32, 0u32);
    while have < a.bytes {
        let url = urls.get(&a.id).await.unwrap_or_else(|| a.url.clone());
        sent += 1;
        let outcome = match fetch(client, &url, have, sent - 1).await {
            Err(e) => Err(e.to_string()),
            Ok(resp) => match resp.status() {
                StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED | StatusCode::GONE => {
                    refreshes += 1;
                    if refreshes > MAX_URL_REFRESHES {
                        return Err(download_error(
                            format!(
                                "{}: the artifact host kept refusing fresh URLs (HTTP {})",
                                a.filename,
                                resp.status()
                            ),
                            Some(&part),
                            None,
                        ));
                    }
                    urls.refresh(&a.id, &url).await?;
                    continue;
                }
                StatusCode::PARTIAL_CONTENT if range_starts_at(&resp, have) => {
                    stream_into(&mut file, resp, &mut have, seen).await
                }
                StatusCode::OK => {
                    // The host ignored the range: start over.
                    file.set_len(0)
                        .await
                        .map_err(|e| io("cannot truncate", e))?;
                    have = 0;
                    stream_into(&mut file, resp, &mut have, seen).await
                }
                s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
                    Err(format!("HTTP {s}"))
                }
                s => {
                    return Err(download_error(
                        format!("{}: the artifact host answered HTTP {s}", a.filename),
                        Some(&part),
                        None,
                    ));
                }
            },
        };
        let outcome = match outcome {
            Ok(()) if have < a.bytes => Err(format!(
                "connection closed after {have} of {} bytes",
                a.bytes
            )),
            other => other,
        };
        if let Err(why) = outcome {
            failures += 1;
            tracing::info!(artifact = %a.id, have, failures, why = %why, "artifact fetch interrupted; resuming");
            if failures > MAX_TRANSPORT_RETRIES {
                return Err(download_error(
                    format!("{}: {why} (after {failures} attempts)", a.filename),
                    Some(&part),
                    None,
                ));
            }
            tokio::time::sleep(Duration::from_millis(200 * u64::from(failures))).await;
        }
        if have > a.bytes {
            file.set_len(0)
                .await
                .map_err(|e| io("cannot truncate", e))?;
            return Err(download_error(
                format!(
                    "{}: received {have} bytes, the API announced {}",
                    a.filename, a.bytes
                ),
                Some(&part),
                None,
            ));
        }
    }
    file.flush().await.map_err(|e| io("cannot write", e))?;
    if durable {
        file.sync_all().await.map_err(|e| io("cannot sync", e))?;
    }
    drop(file);
    tokio::fs::rename(&part, &target)
        .await
        .map_err(|e| io("cannot rename", e))?;
    Ok(target)
}

/// Appends a response body to the file; `Err` (a description) when the connection failed or
/// stalled, so the caller resumes from `have`, which is then the file's length.
async fn stream_into(
    file: &mut tokio::fs::File,
    resp: reqwest::Response,
    have: &mut u64,
    seen: &(dyn Fn(u64) + Send + Sync),
) -> std::result::Result<(), String> {
    let write_failed = |e: std::io::Error| format!("write failed: {e}");
    // The same open file (append mode), written from the blocking pool in batches.
    let clone = file.try_clone().await.map_err(write_failed)?;
    let mut writer = BatchWriter::new(clone.into_std().await);
    let mut body = resp.bytes_stream();
    let received = loop {
        match tokio::time::timeout(READ_STALL, body.next()).await {
            Err(_) => break Err("no bytes for 60 s".to_string()),
            Ok(None) => break Ok(()),
            Ok(Some(Err(e))) => break Err(e.to_string()),
            Ok(Some(Ok(chunk))) => {
                let n = chunk.len() as u64;
                if let Err(e) = writer.push(&chunk).await {
                    break Err(write_failed(e));
                }
                *have += n;
                seen(*have);
            }
        }
    };
    // Whatever arrived is written before resuming, and `have` is what the file holds.
    let written = writer.finish().await.map_err(write_failed)?;
    *have = written.metadata().map_err(write_failed)?.len();
    received
}

// ---------------------------------------------------------------------------------------------
// rows

/// One CSV row of an export, keyed by the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<String>,
}

impl Row {
    pub fn get(&self, column: &str) -> Option<&str> {
        self.columns
            .iter()
            .position(|c| c == column)
            .map(|i| self.values[i].as_str())
    }
    pub fn columns(&self) -> &[String] {
        &self.columns
    }
    pub fn values(&self) -> &[String] {
        &self.values
    }
    /// `(column, value)` pairs in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.columns
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().map(String::as_str))
    }
}

/// Feeds the bytes of an artifact, resumed with `Range` across dropped connections, to a
/// blocking reader. Its end is confirmed: the download must have delivered exactly the bytes
/// the listing announced, or reading fails (a feeding task that stopped early is not an end).
pub(crate) struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    cur: Bytes,
    name: String,
    expected: u64,
    received: u64,
}

impl ChannelReader {
    pub(crate) fn new(
        rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
        name: &str,
        expected: u64,
    ) -> ChannelReader {
        ChannelReader {
            rx,
            cur: Bytes::new(),
            name: name.to_string(),
            expected,
            received: 0,
        }
    }
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => {
                    self.received += b.len() as u64;
                    self.cur = b;
                }
                Some(Err(e)) => return Err(e),
                None if self.received == self.expected => return Ok(0),
                None => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!(
                            "{}: the download stopped at {} of {} bytes",
                            self.name, self.received, self.expected
                        ),
                    ));
                }
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur.split_to(n));
        Ok(n)
    }
}

pub(crate) async fn feed(
    client: Client,
    urls: Arc<Urls>,
    a: ArtifactDownload,
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) {
    let (mut have, mut failures, mut refreshes, mut sent) = (0u64, 0u32, 0u32, 0u32);
    let fail = |m: String| std::io::Error::other(m);
    while have < a.bytes {
        let url = urls.get(&a.id).await.unwrap_or_else(|| a.url.clone());
        sent += 1;
        let resp = match fetch(&client, &url, have, sent - 1).await {
            Ok(r) => r,
            Err(e) => {
                failures += 1;
                if failures > MAX_TRANSPORT_RETRIES {
                    let _ = tx.send(Err(fail(format!("{}: {e}", a.filename)))).await;
                    return;
                }
                continue;
            }
        };
        match resp.status() {
            StatusCode::FORBIDDEN | StatusCode::GONE if refreshes < MAX_URL_REFRESHES => {
                refreshes += 1;
                if let Err(e) = urls.refresh(&a.id, &url).await {
                    let _ = tx.send(Err(fail(e.to_string()))).await;
                    return;
                }
                continue;
            }
            StatusCode::OK if have == 0 => {}
            StatusCode::PARTIAL_CONTENT if range_starts_at(&resp, have) => {}
            s => {
                let _ = tx
                    .send(Err(fail(format!(
                        "{}: the artifact host answered HTTP {s}",
                        a.filename
                    ))))
                    .await;
                return;
            }
        }
        let mut body = resp.bytes_stream();
        while let Ok(Some(chunk)) = tokio::time::timeout(READ_STALL, body.next()).await {
            match chunk {
                Ok(b) => {
                    have += b.len() as u64;
                    if tx.send(Ok(b)).await.is_err() {
                        return; // the reader stopped
                    }
                }
                Err(_) => break,
            }
        }
        if have < a.bytes {
            failures += 1; // dropped, stalled or closed early: resume from `have`
        }
        if failures > MAX_TRANSPORT_RETRIES {
            let _ = tx
                .send(Err(fail(format!(
                    "{}: connection kept failing",
                    a.filename
                ))))
                .await;
            return;
        }
    }
}

/// Rows of every artifact of a succeeded export, parsed in a blocking task (gzip + CSV), in
/// artifact order.
pub fn rows(client: Client, export_id: String) -> impl Stream<Item = Result<Row>> + Send + 'static {
    // Started on first poll, so the stream can be made outside a runtime (a binding builds it
    // on its caller's thread).
    futures_util::stream::once(async move {
        let (out_tx, out_rx) = tokio::sync::mpsc::channel::<Result<Row>>(1024);
        tokio::spawn(telemetry::carry(produce_rows(client, export_id, out_tx)));
        futures_util::stream::unfold(
            out_rx,
            |mut rx| async move { rx.recv().await.map(|r| (r, rx)) },
        )
    })
    .flatten()
}

/// Lists the artifacts and parses each in turn, sending rows to `out_tx`.
async fn produce_rows(
    client: Client,
    export_id: String,
    out_tx: tokio::sync::mpsc::Sender<Result<Row>>,
) {
    let listing = match client.exports().get_download(&export_id).await {
        Ok(l) => l,
        Err(e) => {
            let _ = out_tx.send(Err(e)).await;
            return;
        }
    };
    let urls = Arc::new(Urls::new(
        client.clone(),
        export_id.clone(),
        &listing.artifacts,
    ));
    if let Some(a) = listing
        .artifacts
        .iter()
        .find(|a| !a.filename.ends_with(".csv.gz"))
    {
        let _ = out_tx
            .send(Err(download_error(
                format!(
                    "{}: rows are read from gzip CSV artifacts; export {export_id} has another \
                     format: read it with exports.data({export_id:?}) (batches, tables, Parquet)",
                    a.filename
                ),
                None,
                None,
            )))
            .await;
        return;
    }
    for a in listing.artifacts {
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let (name, bytes) = (a.filename.clone(), a.bytes);
        tokio::spawn(telemetry::carry(feed(client.clone(), urls.clone(), a, tx)));
        let out = out_tx.clone();
        let parsed = tokio::task::spawn_blocking(move || {
            parse(ChannelReader::new(rx, &name, bytes), &name, &out)
        })
        .await;
        if !matches!(parsed, Ok(true)) {
            return;
        }
    }
}

/// Parses one artifact into rows; false when parsing stopped (error sent, or reader gone).
fn parse(reader: ChannelReader, name: &str, out: &tokio::sync::mpsc::Sender<Result<Row>>) -> bool {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(flate2::read::MultiGzDecoder::new(reader));
    let columns: Arc<[String]> = match csv.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => {
            let _ = out.blocking_send(Err(download_error(
                format!("{name}: cannot read the CSV header: {e}"),
                None,
                None,
            )));
            return false;
        }
    };
    for record in csv.records() {
        let item = record
            .map(|r| Row {
                columns: columns.clone(),
                values: r.iter().map(str::to_string).collect(),
            })
            .map_err(|e| download_error(format!("{name}: bad CSV data: {e}"), None, None));
        let failed = item.is_err();
        if out.blocking_send(item).is_err() || failed {
            return false;
        }
    }
    true
}

//! One sync run: plan every window (a datastream's UTC day), then for each one that needs
//! data — holding its lease — create (or reuse) its export, wait for it with every other
//! export of the run, write its rows into the window's files and publish them one by one,
//! recording each in the window's state as soon as it is in place.
//!
//! Why the lake never loses or doubles a row, whatever kills a run where:
//! * an export is recorded before anything waits on it, and its idempotency key (from the
//!   datastream, range, schema, format and attempt) finds it again when the record was lost;
//! * a file is staged outside the dataset, then replaces the old file at once (rename, or a
//!   whole-object upload); the new file holds every row of the old one within the times the
//!   state says it covers, and only those are ever read back from it;
//! * the state is written after the file, with a condition on the version read, by the lease
//!   holder only: a crash between the two leaves a file holding more than recorded, which the
//!   next rewrite reads back only within the recorded times.

use std::time::Instant;

use futures_util::{StreamExt, TryStreamExt};
use ticksupply::Client;
use ticksupply::data::{SchemaSpec, read_artifacts};
use ticksupply::resources::export_schemas::{
    ColumnSource, ExportSchemaWithVersion, MetaValue, TimestampFormat,
};
use tokio::sync::{OnceCell, Semaphore};

use super::budget::{Budget, TYPICAL_EXPORT, human};
use super::dest::{self, Conflict, Dest, Version};
use super::lease;
use super::plan::{self, Window, rfc3339};
use super::poll::{Outcome, Poller};
use super::process::stop_point;
use super::progress::{Event, Mode, Plan, Progress};
use super::ranges::Ranges;
use super::retry::{self, retry_rate_limited};
use super::split::{self, OldFile, Split, Target};
use super::state::{InFlight, Store, SyncRecord, WindowState};
use super::work::{Job, Kind, WindowWork, window_work};
use crate::args::{Format, SyncArgs};
use crate::error::CliError;
use crate::output::out;

/// State files read at once while planning.
const STATE_READS: usize = 16;
/// Artifacts of one export downloaded at once with `--keep-csv`.
const RAW_DOWNLOADS: usize = 2;
/// Windows whose exports are created and waited for at once, per window being written, and at
/// most: one page of `GET /exports` sees them all.
const AHEAD_PER_WRITER: usize = 16;
const MAX_AHEAD: usize = 100;
const POLL_CURSOR: &str = ".ticksupply-sync/poll-cursor";

/// How artifacts are read, and how rows find their file.
struct Reading {
    spec: SchemaSpec,
    /// The nanosecond timestamp column rows are split by; `None` when the schema has none.
    time_column: Option<String>,
}

struct Ctx<'a> {
    client: &'a Client,
    dest: &'a dyn Dest,
    store: Store<'a>,
    args: &'a SyncArgs,
    format: Format,
    reading: Reading,
    request: Ranges,
    progress: &'a Progress,
    poller: &'a Poller,
    writers: Semaphore,
    recorded: OnceCell<()>,
}

fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Runs `ticksupply sync`.
pub async fn run(client: &Client, args: SyncArgs, json: bool) -> Result<(), CliError> {
    let now = now_ns();
    let to = args.to.unwrap_or(now);
    if args.from >= to {
        return Err(CliError::Usage(format!(
            "--from ({}) must be before --to ({})",
            rfc3339(args.from),
            rfc3339(to)
        )));
    }
    retry::set_deadline(args.deadline.map(|d| Instant::now() + d));
    // The export's own artifacts are only worth keeping as gzip CSV.
    let format = if args.keep_csv {
        Format::Csv
    } else {
        Format::Parquet
    };
    let dest = dest::open(&args.dest)?;
    let store = Store::new(dest.as_ref());
    if let Some(r) = store.load_record().await? {
        r.check(&args.schema, args.partition, &args.dest)?;
    }
    let dss = plan::resolve(client, &args.datastreams).await?;
    let reading = reading(client, &args.schema, format).await?;
    let request = Ranges::span(args.from, to);
    let settle = i64::try_from(args.settle.as_nanos()).unwrap_or(i64::MAX);

    let windows: Vec<Window> = plan::windows(&dss, args.from, to)
        .into_iter()
        .filter(|w| args.shard.is_none_or(|s| s.owns(w.ds.id, w.start)))
        .collect();
    let states: Vec<Option<(WindowState, Version)>> = {
        let store = &store;
        futures_util::stream::iter(windows.iter().map(|w| {
            let key = w.key();
            async move { store.load_window(&key).await }
        }))
        .buffered(STATE_READS)
        .try_collect()
        .await?
    };
    let mut todo = Vec::new();
    let mut skipped = Vec::new();
    let mut rows_estimate = 0;
    for (w, st) in windows.into_iter().zip(&states) {
        let collected = Ranges::from(w.ds.ranges.clone());
        let settled = w.ds.settled(settle, now);
        let work = window_work(
            &w,
            args.partition,
            st.as_ref().map(|(s, _)| s),
            &request,
            &settled,
        );
        match work.kind(&collected) {
            Kind::Export => {
                rows_estimate += w.ds.estimate(&work.need());
                todo.push(work);
            }
            Kind::Done => skipped.push((w, "done")),
            Kind::Open => skipped.push((w, "open")),
            Kind::NoData => skipped.push((w, "no_data")),
        }
    }

    let mut progress = Progress::new(json, args.partition);
    let labels: Vec<String> = dss
        .iter()
        .map(|d| format!("{} {}", d.id, d.label()))
        .collect();
    let count = |r: &str| skipped.iter().filter(|(_, x)| *x == r).count();
    progress.planned(Plan {
        planned: todo.len() + skipped.len(),
        to_sync: todo.len(),
        done: count("done"),
        open: count("open"),
        empty: count("no_data"),
        datastreams: &labels,
        shard: args.shard.map(|s| s.to_string()),
        rows_estimate,
    });
    let ahead = (args.concurrency as usize * AHEAD_PER_WRITER).min(MAX_AHEAD);
    if args.dry_run {
        let exports: usize = todo
            .iter()
            .map(|w| w.jobs(reading.time_column.is_some()).len())
            .sum();
        let budget = Budget::estimate(
            client.paced_requests().unwrap_or(0),
            exports as u64,
            ahead as u64,
            TYPICAL_EXPORT,
        );
        print_dry_run(&progress, &todo, &skipped, &reading, args.partition);
        print_budget(&progress, &budget, client, args.max_request_rate);
        return Ok(());
    }
    for (w, reason) in &skipped {
        progress.event(Event::Skipped { w, reason });
    }
    dest.remove_stale_staging().await;

    let cursor = dest
        .get(POLL_CURSOR)
        .await
        .ok()
        .flatten()
        .and_then(|(b, _)| String::from_utf8(b).ok())
        .filter(|s| !s.trim().is_empty());
    let poller = Poller::new(client.clone(), cursor.clone());
    let ctx = Ctx {
        client,
        dest: dest.as_ref(),
        store,
        args: &args,
        format,
        reading,
        request,
        progress: &progress,
        poller: &poller,
        writers: Semaphore::new(args.concurrency as usize),
        recorded: OnceCell::new(),
    };
    let work = futures_util::stream::iter(todo.into_iter().map(|ww| ctx.process(ww)))
        .buffer_unordered(ahead)
        .for_each(|()| async {});
    // On Ctrl-C the windows in flight are dropped where they are: their state is consistent
    // at every step, staged files are removed with the staging directory, and their leases
    // are free as soon as this process is gone.
    let interrupted = tokio::select! {
        () = work => false,
        () = poller.run() => false,
        () = ctrl_c() => true,
    };
    if let Some(c) = poller.cursor()
        && Some(&c) != cursor.as_ref()
    {
        let _ = dest.put(POLL_CURSOR, c.into_bytes()).await;
    }
    progress.requests(client.paced_requests());
    let stats = progress.finish(interrupted);
    if interrupted {
        return Err(CliError::Interrupted);
    }
    if stats.failed > 0 {
        return Err(CliError::Incomplete {
            failed: stats.failed,
        });
    }
    Ok(())
}

/// Ctrl-C; never, when the signal cannot be watched.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// `--dry-run`: the plan, window by window, and nothing else.
fn print_dry_run(
    progress: &Progress,
    todo: &[WindowWork],
    skipped: &[(Window, &str)],
    reading: &Reading,
    partition: crate::args::Partition,
) {
    let jobs: usize = todo
        .iter()
        .map(|w| w.jobs(reading.time_column.is_some()).len())
        .sum();
    if progress.mode() == Mode::Json {
        for w in todo {
            let files: Vec<_> = w
                .slots
                .iter()
                .filter(|s| !s.need.is_empty())
                .map(|s| plan::slot_label(s.slot, partition))
                .collect();
            out(&serde_json::json!({
                "event": "would_export",
                "window": w.window.date(),
                "datastream_id": w.window.ds.id,
                "datastream": w.window.ds.label(),
                "exports": w.jobs(reading.time_column.is_some()).iter()
                    .map(|j| serde_json::json!({"start": rfc3339(j.start), "end": rfc3339(j.end)}))
                    .collect::<Vec<_>>(),
                "files": files,
                "rows_estimate": w.window.ds.estimate(&w.need()),
            })
            .to_string());
        }
        for (w, reason) in skipped {
            out(&serde_json::json!({
                "event": "would_skip",
                "window": w.date(),
                "datastream_id": w.ds.id,
                "reason": reason,
            })
            .to_string());
        }
        out(&serde_json::json!({"event": "dry_run", "exports": jobs}).to_string());
        return;
    }
    for w in todo {
        for j in w.jobs(reading.time_column.is_some()) {
            out(&format!(
                "would export {} {} [{}, {}) into {} file(s)",
                w.window.date(),
                w.window.ds.label(),
                rfc3339(j.start),
                rfc3339(j.end),
                j.slots.len()
            ));
        }
    }
    for (w, reason) in skipped {
        out(&format!(
            "would skip {} {} ({reason})",
            w.date(),
            w.ds.label()
        ));
    }
    out(&format!("dry run: {jobs} export(s), nothing changed"));
}

/// `--dry-run`: the requests the plan spends, and the time the account's limit implies.
fn print_budget(progress: &Progress, b: &Budget, client: &Client, max_rate: Option<u32>) {
    let limit = client.rate_limit_seen().unwrap_or_default();
    let time = b.time_at(&limit, max_rate);
    if progress.mode() == Mode::Json {
        out(&serde_json::json!({
            "event": "budget",
            "requests": b.total(),
            "setup": b.setup,
            "creates": b.creates,
            "download_listings": b.listings,
            "status_polls": b.polls,
            "assumed_export_s": TYPICAL_EXPORT.as_secs(),
            "limit_minute": limit.limit_minute,
            "limit_hour": limit.limit_hour,
            "max_request_rate": max_rate,
            "seconds_at_limit": time.map(|t| t.as_secs()),
        })
        .to_string());
        return;
    }
    out(&format!(
        "requests: ~{} ({} to plan, {} to create exports, {} download listings, ~{} status polls if \
         an export takes {})",
        b.total(),
        b.setup,
        b.creates,
        b.listings,
        b.polls,
        human(TYPICAL_EXPORT)
    ));
    if let Some(t) = time {
        let rate = match (limit.limit_minute, max_rate) {
            (Some(l), Some(m)) if u64::from(m) < l => format!("--max-request-rate {m}/min"),
            (Some(l), _) => format!("the account's limit of {l}/min"),
            (None, Some(m)) => format!("--max-request-rate {m}/min"),
            (None, None) => "the rate limit".into(),
        };
        let hourly = limit
            .limit_hour
            .map(|h| format!(" and {h}/h"))
            .unwrap_or_default();
        out(&format!("at {rate}{hourly}: at least {}", human(t)));
    }
}

/// How artifacts are typed and split: Parquet artifacts carry their types; gzip CSV is typed by
/// the schema, resolved once here. Either way the schema's nanosecond timestamp column (if
/// any) is what rows are split into files by.
async fn reading(client: &Client, schema: &str, format: Format) -> Result<Reading, CliError> {
    if schema == "raw" {
        return Ok(Reading {
            spec: if format == Format::Parquet {
                SchemaSpec::Auto
            } else {
                SchemaSpec::Raw
            },
            time_column: Some("collection_timestamp_ns".into()),
        });
    }
    let api = client.export_schemas();
    let found: Vec<ExportSchemaWithVersion> = if schema.starts_with("sch_") {
        vec![retry_rate_limited(|| api.get(schema).send()).await?]
    } else {
        let listed = retry_rate_limited(|| api.list().send()).await?;
        let mut found = Vec::new();
        for s in listed.into_iter().filter(|s| s.name == schema) {
            found.push(retry_rate_limited(|| api.get(&s.id).send()).await?);
        }
        found
    };
    if found.is_empty() {
        return Err(CliError::Usage(format!(
            "no export schema is named {schema:?} (`ticksupply schemas list` shows them)"
        )));
    }
    let columns: Vec<Option<String>> = found.iter().map(time_column).collect();
    let time_column = match columns.first() {
        Some(Some(c)) if columns.iter().all(|x| x.as_ref() == Some(c)) => Some(c.clone()),
        _ => None,
    };
    let spec = match (format, found.as_slice()) {
        (Format::Parquet, _) => SchemaSpec::Auto,
        (Format::Csv, [one]) => SchemaSpec::from(one),
        // One per stream category: each artifact is matched by its header.
        (Format::Csv, _) => SchemaSpec::from(schema.to_string()),
    };
    Ok(Reading { spec, time_column })
}

/// The schema's collection-timestamp column, when it is in nanoseconds (`ns` or `iso8601`).
fn time_column(s: &ExportSchemaWithVersion) -> Option<String> {
    s.columns.iter().find_map(|c| match &c.source {
        ColumnSource::Meta(m)
            if m.value == MetaValue::CollectionTimestampNs
                && matches!(
                    m.format,
                    None | Some(TimestampFormat::Ns) | Some(TimestampFormat::Iso8601)
                ) =>
        {
            Some(c.output_column.clone())
        }
        _ => None,
    })
}

impl Ctx<'_> {
    async fn process(&self, work: WindowWork) {
        let w = work.window.clone();
        let attributes = || {
            use ticksupply::telemetry::Attribute;
            vec![
                Attribute::str("ticksupply.datastream", w.ds.label()),
                Attribute::int("ticksupply.datastream.id", w.ds.id),
                Attribute::str("ticksupply.sync.window.start", rfc3339(w.start)),
            ]
        };
        let synced = ticksupply::telemetry::in_operation(
            self.client,
            "ticksupply.sync.window",
            attributes,
            self.sync_window(work),
        );
        if let Err(e) = synced.await {
            self.progress.event(Event::Failed { w: &w, error: &e });
        }
        self.progress.budget(self.client.rate_limit_seen());
    }

    async fn sync_window(&self, work: WindowWork) -> Result<(), CliError> {
        if retry::past_deadline() {
            return Err(CliError::Usage(
                "the deadline passed before this window was started; the next run does it".into(),
            ));
        }
        let w = work.window.clone();
        let lease = lease::acquire(self.dest, &w.key(), |held| {
            self.progress.event(Event::WaitingForLease {
                w: &w,
                holder: &held.holder,
            });
        })
        .await?;
        let out = tokio::select! {
            r = self.with_lease(&w) => r,
            e = lease.keep() => Err(e),
        };
        lease.release().await;
        out
    }

    /// Saves the window's state if nobody else changed it since `version`.
    async fn save(
        &self,
        w: &Window,
        st: &mut WindowState,
        version: &mut Option<Version>,
    ) -> Result<(), CliError> {
        match self
            .store
            .save_window(&w.key(), st, version.clone())
            .await?
        {
            Ok(v) => {
                *version = Some(v);
                Ok(())
            }
            Err(Conflict) => Err(CliError::Usage(format!(
                "the state of {} {} was changed by another sync while this one held its lease; \
                 the window is left to it",
                w.date(),
                w.ds.label()
            ))),
        }
    }

    async fn with_lease(&self, w: &Window) -> Result<(), CliError> {
        let settle = i64::try_from(self.args.settle.as_nanos()).unwrap_or(i64::MAX);
        let (mut st, mut version) = match self.store.load_window(&w.key()).await? {
            Some((s, v)) => (s, Some(v)),
            None => (
                WindowState::new(w, &self.args.schema, self.args.partition),
                None,
            ),
        };
        let settled = w.ds.settled(settle, now_ns());
        let split_by_time = self.reading.time_column.is_some();
        let mut work = window_work(w, self.args.partition, Some(&st), &self.request, &settled);
        // A file that was removed by hand holds nothing any more: its times are needed again.
        let mut forgot = false;
        for s in work.slots.iter().filter(|s| !s.need.is_empty()) {
            if let Some(key) = st.file(s.slot).and_then(|f| f.key.clone())
                && !self.dest.exists(&key).await?
            {
                let f = st.file_mut(s.slot);
                f.covered = Ranges::new();
                f.key = None;
                f.rows = 0;
                forgot = true;
            }
        }
        if forgot {
            work = window_work(w, self.args.partition, Some(&st), &self.request, &settled);
        }
        let collected = Ranges::from(w.ds.ranges.clone());
        match work.kind(&collected) {
            Kind::Export => {}
            // Another run did it while this one waited for the lease.
            Kind::Done => {
                self.progress.event(Event::Skipped { w, reason: "done" });
                return Ok(());
            }
            Kind::Open => {
                self.progress.event(Event::Skipped { w, reason: "open" });
                return Ok(());
            }
            Kind::NoData => {
                self.progress.event(Event::Skipped {
                    w,
                    reason: "no_data",
                });
                return Ok(());
            }
        }
        for s in &work.slots {
            st.file_mut(s.slot).wanted = s.wanted.clone();
        }
        let (mut files, mut rows) = (0, 0);
        for job in work.jobs(split_by_time) {
            let (f, r) = self.run_job(w, &work, &job, &mut st, &mut version).await?;
            files += f;
            rows += r;
        }
        st.error = None;
        self.save(w, &mut st, &mut version).await?;
        self.progress.event(Event::Done { w, files, rows });
        Ok(())
    }

    /// Creates (or reuses) the job's export and waits until it succeeded; a failed or vanished
    /// export is replaced once per run by a new one (a new idempotency key).
    async fn export_for(
        &self,
        w: &Window,
        job: &Job,
        st: &mut WindowState,
        version: &mut Option<Version>,
    ) -> Result<(String, (i64, i64)), CliError> {
        let schema = self.args.schema.as_str();
        let format = self.format.as_str();
        let split_by_time = self.reading.time_column.is_some();
        // An export holding more than the job needs serves it as well (its extra rows are not
        // taken); one cut by time only if rows can be split.
        let recorded = st.exports.iter().find(|x| {
            x.format == format
                && if split_by_time {
                    x.start_ns <= job.start && job.end <= x.end_ns
                } else {
                    x.start_ns == job.start && x.end_ns == job.end
                }
        });
        let mut attempt = recorded.map_or(0, |x| x.attempt);
        let mut reuse = recorded.map(|x| (x.export_id.clone(), (x.start_ns, x.end_ns)));
        let mut created_here = 0;
        loop {
            let (id, range, reused) = match reuse.take() {
                Some((id, range)) => (id, range, true),
                None => {
                    let key =
                        plan::idempotency_key(w.ds.id, job.start, job.end, schema, format, attempt);
                    let created = retry_rate_limited(|| {
                        self.client
                            .exports()
                            .create(w.ds.id, job.start, job.end)
                            .schema(schema)
                            .format(format)
                            .idempotency_key(key.clone())
                            .send()
                    })
                    .await?;
                    stop_point("export_created");
                    created_here += 1;
                    st.exports.retain(|x| {
                        !(x.start_ns == job.start && x.end_ns == job.end && x.format == format)
                    });
                    st.exports.push(InFlight {
                        export_id: created.id.clone(),
                        start_ns: job.start,
                        end_ns: job.end,
                        start: rfc3339(job.start),
                        end: rfc3339(job.end),
                        attempt,
                        slots: job.slots.clone(),
                        format: format.to_string(),
                        created_at: super::state::now(),
                    });
                    // Recorded before anything waits on it: a rerun after a crash finds it.
                    self.save(w, st, version).await?;
                    stop_point("export_recorded");
                    (created.id, (job.start, job.end), false)
                }
            };
            self.progress.event(Event::Exported {
                w,
                export_id: &id,
                start: range.0,
                end: range.1,
                reused,
            });
            let waited = tokio::time::timeout(self.args.wait_timeout, self.poller.wait(&id)).await;
            match waited {
                Err(_) => {
                    return Err(CliError::Usage(format!(
                        "export {id} is still running after {} s; it stays recorded and the next \
                         run waits for it again (give a longer --wait-timeout to wait here)",
                        self.args.wait_timeout.as_secs()
                    )));
                }
                Ok(Err(e)) => return Err(e),
                Ok(Ok(Outcome::Succeeded(_))) => return Ok((id, range)),
                Ok(Ok(Outcome::Gone { status, reason })) => {
                    attempt += 1;
                    let why = format!(
                        "export {id} is {status}{}",
                        reason.map(|r| format!(": {r}")).unwrap_or_default()
                    );
                    if created_here >= 2 {
                        if let Some(x) = st.exports.iter_mut().find(|x| x.export_id == id) {
                            x.attempt = attempt;
                        }
                        st.error = Some(why.clone());
                        self.save(w, st, version).await?;
                        return Err(CliError::Data(format!(
                            "{why}; the next run creates a new export"
                        )));
                    }
                }
            }
        }
    }

    /// One export of a window: created or reused, waited for, its rows written into the files
    /// it feeds, each published and recorded in turn. Returns the files written and the rows
    /// they gained.
    async fn run_job(
        &self,
        w: &Window,
        work: &WindowWork,
        job: &Job,
        st: &mut WindowState,
        version: &mut Option<Version>,
    ) -> Result<(usize, u64), CliError> {
        let (export_id, range) = self.export_for(w, job, st, version).await?;
        let _writing = self
            .writers
            .acquire()
            .await
            .map_err(|_| CliError::Usage("the run is ending".into()))?;
        let exported = Ranges::span(range.0, range.1);
        let split = match &self.reading.time_column {
            Some(column) => Split::ByTime {
                column: column.clone(),
                start: w.start,
                step: self.args.partition.step_ns(),
            },
            None => Split::Whole,
        };
        // What each file takes from the export, and its old content to keep.
        let mut targets = Vec::new();
        let mut gained: Vec<(i64, Ranges, u64)> = Vec::new();
        for &slot in &job.slots {
            let Some(sw) = work.slots.iter().find(|s| s.slot == slot) else {
                continue;
            };
            let file = st.file(slot).cloned();
            let need = match split {
                Split::ByTime { .. } => sw.need.intersect(&exported),
                Split::Whole => exported.clone(),
            };
            let old = match (&split, file.as_ref().and_then(|f| f.key.clone())) {
                (Split::ByTime { .. }, Some(key)) => {
                    let f = file.as_ref().expect("file");
                    match self.dest.local_copy(&key).await? {
                        Some(path) => Some(OldFile {
                            path,
                            covered: f.covered.clone(),
                            rows: f.rows,
                            name: self.dest.describe(&key),
                        }),
                        None => {
                            return Err(CliError::Data(format!(
                                "{} vanished while this run held its window; run again",
                                self.dest.describe(&key)
                            )));
                        }
                    }
                }
                _ => None,
            };
            gained.push((slot, need.clone(), file.map_or(0, |f| f.rows)));
            targets.push(Target { slot, need, old });
        }
        let staged = self.write_files(w, &export_id, split, targets).await?;
        // The dataset's options are recorded with its first file.
        self.recorded
            .get_or_try_init(|| async {
                self.store
                    .ensure_record(
                        &SyncRecord::new(&self.args.schema, self.args.partition),
                        &self.args.dest,
                    )
                    .await
            })
            .await?;
        stop_point("file_staged");
        let mut new_rows = 0;
        let files = staged.len();
        for s in staged {
            let key = w.file_key(s.slot);
            self.dest.publish(&key, &s.path).await?;
            stop_point("file_published");
            let (need, before) = gained
                .iter()
                .find(|(slot, _, _)| *slot == s.slot)
                .map(|(_, n, b)| (n.clone(), *b))
                .unwrap_or_default();
            let f = st.file_mut(s.slot);
            f.covered = f.covered.union(&need);
            f.key = Some(key.clone());
            f.rows = s.rows;
            f.bytes = s.bytes;
            f.sha256 = Some(s.sha256);
            f.published_at = Some(super::state::now());
            self.save(w, st, version).await?;
            stop_point("state_recorded");
            new_rows += s.rows.saturating_sub(before);
            self.progress.event(Event::FileWritten {
                w,
                slot: s.slot,
                export_id: &export_id,
                rows: s.rows,
                bytes: s.bytes,
                path: &key,
            });
        }
        // Files the export had no row for cover its times all the same.
        for (slot, need, _) in &gained {
            let f = st.file_mut(*slot);
            f.covered = f.covered.union(need);
        }
        st.exports.retain(|x| x.export_id != export_id);
        self.save(w, st, version).await?;
        Ok((files, new_rows))
    }

    /// Reads the export's rows (downloading its CSV first with `--keep-csv`) into staged files.
    async fn write_files(
        &self,
        w: &Window,
        export_id: &str,
        split: Split,
        targets: Vec<Target>,
    ) -> Result<Vec<split::Staged>, CliError> {
        let spec = self.reading.spec.clone();
        let mut stream = if self.args.keep_csv {
            let paths = self.keep_raw(w, export_id).await?;
            read_artifacts(paths)
                .schema(spec)
                .client(self.client.clone())
                .open()
                .await?
        } else {
            retry_rate_limited(|| {
                self.client
                    .exports()
                    .data(export_id)
                    .schema(spec.clone())
                    .open()
            })
            .await?
        };
        let staging = self.dest.staging().join(format!("{}-{export_id}", w.key()));
        let name = format!("export {export_id}");
        let handle = tokio::runtime::Handle::current();
        let done = tokio::task::spawn_blocking(move || {
            let open_old = |path: &std::path::Path| {
                handle
                    .block_on(read_artifacts([path.to_path_buf()]).open())
                    .map_err(CliError::Api)
            };
            split::write(&mut stream, &name, &split, targets, &staging, &open_old)
        })
        .await;
        match done {
            Ok(r) => r,
            Err(e) => Err(CliError::Data(format!(
                "writing the files of export {export_id} stopped: {e}"
            ))),
        }
    }

    /// `--keep-csv`: the export's artifacts in `_raw/<export id>/` of the window's date, and
    /// their local copies to read from.
    async fn keep_raw(
        &self,
        w: &Window,
        export_id: &str,
    ) -> Result<Vec<std::path::PathBuf>, CliError> {
        let dir_key = w.raw_dir_key(export_id);
        let dir = self.dest.staging().join(format!("raw-{export_id}"));
        let paths = retry_rate_limited(|| {
            self.client
                .exports()
                .download(export_id, &dir)
                .overwrite(true)
                .concurrency(RAW_DOWNLOADS)
                .send()
        })
        .await?;
        let mut kept = Vec::with_capacity(paths.len());
        for p in paths {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            // A copy is published; the download stays in staging to be read.
            let copy = dir.join(format!(".publish-{name}"));
            tokio::fs::copy(&p, &copy).await.map_err(|e| CliError::Io {
                what: format!("cannot copy {}", p.display()),
                source: e,
            })?;
            self.dest
                .publish(&format!("{dir_key}/{name}"), &copy)
                .await?;
            kept.push(p);
        }
        Ok(kept)
    }
}

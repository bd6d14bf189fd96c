//! One sync run: plan, skip what is done, then per window create (or reuse) the export, wait,
//! write the Parquet file, record it — a few windows at a time, until done or Ctrl-C.
//!
//! Crash safety rests on three rules: the export id is recorded as soon as the export exists
//! (and its idempotency key would find it again anyway); a window is `done` only after its file
//! is in place; a file is written under a temporary name and renamed (or uploaded whole). So a
//! rerun after any interruption finds each window either done, with its file, or not done, and
//! redoes only those — every row ends up in the dataset exactly once.

use std::path::Path;

use futures_util::{StreamExt, TryStreamExt};
use ticksupply::data::SchemaSpec;
use ticksupply::{Client, Error};

use super::dest::{self, Dest};
use super::plan::{self, Window};
use super::progress::{Event, Plan, Progress};
use super::state::{Store, SyncRecord, WindowState, WindowStatus};
use crate::args::{Format, SyncArgs};
use crate::error::CliError;

/// State files read at once while planning.
const STATE_READS: usize = 16;
/// Artifacts of one export downloaded at once with `--keep-csv`.
const RAW_DOWNLOADS: usize = 2;

/// A window to export and write, with what an earlier run recorded of it.
struct Job {
    w: Window,
    prior: Option<WindowState>,
}

struct Ctx<'a> {
    client: &'a Client,
    dest: &'a dyn Dest,
    store: Store<'a>,
    args: &'a SyncArgs,
    format: Format,
    /// How the export's artifacts are typed when read.
    reader: SchemaSpec,
    progress: &'a Progress,
}

/// Runs `ticksupply sync`.
pub async fn run(client: &Client, args: SyncArgs, json: bool) -> Result<(), CliError> {
    if args.from >= args.to {
        return Err(CliError::Usage(format!(
            "--from ({}) must be before --to ({})",
            plan::rfc3339(args.from),
            plan::rfc3339(args.to)
        )));
    }
    // The export's own artifacts are only worth keeping as gzip CSV.
    let format = if args.keep_csv {
        Format::Csv
    } else {
        Format::Parquet
    };
    let dest = dest::open(&args.dest)?;
    let store = Store::new(dest.as_ref());
    let previous = store.load_record().await?;
    if let Some(p) = &previous {
        p.check(&args.schema, args.partition, &args.dest)?;
    }
    let dss = plan::resolve(client, &args.datastreams).await?;
    let record = SyncRecord::new(&args, dss.iter().map(|d| d.id).collect(), format.as_str());
    let record = match &previous {
        Some(p) => p.merged(&record),
        None => record,
    };
    store.save_record(&record).await?;
    let reader = reader_schema(client, &args.schema, format).await?;

    let windows = plan::shard(
        plan::windows(&dss, args.from, args.to, args.partition),
        args.shard,
    );
    let planned = windows.len();
    let priors: Vec<Option<WindowState>> = {
        let store = &store;
        futures_util::stream::iter(windows.iter().map(|w| {
            let key = w.state_key();
            async move { store.load_window(&key).await }
        }))
        .buffered(STATE_READS)
        .try_collect()
        .await?
    };

    let (mut jobs, mut done, mut empty) = (Vec::new(), Vec::new(), Vec::new());
    for (mut w, prior) in windows.into_iter().zip(priors) {
        let done_path = prior
            .as_ref()
            .filter(|p| p.status == WindowStatus::Done)
            .and_then(|p| p.path.clone());
        let file_there = match &done_path {
            Some(path) => dest.exists(path).await?,
            None => false,
        };
        if let Some(p) = &prior
            && file_there
            && p.covers(w.start, w.end)
        {
            done.push(w);
            continue;
        }
        if !w.ds.has_data(w.start, w.end) {
            if prior.is_none() {
                let mut st = WindowState::new(&w, &args.schema, format.as_str());
                st.status = WindowStatus::SkippedEmpty;
                store.save_window(&w.state_key(), &mut st).await?;
            }
            empty.push(w);
            continue;
        }
        // A file holding part of the window (an earlier, narrower range) is rewritten with
        // both, so that no row is in two files.
        if let Some(p) = &prior
            && file_there
        {
            w.start = w.start.min(p.start_ns);
            w.end = w.end.max(p.end_ns);
        }
        jobs.push(Job { w, prior });
    }

    let mut progress = Progress::new(json, args.partition);
    let labels: Vec<String> = dss
        .iter()
        .map(|d| format!("{} {}", d.id, d.label()))
        .collect();
    progress.planned(Plan {
        planned,
        to_sync: jobs.len(),
        done: done.len(),
        empty: empty.len(),
        datastreams: &labels,
        shard: args.shard.map(|s| s.to_string()),
    });
    for w in &done {
        progress.event(Event::SkippedDone(w));
    }
    for w in &empty {
        progress.event(Event::SkippedEmpty(w));
    }

    let ctx = Ctx {
        client,
        dest: dest.as_ref(),
        store,
        args: &args,
        format,
        reader,
        progress: &progress,
    };
    let work = futures_util::stream::iter(jobs.into_iter().map(|j| ctx.process(j)))
        .buffer_unordered(args.concurrency as usize)
        .for_each(|()| async {});
    // On Ctrl-C the windows in flight are dropped where they are: their state files were
    // written whole or not at all, and an unfinished Parquet file is removed by its writer.
    let interrupted = tokio::select! {
        () = work => false,
        () = ctrl_c() => true,
    };
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

/// How artifacts are typed: Parquet artifacts carry their types (nothing to look up); gzip CSV
/// is typed by the schema, resolved once here rather than once per window.
async fn reader_schema(
    client: &Client,
    schema: &str,
    format: Format,
) -> Result<SchemaSpec, CliError> {
    if format == Format::Parquet {
        return Ok(SchemaSpec::Auto);
    }
    if schema == "raw" {
        return Ok(SchemaSpec::Raw);
    }
    let api = client.export_schemas();
    if schema.starts_with("sch_") {
        return Ok(SchemaSpec::from(&api.get(schema).send().await?));
    }
    let named: Vec<_> = api
        .list()
        .send()
        .await?
        .into_iter()
        .filter(|s| s.name == schema)
        .collect();
    match named.as_slice() {
        [] => Err(CliError::Usage(format!(
            "no export schema is named {schema:?} (`ticksupply schemas list` shows them)"
        ))),
        [one] => Ok(SchemaSpec::from(&api.get(&one.id).send().await?)),
        // One per stream category: each artifact is matched by its header.
        _ => Ok(SchemaSpec::from(schema.to_string())),
    }
}

/// Removes what an interrupted writer left of `path` (`<path>.part`).
async fn remove_leftover(path: &Path) {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    let _ = tokio::fs::remove_file(path.with_file_name(name)).await;
}

impl Ctx<'_> {
    async fn process(&self, job: Job) {
        let w = job.w.clone();
        if let Err(e) = self.sync_window(job).await {
            self.progress.event(Event::Failed { w: &w, error: &e });
        }
    }

    async fn sync_window(&self, job: Job) -> Result<(), CliError> {
        let Job { w, prior } = job;
        let schema = self.args.schema.as_str();
        let format = self.format.as_str();
        let key = w.state_key();
        let same = |p: &WindowState| {
            p.start_ns == w.start && p.end_ns == w.end && p.schema == schema && p.format == format
        };
        // An export an earlier run created for exactly this window is used again.
        let mut reuse = prior
            .as_ref()
            .filter(|p| p.status == WindowStatus::Exported && same(p))
            .and_then(|p| p.export_id.clone());
        let mut attempt = match &prior {
            Some(p) if same(p) && p.status == WindowStatus::Failed => p.attempt + 1,
            Some(p) if same(p) => p.attempt,
            _ => 0,
        };
        let mut st = WindowState::new(&w, schema, format);
        let mut retried = false;
        let export_id = loop {
            let (id, reused) = match reuse.take() {
                Some(id) => (id, true),
                None => {
                    let job = self
                        .client
                        .exports()
                        .create(w.ds.id, w.start, w.end)
                        .schema(schema)
                        .format(format)
                        .idempotency_key(plan::idempotency_key(
                            w.ds.id, w.start, w.end, schema, format, attempt,
                        ))
                        .send()
                        .await?;
                    (job.id, false)
                }
            };
            st.status = WindowStatus::Exported;
            st.export_id = Some(id.clone());
            st.attempt = attempt;
            if !reused {
                // Recorded before anything else: a rerun after a crash finds this export.
                self.store.save_window(&key, &mut st).await?;
            }
            self.progress.event(Event::Exported {
                w: &w,
                export_id: &id,
                reused,
            });
            match self.client.exports().wait(id.as_str()).send().await {
                Ok(_) => break id,
                Err(Error::ExportFailed { .. }) if !retried => {
                    // Failed, canceled or deleted (an old export may have been): once more,
                    // with a new idempotency key.
                    retried = true;
                    attempt += 1;
                }
                Err(e @ Error::ExportFailed { .. }) => {
                    st.status = WindowStatus::Failed;
                    st.error = Some(e.to_string());
                    self.store.save_window(&key, &mut st).await?;
                    return Err(e.into());
                }
                // A timeout or a network failure: the export stays recorded and is reused.
                Err(e) => return Err(e.into()),
            }
        };

        let file_key = w.file_key();
        let staged = self.dest.staging_path(&file_key);
        remove_leftover(&staged).await;
        let written = self
            .client
            .exports()
            .data(export_id.as_str())
            .schema(self.reader.clone())
            .to_parquet(&staged)
            .await?;
        self.dest.publish(&file_key, &staged).await?;
        let raw_files = if self.args.keep_csv {
            self.keep_raw(&w, &export_id).await?
        } else {
            Vec::new()
        };
        st.status = WindowStatus::Done;
        st.rows = Some(written.rows);
        st.bytes = Some(written.bytes);
        st.path = Some(file_key.clone());
        st.raw_files = raw_files;
        st.error = None;
        self.store.save_window(&key, &mut st).await?;
        self.progress.event(Event::Done {
            w: &w,
            export_id: &export_id,
            rows: written.rows,
            bytes: written.bytes,
            path: &file_key,
            raw_files: st.raw_files.len(),
        });
        Ok(())
    }

    /// `--keep-csv`: the export's artifacts beside the Parquet file, in `_raw/…/`.
    async fn keep_raw(&self, w: &Window, export_id: &str) -> Result<Vec<String>, CliError> {
        let dir_key = w.raw_dir_key();
        let dir = self.dest.staging_path(&dir_key);
        let paths = self
            .client
            .exports()
            .download(export_id, &dir)
            .overwrite(true)
            .concurrency(RAW_DOWNLOADS)
            .send()
            .await?;
        let mut keys = Vec::with_capacity(paths.len());
        for p in paths {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let k = format!("{dir_key}/{name}");
            self.dest.publish(&k, &p).await?;
            keys.push(k);
        }
        Ok(keys)
    }
}

//! Writes one export's rows into the files of its window: each row goes to the file of the day
//! or hour its timestamp falls in, only if that file needs its time; a file that already holds
//! rows is rewritten with them (only those within the times its state says it covers) merged in
//! time order with the new ones. Files are staged in the run's staging directory, whole, and
//! published by the caller.
//!
//! Runs on a blocking thread: it pulls batches from the export (and from each old file) as they
//! decode, and memory stays bounded by a batch or two per file plus the row group being
//! written — the writer of a file is flushed as soon as rows move on to another file.

use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampNanosecondType;
use arrow_array::{Array, BooleanArray, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use sha2::{Digest, Sha256};
use ticksupply::data::{DataStream, ParquetFile};

use super::ranges::Ranges;
use crate::error::CliError;

/// How rows find their file.
#[derive(Debug, Clone)]
pub enum Split {
    /// By the nanosecond timestamp in `column`: slot `start + k × step`.
    ByTime {
        column: String,
        start: i64,
        step: i64,
    },
    /// Every row to the one target (a schema without a nanosecond timestamp column).
    Whole,
}

/// A file the export feeds.
#[derive(Debug)]
pub struct Target {
    pub slot: i64,
    /// Times of the slot whose rows to take from the export.
    pub need: Ranges,
    /// The file's current content, to keep (merged by time).
    pub old: Option<OldFile>,
}

#[derive(Debug)]
pub struct OldFile {
    pub path: PathBuf,
    /// Only the rows within these times are kept.
    pub covered: Ranges,
    /// How many rows the state recorded for it: the rows kept must be exactly as many.
    pub rows: u64,
    /// For messages.
    pub name: String,
}

/// A file written in the staging directory.
#[derive(Debug)]
pub struct Staged {
    pub slot: i64,
    pub path: PathBuf,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// Opens a local Parquet file's batches (the caller's runtime decodes them).
pub type OpenOld<'a> = &'a dyn Fn(&Path) -> Result<DataStream, CliError>;

fn data(name: &str, message: String) -> CliError {
    CliError::Data(format!("{name}: {message}"))
}

/// The nanosecond timestamps of `column` in `batch`.
fn times<'b>(
    batch: &'b RecordBatch,
    column: &str,
    name: &str,
) -> Result<&'b arrow_array::PrimitiveArray<TimestampNanosecondType>, CliError> {
    let i = batch.schema().index_of(column).map_err(|_| {
        data(
            name,
            format!("it has no column {column:?}, which sync splits files by"),
        )
    })?;
    let col = batch.column(i);
    match col.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, _) => Ok(col.as_primitive()),
        other => Err(data(
            name,
            format!("column {column:?} is {other}, not a nanosecond timestamp"),
        )),
    }
}

/// Rows of `batch` whose time lies in `keep` (a null time is in no range).
fn only(
    batch: &RecordBatch,
    ts: &arrow_array::PrimitiveArray<TimestampNanosecondType>,
    keep: &Ranges,
) -> Result<RecordBatch, CliError> {
    let mask: BooleanArray = (0..ts.len())
        .map(|i| Some(ts.is_valid(i) && keep.contains(ts.value(i))))
        .collect();
    if mask.true_count() == batch.num_rows() {
        return Ok(batch.clone());
    }
    arrow_select::filter::filter_record_batch(batch, &mask)
        .map_err(|e| data("export", format!("cannot filter rows: {e}")))
}

/// The rows of a file being replaced, read in order, kept within its recorded times.
struct OldRows {
    file: OldFile,
    stream: DataStream,
    column: String,
    /// A batch being written out, and how far.
    pending: Option<(RecordBatch, usize)>,
    finished: bool,
    kept: u64,
}

impl OldRows {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, CliError> {
        match self.stream.blocking_next() {
            None => Ok(None),
            Some(Err(e)) => Err(data(&self.file.name, format!("cannot read it back: {e}"))),
            Some(Ok(b)) => {
                let ts = times(&b, &self.column, &self.file.name)?;
                Ok(Some(only(&b, ts, &self.file.covered)?))
            }
        }
    }

    /// Writes the kept rows timed before `limit` (all of them without one).
    fn drain(&mut self, limit: Option<i64>, out: &mut ParquetFile) -> Result<(), CliError> {
        loop {
            if self.finished {
                return Ok(());
            }
            let (batch, from) = match self.pending.take() {
                Some(p) => p,
                None => match self.next_batch()? {
                    Some(b) => (b, 0),
                    None => {
                        self.finished = true;
                        return Ok(());
                    }
                },
            };
            let ts = times(&batch, &self.column, &self.file.name)?;
            let mut to = from;
            while to < batch.num_rows() && limit.is_none_or(|l| ts.value(to) < l) {
                to += 1;
            }
            if to > from {
                out.write(&batch.slice(from, to - from))
                    .map_err(CliError::Api)?;
                self.kept += (to - from) as u64;
            }
            if to < batch.num_rows() {
                self.pending = Some((batch, to));
                return Ok(());
            }
        }
    }
}

/// The file of one slot, as it is written.
struct SlotWriter {
    target: Target,
    path: PathBuf,
    file: Option<ParquetFile>,
    old: Option<OldRows>,
    new_rows: u64,
}

impl SlotWriter {
    fn write(
        &mut self,
        batch: &RecordBatch,
        first_time: Option<i64>,
        open_old: OpenOld,
        column: Option<&str>,
    ) -> Result<(), CliError> {
        if self.file.is_none() {
            self.file =
                Some(ParquetFile::create(&self.path, batch.schema()).map_err(CliError::Api)?);
            if let (Some(old), Some(column)) = (self.target.old.take(), column) {
                let stream = open_old(&old.path)?;
                self.old = Some(OldRows {
                    file: old,
                    stream,
                    column: column.to_string(),
                    pending: None,
                    finished: false,
                    kept: 0,
                });
            }
        }
        let file = self.file.as_mut().expect("created");
        if let Some(old) = &mut self.old {
            old.drain(first_time, file)?;
        }
        file.write(batch).map_err(CliError::Api)?;
        self.new_rows += batch.num_rows() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), CliError> {
        match &mut self.file {
            Some(f) => f.flush().map_err(CliError::Api),
            None => Ok(()),
        }
    }

    /// The staged file, or `None` when the export had no row for it.
    fn finish(mut self) -> Result<Option<Staged>, CliError> {
        let Some(mut file) = self.file.take() else {
            return Ok(None);
        };
        let mut kept = 0;
        if let Some(mut old) = self.old.take() {
            old.drain(None, &mut file)?;
            if old.kept != old.file.rows {
                return Err(data(
                    &old.file.name,
                    format!(
                        "it holds {} row(s) in the times its state records, not {}: it was \
                         changed by something else than this sync; remove it and its window's \
                         state to write it again",
                        old.kept, old.file.rows
                    ),
                ));
            }
            kept = old.kept;
        }
        let bytes = file.finish().map_err(CliError::Api)?;
        let sha256 = sha256_file(&self.path)?;
        Ok(Some(Staged {
            slot: self.target.slot,
            path: self.path,
            rows: kept + self.new_rows,
            bytes,
            sha256,
        }))
    }
}

fn sha256_file(path: &Path) -> Result<String, CliError> {
    let mut f = std::fs::File::open(path).map_err(|e| CliError::Io {
        what: format!("cannot read {}", path.display()),
        source: e,
    })?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| CliError::Io {
        what: format!("cannot read {}", path.display()),
        source: e,
    })?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes the export's rows (`stream`, named `export` in messages) into its targets' files,
/// staged in `staging`. Targets that got no new row are left out: their files stay as they
/// are.
pub fn write(
    stream: &mut DataStream,
    export: &str,
    split: &Split,
    targets: Vec<Target>,
    staging: &Path,
    open_old: OpenOld,
) -> Result<Vec<Staged>, CliError> {
    std::fs::create_dir_all(staging).map_err(|e| CliError::Io {
        what: format!("cannot create {}", staging.display()),
        source: e,
    })?;
    let mut writers: Vec<SlotWriter> = targets
        .into_iter()
        .map(|target| SlotWriter {
            path: staging.join(format!(
                "{}-{}.parquet",
                target.slot,
                uuid::Uuid::new_v4().simple()
            )),
            target,
            file: None,
            old: None,
            new_rows: 0,
        })
        .collect();
    let mut last: Option<usize> = None;
    while let Some(batch) = stream.blocking_next() {
        let batch = batch.map_err(CliError::Api)?;
        if batch.num_rows() == 0 {
            continue;
        }
        let Split::ByTime {
            column,
            start,
            step,
        } = split
        else {
            if let Some(w) = writers.first_mut() {
                w.write(&batch, None, open_old, None)?;
            }
            continue;
        };
        let ts = times(&batch, column, export)?;
        let slot_of = |i: usize| -> Option<i64> {
            ts.is_valid(i)
                .then(|| start + (ts.value(i) - start).div_euclid(*step) * step)
        };
        // Runs of consecutive rows of one slot: rows come in time order, so a batch is one or
        // two runs.
        let mut i = 0;
        while i < batch.num_rows() {
            let slot = slot_of(i);
            let mut j = i + 1;
            while j < batch.num_rows() && slot_of(j) == slot {
                j += 1;
            }
            let target = slot.and_then(|s| writers.iter().position(|w| w.target.slot == s));
            if let Some(k) = target {
                let run = batch.slice(i, j - i);
                let run_ts = times(&run, column, export)?;
                let keep = only(&run, run_ts, &writers[k].target.need)?;
                if keep.num_rows() > 0 {
                    if let Some(prev) = last.filter(|p| *p != k) {
                        writers[prev].flush()?;
                    }
                    let first = times(&keep, column, export)?.value(0);
                    writers[k].write(&keep, Some(first), open_old, Some(column))?;
                    last = Some(k);
                }
            }
            i = j;
        }
    }
    let mut staged = Vec::new();
    for w in writers {
        if let Some(s) = w.finish()? {
            staged.push(s);
        }
    }
    Ok(staged)
}

//! What a sync remembers in its destination, under `.ticksupply-sync/`:
//!
//! * `sync.json` — the arguments that shape the dataset (datastreams, range, schema,
//!   partition, format). A later run may extend the range or add datastreams; one with another
//!   schema or partition is refused, since its files would not fit the dataset.
//! * `windows/<datastream id>-<slot start ns>.json` — one file per window: its export (recorded
//!   as soon as it is created, so a rerun after a crash reuses it), its status
//!   (`skipped_empty`, `exported`, `done`, `failed`), rows, bytes and Parquet file. One file per
//!   window is never rewritten by another window's progress, so concurrent tasks and shards that
//!   share a destination do not step on each other.
//!
//! Every file is written whole or not at all (a temporary file, synced, renamed; a PUT on an
//! object store).

use serde::{Deserialize, Serialize};

use super::dest::Dest;
use crate::args::{Partition, SyncArgs};
use crate::error::CliError;

pub const STATE_DIR: &str = ".ticksupply-sync";
const SYNC_FILE: &str = ".ticksupply-sync/sync.json";
const VERSION: u32 = 1;

/// `sync.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRecord {
    pub version: u32,
    pub datastreams: Vec<i64>,
    pub from: String,
    pub to: String,
    pub from_ns: i64,
    pub to_ns: i64,
    pub schema: String,
    pub partition: String,
    /// Format of the exports of the last run (`parquet`, or `csv` with `--keep-csv`). Files are
    /// Parquet either way, so runs with and without `--keep-csv` may share a destination.
    pub format: String,
}

impl SyncRecord {
    pub fn new(args: &SyncArgs, datastreams: Vec<i64>, format: &str) -> SyncRecord {
        SyncRecord {
            version: VERSION,
            datastreams,
            from: super::plan::rfc3339(args.from),
            to: super::plan::rfc3339(args.to),
            from_ns: args.from,
            to_ns: args.to,
            schema: args.schema.clone(),
            partition: args.partition.as_str().to_string(),
            format: format.to_string(),
        }
    }

    /// Refuses arguments that would not fit the dataset already there.
    pub fn check(&self, schema: &str, partition: Partition, dest: &str) -> Result<(), CliError> {
        if self.schema != schema || self.partition != partition.as_str() {
            return Err(CliError::Usage(format!(
                "{dest} holds a dataset synced with --schema {} --partition {}; this run asks for \
                 --schema {schema} --partition {}: use those options again, or another --dest",
                self.schema,
                self.partition,
                partition.as_str()
            )));
        }
        Ok(())
    }

    /// This record extended by another run's: every datastream, the widest range.
    pub fn merged(&self, newer: &SyncRecord) -> SyncRecord {
        let mut datastreams = self.datastreams.clone();
        datastreams.extend(&newer.datastreams);
        datastreams.sort_unstable();
        datastreams.dedup();
        let from_ns = self.from_ns.min(newer.from_ns);
        let to_ns = self.to_ns.max(newer.to_ns);
        SyncRecord {
            version: VERSION,
            datastreams,
            from: super::plan::rfc3339(from_ns),
            to: super::plan::rfc3339(to_ns),
            from_ns,
            to_ns,
            schema: newer.schema.clone(),
            partition: newer.partition.clone(),
            format: newer.format.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowStatus {
    /// Availability showed no data in the window; nothing was exported.
    SkippedEmpty,
    /// The export exists (`export_id`); its file is not written yet.
    Exported,
    /// The Parquet file is in place.
    Done,
    /// The export failed; the next run asks for a new one (`attempt` + 1).
    Failed,
}

/// `windows/<key>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowState {
    pub datastream_id: i64,
    pub datastream: String,
    pub slot_ns: i64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub start: String,
    pub end: String,
    pub status: WindowStatus,
    #[serde(default)]
    pub export_id: Option<String>,
    pub schema: String,
    pub format: String,
    /// Bumped after a failed export, so that the next one gets a new idempotency key.
    #[serde(default)]
    pub attempt: u32,
    #[serde(default)]
    pub rows: Option<u64>,
    #[serde(default)]
    pub bytes: Option<u64>,
    /// The Parquet file's key below the destination.
    #[serde(default)]
    pub path: Option<String>,
    /// The export's artifacts kept with `--keep-csv`, keys below the destination.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raw_files: Vec<String>,
    /// The error of a failed window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub updated_at: String,
}

fn window_key(key: &str) -> String {
    format!("{STATE_DIR}/windows/{key}.json")
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Reads and writes the state files through a [`Dest`].
pub struct Store<'a> {
    dest: &'a dyn Dest,
}

impl<'a> Store<'a> {
    pub fn new(dest: &'a dyn Dest) -> Store<'a> {
        Store { dest }
    }

    async fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, CliError> {
        let Some(bytes) = self.dest.read(key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            CliError::Usage(format!(
                "{} is not a sync state file ({e}); remove it to start that part over",
                self.dest.describe(key)
            ))
        })
    }

    async fn write_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), CliError> {
        let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| CliError::Io {
            what: format!("cannot encode {key}"),
            source: std::io::Error::other(e),
        })?;
        bytes.push(b'\n');
        self.dest.write(key, bytes).await
    }

    pub async fn load_record(&self) -> Result<Option<SyncRecord>, CliError> {
        self.read_json(SYNC_FILE).await
    }

    pub async fn save_record(&self, r: &SyncRecord) -> Result<(), CliError> {
        self.write_json(SYNC_FILE, r).await
    }

    pub async fn load_window(&self, key: &str) -> Result<Option<WindowState>, CliError> {
        self.read_json(&window_key(key)).await
    }

    pub async fn save_window(&self, key: &str, w: &mut WindowState) -> Result<(), CliError> {
        w.updated_at = now();
        self.write_json(&window_key(key), w).await
    }
}

impl WindowState {
    pub fn new(w: &super::plan::Window, schema: &str, format: &str) -> WindowState {
        WindowState {
            datastream_id: w.ds.id,
            datastream: w.ds.label(),
            slot_ns: w.slot,
            start_ns: w.start,
            end_ns: w.end,
            start: super::plan::rfc3339(w.start),
            end: super::plan::rfc3339(w.end),
            status: WindowStatus::Exported,
            export_id: None,
            schema: schema.to_string(),
            format: format.to_string(),
            attempt: 0,
            rows: None,
            bytes: None,
            path: None,
            raw_files: Vec::new(),
            error: None,
            updated_at: now(),
        }
    }

    /// Whether this done window's file holds at least `[start, end)`.
    pub fn covers(&self, start: i64, end: i64) -> bool {
        self.status == WindowStatus::Done && self.start_ns <= start && end <= self.end_ns
    }
}

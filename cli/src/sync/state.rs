//! What a sync remembers in its destination, under `.ticksupply-sync/`:
//!
//! * `sync.json` — the options that shape the dataset (schema, partition). Created once, with
//!   a create-if-absent write, when the first file is published: a run that publishes nothing
//!   records nothing, and two first runs with different options cannot both win.
//! * `windows/<datastream id>-<day start ns>.json` — one per export window (a datastream's
//!   UTC day): for each of its files, the published file (key, the times it covers, rows,
//!   bytes, SHA-256) apart from the times runs asked for; and, separately, the exports in
//!   flight. Written only by the holder of the window's lease, each time with a condition on
//!   the version it read, so a writer that lost its lease cannot overwrite its successor.
//! * `leases/<datastream id>-<day start ns>.json` — see [`super::lease`].
//!
//! A file's rows are trusted only within the times its state says it covers: a run killed after
//! replacing a file but before recording it leaves a file holding more, never fewer, and the
//! next run that rewrites it keeps only the recorded times of it.

use serde::{Deserialize, Serialize};

use super::dest::{Conflict, Dest, PutIf, STATE_DIR, Version};
use super::plan::{Window, rfc3339};
use super::ranges::Ranges;
use crate::args::Partition;
use crate::error::CliError;

const SYNC_FILE: &str = ".ticksupply-sync/sync.json";
pub const VERSION: u32 = 2;

/// `sync.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRecord {
    pub version: u32,
    pub schema: String,
    pub partition: String,
    #[serde(default)]
    pub created_at: String,
}

impl SyncRecord {
    pub fn new(schema: &str, partition: Partition) -> SyncRecord {
        SyncRecord {
            version: VERSION,
            schema: schema.to_string(),
            partition: partition.as_str().to_string(),
            created_at: now(),
        }
    }

    /// Refuses options that would not fit the dataset already there, saying what to do.
    pub fn check(&self, schema: &str, partition: Partition, dest: &str) -> Result<(), CliError> {
        if self.version != VERSION {
            return Err(CliError::Usage(format!(
                "{dest} was written by another version of `ticksupply sync` (state version {}, \
                 this one reads {VERSION}): sync into a new --dest",
                self.version
            )));
        }
        if self.schema != schema || self.partition != partition.as_str() {
            return Err(CliError::Usage(format!(
                "{dest} holds a dataset synced with --schema {} --partition {}; this run asks for \
                 --schema {schema} --partition {}: run again with --schema {} --partition {}, or \
                 sync into another --dest",
                self.schema,
                self.partition,
                partition.as_str(),
                self.schema,
                self.partition
            )));
        }
        Ok(())
    }
}

/// One file of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileState {
    /// Start of the file's day or hour.
    pub slot_ns: i64,
    pub slot: String,
    /// The times whose rows the published file holds (or, without a file, that were exported
    /// and held no row).
    #[serde(default)]
    pub covered: Ranges,
    /// The times runs asked for (beyond `covered`: not collected yet when last run).
    #[serde(default)]
    pub wanted: Ranges,
    /// The published file's key; `None` while no row was written.
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub rows: u64,
    #[serde(default)]
    pub bytes: u64,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub published_at: Option<String>,
}

impl FileState {
    pub fn new(slot_ns: i64) -> FileState {
        FileState {
            slot_ns,
            slot: rfc3339(slot_ns),
            covered: Ranges::new(),
            wanted: Ranges::new(),
            key: None,
            rows: 0,
            bytes: 0,
            sha256: None,
            published_at: None,
        }
    }
}

/// An export created for a window, not yet written into its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InFlight {
    pub export_id: String,
    pub start_ns: i64,
    pub end_ns: i64,
    pub start: String,
    pub end: String,
    /// Bumped each time an export of this range failed or vanished, so that the next one gets
    /// a new idempotency key.
    pub attempt: u32,
    /// The files it feeds.
    pub slots: Vec<i64>,
    pub format: String,
    pub created_at: String,
}

/// `windows/<key>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowState {
    pub version: u32,
    pub datastream_id: i64,
    pub datastream: String,
    pub start_ns: i64,
    pub start: String,
    pub schema: String,
    pub partition: String,
    /// By slot, ascending.
    pub files: Vec<FileState>,
    #[serde(default)]
    pub exports: Vec<InFlight>,
    /// The last failure, until the window succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub updated_at: String,
}

impl WindowState {
    pub fn new(w: &Window, schema: &str, partition: Partition) -> WindowState {
        WindowState {
            version: VERSION,
            datastream_id: w.ds.id,
            datastream: w.ds.label(),
            start_ns: w.start,
            start: rfc3339(w.start),
            schema: schema.to_string(),
            partition: partition.as_str().to_string(),
            files: w.slots(partition).map(FileState::new).collect(),
            exports: Vec::new(),
            error: None,
            updated_at: now(),
        }
    }

    pub fn file(&self, slot: i64) -> Option<&FileState> {
        self.files.iter().find(|f| f.slot_ns == slot)
    }

    pub fn file_mut(&mut self, slot: i64) -> &mut FileState {
        let i = match self.files.binary_search_by_key(&slot, |f| f.slot_ns) {
            Ok(i) => i,
            Err(i) => {
                self.files.insert(i, FileState::new(slot));
                i
            }
        };
        &mut self.files[i]
    }
}

fn window_key(key: &str) -> String {
    format!("{STATE_DIR}/windows/{key}.json")
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Reads and writes the state files through a [`Dest`].
pub struct Store<'a> {
    dest: &'a dyn Dest,
}

fn encode<T: Serialize>(key: &str, value: &T) -> Result<Vec<u8>, CliError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| CliError::Io {
        what: format!("cannot encode {key}"),
        source: std::io::Error::other(e),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

impl<'a> Store<'a> {
    pub fn new(dest: &'a dyn Dest) -> Store<'a> {
        Store { dest }
    }

    async fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<(T, Version)>, CliError> {
        let Some((bytes, version)) = self.dest.get(key).await? else {
            return Ok(None);
        };
        let value = serde_json::from_slice(&bytes).map_err(|e| {
            CliError::Usage(format!(
                "{} is not a sync state file of this version ({e}); sync into a new --dest, or \
                 remove {} to start over",
                self.dest.describe(key),
                self.dest.describe(STATE_DIR)
            ))
        })?;
        Ok(Some((value, version)))
    }

    pub async fn load_record(&self) -> Result<Option<SyncRecord>, CliError> {
        Ok(self.read_json(SYNC_FILE).await?.map(|(r, _)| r))
    }

    /// Records the dataset's options if nothing is recorded yet; otherwise checks them against
    /// what is (written concurrently by another first run, perhaps).
    pub async fn ensure_record(&self, r: &SyncRecord, dest: &str) -> Result<(), CliError> {
        let partition = if r.partition == "hour" {
            Partition::Hour
        } else {
            Partition::Day
        };
        match self
            .dest
            .put_if(SYNC_FILE, encode(SYNC_FILE, r)?, PutIf::Absent)
            .await?
        {
            Ok(_) => Ok(()),
            Err(Conflict) => match self.load_record().await? {
                Some(there) => there.check(&r.schema, partition, dest),
                None => Err(CliError::Usage(format!(
                    "{} vanished while this run created it; run the same command again",
                    self.dest.describe(SYNC_FILE)
                ))),
            },
        }
    }

    pub async fn load_window(&self, key: &str) -> Result<Option<(WindowState, Version)>, CliError> {
        self.read_json(&window_key(key)).await
    }

    /// Writes a window's state if it is still at `version` (`None`: if there is none yet).
    pub async fn save_window(
        &self,
        key: &str,
        w: &mut WindowState,
        version: Option<Version>,
    ) -> Result<Result<Version, Conflict>, CliError> {
        w.updated_at = now();
        let k = window_key(key);
        let cond = match version {
            Some(v) => PutIf::Matches(v),
            None => PutIf::Absent,
        };
        self.dest.put_if(&k, encode(&k, w)?, cond).await
    }
}

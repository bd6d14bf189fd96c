//! `ticksupply sync`: export windows of datastreams and write them as a Parquet dataset,
//! resumably and idempotently, to a directory or an object store.
//!
//! * [`plan`]: datastreams, windows, shards, file names, idempotency keys;
//! * [`state`]: what the destination remembers (`.ticksupply-sync/`);
//! * [`run`]: the run itself (exports, waits, Parquet files, Ctrl-C);
//! * [`progress`]: bars, lines or JSON events, and the summary;
//! * [`dest`]: a directory or an object store behind one trait.

pub mod dest;
pub mod plan;
pub mod progress;
pub mod run;
pub mod state;

pub use run::run;

/// `ticksupply sync --help`, after the options.
pub const SYNC_HELP: &str = "\
Layout: DEST/exchange=E/instrument=I/stream_type=T/date=YYYY-MM-DD/part-HHMMSS-<datastream id>.parquet,
one file per datastream and day (part-000000-…) or hour (part-HH0000-…), in UTC. Path segments keep
ASCII letters, digits, '-', '_' and '.'; any other byte is written %XX (kraken's XBT/USD is
instrument=XBT%2FUSD), which Hive-style readers (pyarrow, Spark, DuckDB) decode. With --keep-csv the
export's own gzip CSV artifacts go to date=…/_raw/part-HHMMSS-<id>/ (ignored by dataset readers).

State: DEST/.ticksupply-sync/sync.json (the options; another --schema or --partition is refused) and
one file per window in .ticksupply-sync/windows/. A run after completion exports and downloads
nothing; a run after a crash, kill or Ctrl-C reuses the exports already created and redoes only the
files not finished. Windows without collected data (per the availability API) are skipped.

Exports are created with an idempotency key derived from the datastream, window, schema and format.
Requests are paced under the account's rate limits, so a long sync does not draw 429s.

Object stores: s3://bucket/prefix (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
AWS_ENDPOINT_URL, AWS_ALLOW_HTTP=true for a local server), gs://bucket/prefix, az://container/prefix.";

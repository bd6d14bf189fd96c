//! `ticksupply sync`: export windows of datastreams and write them as a Parquet dataset, in a
//! directory or an object store, so that every row is in it exactly once whatever runs, crashes
//! and concurrent runs happened (the lake's promise, in the README).
//!
//! * [`plan`]: datastreams and their collected data, windows (a datastream's UTC day), shards,
//!   file names, idempotency keys;
//! * [`work`]: what a window needs, from its state and the run's range;
//! * [`state`]: what the destination remembers (`.ticksupply-sync/`);
//! * [`lease`]: one process at a time per window;
//! * [`poll`]: every export of the run waited for together;
//! * [`split`]: an export's rows into the window's files;
//! * [`run`]: the run itself;
//! * [`progress`]: bars, lines or JSON events, and the summary;
//! * [`dest`]: a directory or an object store behind one trait, with conditional writes;
//! * [`budget`]: the requests a run spends and the time the rate limit implies;
//! * [`ranges`], [`retry`], [`process`]: sets of times, waiting out the rate limit, who runs.

pub mod budget;
pub mod dest;
pub mod lease;
pub mod plan;
pub mod poll;
pub mod process;
pub mod progress;
pub mod ranges;
pub mod retry;
pub mod run;
pub mod split;
pub mod state;
pub mod work;

pub use run::run;

/// `ticksupply sync --help`, after the options.
pub const SYNC_HELP: &str = "\
Layout: DEST/exchange=E/instrument=I/stream_type=T/date=YYYY-MM-DD/part-HHMMSS-<datastream id>.parquet,
one file per datastream and day (part-000000-…) or hour (part-HH0000-…), in UTC. Path segments keep
ASCII letters, digits, '-', '_' and '.'; any other byte is written %XX (kraken's XBT/USD is
instrument=XBT%2FUSD), which Hive-style readers (pyarrow, Spark, DuckDB) decode. With --keep-csv the
export's own gzip CSV artifacts go to date=…/_raw/<export id>/ (ignored by dataset readers).

The promise: after any sequence of runs over any ranges (widened, narrowed, incremental from cron,
killed or interrupted at any point, several at once, a fleet of shards), once a run completes the
dataset holds every row of the ranges asked for exactly once, and readers never see a partial
file. One export per datastream and day feeds its day's (or hours') files; a file is replaced only
by one holding at least its rows. Times not collected yet (past availability's end less --settle,
or past now) stay open: later runs add them. --to defaults to now, so a cron job of
`ticksupply sync ... --from DATE` keeps a dataset current.

State lives in DEST/.ticksupply-sync/: sync.json (the schema and partition, recorded with the first
file; another --schema or --partition is refused), one file per window in windows/, leases in
leases/ (a window is worked on by one process at a time; a killed holder's lease is taken over),
and staging in tmp/. A run after a crash, kill or Ctrl-C reuses the exports already created and
redoes only what is missing.

Fleets: --shard K/N owns a window by a hash of its datastream and day, whatever range or
datastreams each shard was given; --shard auto/N reads K from JOB_COMPLETION_INDEX (Kubernetes),
AWS_BATCH_JOB_ARRAY_INDEX or CLOUD_RUN_TASK_INDEX. Requests are paced by the account's
X-RateLimit-* headers; a 429 is waited out (with jitter, so shards do not return together).

Object stores: s3://bucket/prefix (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
AWS_ENDPOINT_URL, AWS_ALLOW_HTTP=true for a local server), gs://bucket/prefix, az://container/prefix.
Conditional writes (S3 If-None-Match/If-Match, GCS generations, Azure ETags) keep runs apart.";

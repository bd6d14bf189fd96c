//! The command line, declared with clap's derive API.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::sync::plan::{Shard, parse_duration, parse_time};

const AFTER_HELP: &str = "\
The API key (never an argument: it would be kept in the shell's history) comes from --api-key-file
or --profile, else TICKSUPPLY_API_KEY, else the profile named by TICKSUPPLY_PROFILE, else the
default profile; `ticksupply auth login` stores a profile's key in the OS keyring. The base URL
comes from the profile, else TICKSUPPLY_BASE_URL.

Exit codes: 0 success, 1 an API or export error, 2 a usage or configuration error, 130 sync
interrupted (rerun the same command to resume).";

/// Command line of the Ticksupply market data API.
#[derive(Debug, Parser)]
#[command(name = "ticksupply", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// Print the API's JSON (one document per command; sync: one JSON object per line per event).
    #[arg(long, global = true)]
    pub json: bool,

    /// Read the API key from this file (surrounding whitespace trimmed) instead of
    /// TICKSUPPLY_API_KEY.
    #[arg(long, global = true, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,

    /// Use this profile's key and base URL (`ticksupply auth login --profile NAME` stores them),
    /// whatever TICKSUPPLY_API_KEY holds.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Give up on one API request after this many seconds (default 30; each is retried).
    #[arg(long, global = true, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,

    #[command(subcommand)]
    pub command: Command,

    /// The OTLP export the environment asks for (`OTEL_EXPORTER_OTLP_ENDPOINT`), set by `run`.
    #[arg(skip)]
    pub telemetry: Option<std::sync::Arc<crate::otel::Otlp>>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Exchanges of the catalog.
    #[command(subcommand)]
    Exchanges(ExchangesCmd),
    /// Instruments of an exchange.
    #[command(subcommand)]
    Instruments(InstrumentsCmd),
    /// Datastreams across the catalog.
    #[command(subcommand)]
    Datastreams(DatastreamsCmd),
    /// Subscriptions: what is being recorded.
    #[command(subcommand)]
    Subscriptions(SubscriptionsCmd),
    /// Export jobs and their artifacts.
    #[command(subcommand)]
    Exports(ExportsCmd),
    /// Export schemas.
    #[command(subcommand)]
    Schemas(SchemasCmd),
    /// What data has been collected for a datastream.
    Availability {
        /// Datastream id.
        datastream_id: i64,
    },
    /// Billing summary of the account.
    Billing,
    /// Export windows of datastreams and write them as a Parquet dataset (resumable,
    /// idempotent).
    Sync(SyncArgs),
    /// Profiles and their keys: log in, check a key, switch the default profile, log out.
    #[command(subcommand)]
    Auth(AuthCmd),
}

#[derive(Debug, Subcommand)]
pub enum AuthCmd {
    /// Store a profile's key: read from stdin when it is piped, else prompted without echo;
    /// checked with one API request first, and not stored when the API rejects it.
    Login {
        /// The API this profile's key belongs to (default: TICKSUPPLY_BASE_URL, else
        /// production).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// Profiles, the default one, each key's store and last 4 characters, and the key a
    /// command would use now.
    Status,
    /// One authenticated request with the key a command would use: its last 4 characters, its
    /// source, the request id and the rate limits. Exit 0, or 1 when the API rejects the key.
    Check,
    /// Make PROFILE the default profile.
    Switch {
        /// A profile of config.toml.
        profile: String,
    },
    /// Remove a profile (--profile, else TICKSUPPLY_PROFILE, else the default) and its key.
    Logout,
}

#[derive(Debug, Subcommand)]
pub enum ExchangesCmd {
    /// Every exchange.
    List,
}

#[derive(Debug, Subcommand)]
pub enum InstrumentsCmd {
    /// Every instrument of an exchange (all pages).
    List {
        /// Exchange code (`binance`, `kraken`, …).
        exchange: String,
        /// Case-insensitive substring of the symbol.
        #[arg(long)]
        search: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DatastreamsCmd {
    /// Every datastream matching the filters (all pages).
    List {
        #[arg(long)]
        exchange: Option<String>,
        #[arg(long)]
        instrument: Option<String>,
        /// `trades`, `depth`, `ticker`, …
        #[arg(long)]
        stream_type: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionsCmd {
    /// Every subscription (all pages).
    List,
    /// One subscription.
    Get { id: String },
    /// Start recording a datastream.
    Create { datastream_id: i64 },
    /// Pause recording.
    Pause { id: String },
    /// Resume recording.
    Resume { id: String },
    /// Stop recording and remove the subscription's spans.
    Delete { id: String },
}

/// Format of an export's artifacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ExportsCmd {
    /// Every export job (all pages).
    List,
    /// One export job.
    Get { id: String },
    /// Create an export of `[--from, --to)`.
    Create {
        datastream_id: i64,
        /// Window start: RFC 3339, a date `YYYY-MM-DD` (UTC midnight) or nanoseconds.
        #[arg(long, value_parser = parse_time, allow_hyphen_values = true)]
        from: i64,
        /// Window end (exclusive), in the same forms.
        #[arg(long, value_parser = parse_time, allow_hyphen_values = true)]
        to: i64,
        /// Schema name (`raw`, `normalized`, one of yours) or `sch_` id.
        #[arg(long)]
        schema: Option<String>,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Wait until an export finishes; exit 1 when it fails.
    Wait {
        id: String,
        /// Give up after this many seconds (default 900).
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u64>,
    },
    /// Download every artifact of a succeeded export into DIR.
    Download {
        id: String,
        dir: PathBuf,
        /// Replace files that already exist.
        #[arg(long)]
        overwrite: bool,
    },
    /// Cancel a queued or running export.
    Cancel { id: String },
    /// Delete an export.
    Delete { id: String },
}

#[derive(Debug, Subcommand)]
pub enum SchemasCmd {
    /// Built-in and custom schemas.
    List,
    /// One schema, by `sch_` id or by name.
    Get { name_or_id: String },
}

/// Length of the windows a sync cuts its range into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Partition {
    Day,
    Hour,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Day => "day",
            Partition::Hour => "hour",
        }
    }
    pub fn step_ns(self) -> i64 {
        match self {
            Partition::Day => 86_400_000_000_000,
            Partition::Hour => 3_600_000_000_000,
        }
    }
}

#[derive(Debug, Args)]
#[command(after_help = crate::sync::SYNC_HELP)]
pub struct SyncArgs {
    /// Datastreams: ids, or EXCHANGE:INSTRUMENT:STREAM_TYPE (repeat the option, or give several).
    #[arg(long = "datastream", value_name = "ID|EXCHANGE:INSTRUMENT:STREAM_TYPE", required = true, num_args = 1..)]
    pub datastreams: Vec<String>,
    /// Range start: RFC 3339, a date `YYYY-MM-DD` (UTC midnight) or nanoseconds.
    #[arg(long, value_parser = parse_time, allow_hyphen_values = true)]
    pub from: i64,
    /// Range end (exclusive), in the same forms or `now` (the default). Times past what has
    /// been collected are synced by later runs.
    #[arg(long, value_parser = parse_time, allow_hyphen_values = true)]
    pub to: Option<i64>,
    /// Destination: a directory, or s3://bucket/prefix (also gs://, az://).
    #[arg(long, value_name = "DIR|URL")]
    pub dest: String,
    /// Export schema: `raw`, a built-in or custom name, or a `sch_` id.
    #[arg(long, default_value = "raw")]
    pub schema: String,
    /// One Parquet file per datastream and day, or hour.
    #[arg(long, value_enum, default_value = "day")]
    pub partition: Partition,
    /// Windows whose data is downloaded and written at once (exports are created and waited
    /// for further ahead).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// Only this share of the windows, K of N (1-based), or auto/N to read K from the job
    /// index of Kubernetes Indexed Jobs, AWS Batch or Cloud Run (0-based there).
    #[arg(long, value_name = "K/N|auto/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// How long after collection data is final: times later than availability's end minus
    /// this are left to a later run.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub settle: Duration,
    /// Give up waiting for one export after this long (it is reused by the next run).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub wait_timeout: Duration,
    /// Stop starting work after this long, and stop waiting (for the rate limit, another
    /// run's window) past it; what is unfinished is left for the next run.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub deadline: Option<Duration>,
    /// Send at most this many API requests a minute (evenly spaced), leaving the rest of the
    /// account's limit to its other programs.
    #[arg(long, value_name = "PER_MINUTE", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_request_rate: Option<u32>,
    /// Print what would be done (windows to export, done, open, without data; the rows the
    /// availability estimate predicts; the API requests and the time the rate limit implies)
    /// and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also keep the export's gzip CSV artifacts, in `_raw/` beside each day's Parquet files.
    #[arg(long)]
    pub keep_csv: bool,
}

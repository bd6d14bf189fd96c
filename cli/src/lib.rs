//! `ticksupply`, the command line of the Ticksupply market data API, built on the `ticksupply`
//! crate: the catalog, subscriptions, exports and schemas as tables or as the API's JSON, and
//! `sync`, which turns windows of datastreams into a Parquet dataset, resumably and
//! idempotently, in a directory or an object store.
//!
//! [`run`] is the whole program: the binary calls it, and so can the Python and Node packages
//! (they hand over `argv` and exit with the code it returns).

pub mod args;
pub mod auth;
pub mod commands;
pub mod error;
pub mod otel;
pub mod output;
pub mod sync;
pub mod table;

use std::time::Duration;

use clap::Parser;

pub use error::CliError;

/// How long the runtime waits, after a command, for work that cannot be canceled (a Parquet
/// writer finishing or removing its file) before it is abandoned.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the command line: `argv[0]` is the program name. Prints to stdout and stderr and
/// returns the exit code: 0 success, 1 an API, export or I/O error, 2 a usage or configuration
/// error, 130 a sync stopped by Ctrl-C.
///
/// Runs on a Tokio runtime of its own (2 worker threads). Call it from a plain thread; called
/// from inside a runtime, it runs on a thread of its own.
pub fn run(argv: Vec<String>) -> i32 {
    let cli = match args::Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = e.print();
            return e.exit_code();
        }
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        // Blocking on a runtime from inside another panics: use a thread outside it.
        return std::thread::scope(|s| s.spawn(move || run_parsed(cli)).join().unwrap_or(1));
    }
    run_parsed(cli)
}

fn run_parsed(mut cli: args::Cli) -> i32 {
    let otlp = match otel::Otlp::from_env() {
        Ok(o) => o.map(std::sync::Arc::new),
        Err(e) => {
            output::err(&e.to_string());
            return e.exit_code();
        }
    };
    cli.telemetry = otlp.clone();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ticksupply-cli")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::err(&format!("[internal] cannot start the async runtime: {e}"));
            return 1;
        }
    };
    let result = rt.block_on(commands::dispatch(cli));
    rt.shutdown_timeout(SHUTDOWN_GRACE);
    if let Some(o) = otlp {
        o.shutdown();
    }
    match result {
        Ok(()) => 0,
        Err(e) => {
            output::err(&e.to_string());
            e.exit_code()
        }
    }
}

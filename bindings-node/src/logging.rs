//! The core's `tracing` events as log lines: to a JavaScript `(level, line)` callback when one
//! is set, else to stderr when `TICKSUPPLY_LOG` asks for them. One process-wide sink: tracing
//! events do not say which client sent them.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU8, Ordering};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use ticksupply::bindings::log_layer::{self, LineSink};
use tracing::Level;

/// Weak, so that a logger never keeps the process alive.
type JsSink = ThreadsafeFunction<
    FnArgs<(String, String)>,
    Unknown<'static>,
    FnArgs<(String, String)>,
    Status,
    false,
    true,
>;

static JS: RwLock<Option<JsSink>> = RwLock::new(None);
/// Most verbose level wanted: 0 off, 1 error … 5 trace.
static LEVEL: AtomicU8 = AtomicU8::new(0);

fn rank(l: &Level) -> u8 {
    match *l {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn parse_level(s: &str) -> Option<u8> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "" | "off" | "none" | "silent" => 0,
        "error" => 1,
        "warn" | "warning" => 2,
        "info" => 3,
        "debug" => 4,
        "trace" => 5,
        _ => return None,
    })
}

struct NodeSink;

impl LineSink for NodeSink {
    fn enabled(&self, level: &Level) -> bool {
        rank(level) <= LEVEL.load(Ordering::Relaxed)
    }

    fn write(&self, level: &Level, line: String) {
        let name = level.as_str().to_ascii_lowercase();
        match &*JS.read().unwrap_or_else(|p| p.into_inner()) {
            Some(f) => {
                f.call((name, line).into(), ThreadsafeFunctionCallMode::NonBlocking);
            }
            None => eprintln!("ticksupply {name}: {line}"),
        }
    }
}

/// Sets what is logged: `level` (`off`, `error`, `warn`, `info`, `debug`, `trace`) and where
/// (`sink(level, line)`, or stderr when absent).
#[napi(ts_args_type = "level: string, sink?: ((level: string, line: string) => void) | null")]
pub fn set_log_sink(level: String, sink: Option<JsSink>) -> Result<()> {
    let rank = parse_level(&level).ok_or_else(|| {
        Error::new(
            Status::InvalidArg,
            format!("log level must be off, error, warn, info, debug or trace, got {level:?}"),
        )
    })?;
    *JS.write().unwrap_or_else(|p| p.into_inner()) = sink;
    LEVEL.store(rank, Ordering::Relaxed);
    Ok(())
}

pub fn install() {
    log_layer::install(NodeSink);
}

//! What a sync reports as it goes: progress bars on a terminal, one plain line per event
//! otherwise, one JSON object per line per event with `--json`; then a summary.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::{Value, json};

use super::plan::{Window, rfc3339, slot_label};
use crate::args::Partition;
use crate::error::CliError;
use crate::output::out;
use crate::table::bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// indicatif bars on stderr (a terminal).
    Bars,
    /// One line per event on stdout.
    Lines,
    /// One JSON object per line per event on stdout.
    Json,
}

/// A window that failed, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub window: String,
    pub datastream: String,
    pub code: String,
    pub error: String,
    pub request_id: Option<String>,
}

/// Counts of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Windows (datastream days) of the plan, of this shard.
    pub planned: usize,
    /// Windows this run exports.
    pub to_sync: usize,
    pub skipped_done: usize,
    pub skipped_empty: usize,
    /// Windows with times still to be collected and nothing to export now.
    pub open: usize,
    pub exported: usize,
    pub done: usize,
    pub failed: usize,
    pub rows: u64,
    pub bytes: u64,
    pub files: usize,
    pub failures: Vec<Failure>,
    /// API requests this run sent.
    pub requests: Option<u64>,
    /// What the account's rate limit had left at the last response.
    pub rate_limit_remaining_minute: Option<u64>,
}

/// What a run is about to do.
pub struct Plan<'a> {
    pub planned: usize,
    pub to_sync: usize,
    pub done: usize,
    pub open: usize,
    pub empty: usize,
    pub datastreams: &'a [String],
    pub shard: Option<String>,
    pub rows_estimate: u64,
}

/// One thing that happened to a window.
pub enum Event<'a> {
    Skipped {
        w: &'a Window,
        /// `done`, `no_data` or `open`.
        reason: &'static str,
    },
    WaitingForLease {
        w: &'a Window,
        holder: &'a str,
    },
    Exported {
        w: &'a Window,
        export_id: &'a str,
        start: i64,
        end: i64,
        reused: bool,
    },
    FileWritten {
        w: &'a Window,
        slot: i64,
        export_id: &'a str,
        rows: u64,
        bytes: u64,
        path: &'a str,
    },
    Done {
        w: &'a Window,
        files: usize,
        rows: u64,
    },
    Failed {
        w: &'a Window,
        error: &'a CliError,
    },
}

struct Bars {
    multi: MultiProgress,
    exported: ProgressBar,
    written: ProgressBar,
}

pub struct Progress {
    mode: Mode,
    partition: Partition,
    started: Instant,
    bars: Option<Bars>,
    stats: Mutex<Stats>,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Progress {
    pub fn new(json: bool, partition: Partition) -> Progress {
        let mode = if json {
            Mode::Json
        } else if std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        };
        Progress {
            mode,
            partition,
            started: Instant::now(),
            bars: None,
            stats: Mutex::new(Stats::default()),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The account's budget as the last response reported it, shown beside the bars.
    pub fn budget(&self, rl: Option<ticksupply::RateLimit>) {
        let Some(rl) = rl else { return };
        self.stats().rate_limit_remaining_minute = rl.remaining_minute;
        if let (Some(b), Some(left), Some(limit)) =
            (&self.bars, rl.remaining_minute, rl.limit_minute)
        {
            b.exported
                .set_message(format!("rate limit: {left}/{limit} left this minute"));
        }
    }

    /// The requests the run sent, for the summary.
    pub fn requests(&self, n: Option<u64>) {
        self.stats().requests = n;
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn emit(&self, event: &str, w: &Window, extra: Value, line: String) {
        match self.mode {
            Mode::Json => {
                let mut m = serde_json::Map::new();
                m.insert("event".into(), json!(event));
                m.insert("window".into(), json!(w.date()));
                m.insert("datastream_id".into(), json!(w.ds.id));
                m.insert("datastream".into(), json!(w.ds.label()));
                if let Value::Object(x) = extra {
                    m.extend(x);
                }
                out(&Value::Object(m).to_string());
            }
            Mode::Lines => out(&line),
            Mode::Bars => {
                if let Some(b) = &self.bars
                    && (event == "window_failed" || event == "waiting")
                {
                    let _ = b.multi.println(&line);
                }
            }
        }
    }

    /// The plan is known: how many windows, and how many this run works on.
    pub fn planned(&mut self, plan: Plan<'_>) {
        let Plan {
            planned,
            to_sync,
            done,
            open,
            empty,
            datastreams,
            shard,
            rows_estimate,
        } = plan;
        {
            let mut s = self.stats();
            s.planned = planned;
            s.to_sync = to_sync;
        }
        match self.mode {
            Mode::Json => out(&json!({
                "event": "plan",
                "datastreams": datastreams,
                "windows": planned,
                "to_sync": to_sync,
                "already_done": done,
                "open": open,
                "without_data": empty,
                "rows_estimate": rows_estimate,
                "shard": shard,
            })
            .to_string()),
            Mode::Lines => out(&format!(
                "plan {planned} window(s) of {}: {to_sync} to sync (~{rows_estimate} rows), {done} already done, {open} waiting for data, {empty} without data{}",
                datastreams.join(", "),
                shard.map(|s| format!(" (shard {s})")).unwrap_or_default()
            )),
            Mode::Bars => {
                let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
                let exported = multi.add(ProgressBar::new(to_sync as u64));
                exported.set_style(style("{prefix:>9} [{bar:30}] {pos}/{len} windows  {msg}"));
                exported.set_prefix("exported");
                let written = multi.add(ProgressBar::new(to_sync as u64));
                written.set_style(style(
                    "{prefix:>9} [{bar:30}] {pos}/{len} windows  {msg}  eta {eta}",
                ));
                written.set_prefix("written");
                written.enable_steady_tick(Duration::from_millis(250));
                if done + empty + open > 0 {
                    let _ = multi.println(format!(
                        "{planned} window(s): {done} already done, {open} waiting for data, {empty} without data"
                    ));
                }
                self.bars = Some(Bars {
                    multi,
                    exported,
                    written,
                });
            }
        }
    }

    pub fn event(&self, ev: Event<'_>) {
        let label = |w: &Window| format!("{} {}", w.date(), w.ds.label());
        match ev {
            Event::Skipped { w, reason } => {
                {
                    let mut s = self.stats();
                    match reason {
                        "done" => s.skipped_done += 1,
                        "open" => s.open += 1,
                        _ => s.skipped_empty += 1,
                    }
                }
                let why = match reason {
                    "done" => "already done",
                    "open" => "waiting for data to be collected",
                    _ => "no data collected",
                };
                self.emit(
                    "window_skipped",
                    w,
                    json!({ "reason": reason }),
                    format!("skipped {} {why}", label(w)),
                );
            }
            Event::WaitingForLease { w, holder } => self.emit(
                "waiting",
                w,
                json!({ "reason": "lease", "holder": holder }),
                format!("waiting {} held by another sync ({holder})", label(w)),
            ),
            Event::Exported {
                w,
                export_id,
                start,
                end,
                reused,
            } => {
                self.stats().exported += 1;
                if let Some(b) = &self.bars {
                    b.exported.inc(1);
                }
                self.emit(
                    "window_exported",
                    w,
                    json!({
                        "export_id": export_id,
                        "reused": reused,
                        "start": rfc3339(start),
                        "end": rfc3339(end),
                    }),
                    format!(
                        "exported {} {export_id} [{}, {}){}",
                        label(w),
                        rfc3339(start),
                        rfc3339(end),
                        if reused { " (reused)" } else { "" }
                    ),
                );
            }
            Event::FileWritten {
                w,
                slot,
                export_id,
                rows,
                bytes: n,
                path,
            } => {
                {
                    let mut s = self.stats();
                    s.files += 1;
                    s.bytes += n;
                }
                self.emit(
                    "file_written",
                    w,
                    json!({
                        "file": slot_label(slot, self.partition),
                        "export_id": export_id,
                        "rows": rows,
                        "bytes": n,
                        "path": path,
                    }),
                    format!(
                        "written {} {} {rows} rows {} {path}",
                        slot_label(slot, self.partition),
                        w.ds.label(),
                        bytes(n)
                    ),
                );
            }
            Event::Done { w, files, rows } => {
                let (total_rows, total_bytes) = {
                    let mut s = self.stats();
                    s.done += 1;
                    s.rows += rows;
                    (s.rows, s.bytes)
                };
                if let Some(b) = &self.bars {
                    let secs = self.started.elapsed().as_secs_f64().max(0.001);
                    b.written.inc(1);
                    b.written.set_message(format!(
                        "{total_rows} rows, {}, {}/s",
                        bytes(total_bytes),
                        bytes((total_bytes as f64 / secs) as u64)
                    ));
                }
                self.emit(
                    "window_done",
                    w,
                    json!({ "files": files, "rows": rows }),
                    format!("done {} {files} file(s), {rows} new rows", label(w)),
                );
            }
            Event::Failed { w, error } => {
                let failure = Failure {
                    window: w.date(),
                    datastream: w.ds.label(),
                    code: error.code().to_string(),
                    error: error.to_string(),
                    request_id: error.request_id().map(str::to_string),
                };
                {
                    let mut s = self.stats();
                    s.failed += 1;
                    s.failures.push(failure.clone());
                }
                self.emit(
                    "window_failed",
                    w,
                    json!({
                        "code": failure.code,
                        "error": failure.error,
                        "request_id": failure.request_id,
                    }),
                    format!(
                        "failed {} {} {}",
                        failure.window, failure.datastream, failure.error
                    ),
                );
            }
        }
    }

    /// Ends the bars and prints the summary; returns the counts.
    pub fn finish(&self, interrupted: bool) -> Stats {
        if let Some(b) = &self.bars {
            b.exported.finish_and_clear();
            b.written.finish_and_clear();
            let _ = b.multi.clear();
        }
        let s = self.stats().clone();
        let elapsed = self.started.elapsed().as_secs_f64();
        match self.mode {
            Mode::Json => {
                let mut v = serde_json::to_value(&s).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.insert("event".into(), json!("summary"));
                    m.insert(
                        "elapsed_s".into(),
                        json!((elapsed * 1000.0).round() / 1000.0),
                    );
                    m.insert("interrupted".into(), json!(interrupted));
                }
                out(&v.to_string());
            }
            Mode::Lines | Mode::Bars => {
                let state = if interrupted {
                    "sync interrupted"
                } else if s.failed > 0 {
                    "sync incomplete"
                } else {
                    "sync complete"
                };
                out(&format!(
                    "{state}: {} window(s): {} written, {} already done, {} waiting for data, {} without data, {} failed",
                    s.planned, s.done, s.skipped_done, s.open, s.skipped_empty, s.failed
                ));
                out(&format!(
                    "  {} new rows, {} in {} file(s), {elapsed:.1} s{}",
                    s.rows,
                    bytes(s.bytes),
                    s.files,
                    s.requests
                        .map(|n| format!(", {n} API requests"))
                        .unwrap_or_default()
                ));
                if self.mode == Mode::Bars {
                    for f in &s.failures {
                        out(&format!(
                            "  failed {} {} {}",
                            f.window, f.datastream, f.error
                        ));
                    }
                }
            }
        }
        s
    }
}

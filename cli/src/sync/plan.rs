//! What a sync does: the datastreams, the windows cut from the range, the shard's share, the
//! file of each window and the idempotency key of its export.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use ticksupply::Client;

use super::ranges::Ranges;
use super::retry::retry_rate_limited;
use crate::args::Partition;
use crate::error::CliError;

/// Parses a time argument: RFC 3339 (exact to the nanosecond), a date `YYYY-MM-DD` (UTC
/// midnight), integer nanoseconds since the epoch, or `now`.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s == "now" {
        return Utc::now()
            .timestamp_nanos_opt()
            .ok_or_else(|| "the clock is past 2262".to_string());
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .map_err(|_| format!("{s:?} is out of range as nanoseconds"));
    }
    if let Some(ns) = ticksupply::timestamp::parse_rfc3339_nanos(s) {
        return Ok(ns);
    }
    // Minutes without seconds, as people type them: `2024-03-01T06:00Z`.
    if let Some((date, time)) = s.split_once(['T', 't'])
        && let Some(zone_at) = time.find(['Z', 'z', '+', '-'])
        && time[..zone_at].matches(':').count() == 1
        && let Some(ns) = ticksupply::timestamp::parse_rfc3339_nanos(&format!(
            "{date}T{}:00{}",
            &time[..zone_at],
            &time[zone_at..]
        ))
    {
        return Ok(ns);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_utc().timestamp_nanos_opt())
            .ok_or_else(|| format!("{s:?} is outside the years 1677-2262"));
    }
    Err(format!(
        "{s:?} is not a time: use RFC 3339 (2024-01-01T00:00:00Z), a date (2024-01-01) or nanoseconds"
    ))
}

/// RFC 3339 in UTC, with nanoseconds only when there are any.
pub fn rfc3339(ns: i64) -> String {
    DateTime::<Utc>::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Parses a duration: seconds (`900`), or a number with a unit `s`, `m`, `h` or `d` (`15m`).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration: use seconds (900) or 90s, 15m, 2h, 1d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "{s:?} is not a duration: use seconds (900) or 90s, 15m, 2h, 1d"
            ));
        }
    };
    Ok(std::time::Duration::from_secs(secs))
}

/// The environment variables that give a job's index in an array of jobs (0-based), as
/// `--shard auto/N` reads them: Kubernetes Indexed Jobs, AWS Batch array jobs, Cloud Run jobs.
pub const SHARD_INDEX_VARS: [&str; 3] = [
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "CLOUD_RUN_TASK_INDEX",
];

/// `--shard K/N` (1-based) or `auto/N`: the windows this process owns, by a stable hash of the
/// datastream id and the window's start, so that every process agrees whatever range or
/// datastreams it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub k: u64,
    pub n: u64,
}

impl Shard {
    pub fn parse(s: &str) -> Result<Shard, String> {
        Shard::parse_with(s, |v| std::env::var(v).ok())
    }

    fn parse_with(s: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let bad = || format!("--shard takes K/N with 1 <= K <= N (e.g. 1/4), or auto/N, not {s:?}");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        let k: u64 = if k.trim() == "auto" {
            let (var, value) = SHARD_INDEX_VARS
                .iter()
                .find_map(|v| env(v).map(|x| (*v, x)))
                .ok_or_else(|| {
                    format!(
                        "--shard auto/{n} reads the job's index from {}, but none is set: give K/N",
                        SHARD_INDEX_VARS.join(", ")
                    )
                })?;
            let index: u64 = value
                .trim()
                .parse()
                .map_err(|_| format!("{var}={value:?} is not a job index"))?;
            index + 1
        } else {
            k.trim().parse().map_err(|_| bad())?
        };
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// Whether this shard owns the window of `datastream_id` starting at `start_ns`.
    pub fn owns(&self, datastream_id: i64, start_ns: i64) -> bool {
        let h = Sha256::digest(format!("ticksupply-shard/v1\n{datastream_id}\n{start_ns}"));
        let x = u64::from_be_bytes(h[..8].try_into().expect("8 bytes"));
        x % self.n == self.k - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// A resolved datastream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datastream {
    pub id: i64,
    pub exchange: String,
    pub instrument: String,
    pub stream_type: String,
    /// Collected ranges `[from, to)` in nanoseconds, as availability reports them.
    pub ranges: Vec<(i64, i64)>,
    /// Availability's row estimate per range.
    pub estimates: Vec<u64>,
}

impl Datastream {
    /// `exchange:instrument:stream_type`.
    pub fn label(&self) -> String {
        format!("{}:{}:{}", self.exchange, self.instrument, self.stream_type)
    }

    /// What can be exported for good: the collected ranges, the last one (still being
    /// collected) ending `settle` before its end and never after `now`.
    pub fn settled(&self, settle: i64, now: i64) -> Ranges {
        let n = self.ranges.len();
        Ranges::from(
            self.ranges
                .iter()
                .enumerate()
                .map(|(i, &(f, t))| {
                    let t = if i + 1 == n {
                        t.saturating_sub(settle)
                    } else {
                        t
                    };
                    (f, t.min(now))
                })
                .collect::<Vec<_>>(),
        )
    }

    /// Availability's estimate of the rows of `times`, pro rata.
    pub fn estimate(&self, times: &Ranges) -> u64 {
        self.ranges
            .iter()
            .zip(&self.estimates)
            .map(|(&(f, t), &rows)| {
                let overlap = times.intersect(&Ranges::span(f, t)).len_ns();
                if t > f {
                    (rows as f64 * overlap as f64 / (t - f) as f64) as u64
                } else {
                    0
                }
            })
            .sum()
    }
}

/// Resolves `--datastream` arguments (ids, or `EXCHANGE:INSTRUMENT:STREAM_TYPE`) and fetches
/// each one's availability; sorted by id, duplicates removed.
pub async fn resolve(client: &Client, specs: &[String]) -> Result<Vec<Arc<Datastream>>, CliError> {
    let mut ids = Vec::new();
    for spec in specs {
        let spec = spec.trim();
        if let Ok(id) = spec.parse::<i64>() {
            ids.push(id);
            continue;
        }
        // The instrument is the middle part: it may itself hold a `:`.
        let (Some((exchange, rest)), Some((_, stream_type))) =
            (spec.split_once(':'), spec.rsplit_once(':'))
        else {
            return Err(CliError::Usage(format!(
                "--datastream {spec:?} is neither an id nor EXCHANGE:INSTRUMENT:STREAM_TYPE"
            )));
        };
        let instrument = rest.rsplit_once(':').map(|(i, _)| i).unwrap_or("");
        if exchange.is_empty() || instrument.is_empty() || stream_type.is_empty() {
            return Err(CliError::Usage(format!(
                "--datastream {spec:?} is neither an id nor EXCHANGE:INSTRUMENT:STREAM_TYPE"
            )));
        }
        let found: Vec<_> = retry_rate_limited(|| {
            client
                .exchanges()
                .list_datastreams(exchange, instrument)
                .stream_type(stream_type)
                .stream()
                .try_collect::<Vec<_>>()
        })
        .await?;
        let Some(ds) = found.first() else {
            return Err(CliError::Usage(format!(
                "no datastream {spec}: `ticksupply datastreams list --exchange {exchange} --instrument {instrument}` shows what there is"
            )));
        };
        ids.push(ds.datastream_id);
    }
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let a = retry_rate_limited(|| client.availability().get(id).send()).await?;
        out.push(Arc::new(Datastream {
            id,
            exchange: a.datastream.exchange,
            instrument: a.datastream.instrument,
            stream_type: a.datastream.stream_type,
            ranges: a
                .ranges
                .iter()
                .map(|r| (r.from_ns.as_i64(), r.to_ns.as_i64()))
                .collect(),
            estimates: a.ranges.iter().map(|r| r.rows_estimate).collect(),
        }));
    }
    Ok(out)
}

/// One export window: a UTC day of one datastream. It is the unit of sharding, leases and state
/// (one state file per window); its files are its day, or its hours.
#[derive(Debug, Clone)]
pub struct Window {
    pub ds: Arc<Datastream>,
    pub start: i64,
}

pub const DAY_NS: i64 = 86_400_000_000_000;

impl Window {
    pub fn end(&self) -> i64 {
        self.start + DAY_NS
    }

    /// `<datastream id>-<day start ns>`: its state file and its lease.
    pub fn key(&self) -> String {
        format!("{}-{}", self.ds.id, self.start)
    }

    /// `2024-01-01`.
    pub fn date(&self) -> String {
        DateTime::<Utc>::from_timestamp_nanos(self.start)
            .format("%Y-%m-%d")
            .to_string()
    }

    /// The start of each file of the window.
    pub fn slots(&self, partition: Partition) -> impl Iterator<Item = i64> + use<> {
        let step = partition.step_ns();
        (self.start..self.end()).step_by(step as usize)
    }

    /// The directory of the window's files:
    /// `exchange=E/instrument=I/stream_type=T/date=YYYY-MM-DD`.
    pub fn dir_key(&self) -> String {
        format!(
            "exchange={}/instrument={}/stream_type={}/date={}",
            encode_segment(&self.ds.exchange),
            encode_segment(&self.ds.instrument),
            encode_segment(&self.ds.stream_type),
            self.date()
        )
    }

    /// The Parquet file of the slot starting at `slot`: `…/part-HH0000-<id>.parquet`.
    pub fn file_key(&self, slot: i64) -> String {
        let hhmmss = DateTime::<Utc>::from_timestamp_nanos(slot).format("%H%M%S");
        format!("{}/part-{hhmmss}-{}.parquet", self.dir_key(), self.ds.id)
    }

    /// Where `--keep-csv` puts an export's own artifacts: `…/date=D/_raw/<export id>/` (`_`
    /// hides it from dataset readers).
    pub fn raw_dir_key(&self, export_id: &str) -> String {
        format!("{}/_raw/{export_id}", self.dir_key())
    }
}

/// A slot's label for progress lines: `2024-01-01` (day) or `2024-01-01T05` (hour).
pub fn slot_label(slot: i64, partition: Partition) -> String {
    let t = DateTime::<Utc>::from_timestamp_nanos(slot);
    match partition {
        Partition::Day => t.format("%Y-%m-%d").to_string(),
        Partition::Hour => t.format("%Y-%m-%dT%H").to_string(),
    }
}

/// The windows of `[from, to)` for each datastream, by datastream id then start.
pub fn windows(dss: &[Arc<Datastream>], from: i64, to: i64) -> Vec<Window> {
    let mut out = Vec::new();
    let mut sorted: Vec<&Arc<Datastream>> = dss.iter().collect();
    sorted.sort_by_key(|d| d.id);
    for ds in sorted {
        let mut start = from.div_euclid(DAY_NS) * DAY_NS;
        while start < to {
            out.push(Window {
                ds: ds.clone(),
                start,
            });
            start += DAY_NS;
        }
    }
    out
}

/// A path segment safe on every file system and object store, and readable back by Hive-style
/// partition readers (pyarrow, Spark, DuckDB decode `%XX`): ASCII letters, digits, `-`, `_` and
/// `.` are kept; every other byte of the UTF-8 text becomes `%XX` (upper-case hex), so
/// `XBT/USD` is `XBT%2FUSD`. A segment of only dots is encoded whole.
pub fn encode_segment(s: &str) -> String {
    let only_dots = !s.is_empty() && s.bytes().all(|b| b == b'.');
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if !only_dots && (b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push_str("%00");
    }
    out
}

/// The `Idempotency-Key` of a window's export: a UUID (version 4 layout) made from the SHA-256
/// of what the export is, so that a rerun after a crash asks for the same export and the server
/// answers with the one it already made. `attempt` changes it only after an export failed.
pub fn idempotency_key(
    datastream_id: i64,
    start: i64,
    end: i64,
    schema: &str,
    format: &str,
    attempt: u32,
) -> String {
    let mut h = Sha256::new();
    h.update(b"ticksupply-sync/v1\n");
    h.update(format!("{datastream_id}\n{start}\n{end}\n{schema}\n{format}\n{attempt}").as_bytes());
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000_000_000;

    fn ds(id: i64) -> Arc<Datastream> {
        Arc::new(Datastream {
            id,
            exchange: "kraken".into(),
            instrument: "XBT/USD".into(),
            stream_type: "trades".into(),
            ranges: vec![(0, 10 * H), (20 * H, 30 * H)],
            estimates: vec![1000, 1000],
        })
    }

    #[test]
    fn times_and_durations() {
        assert_eq!(parse_time("1970-01-02"), Ok(86_400_000_000_000));
        assert_eq!(parse_time("1970-01-01T00:00:01.5Z"), Ok(1_500_000_000));
        assert_eq!(parse_time("42"), Ok(42));
        assert_eq!(parse_time("1970-01-01T01:00Z"), Ok(3_600_000_000_000));
        assert_eq!(parse_time("1970-01-01T02:00+01:00"), Ok(3_600_000_000_000));
        assert!(parse_time("yesterday").is_err());
        assert_eq!(rfc3339(3_600_000_000_000), "1970-01-01T01:00:00Z");
        assert_eq!(parse_duration("15m").unwrap().as_secs(), 900);
        assert_eq!(parse_duration("900").unwrap().as_secs(), 900);
        assert_eq!(parse_duration("2h").unwrap().as_secs(), 7200);
        assert!(parse_duration("soon").is_err() && parse_duration("5w").is_err());
    }

    #[test]
    fn shards_split_every_window_once_whatever_the_range() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { k: 2, n: 3 }));
        for bad in ["0/3", "4/3", "1/0", "x", "1/", "/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let env = |v: &str| (v == "AWS_BATCH_JOB_ARRAY_INDEX").then(|| "1".to_string());
        assert_eq!(Shard::parse_with("auto/3", env), Ok(Shard { k: 2, n: 3 }));
        let err = Shard::parse_with("auto/3", |_| None).unwrap_err();
        assert!(err.contains("JOB_COMPLETION_INDEX"), "{err}");
        let (a, b) = (Shard { k: 1, n: 2 }, Shard { k: 2, n: 2 });
        let all = windows(&[ds(2), ds(1)], 0, 40 * DAY_NS);
        assert_eq!(all.len(), 80);
        assert_eq!((all[0].ds.id, all[40].ds.id), (1, 2));
        let mine = all.iter().filter(|w| a.owns(w.ds.id, w.start)).count();
        let theirs = all.iter().filter(|w| b.owns(w.ds.id, w.start)).count();
        assert_eq!(mine + theirs, all.len());
        assert!(mine > 20 && theirs > 20, "{mine} / {theirs}");
        // Ownership depends on the window only, not on the plan it is part of.
        let w = &all[17];
        let alone = windows(std::slice::from_ref(&w.ds), w.start + 5, w.start + 6);
        assert_eq!(
            a.owns(alone[0].ds.id, alone[0].start),
            a.owns(w.ds.id, w.start)
        );
    }

    #[test]
    fn windows_are_days_and_files_are_named_by_slot() {
        let w = windows(&[ds(7)], H / 2, DAY_NS + 5);
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].start, w[1].start), (0, DAY_NS));
        assert_eq!(w[0].slots(Partition::Hour).count(), 24);
        assert_eq!(w[0].slots(Partition::Day).collect::<Vec<_>>(), vec![0]);
        assert_eq!(
            w[0].file_key(H),
            "exchange=kraken/instrument=XBT%2FUSD/stream_type=trades/date=1970-01-01/part-010000-7.parquet"
        );
        assert_eq!(encode_segment(".."), "%2E%2E");
        assert_eq!(encode_segment("a b=c"), "a%20b%3Dc");
        assert_eq!(slot_label(H, Partition::Hour), "1970-01-01T01");
    }

    #[test]
    fn settled_data_ends_before_the_collection_front() {
        let d = ds(1);
        assert_eq!(
            d.settled(H, i64::MAX).as_slice(),
            &[(0, 10 * H), (20 * H, 29 * H)]
        );
        assert_eq!(d.settled(0, 5 * H).as_slice(), &[(0, 5 * H)]);
        assert_eq!(d.estimate(&Ranges::span(0, 5 * H)), 500);
    }

    #[test]
    fn keys_are_deterministic_uuids() {
        let a = idempotency_key(1, 0, H, "raw", "parquet", 0);
        assert_eq!(a, idempotency_key(1, 0, H, "raw", "parquet", 0));
        assert_ne!(a, idempotency_key(1, 0, H, "raw", "csv", 0));
        assert_ne!(a, idempotency_key(1, 0, H, "raw", "parquet", 1));
        let u = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(u.get_version_num(), 4);
    }
}

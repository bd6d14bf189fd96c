//! What a sync does: the datastreams, the windows cut from the range, the shard's share, the
//! file of each window and the idempotency key of its export.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use ticksupply::Client;

use crate::args::Partition;
use crate::error::CliError;

/// Parses a time argument: RFC 3339 (exact to the nanosecond), a date `YYYY-MM-DD` (UTC
/// midnight), or integer nanoseconds since the epoch.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .map_err(|_| format!("{s:?} is out of range as nanoseconds"));
    }
    if let Some(ns) = ticksupply::timestamp::parse_rfc3339_nanos(s) {
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

/// `--shard K/N`: windows whose index modulo N is K-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub k: u64,
    pub n: u64,
}

impl Shard {
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard takes K/N with 1 <= K <= N (e.g. 1/4), not {s:?}");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    pub fn keeps(&self, index: usize) -> bool {
        index as u64 % self.n == self.k - 1
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
    /// Collected ranges `[from, to)` in nanoseconds.
    pub ranges: Vec<(i64, i64)>,
}

impl Datastream {
    /// `exchange:instrument:stream_type`.
    pub fn label(&self) -> String {
        format!("{}:{}:{}", self.exchange, self.instrument, self.stream_type)
    }

    /// Whether any collected range overlaps `[start, end)`.
    pub fn has_data(&self, start: i64, end: i64) -> bool {
        self.ranges.iter().any(|&(f, t)| f < end && start < t)
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
        let found: Vec<_> = client
            .exchanges()
            .list_datastreams(exchange, instrument)
            .stream_type(stream_type)
            .stream()
            .try_collect()
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
        let a = client.availability().get(id).send().await?;
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
        }));
    }
    Ok(out)
}

/// One window of one datastream: `[start, end)` inside the partition slot starting at `slot`.
#[derive(Debug, Clone)]
pub struct Window {
    pub ds: Arc<Datastream>,
    /// Start of the day or hour the window lies in (its file and state are named by it).
    pub slot: i64,
    pub start: i64,
    pub end: i64,
}

impl Window {
    /// The key of its state file: `<datastream id>-<slot start ns>`.
    pub fn state_key(&self) -> String {
        format!("{}-{}", self.ds.id, self.slot)
    }

    /// The Parquet file's key below the destination:
    /// `exchange=E/instrument=I/stream_type=T/date=YYYY-MM-DD/part-HH0000-<id>.parquet`.
    pub fn file_key(&self) -> String {
        format!(
            "{}/part-{}-{}.parquet",
            self.dir_key(),
            self.hhmmss(),
            self.ds.id
        )
    }

    /// Where `--keep-csv` puts the export's own artifacts: `…/date=D/_raw/part-HHMMSS-<id>/`
    /// (a directory per window, as artifact names need not differ between exports; `_` hides
    /// it from dataset readers).
    pub fn raw_dir_key(&self) -> String {
        format!(
            "{}/_raw/part-{}-{}",
            self.dir_key(),
            self.hhmmss(),
            self.ds.id
        )
    }

    fn dir_key(&self) -> String {
        format!(
            "exchange={}/instrument={}/stream_type={}/date={}",
            encode_segment(&self.ds.exchange),
            encode_segment(&self.ds.instrument),
            encode_segment(&self.ds.stream_type),
            self.date()
        )
    }

    fn slot_time(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_nanos(self.slot)
    }

    pub fn date(&self) -> String {
        self.slot_time().format("%Y-%m-%d").to_string()
    }

    fn hhmmss(&self) -> String {
        self.slot_time().format("%H%M%S").to_string()
    }

    /// `2024-01-01` (day) or `2024-01-01T05` (hour), for progress lines.
    pub fn label(&self, partition: Partition) -> String {
        match partition {
            Partition::Day => self.date(),
            Partition::Hour => self.slot_time().format("%Y-%m-%dT%H").to_string(),
        }
    }
}

/// Cuts `[from, to)` into aligned days or hours (UTC) per datastream, clipped to the range, in
/// the order sharding counts them: by datastream id, then by start.
pub fn windows(dss: &[Arc<Datastream>], from: i64, to: i64, partition: Partition) -> Vec<Window> {
    let step = partition.step_ns();
    let mut out = Vec::new();
    let mut sorted: Vec<&Arc<Datastream>> = dss.iter().collect();
    sorted.sort_by_key(|d| d.id);
    for ds in sorted {
        let mut slot = from.div_euclid(step) * step;
        while slot < to {
            out.push(Window {
                ds: ds.clone(),
                slot,
                start: slot.max(from),
                end: (slot + step).min(to),
            });
            slot += step;
        }
    }
    out
}

/// The windows of one shard (all of them without `--shard`).
pub fn shard(windows: Vec<Window>, shard: Option<Shard>) -> Vec<Window> {
    match shard {
        None => windows,
        Some(s) => windows
            .into_iter()
            .enumerate()
            .filter(|(i, _)| s.keeps(*i))
            .map(|(_, w)| w)
            .collect(),
    }
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
            ranges: vec![(0, 10 * H)],
        })
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-02"), Ok(86_400_000_000_000));
        assert_eq!(parse_time("1970-01-01T00:00:01.5Z"), Ok(1_500_000_000));
        assert_eq!(parse_time("42"), Ok(42));
        assert!(parse_time("yesterday").is_err());
        assert_eq!(rfc3339(3_600_000_000_000), "1970-01-01T01:00:00Z");
    }

    #[test]
    fn shards() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { k: 2, n: 3 }));
        for bad in ["0/3", "4/3", "1/0", "x", "1/", "/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let all = windows(&[ds(2), ds(1)], 0, 6 * H, Partition::Hour);
        assert_eq!(all.len(), 12);
        assert_eq!((all[0].ds.id, all[6].ds.id), (1, 2));
        let a = shard(all.clone(), Some(Shard { k: 1, n: 2 }));
        let b = shard(all.clone(), Some(Shard { k: 2, n: 2 }));
        assert_eq!(a.len() + b.len(), all.len());
    }

    #[test]
    fn windows_are_clipped_and_named() {
        let w = windows(&[ds(7)], H / 2, 2 * H + 5, Partition::Hour);
        assert_eq!(w.len(), 3);
        assert_eq!((w[0].slot, w[0].start, w[0].end), (0, H / 2, H));
        assert_eq!((w[2].start, w[2].end), (2 * H, 2 * H + 5));
        assert_eq!(
            w[1].file_key(),
            "exchange=kraken/instrument=XBT%2FUSD/stream_type=trades/date=1970-01-01/part-010000-7.parquet"
        );
        let d = windows(&[ds(7)], H, 30 * H, Partition::Day);
        assert_eq!(d.len(), 2);
        assert!(
            d[0].file_key()
                .ends_with("date=1970-01-01/part-000000-7.parquet")
        );
        assert_eq!(encode_segment(".."), "%2E%2E");
        assert_eq!(encode_segment("a b=c"), "a%20b%3Dc");
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

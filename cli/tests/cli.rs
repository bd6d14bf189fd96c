//! The `ticksupply` binary, run as a subprocess against ticksupply-mock: every API command as a
//! table and as JSON (equal to what the SDK gets for the same call), errors and exit codes, and
//! `sync` — the dataset checked against the export artifacts read independently (flate2 + csv),
//! reruns that do nothing, a `kill -9` mid-sync, pacing under a 30/minute limit, and shards.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampNanosecondType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use reqwest::Method;
use serde_json::{Value, json};
use ticksupply::{Client, Response};
use ticksupply_mock::Config;

mod common;
use common::{KEY, Mock, RUN_TIMEOUT, mock, run};

const HOUR_NS: i64 = 3_600_000_000_000;
/// 2024-03-01T00:00:00Z: inside the mock's collected range.
const DAY_NS: i64 = 1_709_251_200_000_000_000;

/// Every item of a list, page by page, as the API sent them.
async fn raw_items<F, Fut>(mut page: F) -> Vec<Value>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = ticksupply::Result<Response<Value>>>,
{
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let r = page(token.take()).await.unwrap();
        items.extend(r.data["items"].as_array().unwrap().iter().cloned());
        match r.data["next_page_token"].as_str() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    items
}

fn kraken_xbt_usd_trades(m: &Mock, c: &Client) -> i64 {
    m.block_on(async {
        c.exchanges()
            .list_datastreams("kraken", "XBT/USD")
            .stream_type("trades")
            .send()
            .await
            .unwrap()
            .items[0]
            .datastream_id
    })
}

// ---------------------------------------------------------------------------------------------
// datasets

type Rows = Vec<(i64, String)>;

fn read_parquet(path: &Path) -> Rows {
    let f = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let b = batch.unwrap();
        let ts = b
            .column_by_name("collection_timestamp_ns")
            .unwrap()
            .as_primitive::<TimestampNanosecondType>();
        let data = b.column_by_name("data").unwrap().as_string::<i32>();
        for i in 0..b.num_rows() {
            rows.push((ts.value(i), data.value(i).to_string()));
        }
    }
    rows
}

fn read_csv_gz(path: &Path) -> Rows {
    let gz = flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap());
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(gz);
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["collection_timestamp_ns", "data"]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].parse().unwrap(), rec[1].to_string())
        })
        .collect()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn relative(dir: &Path, p: &Path) -> String {
    p.strip_prefix(dir)
        .unwrap()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every Parquet file of a dataset (state and `_raw/` left out), by relative path.
fn dataset(dir: &Path) -> BTreeMap<String, Rows> {
    files(dir)
        .into_iter()
        .map(|p| (relative(dir, &p), p))
        .filter(|(rel, _)| {
            rel.ends_with(".parquet")
                && !rel.starts_with(".ticksupply-sync")
                && !rel.contains("/_raw/")
        })
        .map(|(rel, p)| (rel, read_parquet(&p)))
        .collect()
}

fn window_states(dir: &Path) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(dir.join(".ticksupply-sync/windows")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
        .collect()
}

/// Files the state records as published.
fn published_files(dir: &Path) -> usize {
    window_states(dir)
        .iter()
        .flat_map(|s| s["files"].as_array().cloned().unwrap_or_default())
        .filter(|f| f["key"].is_string())
        .count()
}

/// Every file below `dir` that is neither a Parquet file of the dataset nor sync state.
fn strays(dir: &Path) -> Vec<String> {
    files(dir)
        .iter()
        .map(|p| relative(dir, p))
        .filter(|r| !r.starts_with(".ticksupply-sync/") && !r.ends_with(".parquet"))
        .filter(|r| !r.contains("/_raw/"))
        .collect()
}

/// The dataset a sync of `[DAY, DAY + hours)` should write, by hour, from raw gzip CSV exports
/// of the same windows read with flate2 and csv.
fn expected(m: &Mock, c: &Client, dss: &[(i64, &str)], hours: i64) -> BTreeMap<String, Rows> {
    expected_files(m, c, dss, DAY_NS, hours, HOUR_NS)
}

/// The files of `[from, from + count × step)` for each datastream, `step` an hour or a day: one
/// raw gzip CSV export per file, read with flate2 and csv.
fn expected_files(
    m: &Mock,
    c: &Client,
    dss: &[(i64, &str)],
    from: i64,
    count: i64,
    step: i64,
) -> BTreeMap<String, Rows> {
    let tmp = tempfile::tempdir().unwrap();
    // Every export first, so that they run at once; then each one's artifacts.
    let mut jobs = Vec::new();
    for &(id, prefix) in dss {
        for k in 0..count {
            let start = from + k * step;
            let job = m
                .block_on(
                    c.exports()
                        .create(id, start, start + step)
                        .format("csv")
                        .send(),
                )
                .unwrap();
            let t = chrono::DateTime::from_timestamp_nanos(start);
            let key = format!(
                "{prefix}/date={}/part-{}-{id}.parquet",
                t.format("%Y-%m-%d"),
                t.format("%H%M%S")
            );
            jobs.push((key, job.id));
        }
    }
    let mut out = BTreeMap::new();
    for (i, (key, export_id)) in jobs.into_iter().enumerate() {
        let dir = tmp.path().join(i.to_string());
        let paths = m.block_on(async {
            c.exports()
                .wait(export_id.as_str())
                .poll_interval(Duration::from_millis(50))
                .send()
                .await
                .unwrap();
            c.exports()
                .download(export_id.as_str(), &dir)
                .send()
                .await
                .unwrap()
        });
        let rows: Rows = paths.iter().flat_map(|p| read_csv_gz(p)).collect();
        assert!(!rows.is_empty());
        out.insert(key, rows);
    }
    out
}

fn subscribe(m: &Mock, c: &Client, ids: &[i64]) {
    m.block_on(async {
        for &id in ids {
            c.subscriptions().create(id).send().await.unwrap();
        }
    });
}

fn export_count(m: &Mock, c: &Client) -> usize {
    m.block_on(async {
        raw_items(|t| {
            let mut b = c.exports().list().limit(100);
            if let Some(t) = t {
                b = b.page_token(t);
            }
            b.send_json()
        })
        .await
        .len()
    })
}

const FROM: &str = "2024-03-01";
const TO_6H: &str = "2024-03-01T06:00:00Z";

// ---------------------------------------------------------------------------------------------
// API commands

#[test]
fn api_commands_print_tables_and_the_apis_json() {
    // Slow enough that an export can be canceled by the next command.
    let m = mock(Config {
        export_delay_ms: 2000,
        ..Default::default()
    });
    let c = m.client(KEY);

    // exchanges
    let t = m.cli(&["exchanges", "list"]);
    t.ok();
    assert!(t.stdout.starts_with("CODE"), "{}", t.stdout);
    assert!(t.stdout.contains("binance") && t.stdout.contains("Kraken"));
    let want = m.block_on(c.exchanges().list().send_json()).unwrap().data;
    assert_eq!(m.cli(&["exchanges", "list", "--json"]).json(), want);

    // instruments: every page (binance has 2499)
    let got = m.cli(&["instruments", "list", "binance", "--json"]).json();
    let want = m.block_on(raw_items(|t| {
        let mut b = c.exchanges().list_instruments("binance").limit(500);
        if let Some(t) = t {
            b = b.page_token(t);
        }
        b.send_json()
    }));
    assert!(want.len() > 2000);
    assert_eq!(got, Value::Array(want));
    let t = m.cli(&["instruments", "list", "kraken", "--search", "XBT"]);
    assert!(t.ok().stdout.contains("XBT/USD"), "{}", t.stdout);
    let got = m
        .cli(&["--json", "instruments", "list", "kraken", "--search", "XBT"])
        .json();
    assert!(
        got.as_array()
            .unwrap()
            .iter()
            .all(|i| i["symbol"].as_str().unwrap().contains("XBT"))
    );

    // datastreams
    let args = [
        "datastreams",
        "list",
        "--exchange",
        "kraken",
        "--stream-type",
        "trades",
    ];
    let t = m.cli(&args);
    assert!(t.ok().stdout.contains("XBT/USD"));
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let got = m.cli(&with_json).json();
    let want = m.block_on(raw_items(|t| {
        let mut b = c
            .datastreams()
            .list()
            .exchange("kraken")
            .stream_type("trades");
        if let Some(t) = t {
            b = b.page_token(t);
        }
        b.send_json()
    }));
    assert_eq!(got, Value::Array(want));

    // subscriptions
    let created = m.cli(&["subscriptions", "create", "1", "--json"]).json();
    let sub = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["status"], "active");
    let t = m.cli(&["subscriptions", "create", "4"]);
    assert!(t.ok().stdout.contains("active"), "{}", t.stdout);
    let got = m.cli(&["subscriptions", "get", &sub, "--json"]).json();
    assert_eq!(
        got,
        m.block_on(c.subscriptions().get(&sub).send_json())
            .unwrap()
            .data
    );
    assert!(
        m.cli(&["subscriptions", "get", &sub])
            .ok()
            .stdout
            .contains(&sub)
    );
    let got = m.cli(&["subscriptions", "list", "--json"]).json();
    let want = m.block_on(raw_items(|t| {
        let mut b = c.subscriptions().list();
        if let Some(t) = t {
            b = b.page_token(t);
        }
        b.send_json()
    }));
    assert_eq!(got, Value::Array(want));
    assert_eq!(got.as_array().unwrap().len(), 2);
    let t = m.cli(&["subscriptions", "list"]);
    assert!(t.ok().stdout.starts_with("ID") && t.stdout.contains(&sub));
    assert_eq!(
        m.cli(&["subscriptions", "pause", &sub, "--json"]).json(),
        Value::Null
    );
    assert_eq!(
        m.cli(&["subscriptions", "get", &sub, "--json"]).json()["status"],
        "paused"
    );
    assert_eq!(
        m.cli(&["subscriptions", "resume", &sub]).ok().stdout.trim(),
        format!("resumed {sub}")
    );
    assert_eq!(
        m.cli(&["subscriptions", "get", &sub, "--json"]).json()["status"],
        "active"
    );

    // exports
    let created = m
        .cli(&[
            "exports",
            "create",
            "1",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-01T02:00:00Z",
            "--format",
            "csv",
            "--json",
        ])
        .json();
    let exp = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["datastream_id"], 1);
    assert_eq!(created["format"], "csv");
    assert_eq!(created["start_time"], json!(1_704_067_200_000_000_000i64));
    let got = m.cli(&["exports", "get", &exp, "--json"]).json();
    let want = m.block_on(c.exports().get(&exp).send_json()).unwrap().data;
    assert_eq!(got["id"], want["id"]);
    let waited = m.cli(&["exports", "wait", &exp, "--json"]).json();
    assert_eq!(waited["status"], "succeeded");
    assert_eq!(
        waited,
        m.block_on(c.exports().get(&exp).send_json()).unwrap().data
    );
    let t = m.cli(&["exports", "get", &exp]);
    assert!(t.ok().stdout.contains("succeeded") && t.stdout.contains("2024-01-01T00:00:00Z"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let got = m.cli(&["exports", "download", &exp, d, "--json"]).json();
    let listing = m.block_on(c.exports().get_download(&exp).send()).unwrap();
    assert_eq!(got.as_array().unwrap().len(), listing.artifacts.len());
    for (f, a) in got.as_array().unwrap().iter().zip(&listing.artifacts) {
        assert_eq!(f["bytes"], a.bytes);
        assert!(Path::new(f["path"].as_str().unwrap()).ends_with(&a.filename));
    }
    let t = m.cli(&["exports", "download", &exp, d]);
    assert_eq!(t.code, 1, "files exist: {}", t.stderr);
    assert!(t.stderr.contains("already exists"), "{}", t.stderr);
    let t = m.cli(&["exports", "download", &exp, d, "--overwrite"]);
    assert!(
        t.ok().stdout.contains("downloaded 2 file(s)"),
        "{}",
        t.stdout
    );

    let second = m
        .cli(&[
            "exports",
            "create",
            "1",
            "--from",
            "2024-01-02",
            "--to",
            "2024-01-03",
            "--json",
        ])
        .json();
    let second = second["id"].as_str().unwrap().to_string();
    assert_eq!(
        m.cli(&["exports", "cancel", &second, "--json"]).json(),
        Value::Null
    );
    assert_eq!(
        m.cli(&["exports", "get", &second, "--json"]).json()["status"],
        "canceled"
    );
    let got = m.cli(&["exports", "list", "--json"]).json();
    let want = m.block_on(raw_items(|t| {
        let mut b = c.exports().list();
        if let Some(t) = t {
            b = b.page_token(t);
        }
        b.send_json()
    }));
    assert_eq!(got, Value::Array(want));
    let t = m.cli(&["exports", "list"]);
    assert!(t.ok().stdout.contains(&exp) && t.stdout.contains(&second));
    assert_eq!(
        m.cli(&["exports", "delete", &second]).ok().stdout.trim(),
        format!("deleted {second}")
    );
    assert_eq!(
        m.cli(&["exports", "list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // schemas
    let got = m.cli(&["schemas", "list", "--json"]).json();
    assert_eq!(
        got,
        m.block_on(c.export_schemas().list().send_json())
            .unwrap()
            .data
    );
    let first = got[0]["id"].as_str().unwrap().to_string();
    let got = m.cli(&["schemas", "get", &first, "--json"]).json();
    assert_eq!(
        got,
        m.block_on(c.export_schemas().get(&first).send_json())
            .unwrap()
            .data
    );
    let t = m.cli(&["schemas", "get", &first]);
    assert!(
        t.ok().stdout.contains("collection_timestamp_ns"),
        "{}",
        t.stdout
    );
    assert!(
        m.cli(&["schemas", "list"])
            .ok()
            .stdout
            .contains("normalized")
    );
    let by_name = m.cli(&["schemas", "get", "book_5", "--json"]).json();
    assert_eq!(by_name["name"], "book_5");
    let t = m.cli(&["schemas", "get", "normalized"]);
    assert_eq!(t.code, 2, "a name shared by several schemas: {}", t.stderr);

    // availability, billing
    let got = m.cli(&["availability", "1", "--json"]).json();
    let want = m
        .block_on(c.availability().get(1).send_json())
        .unwrap()
        .data;
    assert_eq!(got["datastream"], want["datastream"]);
    assert_eq!(got["ranges"][0], want["ranges"][0]);
    let t = m.cli(&["availability", "1"]);
    assert!(
        t.ok().stdout.contains("binance:BTCUSDT:trades")
            && t.stdout.contains("2024-01-01T00:00:00Z")
    );
    let got = m.cli(&["billing", "--json"]).json();
    assert_eq!(
        got,
        m.block_on(c.billing().summary().send_json()).unwrap().data
    );
    assert!(m.cli(&["billing"]).ok().stdout.contains("ACTIVE"));

    assert_eq!(
        m.cli(&["subscriptions", "delete", &sub, "--json"]).json(),
        Value::Null
    );
}

#[test]
fn errors_go_to_stderr_with_exit_codes() {
    let m = mock(Config::default());

    let t = m.cli(&["exports", "get", "exp_does_not_exist"]);
    assert_eq!(t.code, 1);
    assert!(t.stdout.is_empty());
    assert!(t.stderr.starts_with("[not_found] "), "{}", t.stderr);
    assert!(t.stderr.contains("(request_id: req_"), "{}", t.stderr);
    let t = m.cli(&["exports", "get", "exp_does_not_exist", "--json"]);
    assert_eq!(t.code, 1);
    assert!(t.stderr.starts_with("[not_found] "), "{}", t.stderr);

    let t = m.cli(&["exchanges", "list", "--bogus"]);
    assert_eq!(t.code, 2, "{}", t.stderr);
    let t = m.cli(&[
        "exports",
        "create",
        "1",
        "--from",
        "soon",
        "--to",
        "2024-01-02",
    ]);
    assert_eq!(t.code, 2, "{}", t.stderr);
    let t = m.cli(&[
        "exports",
        "create",
        "1",
        "--from",
        "2024-01-02",
        "--to",
        "2024-01-01",
    ]);
    assert_eq!(t.code, 2, "{}", t.stderr);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for shard in ["0/2", "3/2", "1/0", "x"] {
        let t = m.sync(&["1"], (FROM, TO_6H), d, &["--shard", shard]);
        assert_eq!(t.code, 2, "--shard {shard}: {}", t.stderr);
        assert!(t.stderr.contains("K/N"), "{}", t.stderr);
    }
    let t = m.sync(&["1"], (TO_6H, FROM), d, &[]);
    assert_eq!(t.code, 2, "{}", t.stderr);

    // No key: a configuration error.
    let t = run(m.command(None, &["exchanges", "list"]));
    assert_eq!(t.code, 2, "{}", t.stderr);
    assert!(t.stderr.contains("API key is required"), "{}", t.stderr);
    // A wrong key: the API's 401.
    let t = m.cli_as("ts_wrong_key_0000", &["exchanges", "list"]);
    assert_eq!(t.code, 1);
    assert!(t.stderr.starts_with("[unauthenticated] "), "{}", t.stderr);

    // --api-key-file: read and trimmed.
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, format!("  {KEY}\n")).unwrap();
    let kf = key_file.to_str().unwrap();
    let t = run(m.command(None, &["--api-key-file", kf, "exchanges", "list"]));
    assert!(t.ok().stdout.contains("binance"));
    let t = run(m.command(
        None,
        &["exchanges", "list", "--api-key-file", "/does/not/exist"],
    ));
    assert_eq!(t.code, 2, "{}", t.stderr);

    let t = m.cli(&["--help"]);
    assert!(t.ok().stdout.contains("sync"));
    let t = m.cli(&["sync", "--help"]);
    assert!(t.ok().stdout.contains("--shard"));
}

// ---------------------------------------------------------------------------------------------
// sync

fn sync_args<'a>(dest: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "sync",
        "--datastream",
        "1",
        "kraken:XBT/USD:trades",
        "--from",
        FROM,
        "--to",
        TO_6H,
        "--partition",
        "hour",
        "--dest",
        dest,
        "--json",
    ];
    a.extend_from_slice(extra);
    a
}

fn posts(m: &Mock, key: &str) -> usize {
    m.requests(key, "api")
        .iter()
        .filter(|q| q["method"] == "POST" && q["path"] == "/v1/exports")
        .count()
}

#[test]
fn sync_writes_every_row_once_and_a_rerun_does_nothing() {
    let m = mock(Config {
        export_delay_ms: 0,
        ..Default::default()
    });
    let c = m.client(KEY);
    let kraken = kraken_xbt_usd_trades(&m, &c);
    subscribe(&m, &c, &[1, kraken]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();

    m.clear_requests();
    let r = m.cli(&sync_args(d, &[]));
    r.ok();
    let s = r.summary();
    assert_eq!(
        (
            s["planned"].as_u64(),
            s["done"].as_u64(),
            s["files"].as_u64(),
            s["failed"].as_u64()
        ),
        (Some(2), Some(2), Some(12), Some(0)),
        "{s}"
    );
    let events = r.events();
    assert_eq!(events[0]["event"], "plan");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["event"] == "file_written")
            .count(),
        12
    );
    // One export per datastream and day feeds its hour files.
    assert_eq!(posts(&m, KEY), 2);
    assert_eq!(export_count(&m, &c), 2);
    assert!(!m.requests(KEY, "artifacts").is_empty());

    let got = dataset(dir.path());
    let kraken_dir = "exchange=kraken/instrument=XBT%2FUSD/stream_type=trades";
    let want = expected(
        &m,
        &c,
        &[
            (1, "exchange=binance/instrument=BTCUSDT/stream_type=trades"),
            (kraken, kraken_dir),
        ],
        6,
    );
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        got, want,
        "the Parquet rows are the rows of one export per file, each once"
    );
    let rows: u64 = want.values().map(|r| r.len() as u64).sum();
    assert_eq!(s["rows"].as_u64(), Some(rows));
    assert!(strays(dir.path()).is_empty(), "{:?}", strays(dir.path()));
    assert_eq!(published_files(dir.path()), 12);
    let states = window_states(dir.path());
    assert!(
        states
            .iter()
            .all(|s| s["exports"] == json!([]) && s["files"].as_array().unwrap().len() == 24),
        "{states:?}"
    );
    let record: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join(".ticksupply-sync/sync.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (record["partition"].as_str(), record["schema"].as_str()),
        (Some("hour"), Some("raw"))
    );

    // A rerun exports nothing and downloads nothing; nor does a narrower one.
    let mut narrower = sync_args(d, &[]);
    narrower[5] = "2024-03-01T02:00Z";
    for args in [sync_args(d, &[]), narrower] {
        m.clear_requests();
        let r = m.cli(&args);
        let s = r.summary();
        assert_eq!(
            (s["skipped_done"].as_u64(), s["done"].as_u64()),
            (Some(2), Some(0)),
            "{s}"
        );
        assert_eq!(posts(&m, KEY), 0);
        assert!(m.requests(KEY, "artifacts").is_empty());
        assert_eq!(dataset(dir.path()), want);
    }

    // Another partition does not fit the dataset: refused, saying what to use.
    let t = m.sync(&["1"], (FROM, TO_6H), d, &["--partition", "day"]);
    assert_eq!(t.code, 2, "{}", t.stderr);
    assert!(t.stderr.contains("--partition hour"), "{}", t.stderr);
}

#[test]
fn a_kill_between_two_hour_files_of_one_export_loses_and_doubles_nothing() {
    let m = mock(Config {
        export_delay_ms: 100,
        ..Default::default()
    });
    let c = m.client(KEY);
    subscribe(&m, &c, &[1]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let args = [
        "sync",
        "--datastream",
        "1",
        "--from",
        FROM,
        "--to",
        TO_6H,
        "--partition",
        "hour",
        "--dest",
        d,
        "--json",
    ];
    // Stopped right after the third hour file of the day's export is recorded, then killed.
    let mut cmd = m.command(Some(KEY), &args);
    cmd.env("TICKSUPPLY_SYNC_STOP_AT", "state_recorded:3")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + RUN_TIMEOUT;
    while !stopped(child.id()) {
        assert!(child.try_wait().unwrap().is_none(), "the sync ended early");
        assert!(Instant::now() < deadline, "the sync never stopped");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(published_files(dir.path()), 3);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    m.clear_requests();
    let r = m.cli(&args);
    let s = r.summary();
    assert_eq!(
        (s["failed"].as_u64(), s["files"].as_u64()),
        (Some(0), Some(3)),
        "{s}"
    );
    // The export recorded before the kill served the rerun.
    assert_eq!(posts(&m, KEY), 0);
    assert!(
        r.events()
            .iter()
            .any(|e| e["event"] == "window_exported" && e["reused"] == true)
    );
    assert_eq!(published_files(dir.path()), 6);
    assert!(strays(dir.path()).is_empty(), "{:?}", strays(dir.path()));
    let want = expected(
        &m,
        &c,
        &[(1, "exchange=binance/instrument=BTCUSDT/stream_type=trades")],
        6,
    );
    assert_eq!(dataset(dir.path()), want);
}

/// Whether process `pid` is stopped (it reached its `TICKSUPPLY_SYNC_STOP_AT` point).
fn stopped(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, r)| r.starts_with('T')))
        .unwrap_or(false)
}

#[test]
fn sync_paces_under_a_30_per_minute_limit() {
    let m = mock(Config {
        export_delay_ms: 0,
        ..Default::default()
    });
    let key = "ts_paced_key_0001";
    m.control(
        Method::POST,
        "/keys",
        None,
        Some(json!({ "account": "paced", "key": key, "rate_limit_minute": 30 })),
    );
    let c = m.client(key);
    subscribe(&m, &c, &[1, 4]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let started = Instant::now();
    // 2 availability calls + 2 × 8 days × (create, download listing) + polls: more than 30.
    let r = m.cli_as(
        key,
        &[
            "sync",
            "--datastream",
            "1",
            "4",
            "--from",
            FROM,
            "--to",
            "2024-03-09",
            "--dest",
            d,
            "--json",
        ],
    );
    let elapsed = started.elapsed();
    let s = r.summary();
    assert_eq!(s["done"].as_u64(), Some(16), "{s}");
    assert!(elapsed < Duration::from_secs(100), "took {elapsed:?}");
    let api = m.requests(key, "api");
    assert!(api.len() > 30, "{} requests", api.len());
    let limited: Vec<_> = api.iter().filter(|q| q["status"] == 429).collect();
    assert!(limited.is_empty(), "429s: {limited:?}");
}

#[test]
fn sync_spends_a_few_requests_per_day_of_data_not_five_per_file() {
    let m = mock(Config {
        export_delay_ms: 1500,
        ..Default::default()
    });
    let c = m.client(KEY);
    subscribe(&m, &c, &[1, 4]);
    let prefixes = [
        (1, "exchange=binance/instrument=BTCUSDT/stream_type=trades"),
        (4, "exchange=binance/instrument=ETHUSDT/stream_type=trades"),
    ];
    const DAY: i64 = 86_400_000_000_000;
    // (partition, days, the most requests a file may cost)
    for (partition, days, per_file) in [("hour", 2, 0.3), ("day", 6, 3.0)] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let to = chrono::DateTime::from_timestamp_nanos(DAY_NS + days * DAY)
            .format("%Y-%m-%d")
            .to_string();
        m.clear_requests();
        let r = m.sync(
            &["1", "4"],
            (FROM, &to),
            d,
            &["--partition", partition, "--json"],
        );
        let s = r.summary();
        let files = s["files"].as_u64().unwrap();
        let requests = m.requests(KEY, "api").len() as u64;
        assert_eq!(
            s["requests"].as_u64(),
            Some(requests),
            "the run counts its requests: {s}"
        );
        assert_eq!(files, if partition == "hour" { 96 } else { 12 });
        assert!(
            requests as f64 <= per_file * files as f64,
            "{partition}: {requests} requests for {files} files"
        );
        let step = if partition == "hour" { HOUR_NS } else { DAY };
        let count = days * DAY / step;
        assert_eq!(
            dataset(dir.path()),
            expected_files(&m, &c, &prefixes, DAY_NS, count, step),
            "{partition}: each file holds the rows of one export of its own range"
        );
    }
}

#[test]
fn dry_run_reports_the_plan_and_its_requests_and_changes_nothing() {
    let m = mock(Config {
        export_delay_ms: 0,
        ..Default::default()
    });
    let c = m.client(KEY);
    subscribe(&m, &c, &[1, 4]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    m.sync(&["1"], (FROM, "2024-03-02"), d, &[]).ok();
    m.clear_requests();
    let r = m.sync(&["1", "4"], (FROM, "2024-03-04"), d, &["--dry-run"]);
    r.ok();
    assert!(
        r.stdout
            .contains("would export 2024-03-02 binance:BTCUSDT:trades"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("would skip 2024-03-01 binance:BTCUSDT:trades (done)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("requests: ~"), "{}", r.stdout);
    assert!(
        r.stdout.contains("the account's limit of 100000/min"),
        "{}",
        r.stdout
    );
    // Planning reads; it creates nothing and writes nothing.
    assert_eq!(posts(&m, KEY), 0);
    assert!(m.requests(KEY, "api").iter().all(|q| q["method"] == "GET"));
    assert_eq!(window_states(dir.path()).len(), 1);
    let j = m.sync(
        &["1", "4"],
        (FROM, "2024-03-04"),
        d,
        &["--dry-run", "--json", "--max-request-rate", "60"],
    );
    let budget = j
        .events()
        .into_iter()
        .find(|e| e["event"] == "budget")
        .unwrap();
    assert_eq!(budget["creates"], 5, "{budget}");
    assert_eq!(budget["max_request_rate"], 60);
    assert!(
        budget["seconds_at_limit"].as_u64().unwrap() >= 10,
        "{budget}"
    );
}

#[test]
fn shards_given_different_ranges_leave_no_gap() {
    let m = mock(Config {
        export_delay_ms: 0,
        ..Default::default()
    });
    let c = m.client(KEY);
    subscribe(&m, &c, &[1, 4]);
    let sharded = tempfile::tempdir().unwrap();
    let whole = tempfile::tempdir().unwrap();
    let (s, w) = (
        sharded.path().to_str().unwrap(),
        whole.path().to_str().unwrap(),
    );
    let args = |dest: &'static str, to: &'static str, shard: Option<&'static str>| {
        let mut a = vec![
            "sync",
            "--datastream",
            "1",
            "4",
            "--from",
            "2024-03-02",
            "--to",
            to,
            "--partition",
            "hour",
            "--dest",
            dest,
            "--json",
        ];
        if let Some(k) = shard {
            a.extend(["--shard", k]);
        }
        a
    };
    let s: &'static str = Box::leak(s.to_string().into_boxed_str());
    let w: &'static str = Box::leak(w.to_string().into_boxed_str());
    // Both shards at once, into one destination, each given another end.
    let children: Vec<_> = [("1/2", "2024-03-04T06:00Z"), ("2/2", "2024-03-04T09:00Z")]
        .into_iter()
        .map(|(k, to)| {
            let cmd = m.command(Some(KEY), &args(s, to, Some(k)));
            std::thread::spawn(move || run(cmd))
        })
        .collect();
    let mut windows = 0;
    for ch in children {
        let r = ch.join().unwrap();
        let summary = r.summary();
        assert_eq!(summary["failed"].as_u64(), Some(0), "{summary}");
        windows += summary["planned"].as_u64().unwrap();
    }
    assert_eq!(
        windows, 6,
        "each window of 2 datastreams × 3 days is one shard's"
    );
    m.cli(&args(w, "2024-03-04T09:00Z", None)).ok();
    let whole_rows = dataset(whole.path());
    // Before the shorter end every row is there, whichever shard owned it.
    let cut = DAY_NS + 3 * 86_400_000_000_000 + 6 * HOUR_NS;
    let before = |d: &BTreeMap<String, Rows>| -> Vec<(i64, String)> {
        let mut v: Vec<_> = d
            .values()
            .flatten()
            .filter(|r| r.0 < cut)
            .cloned()
            .collect();
        v.sort();
        v
    };
    assert_eq!(before(&dataset(sharded.path())), before(&whole_rows));
    // Shard 1 stopped at its own end; run again with the longer one, it adds the rest.
    m.cli(&args(s, "2024-03-04T09:00Z", Some("1/2"))).ok();
    let (a, b) = (dataset(sharded.path()), whole_rows);
    assert_eq!(a.len(), 2 * (48 + 9));
    assert_eq!(a, b);
}

#[test]
fn day_partition_skips_windows_without_data_and_keeps_the_csv() {
    let m = mock(Config {
        export_delay_ms: 0,
        ..Default::default()
    });
    let c = m.client(KEY);
    subscribe(&m, &c, &[1]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // 2024-05-31 has data; 2024-06-01 is the mock's collection outage.
    let r = m.sync(
        &["binance:BTCUSDT:trades"],
        ("2024-05-31", "2024-06-02"),
        d,
        &["--keep-csv"],
    );
    r.ok();
    assert!(
        r.stdout
            .contains("exported 2024-05-31 binance:BTCUSDT:trades exp_"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("skipped 2024-06-01 binance:BTCUSDT:trades no data"),
        "{}",
        r.stdout
    );
    let got = dataset(dir.path());
    let key = "exchange=binance/instrument=BTCUSDT/stream_type=trades/date=2024-05-31/part-000000-1.parquet";
    assert_eq!(got.keys().collect::<Vec<_>>(), [key]);
    let raw_root = dir
        .path()
        .join("exchange=binance/instrument=BTCUSDT/stream_type=trades/date=2024-05-31/_raw");
    let raw_files = files(&raw_root);
    assert_eq!(raw_files.len(), 24, "one artifact per hour: {raw_files:?}");
    let raw: Rows = raw_files.iter().flat_map(|p| read_csv_gz(p)).collect();
    assert_eq!(got[key], raw);
    assert_eq!(
        window_states(dir.path()).len(),
        1,
        "nothing recorded for the outage"
    );
    assert!(strays(dir.path()).is_empty());
}

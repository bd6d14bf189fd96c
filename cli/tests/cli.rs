//! The `ticksupply` binary, run as a subprocess against ticksupply-mock: every API command as a
//! table and as JSON (equal to what the SDK gets for the same call), errors and exit codes, and
//! `sync` — the dataset checked against the export artifacts read independently (flate2 + csv),
//! reruns that do nothing, a `kill -9` mid-sync, pacing under a 30/minute limit, and shards.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampNanosecondType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use reqwest::Method;
use serde_json::{Value, json};
use ticksupply::{Client, Response};
use ticksupply_mock::{Config, MockServer};

const BIN: &str = env!("CARGO_BIN_EXE_ticksupply");
const KEY: &str = "ts_demo_key";
const HOUR_NS: i64 = 3_600_000_000_000;
/// 2024-03-01T00:00:00Z: inside the mock's collected range.
const DAY_NS: i64 = 1_709_251_200_000_000_000;
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// harness

/// A mock on a runtime of its own (dropped first, then its runtime).
struct Mock {
    server: MockServer,
    rt: tokio::runtime::Runtime,
}

fn mock(cfg: Config) -> Mock {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(ticksupply_mock::start(Config {
            port: 0,
            rate_limit_minute: 100_000,
            artifact_size: Some(20_000),
            ..cfg
        }))
        .unwrap();
    Mock { server, rt }
}

/// What a run of the binary printed, and its exit code.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    fn json(&self) -> Value {
        self.ok();
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", self.stdout))
    }
    /// `--json` sync output: one object per line.
    fn events(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
    fn summary(&self) -> Value {
        let last = self.events().pop().expect("a summary");
        assert_eq!(last["event"], "summary", "{last}");
        last
    }
}

impl Mock {
    fn base_url(&self) -> String {
        self.server.base_url()
    }

    fn client(&self, key: &str) -> Client {
        let _in_runtime = self.rt.enter();
        Client::builder()
            .api_key(key)
            .base_url(self.base_url())
            .build()
            .unwrap()
    }

    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    fn control(&self, method: Method, path: &str, key: Option<&str>, body: Option<Value>) -> Value {
        let url = format!("http://{}/_mock{path}", self.server.api_addr);
        self.rt.block_on(async move {
            let mut r = reqwest::Client::new().request(method, url);
            if let Some(k) = key {
                r = r.header("x-api-key", k);
            }
            if let Some(b) = body {
                r = r.json(&b);
            }
            let resp = r.send().await.unwrap();
            resp.json::<Value>().await.unwrap_or(Value::Null)
        })
    }

    /// Requests the mock recorded for `key`'s account on `listener` (`api` or `artifacts`).
    fn requests(&self, key: &str, listener: &str) -> Vec<Value> {
        let v = self.control(
            Method::GET,
            &format!("/requests?listener={listener}"),
            Some(key),
            None,
        );
        v.as_array().cloned().unwrap_or_default()
    }

    fn clear_requests(&self) {
        self.control(Method::DELETE, "/requests", None, None);
    }

    fn command(&self, key: Option<&str>, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("TICKSUPPLY_BASE_URL", self.base_url())
            .env_remove("TICKSUPPLY_API_KEY");
        if let Some(k) = key {
            c.env("TICKSUPPLY_API_KEY", k);
        }
        c
    }

    fn cli(&self, args: &[&str]) -> Run {
        run(self.command(Some(KEY), args))
    }

    fn cli_as(&self, key: &str, args: &[&str]) -> Run {
        run(self.command(Some(key), args))
    }
}

/// Runs a command to completion (killed and failed after [`RUN_TIMEOUT`]).
fn run(mut cmd: Command) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + RUN_TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "timed out; stdout:\n{}\nstderr:\n{}",
                std::fs::read_to_string(&out).unwrap_or_default(),
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(&out).unwrap(),
        stderr: std::fs::read_to_string(&err).unwrap(),
    }
}

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

fn leftover_parts(dir: &Path) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "part"))
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

fn done_windows(dir: &Path) -> usize {
    window_states(dir)
        .iter()
        .filter(|s| s["status"] == "done")
        .count()
}

/// The dataset a sync of `[DAY, DAY + hours)` should write, by hour, from raw gzip CSV exports
/// of the same windows read with flate2 and csv.
fn expected(m: &Mock, c: &Client, dss: &[(i64, &str)], hours: i64) -> BTreeMap<String, Rows> {
    let tmp = tempfile::tempdir().unwrap();
    // Every export first, so that they run at once; then each one's artifacts.
    let mut jobs = Vec::new();
    for &(id, prefix) in dss {
        for h in 0..hours {
            let job = m
                .block_on(
                    c.exports()
                        .create(id, DAY_NS + h * HOUR_NS, DAY_NS + (h + 1) * HOUR_NS)
                        .format("csv")
                        .send(),
                )
                .unwrap();
            let key = format!("{prefix}/date=2024-03-01/part-{h:02}0000-{id}.parquet");
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
        let t = m.cli(&[
            "sync",
            "--datastream",
            "1",
            "--from",
            FROM,
            "--to",
            TO_6H,
            "--dest",
            d,
            "--shard",
            shard,
        ]);
        assert_eq!(t.code, 2, "--shard {shard}: {}", t.stderr);
        assert!(t.stderr.contains("K/N"), "{}", t.stderr);
    }
    let t = m.cli(&[
        "sync",
        "--datastream",
        "1",
        "--from",
        TO_6H,
        "--to",
        FROM,
        "--dest",
        d,
    ]);
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

    let r = m.cli(&sync_args(d, &[]));
    r.ok();
    let s = r.summary();
    assert_eq!(
        (
            s["planned"].as_u64(),
            s["done"].as_u64(),
            s["failed"].as_u64()
        ),
        (Some(12), Some(12), Some(0)),
        "{s}"
    );
    let events = r.events();
    assert_eq!(events[0]["event"], "plan");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["event"] == "window_done")
            .count(),
        12
    );
    assert_eq!(export_count(&m, &c), 12);
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
        "the Parquet rows are the artifacts' rows, each once"
    );
    let rows: u64 = want.values().map(|r| r.len() as u64).sum();
    assert_eq!(s["rows"].as_u64(), Some(rows));
    assert!(leftover_parts(dir.path()).is_empty());
    let states = window_states(dir.path());
    assert_eq!(states.len(), 12);
    assert!(
        states
            .iter()
            .all(|s| s["status"] == "done" && s["export_id"].is_string()),
        "{states:?}"
    );
    let record: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join(".ticksupply-sync/sync.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["partition"], "hour");
    assert_eq!(record["datastreams"], json!([1, kraken]));

    // A rerun exports nothing and downloads nothing.
    m.clear_requests();
    let r = m.cli(&sync_args(d, &[]));
    let s = r.summary();
    assert_eq!(
        (s["skipped_done"].as_u64(), s["done"].as_u64()),
        (Some(12), Some(0)),
        "{s}"
    );
    let api = m.requests(KEY, "api");
    assert_eq!(
        api.iter()
            .filter(|q| q["method"] == "POST" && q["path"] == "/v1/exports")
            .count(),
        0
    );
    assert!(m.requests(KEY, "artifacts").is_empty());
    assert_eq!(dataset(dir.path()), want);

    // Another partition does not fit the dataset: refused.
    let t = m.cli(&[
        "sync",
        "--datastream",
        "1",
        "--from",
        FROM,
        "--to",
        TO_6H,
        "--partition",
        "day",
        "--dest",
        d,
    ]);
    assert_eq!(t.code, 2, "{}", t.stderr);
    assert!(t.stderr.contains("--partition hour"), "{}", t.stderr);
}

#[test]
fn sync_after_kill_9_finishes_with_every_row_once() {
    let m = mock(Config {
        export_delay_ms: 1500,
        ..Default::default()
    });
    let c = m.client(KEY);
    let kraken = kraken_xbt_usd_trades(&m, &c);
    subscribe(&m, &c, &[1, kraken]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();

    let mut cmd = m.command(Some(KEY), &sync_args(d, &["--concurrency", "2"]));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + RUN_TIMEOUT;
    loop {
        let done = done_windows(dir.path());
        if (1..12).contains(&done) {
            break;
        }
        assert!(done < 12, "the sync finished before it could be killed");
        assert!(child.try_wait().unwrap().is_none(), "the sync ended early");
        assert!(Instant::now() < deadline, "no window done in time");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = done_windows(dir.path());
    assert!(before < 12);

    let r = m.cli(&sync_args(d, &["--concurrency", "2"]));
    let s = r.summary();
    assert_eq!(s["failed"].as_u64(), Some(0), "{s}");
    assert_eq!(s["skipped_done"].as_u64(), Some(before as u64), "{s}");
    assert_eq!(done_windows(dir.path()), 12);
    assert!(
        leftover_parts(dir.path()).is_empty(),
        "{:?}",
        leftover_parts(dir.path())
    );
    // The rerun reused the exports already made (recorded, or found by idempotency key).
    assert_eq!(export_count(&m, &c), 12);
    let ids: BTreeSet<String> = window_states(dir.path())
        .iter()
        .map(|s| s["export_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 12);

    let want = expected(
        &m,
        &c,
        &[
            (1, "exchange=binance/instrument=BTCUSDT/stream_type=trades"),
            (
                kraken,
                "exchange=kraken/instrument=XBT%2FUSD/stream_type=trades",
            ),
        ],
        6,
    );
    assert_eq!(dataset(dir.path()), want);
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
    // 2 availability calls + 12 windows × (create, wait, download listing): more than 30.
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
            TO_6H,
            "--partition",
            "hour",
            "--dest",
            d,
            "--json",
        ],
    );
    let elapsed = started.elapsed();
    let s = r.summary();
    assert_eq!(s["done"].as_u64(), Some(12), "{s}");
    assert!(elapsed < Duration::from_secs(90), "took {elapsed:?}");
    let api = m.requests(key, "api");
    assert!(api.len() > 30, "{} requests", api.len());
    let limited: Vec<_> = api.iter().filter(|q| q["status"] == 429).collect();
    assert!(limited.is_empty(), "429s: {limited:?}");
}

#[test]
fn two_shards_make_the_unsharded_dataset() {
    let m = mock(Config {
        export_delay_ms: 0,
        ..Default::default()
    });
    let c = m.client(KEY);
    let kraken = kraken_xbt_usd_trades(&m, &c);
    subscribe(&m, &c, &[1, kraken]);
    let sharded = tempfile::tempdir().unwrap();
    let whole = tempfile::tempdir().unwrap();
    let (s, w) = (
        sharded.path().to_str().unwrap(),
        whole.path().to_str().unwrap(),
    );

    // Both shards at once, into one destination.
    let children: Vec<_> = ["1/2", "2/2"]
        .into_iter()
        .map(|k| {
            let args = sync_args(s, &["--shard", k]);
            std::thread::spawn({
                let cmd = m.command(Some(KEY), &args);
                move || run(cmd)
            })
        })
        .collect();
    let mut done = 0;
    for ch in children {
        let r = ch.join().unwrap();
        let summary = r.summary();
        assert_eq!(summary["planned"].as_u64(), Some(6), "{summary}");
        done += summary["done"].as_u64().unwrap();
    }
    assert_eq!(done, 12);
    m.cli(&sync_args(w, &[])).ok();
    let (a, b) = (dataset(sharded.path()), dataset(whole.path()));
    assert_eq!(a.len(), 12);
    assert_eq!(a, b);
    assert_eq!(window_states(sharded.path()).len(), 12);
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
    let r = m.cli(&[
        "sync",
        "--datastream",
        "binance:BTCUSDT:trades",
        "--from",
        "2024-05-31",
        "--to",
        "2024-06-02",
        "--dest",
        d,
        "--keep-csv",
    ]);
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
    let raw_dir = dir.path().join(
        "exchange=binance/instrument=BTCUSDT/stream_type=trades/date=2024-05-31/_raw/part-000000-1",
    );
    let raw: Rows = files(&raw_dir)
        .iter()
        .flat_map(|p| read_csv_gz(p))
        .collect();
    assert_eq!(files(&raw_dir).len(), 24, "one artifact per hour");
    assert_eq!(got[key], raw);
    let states = window_states(dir.path());
    let statuses: BTreeSet<String> = states
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from(["done".to_string(), "skipped_empty".to_string()])
    );
    assert!(leftover_parts(dir.path()).is_empty());
}

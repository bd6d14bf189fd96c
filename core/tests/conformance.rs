//! `tests/conformance/scenarios.json` through the Rust crate (the Python and Node runners run the
//! same list). Each scenario gets a fresh account on one in-process mock.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use ticksupply::{Client, Error, ErrorKind};
use ticksupply_mock::{Config, MockServer};

/// The class of an error kind (as Python and JavaScript name it) and its parents, so that an
/// expected `NetworkError` accepts an `APITimeoutError` as `isinstance` would.
fn class_chain(kind: ErrorKind) -> Vec<&'static str> {
    let class = kind.class_name();
    let parent: &[&str] = match class {
        "APITimeoutError" => &["NetworkError"],
        "NetworkError" | "ConfigurationError" | "CanceledError" | "ExportFailedError"
        | "DownloadError" | "APIError" => &[],
        _ => &["APIError"],
    };
    let mut chain = vec![class];
    chain.extend_from_slice(parent);
    chain.push("TicksupplyError");
    chain
}

struct Outcome {
    result: Option<Value>,
    error: Option<Error>,
    items: usize,
}

/// Runs one operation (Python names) with the typed API.
async fn run(c: &Client, op: &str, args: &Value) -> Outcome {
    let to_json = |v: Result<Value, Error>| match v {
        Ok(v) => Outcome {
            result: Some(v),
            error: None,
            items: 0,
        },
        Err(e) => Outcome {
            result: None,
            error: Some(e),
            items: 0,
        },
    };
    fn json_of<T: serde::Serialize>(v: &T) -> Value {
        serde_json::to_value(v).unwrap_or_default()
    }
    match op {
        "billing.get_summary" => {
            to_json(c.billing().get_summary().send().await.map(|v| json_of(&v)))
        }
        "subscriptions.create" => to_json(
            c.subscriptions()
                .create(args["datastream_id"].as_i64().unwrap())
                .send()
                .await
                .map(|v| json_of(&v)),
        ),
        "subscriptions.get" => to_json(
            c.subscriptions()
                .get(args["id"].as_str().unwrap())
                .send()
                .await
                .map(|v| json!({"status": v.status.as_str()})),
        ),
        "subscriptions.list" => to_json(
            c.subscriptions()
                .list()
                .send()
                .await
                .map(|p| json!({"items": p.items.len()})),
        ),
        "subscriptions.list_all" => {
            let mut stream = c.subscriptions().list().stream();
            let mut out = Outcome {
                result: None,
                error: None,
                items: 0,
            };
            while let Some(item) = stream.next().await {
                match item {
                    Ok(_) => out.items += 1,
                    Err(e) => {
                        out.error = Some(e);
                        return out;
                    }
                }
            }
            out.result = Some(Value::Null);
            out
        }
        other => panic!("no mapping for operation {other}"),
    }
}

async fn control(
    m: &MockServer,
    key: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let r = reqwest::Client::new()
        .request(method, format!("http://{}/_mock{path}", m.api_addr))
        .header("x-api-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "mock control {path}: {}",
        r.status()
    );
    r.json().await.unwrap_or(Value::Null)
}

/// Checks one scenario; returns what went wrong, if anything.
async fn scenario(m: &MockServer, n: usize, sc: &Value) -> Vec<String> {
    // A key with a unique secret part: the leak canary looks for it everywhere.
    let key = format!("ts_canary_{}_{n:04}", uuid::Uuid::new_v4().simple());
    control(
        m,
        &key,
        reqwest::Method::POST,
        "/keys",
        json!({"account": key, "key": key}),
    )
    .await;
    for f in sc["faults"].as_array().unwrap() {
        control(m, &key, reqwest::Method::POST, "/faults", f.clone()).await;
    }
    let opts = &sc["client"];
    // With error context, as the Python and Node runners' clients: their exceptions carry the
    // status, request id and `Retry-After` of every error the scenarios check.
    let mut b = Client::builder()
        .api_key(&key)
        .base_url(m.base_url())
        .max_retries(opts["max_retries"].as_u64().unwrap_or(3) as u32)
        .error_context(true);
    if let Some(ms) = opts["timeout_ms"].as_u64() {
        b = b.timeout(Duration::from_millis(ms));
    }
    let c = b.build().unwrap();
    let want = &sc["expect"];
    let started = Instant::now();
    let out = run(&c, sc["call"].as_str().unwrap(), &sc["args"]).await;
    let elapsed = started.elapsed().as_millis() as u64;
    control(m, &key, reqwest::Method::DELETE, "/faults", Value::Null).await;
    let api: Vec<Value> = control(
        m,
        &key,
        reqwest::Method::GET,
        "/requests?listener=api",
        Value::Null,
    )
    .await
    .as_array()
    .unwrap()
    .iter()
    .filter(|r| r["path"].as_str().unwrap().starts_with("/v1/"))
    .cloned()
    .collect();

    let mut bad = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            bad.push(what);
        }
    };
    if want["ok"] == json!(true) {
        check(
            out.error.is_none(),
            format!("expected success, got {:?}", out.error),
        );
    } else {
        let class = want["error"].as_str().unwrap();
        match &out.error {
            None => check(false, format!("expected {class}, got success")),
            Some(e) => {
                check(
                    class_chain(e.kind()).contains(&class),
                    format!("expected {class}, got {e:?}"),
                );
                if let Some(code) = want["code"].as_str() {
                    check(e.code() == code, format!("code {}", e.code()));
                }
                if let Some(status) = want["status"].as_u64() {
                    check(
                        e.status() == Some(status as u16),
                        format!("status {:?}", e.status()),
                    );
                }
                if let Some(ra) = want["retry_after"].as_u64() {
                    check(
                        e.retry_after() == Some(ra),
                        format!("retry_after {:?}", e.retry_after()),
                    );
                }
                if let Some(rid) = want["request_id"].as_bool() {
                    check(
                        e.request_id().is_some() == rid,
                        format!("request id {:?}", e.request_id()),
                    );
                }
                let secret = &key[..key.len() - 4];
                let shown = format!("{e} {e:?} {c:?}");
                check(!shown.contains(secret), format!("the key leaked: {shown}"));
            }
        }
    }
    if let Some(n) = want["attempts"].as_u64() {
        check(
            api.len() as u64 == n,
            format!("{} attempts: {api:?}", api.len()),
        );
    }
    if want["same_idempotency_key"] == json!(true) {
        let keys: std::collections::BTreeSet<_> = api
            .iter()
            .filter(|r| r["method"] == "POST")
            .map(|r| r["headers"]["idempotency-key"].as_str().map(str::to_string))
            .collect();
        check(
            keys.len() == 1 && !keys.contains(&None),
            format!("keys {keys:?}"),
        );
    }
    if let Some(n) = want["subscriptions_after"].as_u64() {
        let total = c.subscriptions().list().send().await.unwrap().total;
        check(total == Some(n), format!("subscriptions after: {total:?}"));
    }
    if let Some(min) = want["min_ms"].as_u64() {
        check(elapsed >= min, format!("took {elapsed} ms"));
    }
    if let Some(max) = want["max_ms"].as_u64() {
        check(elapsed <= max, format!("took {elapsed} ms"));
    }
    if let Some(fields) = want["field"].as_object() {
        for (k, v) in fields {
            let got = out.result.as_ref().map(|r| r[k].clone());
            check(got.as_ref() == Some(v), format!("{k}: {got:?}"));
        }
    }
    if let Some(n) = want["items"].as_u64() {
        let got = out.result.as_ref().map(|r| r["items"].clone());
        check(got == Some(json!(n)), format!("items {got:?}"));
    }
    if let Some(n) = want["items_before_error"].as_u64() {
        check(
            out.items as u64 == n,
            format!("items before error {}", out.items),
        );
    }
    for p in want["paths"].as_array().into_iter().flatten() {
        check(
            api.iter().any(|r| &r["path"] == p),
            format!("no request to {p}"),
        );
    }
    bad
}

#[derive(Clone, Default)]
struct Buf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/conformance/scenarios.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let m = ticksupply_mock::start(Config {
        port: 0,
        rate_limit_minute: 1_000_000,
        rate_limit_hour: 1_000_000,
        ..Default::default()
    })
    .await
    .unwrap();
    let log = Buf::default();
    let writer = log.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();
    let mut failures = Vec::new();
    let scenarios = doc["scenarios"].as_array().unwrap();
    for (n, sc) in scenarios.iter().enumerate() {
        let bad = scenario(&m, n, sc).await;
        if !bad.is_empty() {
            failures.push(format!("{}: {}", sc["name"], bad.join("; ")));
        }
    }
    // Leak canary over every line the SDK logged (the mock's own lines are its business).
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let sdk: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" ticksupply::"))
        .collect();
    assert!(sdk.len() > scenarios.len(), "debug logging was on");
    for line in sdk {
        assert!(
            !line.contains("ts_canary_"),
            "a log line shows the key: {line}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
}

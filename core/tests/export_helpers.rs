//! wait, download and rows against ticksupply-mock: success byte-exact, failure and timeout
//! paths, a dropped artifact connection resumed, an expired URL refreshed, the key never sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{Value, json};
use ticksupply::resources::exports::ExportStatus;
use ticksupply::{Client, Error};
use ticksupply_mock::{Config, MockServer};

const K: &str = "ts_demo_key";

async fn setup(cfg: Config) -> (MockServer, Client) {
    let m = ticksupply_mock::start(Config {
        port: 0,
        rate_limit_minute: 100_000,
        ..cfg
    })
    .await
    .unwrap();
    let c = Client::builder()
        .api_key(K)
        .base_url(m.base_url())
        .build()
        .unwrap();
    c.subscriptions().create(1).send().await.unwrap();
    (m, c)
}

async fn control(m: &MockServer, method: reqwest::Method, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .request(method, format!("http://{}/_mock{path}", m.api_addr))
        .header("x-api-key", K)
        .json(&body)
        .send()
        .await
        .unwrap();
    r.json().await.unwrap_or(Value::Null)
}

async fn artifact_requests(m: &MockServer) -> Vec<Value> {
    let v = control(
        m,
        reqwest::Method::GET,
        "/requests?listener=artifacts",
        Value::Null,
    )
    .await;
    v.as_array().unwrap().clone()
}

fn tmp() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ticksupply-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn wait_then_download_is_byte_exact_without_the_key() {
    let (m, c) = setup(Config {
        export_delay_ms: 300,
        artifact_size: Some(500_000),
        ..Default::default()
    })
    .await;
    let job = c
        .exports()
        .create(1, "2024-01-01T00:00:00Z", "2024-01-01T03:00:00Z")
        .send()
        .await
        .unwrap();
    let done = c
        .exports()
        .wait(&job.id)
        .poll_interval(Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(done.status, ExportStatus::Succeeded);
    let dir = tmp();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let paths = c
        .exports()
        .download(&job.id, &dir)
        .concurrency(2)
        .on_progress(move |d, t| s2.lock().unwrap().push((d, t)))
        .await
        .unwrap();
    let listing = c.exports().get_download(&job.id).await.unwrap();
    assert_eq!(paths.len(), 3);
    for (p, a) in paths.iter().zip(&listing.artifacts) {
        assert_eq!(p.file_name().unwrap().to_str().unwrap(), a.filename);
        let want = reqwest::get(&a.url).await.unwrap().bytes().await.unwrap();
        assert_eq!(std::fs::read(p).unwrap(), want, "{}", a.filename);
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "part"))
        .collect();
    assert!(leftovers.is_empty(), "no .part files left");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.first(), Some(&(0, 1_500_000)));
    assert_eq!(seen.last(), Some(&(1_500_000, 1_500_000)));
    assert!(
        seen.windows(2)
            .all(|w| w[0].0 <= w[1].0 || w[1].0 < 1_500_000),
        "progress moves forward"
    );
    let reqs = artifact_requests(&m).await;
    assert!(!reqs.is_empty());
    assert!(
        reqs.iter().all(|r| r["headers"].get("x-api-key").is_none()),
        "no key sent to the artifact host"
    );

    // Existing files are not overwritten unless asked.
    let err = c.exports().download(&job.id, &dir).await.unwrap_err();
    assert!(
        matches!(err, Error::Download { .. }) && err.to_string().contains("already exists"),
        "{err}"
    );
    c.exports()
        .download(&job.id, &dir)
        .overwrite(true)
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn failed_canceled_and_timeout_are_typed() {
    let (m, c) = setup(Config {
        export_delay_ms: 60_000,
        ..Default::default()
    })
    .await;
    let job = c.exports().create(1, 0i64, 10i64).send().await.unwrap();
    control(
        &m,
        reqwest::Method::POST,
        &format!("/exports/{}/fail", job.id),
        json!({"reason": "disk full"}),
    )
    .await;
    let err = c.exports().wait(&job.id).await.unwrap_err();
    match &err {
        Error::ExportFailed { job: j } => {
            assert_eq!(j.status, ExportStatus::Failed);
            assert_eq!(j.reason.as_deref(), Some("disk full"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("disk full"));

    let job = c.exports().create(1, 0i64, 10i64).send().await.unwrap();
    c.exports().cancel(&job.id).await.unwrap();
    let err = c.exports().wait(&job.id).await.unwrap_err();
    assert!(
        matches!(&err, Error::ExportFailed { job } if job.status == ExportStatus::Canceled),
        "{err:?}"
    );

    let job = c.exports().create(1, 0i64, 10i64).send().await.unwrap();
    let t = std::time::Instant::now();
    let err = c
        .exports()
        .wait(&job.id)
        .timeout(Duration::from_millis(300))
        .poll_interval(Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2));
    match &err {
        Error::WaitTimeout { job_id, status, .. } => assert_eq!(
            (job_id.as_str(), status.as_str()),
            (job.id.as_str(), "queued")
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), "timeout");
}

#[tokio::test]
async fn a_dropped_connection_is_resumed_and_an_expired_url_refreshed() {
    let (m, c) = setup(Config {
        export_delay_ms: 0,
        artifact_size: Some(3_000_000),
        ..Default::default()
    })
    .await;
    let job = c
        .exports()
        .create(1, "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z")
        .send()
        .await
        .unwrap();
    control(
        &m,
        reqwest::Method::POST,
        "/faults",
        json!({"path_prefix": "/artifacts/", "drop_after_bytes": 1_200_000, "times": 1}),
    )
    .await;
    control(&m, reqwest::Method::POST, "/faults", json!({"path_prefix": "/artifacts/", "status": 403, "body": "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", "content_type": "application/xml", "times": 1})).await;
    let dir = tmp();
    let paths = c.exports().download(&job.id, &dir).await.unwrap();
    let listing = c.exports().get_download(&job.id).await.unwrap();
    let want = reqwest::get(&listing.artifacts[0].url)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(std::fs::read(&paths[0]).unwrap(), want);
    let reqs = artifact_requests(&m).await;
    let statuses: Vec<u64> = reqs.iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert!(statuses.contains(&403), "{statuses:?}");
    assert!(
        reqs.iter()
            .any(|r| r["headers"]["range"] == "bytes=1200000-"),
        "resumed with Range: {reqs:?}"
    );
    let api = control(
        &m,
        reqwest::Method::GET,
        "/requests?listener=api",
        Value::Null,
    )
    .await;
    let listings = api
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/download"))
        .count();
    assert!(listings >= 2, "URLs were refreshed after the 403");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn rows_are_parsed_in_the_core_across_a_dropped_connection() {
    let (m, c) = setup(Config {
        export_delay_ms: 0,
        artifact_size: Some(400_000),
        ..Default::default()
    })
    .await;
    let job = c
        .exports()
        .create(1, "2024-01-01T00:00:00Z", "2024-01-01T02:00:00Z")
        .send()
        .await
        .unwrap();
    control(
        &m,
        reqwest::Method::POST,
        "/faults",
        json!({"path_prefix": "/artifacts/", "drop_after_bytes": 150_000, "times": 1}),
    )
    .await;
    let rows: Vec<_> = c.exports().rows(&job.id).try_collect().await.unwrap();
    // Each artifact holds a header and fixed-size rows; two artifacts.
    assert!(rows.len() > 8000, "{}", rows.len());
    assert_eq!(rows[0].columns(), ["collection_timestamp_ns", "data"]);
    for r in rows.iter().step_by(997) {
        assert_eq!(r.get("collection_timestamp_ns").unwrap().len(), 19);
        let data: Value = serde_json::from_str(r.get("data").unwrap()).unwrap();
        assert!(data["p"].is_string());
    }
    let first_hour: i64 = rows[0]
        .get("collection_timestamp_ns")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(first_hour, 1_704_067_200_000_000_000);

    let err = c
        .exports()
        .rows("exp_00000000000000000000000000000000")
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_failing_after_commit_lose_and_duplicate_nothing() {
    let (m, _) = setup(Config {
        export_delay_ms: 60_000,
        ..Default::default()
    })
    .await;
    let c = Client::builder()
        .api_key(K)
        .base_url(m.base_url())
        .max_retries(8)
        .build()
        .unwrap();
    control(&m, reqwest::Method::POST, "/faults", json!({"method": "POST", "path_prefix": "/v1/exports", "status": 503, "after_commit": true, "probability": 0.2})).await;
    let jobs = futures::future::try_join_all(
        (0..300i64).map(|n| c.exports().create(1, n, n + 1_000_000_000).send()),
    )
    .await
    .unwrap();
    control(&m, reqwest::Method::DELETE, "/faults", Value::Null).await;
    let ids: std::collections::BTreeSet<_> = jobs.iter().map(|j| j.id.clone()).collect();
    assert_eq!(ids.len(), 300);
    let stored: Vec<_> = c.exports().list().stream().try_collect().await.unwrap();
    assert_eq!(stored.len(), 300);
    assert_eq!(
        stored
            .iter()
            .map(|j| j.id.clone())
            .collect::<std::collections::BTreeSet<_>>(),
        ids
    );
}

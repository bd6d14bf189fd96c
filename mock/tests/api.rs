//! The mock behaves as the documented service: auth, isolation, rate limits, idempotency,
//! lifecycles, pagination, faults and artifacts.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use ticksupply_mock::{Config, MockServer};

struct T {
    m: MockServer,
    http: reqwest::Client,
}

async fn start(cfg: Config) -> T {
    let m = ticksupply_mock::start(Config { port: 0, ..cfg })
        .await
        .unwrap();
    T {
        m,
        http: reqwest::Client::new(),
    }
}

async fn default() -> T {
    start(Config {
        export_delay_ms: 200,
        ..Default::default()
    })
    .await
}

impl T {
    fn url(&self, p: &str) -> String {
        format!("{}{p}", self.m.base_url())
    }
    async fn call(
        &self,
        key: Option<&str>,
        method: Method,
        p: &str,
        body: Option<Value>,
        idem: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut r = self.http.request(method, self.url(p));
        if let Some(k) = key {
            r = r.header("X-Api-Key", k);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        if let Some(i) = idem {
            r = r.header("Idempotency-Key", i);
        }
        let resp = r.send().await.unwrap();
        let (s, h) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap();
        (s, h, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    async fn get(&self, key: &str, p: &str) -> (StatusCode, Value) {
        let (s, _, v) = self.call(Some(key), Method::GET, p, None, None).await;
        (s, v)
    }
    async fn post(&self, key: &str, p: &str, body: Value) -> (StatusCode, Value) {
        let (s, _, v) = self
            .call(Some(key), Method::POST, p, Some(body), None)
            .await;
        (s, v)
    }
    async fn control(&self, key: Option<&str>, method: Method, p: &str, body: Value) -> StatusCode {
        let mut r = self
            .http
            .request(method, format!("http://{}/_mock{p}", self.m.api_addr))
            .json(&body);
        if let Some(k) = key {
            r = r.header("x-api-key", k);
        }
        r.send().await.unwrap().status()
    }
}

const K: &str = "ts_demo_key";

#[tokio::test]
async fn auth_is_required_and_case_insensitive_and_headers_are_always_set() {
    let t = default().await;
    let (s, h, v) = t.call(None, Method::GET, "/exchanges", None, None).await;
    assert_eq!(s, 401);
    assert_eq!(v["error"]["code"], "unauthenticated");
    let rid = h["x-request-id"].to_str().unwrap();
    assert!(
        rid.starts_with("req_")
            && rid.len() == 20
            && rid[4..].chars().all(|c| c.is_ascii_hexdigit())
    );
    let (s, _, _) = t
        .call(Some("nope"), Method::GET, "/exchanges", None, None)
        .await;
    assert_eq!(s, 401);
    let r = t
        .http
        .get(t.url("/exchanges"))
        .header("x-API-kEy", K)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for h in [
        "x-ratelimit-limit-minute",
        "x-ratelimit-remaining-minute",
        "x-ratelimit-limit-hour",
        "x-ratelimit-remaining-hour",
    ] {
        assert!(r.headers().contains_key(h), "{h}");
    }
    assert!(
        !r.headers().contains_key("x-ratelimit-reset-minute"),
        "reset only when exhausted"
    );
    // A deleted key is refused at once.
    assert_eq!(
        t.control(None, Method::DELETE, &format!("/keys/{K}"), Value::Null)
            .await,
        204
    );
    assert_eq!(t.get(K, "/exchanges").await.0, 401);
}

#[tokio::test]
async fn accounts_are_isolated_and_keys_of_one_account_share_data() {
    let t = start(Config {
        keys: vec![
            ("a".into(), "key_a1".into()),
            ("a".into(), "key_a2".into()),
            ("b".into(), "key_b".into()),
        ],
        ..Default::default()
    })
    .await;
    assert_eq!(t.m.banner().len(), 5);
    assert!(t.m.banner()[1].contains("****"));
    let (s, sub) = t
        .post("key_a1", "/subscriptions", json!({"datastream_id": 1}))
        .await;
    assert_eq!(s, 201);
    let id = sub["id"].as_str().unwrap();
    assert!(id.starts_with("sub_") && id.len() == 36);
    assert_eq!(
        t.get("key_a2", &format!("/subscriptions/{id}")).await.0,
        200
    );
    assert_eq!(t.get("key_b", &format!("/subscriptions/{id}")).await.0, 404);
    assert_eq!(t.get("key_b", "/subscriptions").await.1["total"], 0);
}

#[tokio::test]
async fn rate_limits_are_per_account_with_retry_after_and_reset_headers() {
    let t = default().await;
    t.control(
        None,
        Method::POST,
        "/keys",
        json!({"account": "slow", "key": "key_s1", "rate_limit_minute": 3}),
    )
    .await;
    t.control(
        None,
        Method::POST,
        "/keys",
        json!({"account": "slow", "key": "key_s2"}),
    )
    .await;
    for i in 0..3 {
        let k = if i % 2 == 0 { "key_s1" } else { "key_s2" };
        let (s, h, _) = t.call(Some(k), Method::GET, "/exchanges", None, None).await;
        assert_eq!(s, 200);
        assert_eq!(
            h["x-ratelimit-remaining-minute"],
            (2 - i).to_string().as_str()
        );
    }
    let (s, h, v) = t
        .call(Some("key_s2"), Method::GET, "/exchanges", None, None)
        .await;
    assert_eq!(s, 429);
    assert_eq!(v["error"]["code"], "rate_limited");
    let ra: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&ra), "{ra}");
    let reset: u64 = h["x-ratelimit-reset-minute"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(reset > now && reset <= now + 21);
    assert_eq!(
        t.get(K, "/exchanges").await.0,
        200,
        "other accounts are unaffected"
    );
}

#[tokio::test]
async fn idempotency_replays_conflicts_and_validates_keys() {
    let t = default().await;
    let key = "0b9f4a5e-8d0c-4c61-9a0e-1f2d3c4b5a69";
    let body = json!({"datastream_id": 2});
    let (s1, _, a) = t
        .call(
            Some(K),
            Method::POST,
            "/subscriptions",
            Some(body.clone()),
            Some(key),
        )
        .await;
    let (s2, h2, b) = t
        .call(
            Some(K),
            Method::POST,
            "/subscriptions",
            Some(body),
            Some(key),
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(a, b);
    assert_eq!(h2["idempotent-replayed"], "true");
    assert_eq!(t.get(K, "/subscriptions").await.1["total"], 1);
    let (s, _, v) = t
        .call(
            Some(K),
            Method::POST,
            "/subscriptions",
            Some(json!({"datastream_id": 3})),
            Some(key),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(v["error"]["code"], "already_exists");
    for bad in ["not-a-uuid", "123", &"a".repeat(129)] {
        let (s, _, v) = t
            .call(
                Some(K),
                Method::POST,
                "/subscriptions",
                Some(json!({"datastream_id": 4})),
                Some(bad),
            )
            .await;
        assert_eq!(s, 400, "{bad}");
        assert_eq!(v["error"]["code"], "invalid_argument");
    }
    // Simple, braced and URN forms are UUIDs too; keys are per account.
    for ok in [
        "0b9f4a5e8d0c4c619a0e1f2d3c4b5a70",
        "{0b9f4a5e-8d0c-4c61-9a0e-1f2d3c4b5a71}",
        "urn:uuid:0b9f4a5e-8d0c-4c61-9a0e-1f2d3c4b5a72",
    ] {
        let (s, _, _) = t
            .call(Some(K), Method::DELETE, "/exports/exp_0", None, Some(ok))
            .await;
        assert_eq!(s, 404, "{ok}");
    }
}

#[tokio::test]
async fn pagination_tokens_limits_and_filters() {
    let t = default().await;
    let (s, p1) = t.get(K, "/exchanges/binance/instruments?limit=1000").await;
    assert_eq!(s, 200);
    assert_eq!(p1["limit"], 1000);
    assert!(p1["total"].as_u64().unwrap() > 2000);
    let tok = p1["next_page_token"].as_str().unwrap();
    let (s, p2) = t
        .get(
            K,
            &format!("/exchanges/binance/instruments?limit=1000&page_token={tok}"),
        )
        .await;
    assert_eq!(s, 200);
    assert_ne!(p1["items"][0], p2["items"][0]);
    // A token is bound to its query: other filters or a tampered token are refused.
    assert_eq!(
        t.get(
            K,
            &format!("/exchanges/binance/instruments?limit=1000&search=ETH&page_token={tok}")
        )
        .await
        .0,
        400
    );
    assert_eq!(
        t.get(
            K,
            &format!(
                "/exchanges/binance/instruments?page_token={}x",
                &tok[..tok.len() - 1]
            )
        )
        .await
        .0,
        400
    );
    for bad in ["0", "1001", "-5", "abc"] {
        let (s, v) = t.get(K, &format!("/datastreams?limit={bad}")).await;
        assert_eq!(s, 400, "{bad}");
        assert_eq!(v["error"]["code"], "invalid_argument");
    }
    assert_eq!(t.get(K, "/subscriptions?limit=101").await.0, 400);
    let (_, d) = t.get(K, "/datastreams").await;
    assert_eq!(d["limit"], 100, "default catalog page");
    let (_, d) = t
        .get(
            K,
            "/datastreams?exchange=binance&instrument=BTCUSDT&stream_type=trades",
        )
        .await;
    assert_eq!(d["total"], 1);
    assert_eq!(d["items"][0]["stream_type"], "trades");
    let (_, d) = t
        .get(K, "/exchanges/binance/instruments?search=btc&base=ETH")
        .await;
    assert_eq!(d["items"][0]["symbol"], "ETHBTC");
    assert_eq!(
        t.get(K, "/exchanges/kraken/instruments/XBT%2FUSD/datastreams")
            .await
            .1["total"],
        3
    );
    assert_eq!(t.get(K, "/exchanges/nope/instruments").await.0, 404);
}

#[tokio::test]
async fn subscription_lifecycle_spans_and_billing_gate() {
    let t = default().await;
    let (_, sub) = t
        .post(K, "/subscriptions", json!({"datastream_id": 7}))
        .await;
    let id = sub["id"].as_str().unwrap().to_string();
    assert_eq!(sub["spans"], json!([]));
    let p = |s: &str| format!("/subscriptions/{id}{s}");
    assert_eq!(t.post(K, &p("/pause"), Value::Null).await.0, 204);
    assert_eq!(
        t.post(K, &p("/pause"), Value::Null).await.0,
        204,
        "idempotent"
    );
    let (_, spans) = t.get(K, &p("/spans")).await;
    assert!(spans[0]["ended_at"].is_string());
    t.control(
        Some(K),
        Method::POST,
        "/billing",
        json!({"access_status": "SUSPENDED"}),
    )
    .await;
    let (s, v) = t.post(K, &p("/resume"), Value::Null).await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (402, Some("payment_required"))
    );
    assert_eq!(
        t.get(K, "/billing/summary").await.1["access_status"],
        "SUSPENDED"
    );
    t.control(
        Some(K),
        Method::POST,
        "/billing",
        json!({"access_status": "ACTIVE"}),
    )
    .await;
    assert_eq!(t.post(K, &p("/resume"), Value::Null).await.0, 204);
    let (_, spans) = t.get(K, &p("/spans")).await;
    assert_eq!(spans.as_array().unwrap().len(), 2);
    assert!(spans[1]["ended_at"].is_null());
    let (s, _, _) = t.call(Some(K), Method::DELETE, &p(""), None, None).await;
    assert_eq!(s, 204);
    assert_eq!(t.get(K, &p("")).await.1["status"], "deleted");
    assert_eq!(t.get(K, &p("/spans")).await.1, json!([]));
    assert_eq!(t.post(K, &p("/pause"), Value::Null).await.0, 400);
    let (s, v) = t
        .post(
            K,
            "/exports",
            json!({"datastream_id": 7, "start_time": 0, "end_time": 10}),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(v["error"]["message"], "Subscription has been deleted");
    assert_eq!(
        t.post(K, "/subscriptions", json!({"datastream_id": 7}))
            .await
            .1["id"],
        id.as_str()
    );
    assert_eq!(
        t.post(K, "/subscriptions", json!({"datastream_id": 0}))
            .await
            .0,
        400
    );
    assert_eq!(
        t.post(K, "/subscriptions", json!({"datastream_id": 999999999}))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn export_lifecycle_artifacts_range_and_expiry() {
    let t = start(Config {
        export_delay_ms: 400,
        url_ttl_ms: 1500,
        artifact_size: Some(100_000),
        ..Default::default()
    })
    .await;
    t.post(K, "/subscriptions", json!({"datastream_id": 1}))
        .await;
    let (s, job) = t
        .post(K, "/exports", json!({"datastream_id": 1, "start_time": "2024-01-01T00:00:00Z", "end_time": "1704070800000000000"}))
        .await;
    assert_eq!(s, 202);
    assert_eq!(job["status"], "queued");
    assert_eq!(job["start_time"], 1_704_067_200_000_000_000i64);
    assert_eq!(job["format_options"], json!({}));
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(t.get(K, &format!("/exports/{id}/download")).await.0, 400);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        t.get(K, &format!("/exports/{id}")).await.1["status"],
        "running"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, j) = t.get(K, &format!("/exports/{id}")).await;
    assert_eq!(j["status"], "succeeded");
    assert!(j["started_at"].is_string() && j["finished_at"].is_string());
    assert_eq!(
        t.post(K, &format!("/exports/{id}/cancel"), Value::Null)
            .await
            .0,
        400
    );
    let (_, d) = t.get(K, &format!("/exports/{id}/download")).await;
    assert_eq!(d["count"], 1);
    let art = &d["artifacts"][0];
    assert_eq!(art["bytes"], 100_000);
    let url = art["url"].as_str().unwrap();
    assert!(
        !url.contains(&t.m.api_addr.to_string()),
        "artifacts come from another origin"
    );
    let full = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert_eq!(full.len(), 100_000);
    let part = t
        .http
        .get(url)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 1000-1999/100000");
    assert_eq!(part.bytes().await.unwrap(), full.slice(1000..2000));
    let tampered = url.replace("signature=", "signature=0");
    assert_eq!(reqwest::get(&tampered).await.unwrap().status(), 403);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let expired = reqwest::get(url).await.unwrap();
    assert_eq!(expired.status(), 403);
    assert!(expired.text().await.unwrap().contains("expired"));
    let (_, fresh) = t.get(K, &format!("/exports/{id}/download")).await;
    assert_eq!(
        reqwest::get(fresh["artifacts"][0]["url"].as_str().unwrap())
            .await
            .unwrap()
            .status(),
        200
    );
    let (_, bill) = t.get(K, "/billing/summary").await;
    assert_ne!(bill["usage"]["export_gb_total"], "0");
    assert_eq!(
        t.call(
            Some(K),
            Method::DELETE,
            &format!("/exports/{id}"),
            None,
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        t.get(K, &format!("/exports/{id}")).await.1["status"],
        "deleted"
    );
    // Cancel and failure paths.
    let (_, j2) = t
        .post(
            K,
            "/exports",
            json!({"datastream_id": 1, "start_time": 0, "end_time": 5}),
        )
        .await;
    let id2 = j2["id"].as_str().unwrap();
    assert_eq!(
        t.post(K, &format!("/exports/{id2}/cancel"), Value::Null)
            .await
            .0,
        204
    );
    assert_eq!(
        t.get(K, &format!("/exports/{id2}")).await.1["status"],
        "canceled"
    );
    let (_, j3) = t
        .post(
            K,
            "/exports",
            json!({"datastream_id": 1, "start_time": 0, "end_time": 5}),
        )
        .await;
    let id3 = j3["id"].as_str().unwrap();
    assert_eq!(
        t.control(
            Some(K),
            Method::POST,
            &format!("/exports/{id3}/fail"),
            json!({"reason": "disk full"})
        )
        .await,
        204
    );
    let (_, f) = t.get(K, &format!("/exports/{id3}")).await;
    assert_eq!(
        (f["status"].as_str(), f["reason"].as_str()),
        (Some("failed"), Some("disk full"))
    );
    for bad in [
        json!({"datastream_id": 1, "start_time": 10, "end_time": 5}),
        json!({"datastream_id": 1, "start_time": "yesterday", "end_time": 5}),
        json!({"datastream_id": 1, "start_time": "2024-01-15T10:00:00.1234567891Z", "end_time": 5}),
        json!({"datastream_id": 1, "start_time": 0, "end_time": 5, "format": "jsonl"}),
        json!({"datastream_id": 1, "start_time": 0, "end_time": 5, "format_options": {"x": 1}}),
        json!({"datastream_id": 1, "start_time": 0, "end_time": 5, "schema": "book_5"}),
        json!({"datastream_id": 1, "start_time": 0, "end_time": 5, "format": "parquet", "format_options": {"compression": "brotli"}}),
        json!({"datastream_id": 1, "start_time": 0, "end_time": 5, "format": "parquet", "format_options": {"row_group_size": 0}}),
    ] {
        assert_eq!(t.post(K, "/exports", bad.clone()).await.0, 400, "{bad}");
    }
}

#[tokio::test]
async fn schemas_versions_drafts_and_built_ins() {
    let t = default().await;
    let (_, list) = t.get(K, "/export-schemas").await;
    assert_eq!(list.as_array().unwrap().len(), 8);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| s["is_built_in"] == true && s["name"] != "raw")
    );
    let cols = json!([{"output_column": "ts", "meta": {"value": "collection_timestamp_ns", "format": "ms"}}]);
    let (s, c) = t
        .post(
            K,
            "/export-schemas",
            json!({"name": "x", "stream_category": "trade", "columns": cols}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(
        (c["version"].as_u64(), c["has_draft"].as_bool()),
        (Some(1), Some(false))
    );
    assert!(c.get("unfold").is_none());
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.post(
            K,
            "/export-schemas",
            json!({"name": "x", "stream_category": "trade", "columns": cols})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        t.post(
            K,
            "/export-schemas",
            json!({"name": "normalized", "stream_category": "trade", "columns": cols})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        t.post(
            K,
            "/export-schemas",
            json!({"name": "x", "stream_category": "quote", "columns": cols})
        )
        .await
        .0,
        201
    );
    let many: Vec<Value> = (0..101).map(|i| json!({"output_column": format!("c{i}"), "meta": {"value": "collection_timestamp_ns"}})).collect();
    let (s, v) = t
        .post(
            K,
            "/export-schemas",
            json!({"name": "big", "stream_category": "trade", "columns": many}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        v["error"]["details"],
        json!({"max_columns": 100, "provided": 101})
    );
    let (s, d) = t
        .post(K, &format!("/export-schemas/{id}/draft"), Value::Null)
        .await;
    assert_eq!((s.as_u16(), d["has_draft"].as_bool()), (201, Some(true)));
    let (s, _, _) = t.call(Some(K), Method::PUT, &format!("/export-schemas/{id}/draft"),
        Some(json!({"columns": [{"output_column": "p", "data": {"binance": {"json": {"path": "p", "type": "decimal(8)"}}}}]})), None).await;
    assert_eq!(s, 200);
    let (_, p) = t
        .post(K, &format!("/export-schemas/{id}/publish"), Value::Null)
        .await;
    assert_eq!(
        (p["version"].as_u64(), p["has_draft"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(p["columns"][0]["output_column"], "p");
    assert_eq!(
        t.post(K, &format!("/export-schemas/{id}/publish"), Value::Null)
            .await
            .0,
        404
    );
    let builtin = "sch_00000000000000000000000000000001";
    assert_eq!(t.get(K, &format!("/export-schemas/{builtin}")).await.0, 200);
    assert_eq!(
        t.post(K, &format!("/export-schemas/{builtin}/draft"), Value::Null)
            .await
            .0,
        404
    );
    assert_eq!(
        t.call(
            Some(K),
            Method::DELETE,
            &format!("/export-schemas/{builtin}"),
            None,
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        t.call(
            Some(K),
            Method::DELETE,
            &format!("/export-schemas/{id}"),
            None,
            None
        )
        .await
        .0,
        204
    );
}

#[tokio::test]
async fn faults_status_body_times_scope_and_drop() {
    let t = default().await;
    t.control(
        None,
        Method::POST,
        "/keys",
        json!({"account": "other", "key": "key_other"}),
    )
    .await;
    let f = json!({"path_prefix": "/v1/exchanges", "status": 502, "body": "<html>bad gateway</html>", "times": 2, "headers": {"Retry-After": "7"}});
    assert_eq!(t.control(Some(K), Method::POST, "/faults", f).await, 201);
    assert_eq!(
        t.get("key_other", "/exchanges").await.0,
        200,
        "scoped to the registering account"
    );
    for _ in 0..2 {
        let r = t
            .http
            .get(t.url("/exchanges"))
            .header("x-api-key", K)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 502);
        assert_eq!(r.headers()["retry-after"], "7");
        assert!(r.headers().contains_key("x-request-id"));
        assert_eq!(r.text().await.unwrap(), "<html>bad gateway</html>");
    }
    assert_eq!(t.get(K, "/exchanges").await.0, 200, "times exhausted");
    t.control(
        Some(K),
        Method::POST,
        "/faults",
        json!({"path_prefix": "/v1/exchanges", "drop_connection": true}),
    )
    .await;
    let err = t
        .http
        .get(t.url("/exchanges"))
        .header("x-api-key", K)
        .send()
        .await;
    assert!(err.is_err(), "connection dropped: {err:?}");
    assert_eq!(
        t.control(Some(K), Method::DELETE, "/faults", Value::Null)
            .await,
        204
    );
    assert_eq!(t.get(K, "/exchanges").await.0, 200);
    // After commit: the write happens, the caller sees a 503.
    t.control(Some(K), Method::POST, "/faults", json!({"method": "POST", "path_prefix": "/v1/subscriptions", "status": 503, "after_commit": true, "times": 1})).await;
    assert_eq!(
        t.post(K, "/subscriptions", json!({"datastream_id": 9}))
            .await
            .0,
        503
    );
    assert_eq!(t.get(K, "/subscriptions").await.1["total"], 1);
    // Recorded requests redact the key.
    let log: Value = t
        .http
        .get(format!("http://{}/_mock/requests", t.m.api_addr))
        .header("x-api-key", K)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = log.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["headers"]["x-api-key"], "****_key");
    assert!(!log.to_string().contains("ts_demo_key"));
}

#[tokio::test]
async fn artifact_connection_dropped_halfway_can_be_resumed() {
    let t = start(Config {
        export_delay_ms: 0,
        artifact_size: Some(3_000_000),
        ..Default::default()
    })
    .await;
    t.post(K, "/subscriptions", json!({"datastream_id": 1}))
        .await;
    let (_, job) = t
        .post(
            K,
            "/exports",
            json!({"datastream_id": 1, "start_time": "2024-01-01T00:00:00Z", "end_time": "2024-01-01T01:00:00Z"}),
        )
        .await;
    let (_, d) = t
        .get(
            K,
            &format!("/exports/{}/download", job["id"].as_str().unwrap()),
        )
        .await;
    let url = d["artifacts"][0]["url"].as_str().unwrap();
    t.control(
        Some(K),
        Method::POST,
        "/faults",
        json!({"path_prefix": "/artifacts/", "drop_after_bytes": 1_000_000, "times": 1}),
    )
    .await;
    let mut resp = reqwest::get(url).await.unwrap();
    let mut got = Vec::new();
    let cut = loop {
        match resp.chunk().await {
            Ok(Some(c)) => got.extend_from_slice(&c),
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    assert!(cut, "the connection was cut");
    assert_eq!(got.len(), 1_000_000);
    let rest = t
        .http
        .get(url)
        .header("range", format!("bytes={}-", got.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 206);
    got.extend_from_slice(&rest.bytes().await.unwrap());
    let whole = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert_eq!(got, whole);
    let log: Value = t
        .http
        .get(format!(
            "http://{}/_mock/requests?listener=artifacts",
            t.m.api_addr
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn typed_artifacts_follow_the_schema_and_format() {
    use std::io::Read;
    let t = start(Config {
        export_delay_ms: 0,
        artifact_size: Some(50_000),
        ..Default::default()
    })
    .await;
    t.post(K, "/subscriptions", json!({"datastream_id": 1}))
        .await;
    let parquet = json!({"format": "parquet", "format_options": {"compression": "snappy", "row_group_size": 100}});
    let normalized_csv = json!({"schema": "normalized"});
    for (extra, content_type) in [
        (parquet, "application/vnd.apache.parquet"),
        (normalized_csv, "application/gzip"),
    ] {
        let mut body = json!({"datastream_id": 1, "start_time": "2024-01-01T00:00:00Z", "end_time": "2024-01-01T01:00:00Z"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (s, job) = t.post(K, "/exports", body).await;
        assert_eq!(s, 202, "{job}");
        let (_, d) = t
            .get(
                K,
                &format!("/exports/{}/download", job["id"].as_str().unwrap()),
            )
            .await;
        let art = &d["artifacts"][0];
        assert_eq!(d["total_bytes"], art["bytes"]);
        let url = art["url"].as_str().unwrap();
        let resp = reqwest::get(url).await.unwrap();
        assert_eq!(resp.headers()["content-type"], content_type);
        let file = resp.bytes().await.unwrap();
        assert_eq!(file.len() as u64, art["bytes"].as_u64().unwrap());
        let part = t
            .http
            .get(url)
            .header("range", "bytes=4-99")
            .send()
            .await
            .unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(part.bytes().await.unwrap(), file.slice(4..100));
        if content_type == "application/gzip" {
            let mut csv = String::new();
            flate2::read::GzDecoder::new(&file[..])
                .read_to_string(&mut csv)
                .unwrap();
            assert!(csv.starts_with("collection_timestamp_ns,price,qty,side\n"));
        } else {
            assert!(file.starts_with(b"PAR1") && file.ends_with(b"PAR1"));
        }
    }
}

#[tokio::test]
async fn unknown_routes_and_bad_bodies_get_envelopes() {
    let t = default().await;
    let (s, v) = t.get(K, "/nope").await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let r = t
        .http
        .post(t.url("/subscriptions"))
        .header("x-api-key", K)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (s, v) = t.get(K, "/availability").await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (400, Some("invalid_argument"))
    );
    assert_eq!(
        t.get(K, "/availability?datastream_id=99999999").await.0,
        404
    );
}

/// The rows of a succeeded export as `(collection_timestamp_ns, data)`, read from its artifacts
/// (gzip CSV with flate2 + csv, Parquet with the parquet crate).
async fn export_rows(t: &T, body: Value) -> Vec<(i64, String)> {
    use std::io::Read;
    let (s, job) = t.post(K, "/exports", body).await;
    assert_eq!(s, 202, "{job}");
    let id = job["id"].as_str().unwrap();
    let d = loop {
        let (s, d) = t.get(K, &format!("/exports/{id}/download")).await;
        if s == 200 {
            break d;
        }
        let (_, job) = t.get(K, &format!("/exports/{id}")).await;
        assert!(
            ["queued", "running"].contains(&job["status"].as_str().unwrap()),
            "{job}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut rows = Vec::new();
    for art in d["artifacts"].as_array().unwrap() {
        let file = reqwest::get(art["url"].as_str().unwrap())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        if art["filename"].as_str().unwrap().ends_with(".parquet") {
            use arrow_array::cast::AsArray;
            use arrow_array::types::TimestampNanosecondType;
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .unwrap()
                    .build()
                    .unwrap();
            for b in reader {
                let b = b.unwrap();
                let ts = b.column(0).as_primitive::<TimestampNanosecondType>();
                let data = b.column(1).as_string::<i32>();
                rows.extend((0..b.num_rows()).map(|i| (ts.value(i), data.value(i).to_string())));
            }
        } else {
            let mut text = String::new();
            flate2::read::MultiGzDecoder::new(&file[..])
                .read_to_string(&mut text)
                .unwrap();
            let mut r = csv::Reader::from_reader(text.as_bytes());
            for rec in r.records() {
                let rec = rec.unwrap();
                rows.push((rec[0].parse().unwrap(), rec[1].to_string()));
            }
        }
    }
    rows
}

#[tokio::test]
async fn exports_hold_exactly_the_collected_rows_of_their_window() {
    const H0: i64 = 1_709_251_200_000_000_000; // 2024-03-01T00:00:00Z
    const HOUR: i64 = 3_600_000_000_000;
    let t = start(Config {
        export_delay_ms: 0,
        artifact_size: Some(30_000),
        ..Default::default()
    })
    .await;
    t.post(K, "/subscriptions", json!({"datastream_id": 1}))
        .await;
    let clock = H0 + 2 * HOUR + HOUR / 2;
    assert_eq!(
        t.control(Some(K), Method::POST, "/clock", json!({"now": clock}))
            .await,
        204
    );
    let (_, a) = t.get(K, "/availability?datastream_id=1").await;
    let last = a["ranges"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["to"].as_i64().unwrap(), clock);
    let window = |s: i64, e: i64| json!({"datastream_id": 1, "start_time": s, "end_time": e});

    // Cut anywhere: the two halves are the whole, every row once, nothing at or past the clock.
    let cut = H0 + HOUR + 1_033_123_456_789;
    let whole = export_rows(&t, window(H0, H0 + 3 * HOUR)).await;
    let mut halves = export_rows(&t, window(H0, cut)).await;
    let second = export_rows(&t, window(cut, H0 + 3 * HOUR)).await;
    assert!(halves.iter().all(|r| r.0 < cut) && second.iter().all(|r| r.0 >= cut));
    halves.extend(second);
    assert_eq!(halves, whole);
    assert!(!whole.is_empty() && whole.iter().all(|r| (H0..clock).contains(&r.0)));
    let mut unique = whole.iter().map(|r| r.0).collect::<Vec<_>>();
    unique.dedup();
    assert_eq!(unique.len(), whole.len());
    assert!(
        a["ranges"].as_array().unwrap().last().unwrap()["rows_estimate"]
            .as_u64()
            .is_some()
    );

    // Parquet holds the same rows.
    let mut parquet = window(H0, H0 + 3 * HOUR);
    parquet["format"] = json!("parquet");
    assert_eq!(export_rows(&t, parquet).await, whole);

    // The clock moves on: the rows collected since appear, the older ones are unchanged.
    t.control(
        Some(K),
        Method::POST,
        "/clock",
        json!({"now": H0 + 3 * HOUR}),
    )
    .await;
    let later = export_rows(&t, window(H0, H0 + 3 * HOUR)).await;
    assert_eq!(&later[..whole.len()], &whole[..]);
    assert!(later.len() > whole.len());

    // The outage of June 2024 holds nothing: the export succeeds without artifacts.
    t.control(Some(K), Method::POST, "/clock", json!({"now": null}))
        .await;
    let outage = export_rows(
        &t,
        window(1_717_200_000_000_000_000, 1_717_286_400_000_000_000),
    )
    .await;
    assert!(outage.is_empty());
}

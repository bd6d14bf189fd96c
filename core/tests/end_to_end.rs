//! Every resource, end to end against `ticksupply-mock`.

use std::time::Duration;

use futures::TryStreamExt;
use ticksupply::resources::export_schemas::{
    DataType, ExchangeExtractor, MetaExtraction, MetaValue, SchemaColumn, SchemaContent,
    StreamCategory, TimestampFormat,
};
use ticksupply::resources::exports::ExportStatus;
use ticksupply::resources::subscriptions::SubscriptionStatus;
use ticksupply::{Client, Error};
use ticksupply_mock::{Config, MockServer};

async fn mock() -> MockServer {
    ticksupply_mock::start(Config {
        port: 0,
        export_delay_ms: 200,
        rate_limit_minute: 100_000,
        ..Default::default()
    })
    .await
    .unwrap()
}

fn client(m: &MockServer, key: &str) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(m.base_url())
        .build()
        .unwrap()
}

#[tokio::test]
async fn catalog_pages_and_filters() {
    let m = mock().await;
    let c = client(&m, "ts_demo_key");
    let ex = c.exchanges().list().send_with_meta().await.unwrap();
    assert!(
        ex.iter()
            .any(|e| e.code == "binance" && e.display_name == "Binance")
    );
    let rid = ex.meta.request_id.clone().unwrap();
    assert!(rid.starts_with("req_") && rid.len() == 20, "{rid}");
    assert_eq!(ex.meta.rate_limit.limit_minute, Some(100_000));
    assert_eq!(ex.meta.rate_limit.remaining_minute, Some(99_999));
    assert_eq!(ex.meta.rate_limit.limit_hour, Some(10_000));

    let page = c
        .exchanges()
        .list_instruments("binance")
        .search("BTC")
        .limit(10)
        .send()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 10);
    assert!(page.items.iter().all(|i| i.symbol.contains("BTC")));
    assert!(page.has_next());
    let next = c
        .exchanges()
        .list_instruments("binance")
        .search("BTC")
        .limit(10)
        .page_token(page.next_page_token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert!(next.items.iter().all(|i| !page.items.contains(i)));

    // Auto-paging across three pages of 1000 keeps the limit and loses nothing.
    let all: Vec<_> = c
        .exchanges()
        .list_instruments("binance")
        .limit(1000)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let unique: std::collections::HashSet<_> = all.iter().map(|i| i.symbol.clone()).collect();
    assert_eq!(all.len(), page_total(&c).await);
    assert_eq!(unique.len(), all.len());
    assert!(all.len() > 2000);

    // A symbol with a slash is one path segment.
    let ds = c
        .exchanges()
        .list_datastreams("kraken", "XBT/USD")
        .stream_type("trades")
        .send()
        .await
        .unwrap();
    assert_eq!(ds.items.len(), 1);
    assert_eq!(ds.items[0].instrument, "XBT/USD");
    let flat = c
        .datastreams()
        .list()
        .exchange("binance")
        .instrument("BTCUSDT")
        .stream_type("trades")
        .send()
        .await
        .unwrap();
    assert_eq!(flat.items[0].datastream_id, ds_id(&c).await);

    let err = c
        .exchanges()
        .list_instruments("nope")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
    let err = c.datastreams().list().limit(5000).send().await.unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    let err = c
        .datastreams()
        .list()
        .page_token("tampered")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err}");
}

async fn page_total(c: &Client) -> usize {
    c.exchanges()
        .list_instruments("binance")
        .limit(1)
        .send()
        .await
        .unwrap()
        .total
        .unwrap() as usize
}

async fn ds_id(c: &Client) -> i64 {
    let p = c
        .exchanges()
        .list_datastreams("binance", "BTCUSDT")
        .stream_type("trades")
        .send()
        .await
        .unwrap();
    p.items[0].datastream_id
}

#[tokio::test]
async fn subscription_lifecycle_with_spans() {
    let m = mock().await;
    let c = client(&m, "ts_demo_key");
    let id = ds_id(&c).await;
    let sub = c.subscriptions().create(id).send().await.unwrap();
    assert_eq!(sub.status, SubscriptionStatus::Active);
    assert!(sub.spans.is_empty());
    c.subscriptions().pause(&sub.id).await.unwrap();
    assert_eq!(
        c.subscriptions().get(&sub.id).await.unwrap().status,
        SubscriptionStatus::Paused
    );
    c.subscriptions().resume(&sub.id).await.unwrap();
    let spans = c.subscriptions().list_spans(&sub.id).await.unwrap();
    assert_eq!(spans.len(), 2);
    assert!(spans[0].ended_at.is_some() && spans[1].ended_at.is_none());
    let listed: Vec<_> = c
        .subscriptions()
        .list()
        .limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].datastream_id, id);
    c.subscriptions().delete(&sub.id).await.unwrap();
    assert!(
        c.subscriptions()
            .list_spans(&sub.id)
            .await
            .unwrap()
            .is_empty()
    );
    let again = c.subscriptions().create(id).send().await.unwrap();
    assert_eq!(again.id, sub.id, "re-creating reuses the id");
    let err = c.subscriptions().create(id).send().await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }));
    let err = c
        .subscriptions()
        .get("sub_00000000000000000000000000000000")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert!(err.to_string().contains("(request_id: req_"));
}

#[tokio::test]
async fn export_lifecycle_download_and_cancel() {
    let m = mock().await;
    let c = client(&m, "ts_demo_key");
    let id = ds_id(&c).await;
    let err = c
        .exports()
        .create(id, 1_704_067_200_000_000_000i64, "2024-01-01T02:00:00Z")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::PermissionDenied { .. }),
        "no subscription yet: {err}"
    );
    c.subscriptions().create(id).send().await.unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:30:00+00:00").unwrap();
    let job = c
        .exports()
        .create(id, start, "2024-01-01T02:00:00Z")
        .schema("raw")
        .send()
        .await
        .unwrap();
    assert_eq!(job.status, ExportStatus::Queued);
    assert_eq!(job.start_time.as_i64(), 1_704_069_000_000_000_000);
    let err = c.exports().get_download(&job.id).await.unwrap_err();
    assert!(matches!(err, Error::Validation { .. }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let done = c.exports().get(&job.id).await.unwrap();
    assert_eq!(done.status, ExportStatus::Succeeded);
    let d = c.exports().get_download(&job.id).await.unwrap();
    assert_eq!(d.count, 2, "two hourly partitions");
    let url = &d.artifacts[0].url;
    let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, d.artifacts[0].bytes);

    let job2 = c.exports().create(id, 0i64, 1_000i64).send().await.unwrap();
    c.exports().cancel(&job2.id).await.unwrap();
    assert_eq!(
        c.exports().get(&job2.id).await.unwrap().status,
        ExportStatus::Canceled
    );
    c.exports().delete(&job2.id).await.unwrap();
    assert_eq!(
        c.exports().get(&job2.id).await.unwrap().status,
        ExportStatus::Deleted
    );
    let listed: Vec<_> = c.exports().list().stream().try_collect().await.unwrap();
    assert_eq!(
        listed.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        vec![job.id.as_str()]
    );
}

#[tokio::test]
async fn export_schema_versions_and_drafts() {
    let m = mock().await;
    let c = client(&m, "ts_demo_key");
    let v1 = SchemaContent::builder()
        .column(SchemaColumn::meta(
            "ts",
            MetaExtraction::new(MetaValue::CollectionTimestampNs).format(TimestampFormat::Iso8601),
        ))
        .column(SchemaColumn::data("price").exchange(
            "binance",
            ExchangeExtractor::json("data.p", DataType::Decimal(18)),
        ))
        .build();
    let created = c
        .export_schemas()
        .create("mine", StreamCategory::Trade, v1.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (created.version, created.has_draft, created.is_built_in),
        (1, false, false)
    );
    assert_eq!(created.columns, v1.columns);
    let h = c.export_schemas().for_id(&created.id);
    h.create_draft().send().await.unwrap();
    let mut v2 = v1.clone();
    v2.columns.push(
        SchemaColumn::data("qty")
            .exchange("binance", ExchangeExtractor::json("data.q", DataType::F64))
            .build(),
    );
    h.update_draft(v2.clone()).await.unwrap();
    assert_eq!(h.get_draft().await.unwrap().columns.len(), 3);
    assert_eq!(
        h.get().await.unwrap().columns.len(),
        2,
        "published content unchanged"
    );
    let p = h.publish_draft().await.unwrap();
    assert_eq!((p.version, p.has_draft, p.columns.len()), (2, false, 3));
    let err = h.get_draft().await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
    let list = c.export_schemas().list().await.unwrap();
    assert!(list.iter().any(|s| s.is_built_in && s.name == "normalized"));
    let err = c
        .export_schemas()
        .create("mine", StreamCategory::Trade, v1)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }));
    let err = c
        .export_schemas()
        .delete(list[0].id.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { .. }),
        "built-ins cannot be deleted"
    );
    h.delete().await.unwrap();
}

#[tokio::test]
async fn availability_and_billing() {
    let m = mock().await;
    let c = client(&m, "ts_demo_key");
    let a = c.availability().get(1).await.unwrap();
    assert_eq!(a.datastream.datastream_id, 1);
    assert!(a.ranges.iter().all(|r| r.from_ns < r.to_ns));
    let b = c.billing().summary().await.unwrap();
    assert_eq!(
        b.access_status,
        ticksupply::resources::billing::AccessStatus::Active
    );
    assert_eq!(b.usage.export_gb_total.as_str(), "0");
}

#[tokio::test]
async fn key_rotation_as_the_authentication_guide_describes() {
    let m = mock().await;
    let http = reqwest::Client::new();
    let ctl = format!("http://{}/_mock", m.api_addr);
    let add = |k: &str| {
        http.post(format!("{ctl}/keys"))
            .json(&serde_json::json!({"account": "rot", "key": k}))
            .send()
    };
    add("key_rot.OLD11111").await.unwrap();
    let c = client(&m, "key_rot.OLD11111");
    let sub = c.subscriptions().create(1).send().await.unwrap();
    add("key_rot.NEW22222").await.unwrap();
    c.set_api_key("key_rot.NEW22222").unwrap();
    assert_eq!(
        c.subscriptions().get(&sub.id).await.unwrap().id,
        sub.id,
        "same account, same data"
    );
    http.delete(format!("{ctl}/keys/key_rot.OLD11111"))
        .send()
        .await
        .unwrap();
    c.subscriptions().get(&sub.id).await.unwrap();
    let old = client(&m, "key_rot.OLD11111");
    let err = old.subscriptions().get(&sub.id).await.unwrap_err();
    assert!(matches!(err, Error::Authentication { .. }));
    // Another account sees nothing of this one.
    let other = client(&m, "ts_demo_key");
    assert!(matches!(
        other.subscriptions().get(&sub.id).await.unwrap_err(),
        Error::NotFound { .. }
    ));
}

#[tokio::test]
async fn dropped_connections_and_after_commit_failures_lose_and_duplicate_nothing() {
    let m = mock().await;
    let http = reqwest::Client::new();
    let c = Client::builder()
        .api_key("ts_demo_key")
        .base_url(m.base_url())
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .unwrap();
    c.subscriptions().create(1).send().await.unwrap();
    let fault = |body: serde_json::Value| {
        http.post(format!("http://{}/_mock/faults", m.api_addr))
            .header("x-api-key", "ts_demo_key")
            .json(&body)
            .send()
    };
    fault(serde_json::json!({"method": "POST", "path_prefix": "/v1/exports", "status": 503, "after_commit": true, "times": 2}))
        .await
        .unwrap();
    let r = c
        .exports()
        .create(1, 0i64, 10i64)
        .send_with_meta()
        .await
        .unwrap();
    assert_eq!(r.meta.attempts, 3);
    fault(serde_json::json!({"method": "GET", "path_prefix": "/v1/exports", "drop_connection": true, "times": 1}))
        .await
        .unwrap();
    let all: Vec<_> = c.exports().list().stream().try_collect().await.unwrap();
    assert_eq!(all.len(), 1, "the export was created exactly once");
    assert_eq!(all[0].id, r.id);
}

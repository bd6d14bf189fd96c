//! The official `ticksupply` 0.2.1 crate's public API, used the way its README, docs, examples
//! and tests use it — every `Error` variant matched with all its fields and with `..`, every
//! request builder, every model field read with its type spelled out — against ticksupply-mock.
//!
//! `tests/official-clients/rust-compat.sh` compiles this one file against this repository's crate
//! (feature `ours`) and runs it; with `RUST_COMPAT_OFFICIAL=1` it also compiles and runs it
//! against the official crate, which shows that the program, and every expectation in it, is
//! the official crate's behaviour.
//!
//! Every call sets `.base_url(..)`: the official crate does not read `TICKSUPPLY_BASE_URL`.

// The `reqwest` the crate under test was built with. Ours re-exports it; the official crate does
// not, so that build depends on reqwest 0.12 itself.
#[cfg(feature = "ours")]
use ticksupply::reqwest;

use std::collections::BTreeSet;
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{json, Value};
use ticksupply::resources::availability::{AvailabilityRange, AvailabilityResponse};
use ticksupply::resources::billing::{BillingSummary, BillingUsage};
use ticksupply::resources::catalog::{DatastreamInfo, Exchange, Instrument};
use ticksupply::resources::export_schemas::{
    DataType, ExchangeExtractor, ExportSchemaListItem, ExportSchemaWithVersion, MetaExtraction,
    MetaValue, SchemaColumn, SchemaContent, StreamCategory, TimestampFormat,
};
use ticksupply::resources::exports::{
    ArtifactDownload, ExportDownloadResponse, ExportJob, ExportStatus,
};
use ticksupply::resources::subscriptions::{Subscription, SubscriptionResponse, SubscriptionSpan};
use ticksupply::{Client, Decimal, Error, Nanos, Page, Timestamp};

const MISSING_SUB: &str = "sub_00000000000000000000000000000000";

fn check(ok: bool, what: &str) {
    assert!(ok, "compat check failed: {what}");
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The error of a call that must fail.
fn err_of<T>(what: &str, r: ticksupply::Result<T>) -> Error {
    match r {
        Ok(_) => panic!("{what}: expected an error, got a success"),
        Err(e) => e,
    }
}

fn wrong(what: &str, e: &Error) -> ! {
    panic!("{what}: wrong variant: {e:?}")
}

fn is_request_id(r: &Option<String>) -> bool {
    r.as_deref().is_some_and(|r| r.starts_with("req_"))
}

/// Every official variant with all its fields (no `..`) and their types spelled out, by value.
fn show(e: Error) -> String {
    match e {
        Error::NotFound {
            message,
            request_id,
        } => {
            let _: (String, Option<String>) = (message, request_id);
            "NotFound".into()
        }
        Error::Authentication {
            message,
            request_id,
        } => {
            let _: (String, Option<String>) = (message, request_id);
            "Authentication".into()
        }
        Error::PermissionDenied {
            message,
            request_id,
        } => {
            let _: (String, Option<String>) = (message, request_id);
            "PermissionDenied".into()
        }
        Error::RateLimited {
            message,
            retry_after,
            request_id,
        } => {
            let shown = format!("RateLimited (retry_after given: {})", retry_after.is_some());
            let _: (String, Option<u64>, Option<String>) = (message, retry_after, request_id);
            shown
        }
        Error::Validation {
            message,
            details,
            request_id,
        } => {
            let shown = format!("Validation (details: {})", details.is_some());
            let _: (String, Option<serde_json::Value>, Option<String>) =
                (message, details, request_id);
            shown
        }
        Error::AlreadyExists {
            message,
            request_id,
        } => {
            let _: (String, Option<String>) = (message, request_id);
            "AlreadyExists".into()
        }
        Error::PaymentRequired {
            message,
            details,
            request_id,
        } => {
            let _: (String, Option<serde_json::Value>, Option<String>) =
                (message, details, request_id);
            "PaymentRequired".into()
        }
        Error::Api {
            code,
            message,
            status,
            request_id,
        } => {
            let shown = format!("Api {{ code: {code:?}, status: {status} }}");
            let _: (String, String, u16, Option<String>) = (code, message, status, request_id);
            shown
        }
        Error::Network(e) => {
            let e: reqwest::Error = e;
            format!("Network (connect: {})", e.is_connect())
        }
        Error::Decode(e) => {
            let e: serde_json::Error = e;
            format!("Decode (syntax: {})", e.is_syntax())
        }
        Error::Config(m) => {
            let _: String = m;
            "Config".into()
        }
        other => panic!("not an official variant: {other:?}"),
    }
}

/// Every official variant with `..` (or `_`), by reference.
fn variant(e: &Error) -> &'static str {
    match e {
        Error::NotFound { .. } => "NotFound",
        Error::Authentication { .. } => "Authentication",
        Error::PermissionDenied { .. } => "PermissionDenied",
        Error::RateLimited { .. } => "RateLimited",
        Error::Validation { .. } => "Validation",
        Error::AlreadyExists { .. } => "AlreadyExists",
        Error::PaymentRequired { .. } => "PaymentRequired",
        Error::Api { .. } => "Api",
        Error::Network(..) => "Network",
        Error::Decode(_) => "Decode",
        Error::Config(_) => "Config",
        _ => "another variant",
    }
}

/// The error traits the official enum has (thiserror: `Display`, `source()`, `Send + Sync`).
fn error_traits<E: std::error::Error + Send + Sync + 'static>(_: &E) {}

/// Checks an error both ways, prints it and returns the line.
fn report(what: &str, e: Error, expect: &str) {
    error_traits(&e);
    check(
        variant(&e) == expect,
        &format!("{what}: {e:?} is not {expect}"),
    );
    let display = e.to_string();
    check(!display.is_empty(), "Display");
    println!("  {what:<44} {}", show(e));
}

/// ticksupply-mock's control plane (`/_mock`), through the same reqwest.
struct Mock {
    http: reqwest::Client,
    base: String,
    root: String,
}

impl Mock {
    async fn post(&self, key: Option<&str>, path: &str, body: Value) {
        let mut req = self
            .http
            .post(format!("{}/_mock{path}", self.root))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(k) = key {
            req = req.header("x-api-key", k);
        }
        let r = req.send().await.expect("mock control request");
        assert!(
            r.status().is_success(),
            "mock control {path}: {}",
            r.status()
        );
    }

    /// A fresh account with a key of its own, so that no scenario sees another's state.
    async fn account(&self, extra: Value) -> String {
        let key = format!("ts_compat_{}", uuid::Uuid::new_v4().simple());
        let mut body = json!({"account": key, "key": key});
        if let (Some(b), Some(x)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(x.clone());
        }
        self.post(None, "/keys", body).await;
        key
    }

    fn client(&self, key: &str, retries: u32) -> Client {
        Client::builder()
            .api_key(key)
            .base_url(self.base.as_str())
            .max_retries(retries)
            .build()
            .expect("client")
    }
}

fn content(columns: usize) -> SchemaContent {
    let mut b = SchemaContent::builder().column(SchemaColumn::meta(
        "ts",
        MetaExtraction::new(MetaValue::CollectionTimestampNs).format(TimestampFormat::Ns),
    ));
    for i in 1..columns {
        b = b.column(SchemaColumn::data(format!("price_{i}")).exchange(
            "binance",
            ExchangeExtractor::json("data.p", DataType::Decimal(18)),
        ));
    }
    b.build()
}

fn read_datastream(d: &DatastreamInfo) -> i64 {
    let _: (&String, &String, &String, &String) =
        (&d.exchange, &d.instrument, &d.stream_type, &d.wire_format);
    let id: i64 = d.datastream_id;
    id
}

fn read_page<T>(p: &Page<T>) -> usize {
    let _: (&Vec<T>, Option<u64>, Option<u32>, &Option<String>) =
        (&p.items, p.total, p.limit, &p.next_page_token);
    p.items.len()
}

fn read_job(j: &ExportJob) -> (String, i64) {
    let _: (&String, i64, Nanos, Nanos, &String) =
        (&j.id, j.datastream_id, j.start_time, j.end_time, &j.format);
    let _: (&ExportStatus, &Option<String>, &Timestamp) = (&j.status, &j.reason, &j.created_at);
    let _: (&Option<Timestamp>, &Option<Timestamp>) = (&j.started_at, &j.finished_at);
    let _ = j.start_time.to_chrono();
    (j.id.clone(), j.end_time.as_i64() - j.start_time.as_i64())
}

fn read_schema(s: &ExportSchemaWithVersion) -> (i32, bool, usize) {
    let _: (&String, &String, &StreamCategory, bool, &Timestamp) = (
        &s.id,
        &s.name,
        &s.stream_category,
        s.is_built_in,
        &s.created_at,
    );
    let _: &Vec<SchemaColumn> = &s.columns;
    for c in &s.columns {
        let _: &String = &c.output_column;
        let _ = &c.source;
    }
    let _ = (s.unfold.is_some(), s.derive.is_some());
    (s.version, s.has_draft, s.columns.len())
}

#[tokio::main]
async fn main() -> ticksupply::Result<()> {
    let base = std::env::var("TICKSUPPLY_BASE_URL").expect("run under scripts/with-mock");
    let root = base
        .trim_end_matches('/')
        .trim_end_matches("/v1")
        .to_string();
    let mock = Mock {
        http: reqwest::Client::builder().build().expect("reqwest client"),
        base: base.clone(),
        root,
    };

    println!("== clients");
    // Reads TICKSUPPLY_API_KEY (set by scripts/with-mock); nothing is sent with these two.
    let _env: Client = Client::new()?;
    let _explicit: Client = Client::with_api_key("key_abc.secret")?;
    let key = mock.account(json!({})).await;
    // Every builder method of the official ClientBuilder, `http_client` with the crate's reqwest.
    let http = reqwest::Client::builder().build().expect("http client");
    let c = Client::builder()
        .api_key(key.as_str())
        .base_url(base.as_str())
        .timeout(Duration::from_secs(30))
        .max_retries(3)
        .user_agent("official-compat/1.0")
        .http_client(http)
        .build()?;
    let c2 = c.clone();
    println!("  built, cloned: {}", !format!("{c2:?}").is_empty());

    println!("== catalog");
    let exchanges: Vec<Exchange> = c.exchanges().list().await?;
    for ex in &exchanges {
        let _: (&String, &String) = (&ex.code, &ex.display_name);
    }
    check(exchanges.iter().any(|e| e.code == "binance"), "binance");
    println!("  exchanges include binance: true");

    let page: Page<Instrument> = c
        .exchanges()
        .list_instruments("binance")
        .search("BTC")
        .limit(2)
        .send()
        .await?;
    for i in &page.items {
        let _: (&String, &Option<String>, &Option<String>, &Option<String>) =
            (&i.symbol, &i.base, &i.quote, &i.instrument_type);
    }
    check(read_page(&page) == 2, "instruments page");
    let token = page.next_page_token.clone().expect("a second page");
    let next = c
        .exchanges()
        .list_instruments("binance")
        .search("BTC")
        .limit(2)
        .page_token(token)
        .send()
        .await?;
    check(
        next.items.iter().all(|i| i.symbol.contains("BTC")),
        "page 2",
    );
    let filtered = c
        .exchanges()
        .list_instruments("binance")
        .base("BTC")
        .quote("USDT")
        .instrument_type("spot")
        .limit(5)
        .send()
        .await?;
    check(
        filtered
            .items
            .iter()
            .all(|i| i.base.as_deref() == Some("BTC")),
        "base filter",
    );
    let stream = c
        .exchanges()
        .list_instruments("binance")
        .search("BTC")
        .limit(5)
        .stream();
    tokio::pin!(stream);
    let mut symbols = BTreeSet::new();
    while let Some(i) = stream.try_next().await? {
        symbols.insert(i.symbol);
        if symbols.len() == 12 {
            break;
        }
    }
    println!("  instruments streamed across pages: {}", symbols.len());

    let per_instrument: Page<DatastreamInfo> = c
        .exchanges()
        .list_datastreams("binance", "BTCUSDT")
        .stream_type("trades")
        .wire_format("json")
        .limit(10)
        .send()
        .await?;
    check(
        read_page(&per_instrument) >= 1,
        "per-instrument datastreams",
    );
    let stream = c
        .exchanges()
        .list_datastreams("binance", "BTCUSDT")
        .limit(1)
        .stream();
    tokio::pin!(stream);
    let mut n = 0;
    while let Some(d) = stream.try_next().await? {
        read_datastream(&d);
        n += 1;
    }
    println!("  BTCUSDT datastreams: {n}");

    let flat = c
        .datastreams()
        .list()
        .exchange("binance")
        .instrument("BTCUSDT")
        .stream_type("trades")
        .wire_format("json")
        .limit(5)
        .send()
        .await?;
    let ds = flat.items.first().expect("binance BTCUSDT trades");
    let ds_id = read_datastream(ds);
    let again = c
        .datastreams()
        .list()
        .exchange("binance")
        .limit(1)
        .page_token(
            c.datastreams()
                .list()
                .exchange("binance")
                .limit(1)
                .send()
                .await?
                .next_page_token
                .expect("more datastreams"),
        )
        .send()
        .await?;
    check(again.items.len() == 1, "datastream page 2");
    let stream = c.datastreams().list().exchange("kraken").limit(50).stream();
    tokio::pin!(stream);
    let mut kraken = 0;
    while let Some(d) = stream.try_next().await? {
        check(d.exchange == "kraken", "kraken filter");
        kraken += 1;
        if kraken == 60 {
            break;
        }
    }
    println!("  binance BTCUSDT trades is datastream {ds_id}; kraken streamed: {kraken}");

    println!("== subscriptions");
    let created: SubscriptionResponse = c
        .subscriptions()
        .create(ds_id)
        .idempotency_key(uuid())
        .send()
        .await?;
    let _: (&String, &Timestamp, &Vec<SubscriptionSpan>) =
        (&created.id, &created.created_at, &created.spans);
    check(read_datastream(&created.datastream) == ds_id, "datastream");
    println!("  created: {:?}", created.status);
    c.subscriptions()
        .pause(&created.id)
        .idempotency_key(uuid())
        .send()
        .await?;
    let paused: Subscription = c.subscriptions().get(&created.id).await?;
    let _: (&String, i64, &Timestamp, &Option<DatastreamInfo>) = (
        &paused.id,
        paused.datastream_id,
        &paused.created_at,
        &paused.datastream,
    );
    println!("  paused: {:?}", paused.status);
    c.subscriptions()
        .resume(created.id.clone())
        .idempotency_key(uuid())
        .send()
        .await?;
    let resumed = c.subscriptions().get(&created.id).await?;
    println!("  resumed: {:?}", resumed.status);
    let spans: Vec<SubscriptionSpan> = c.subscriptions().list_spans(&created.id).await?;
    for s in &spans {
        let _: (&String, &Timestamp, &Option<Timestamp>) = (&s.id, &s.started_at, &s.ended_at);
        let _ = s.started_at.to_chrono();
        let _: &str = s.started_at.as_str();
    }
    println!("  spans after a pause and a resume: {}", spans.len());
    let subs = c.subscriptions().list().limit(1).send().await?;
    check(read_page(&subs) == 1, "subscriptions page");
    let stream = c.subscriptions().list().limit(50).stream();
    tokio::pin!(stream);
    let mut listed = 0;
    while let Some(s) = stream.try_next().await? {
        check(s.datastream_id == ds_id, "listed subscription");
        listed += 1;
    }
    println!("  listed: {listed}");

    println!("== exports");
    let csv = c
        .exports()
        .create(ds_id, "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z")
        .idempotency_key(uuid())
        .schema("raw")
        .send()
        .await?;
    let (csv_id, window) = read_job(&csv);
    check(window == 3_600_000_000_000, "window in nanoseconds");
    let typed = c
        .exports()
        .create(
            ds_id,
            1_704_067_200_000_000_000i64,
            String::from("2024-01-01T02:00:00Z"),
        )
        .inline_content(content(2))
        .send()
        .await?;
    let inline = c
        .exports()
        .create(
            ds_id,
            Nanos::from_i64(1_704_067_200_000_000_000),
            "2024-01-01T00:30:00Z",
        )
        .inline_schema(serde_json::to_value(content(2)).expect("schema content is JSON"))
        .idempotency_key(uuid())
        .send()
        .await?;
    println!(
        "  created three: {:?} {:?} {:?}",
        csv.status, typed.status, inline.status
    );
    // Cancel the last one: it is canceled, unless it finished first (then the API refuses).
    match c
        .exports()
        .cancel(&inline.id)
        .idempotency_key(uuid())
        .send()
        .await
    {
        Ok(()) | Err(Error::Validation { .. }) => {}
        Err(e) => return Err(e),
    }
    let mut done = None;
    for _ in 0..100 {
        let job: ExportJob = c.exports().get(&csv_id).await?;
        if matches!(job.status, ExportStatus::Succeeded) {
            done = Some(job);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let done = done.expect("the export succeeds");
    check(done.finished_at.is_some(), "finished_at");
    let d: ExportDownloadResponse = c.exports().get_download(&done.id).await?;
    let _: (u32, u64) = (d.count, d.total_bytes);
    for a in &d.artifacts {
        let a: &ArtifactDownload = a;
        let _: (&String, &String, u64, &String) = (&a.id, &a.url, a.bytes, &a.filename);
    }
    check(d.artifacts.len() as u32 == d.count, "artifact count");
    check(d.single().is_some() == (d.count == 1), "single()");
    println!("  succeeded: {} artifact(s) of an hour", d.count);
    let jobs = c.exports().list().limit(2).send().await?;
    check(read_page(&jobs) == 2, "exports page");
    let stream = c.exports().list().limit(2).stream();
    tokio::pin!(stream);
    let mut all = 0;
    while let Some(j) = stream.try_next().await? {
        read_job(&j);
        all += 1;
    }
    println!("  listed: {all}");
    for id in [&csv_id, &typed.id, &inline.id] {
        c.exports()
            .delete(id)
            .idempotency_key(uuid())
            .send()
            .await?;
    }
    let deleted = c.exports().get(&csv_id).await?;
    println!("  after delete: {:?}", deleted.status);

    println!("== export schemas");
    let schemas: Vec<ExportSchemaListItem> = c.export_schemas().list().await?;
    for s in &schemas {
        let _: (
            &String,
            &String,
            &StreamCategory,
            bool,
            &Timestamp,
            i32,
            bool,
        ) = (
            &s.id,
            &s.name,
            &s.stream_category,
            s.is_built_in,
            &s.created_at,
            s.version,
            s.has_draft,
        );
    }
    check(
        schemas
            .iter()
            .any(|s| s.is_built_in && s.name == "normalized"),
        "built-ins",
    );
    let name = format!("compat-{}", uuid::Uuid::new_v4().simple());
    let v1 = c
        .export_schemas()
        .create(&name, StreamCategory::Trade, content(2))
        .idempotency_key(uuid())
        .send()
        .await?;
    println!("  created: v{:?}", read_schema(&v1));
    let id = v1.id.clone();
    let got = c.export_schemas().get(&id).await?;
    check(got.name == name, "get");
    let v2 = c
        .export_schemas()
        .update(id.clone(), content(3))
        .idempotency_key(uuid())
        .send()
        .await?;
    println!("  updated: v{:?}", read_schema(&v2));
    c.export_schemas()
        .create_draft(&id)
        .content(content(4))
        .idempotency_key(uuid())
        .send()
        .await?;
    let draft = c.export_schemas().get_draft(&id).await?;
    check(draft.columns.len() == 4, "draft content");
    c.export_schemas()
        .update_draft(&id, content(5))
        .send()
        .await?;
    c.export_schemas()
        .discard_draft(&id)
        .idempotency_key(uuid())
        .send()
        .await?;
    let h = c.export_schemas().for_id(&id);
    check(h.id() == id, "handle id");
    h.create_draft().idempotency_key(uuid()).send().await?;
    let copy = h.get_draft().await?;
    println!(
        "  draft copied from the latest version: {:?}",
        read_schema(&copy)
    );
    h.update_draft(content(6)).send().await?;
    let v3 = h.publish_draft().idempotency_key(uuid()).send().await?;
    println!("  published: v{:?}", read_schema(&v3));
    let v4 = h.update(content(2)).idempotency_key(uuid()).send().await?;
    check(v4.version == 4, "v4");
    h.create_draft().send().await?;
    h.discard_draft().idempotency_key(uuid()).send().await?;
    check(h.get().await?.version == 4, "handle get");
    let other = c
        .export_schemas()
        .create(format!("{name}-2"), StreamCategory::Trade, content(2))
        .send()
        .await?;
    c.export_schemas()
        .publish_draft(&other.id)
        .send()
        .await
        .map(|_| ())
        .or_else(|e| match e {
            // Nothing to publish: the official variant for a missing draft.
            Error::NotFound { .. } | Error::Validation { .. } => Ok(()),
            e => Err(e),
        })?;
    c.export_schemas()
        .delete(&other.id)
        .idempotency_key(uuid())
        .send()
        .await?;
    h.delete().idempotency_key(uuid()).send().await?;
    println!("  deleted both");

    println!("== availability and billing");
    let a: AvailabilityResponse = c.availability().get(ds_id).await?;
    check(
        read_datastream(&a.datastream) == ds_id,
        "availability datastream",
    );
    let _: &Timestamp = &a.updated_at;
    for r in &a.ranges {
        let r: &AvailabilityRange = r;
        let _: (Nanos, Nanos, u64) = (r.from_ns, r.to_ns, r.rows_estimate);
        check(r.from_ns.as_i64() < r.to_ns.as_i64(), "range order");
    }
    println!("  ranges: {}", !a.ranges.is_empty());
    let b: BillingSummary = c.billing().summary().await?;
    let _: (&Option<Timestamp>, &Option<String>, &Option<Timestamp>) =
        (&b.grace_until, &b.plan_code, &b.current_period_end);
    let u: &BillingUsage = &b.usage;
    let _: (i64, &Decimal, i64) = (
        u.extra_stream_minutes_total,
        &u.export_gb_total,
        u.export_gb_extra,
    );
    let _: (&str, Option<f64>) = (u.export_gb_total.as_str(), u.export_gb_total.to_f64());
    println!("  access: {:?}, plan: {:?}", b.access_status, b.plan_code);
    c.subscriptions()
        .delete(&created.id)
        .idempotency_key(uuid())
        .send()
        .await?;
    let gone = c.subscriptions().get(&created.id).await?;
    println!("  subscription after delete: {:?}", gone.status);

    println!("== errors");
    let plain = mock.client(&key, 0);

    // As the official README's Error Handling section writes it.
    match plain.subscriptions().get(MISSING_SUB).await {
        Ok(sub) => panic!("found {sub:?}"),
        Err(Error::NotFound {
            message,
            request_id,
        }) => {
            check(!message.is_empty(), "NotFound.message");
            check(is_request_id(&request_id), "NotFound.request_id");
        }
        Err(Error::RateLimited { retry_after, .. }) => panic!("rate limited: {retry_after:?}"),
        Err(e) => wrong("404", &e),
    }
    let e = err_of("404", plain.subscriptions().get(MISSING_SUB).await);
    report("404 not_found", e, "NotFound");

    let limited_key = mock.account(json!({"rate_limit_minute": 1})).await;
    let limited = mock.client(&limited_key, 0);
    limited.exchanges().list().await?;
    let e = err_of("429", limited.exchanges().list().await);
    match &e {
        Error::RateLimited {
            message,
            retry_after,
            request_id,
        } => {
            check(!message.is_empty(), "RateLimited.message");
            check(
                retry_after.is_some_and(|s| s <= 60),
                "RateLimited.retry_after",
            );
            check(is_request_id(request_id), "RateLimited.request_id");
        }
        e => wrong("429", e),
    }
    report("429 rate_limited", e, "RateLimited");

    let faulty = mock.account(json!({})).await;
    let f = mock.client(&faulty, 0);
    mock.post(
        Some(faulty.as_str()),
        "/faults",
        json!({"method": "GET", "path_prefix": "/v1/billing", "status": 502,
               "body": "<html>bad gateway</html>", "content_type": "text/html", "times": 1}),
    )
    .await;
    let e = err_of("502", f.billing().summary().await);
    match &e {
        Error::Api {
            code,
            message,
            status,
            request_id,
        } => {
            check(code == "unknown", "502 code");
            check(*status == 502, "502 status");
            check(message.contains("bad gateway"), "502 message");
            check(is_request_id(request_id), "502 request_id");
        }
        e => wrong("502", e),
    }
    check(
        matches!(
            e,
            Error::Api {
                status: 500..=599,
                ..
            }
        ),
        "5xx",
    );
    report("502 with an HTML body", e, "Api");

    for (status, code) in [(500, "internal"), (503, "unavailable"), (418, "teapot")] {
        mock.post(
            Some(faulty.as_str()),
            "/faults",
            json!({"method": "GET", "path_prefix": "/v1/billing", "status": status,
                   "code": code, "times": 1}),
        )
        .await;
        let e = err_of(code, f.billing().summary().await);
        match &e {
            Error::Api {
                code: c, status: s, ..
            } => check(c == code && *s == status, code),
            e => wrong(code, e),
        }
        report(&format!("{status} {code}"), e, "Api");
    }

    mock.post(
        Some(faulty.as_str()),
        "/faults",
        json!({"method": "GET", "path_prefix": "/v1/billing", "status": 200,
               "body": "<html>maintenance</html>", "content_type": "text/html", "times": 1}),
    )
    .await;
    let e = err_of("decode", f.billing().summary().await);
    check(
        matches!(&e, Error::Decode(d) if d.is_syntax()),
        "Decode of a 200",
    );
    check(std::error::Error::source(&e).is_some(), "Decode source");
    report("200 with a body that is not JSON", e, "Decode");

    let many = SchemaContent::builder()
        .columns((0..101).map(|i| {
            SchemaColumn::data(format!("c{i}"))
                .exchange("binance", ExchangeExtractor::json("data.p", DataType::Str))
        }))
        .build();
    let e = err_of(
        "400",
        plain
            .export_schemas()
            .create("too-wide", StreamCategory::Trade, many)
            .send()
            .await,
    );
    match &e {
        Error::Validation {
            message,
            details,
            request_id,
        } => {
            check(!message.is_empty(), "Validation.message");
            let d: &Value = details.as_ref().expect("Validation.details");
            check(d["max_columns"] == json!(100), "details.max_columns");
            check(is_request_id(request_id), "Validation.request_id");
        }
        e => wrong("400", e),
    }
    report("400 invalid_argument with details", e, "Validation");
    let e = err_of("400", plain.datastreams().list().limit(5000).send().await);
    report("400 invalid_argument", e, "Validation");

    let e = err_of(
        "403",
        plain
            .exports()
            .create(ds_id, "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z")
            .send()
            .await,
    );
    match &e {
        Error::PermissionDenied {
            message,
            request_id,
        } => check(!message.is_empty() && is_request_id(request_id), "403"),
        e => wrong("403", e),
    }
    report(
        "403 permission_denied (no subscription)",
        e,
        "PermissionDenied",
    );

    plain.subscriptions().create(ds_id).send().await?;
    let e = err_of("409", plain.subscriptions().create(ds_id).send().await);
    match &e {
        Error::AlreadyExists {
            message,
            request_id,
        } => check(!message.is_empty() && is_request_id(request_id), "409"),
        e => wrong("409", e),
    }
    report("409 already_exists", e, "AlreadyExists");

    let suspended = mock.account(json!({})).await;
    mock.post(
        Some(suspended.as_str()),
        "/billing",
        json!({"access_status": "SUSPENDED"}),
    )
    .await;
    let s = mock.client(&suspended, 0);
    let e = err_of("402", s.subscriptions().create(ds_id).send().await);
    match &e {
        Error::PaymentRequired {
            message,
            details,
            request_id,
        } => {
            let _: &Option<Value> = details;
            check(!message.is_empty() && is_request_id(request_id), "402");
        }
        e => wrong("402", e),
    }
    report("402 payment_required (suspended)", e, "PaymentRequired");

    let e = err_of(
        "401",
        mock.client("ts_compat_no_such_key_0000", 0)
            .billing()
            .summary()
            .await,
    );
    match &e {
        Error::Authentication {
            message,
            request_id,
        } => check(!message.is_empty() && is_request_id(request_id), "401"),
        e => wrong("401", e),
    }
    report("401 unauthenticated", e, "Authentication");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("port").port();
    drop(closed);
    let nowhere = Client::builder()
        .api_key("key_abc.secret")
        .base_url(format!("http://127.0.0.1:{port}/v1"))
        .max_retries(0)
        .build()?;
    let e = err_of("network", nowhere.exchanges().list().await);
    match &e {
        Error::Network(inner) => check(inner.is_connect(), "a connect error"),
        e => wrong("network", e),
    }
    check(std::error::Error::source(&e).is_some(), "Network source");
    report("connection refused", e, "Network");

    let e = err_of(
        "config",
        Client::builder()
            .api_key("")
            .base_url(base.as_str())
            .build(),
    );
    match &e {
        Error::Config(m) => check(!m.is_empty(), "Config message"),
        e => wrong("config", e),
    }
    report("empty API key", e, "Config");

    println!("official-compat: all checks passed");
    Ok(())
}

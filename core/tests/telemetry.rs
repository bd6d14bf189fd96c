//! Telemetry through the `opentelemetry` crate's in-memory exporters, against ticksupply-mock:
//! a retried call gives two CLIENT spans under the caller's span (the second with
//! `http.request.resend_count` 1), the mock receives a `traceparent` carrying the caller's trace
//! id, artifact requests carry none and lose their query in `url.full`, a download is one
//! INTERNAL span over its requests, 401s and 429s are counted, and no key is in any attribute.

use std::time::Duration;

use opentelemetry::trace::{
    FutureExt as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::{Value as Json, json};
use ticksupply::Client;
use ticksupply::telemetry::OpenTelemetry;
use ticksupply_mock::{Config, MockServer};

const KEY: &str = "ts_otel_key_Z9y8X7w6";
const BAD: &str = "ts_nobody_key_Q1w2E3r4";

struct Harness {
    mock: MockServer,
    spans: InMemorySpanExporter,
    metrics: InMemoryMetricExporter,
    tracer_provider: SdkTracerProvider,
    meter_provider: SdkMeterProvider,
}

impl Harness {
    async fn new() -> Harness {
        let mock = ticksupply_mock::start(Config {
            port: 0,
            keys: vec![("otel".into(), KEY.into())],
            rate_limit_minute: 100_000,
            export_delay_ms: 100,
            ..Default::default()
        })
        .await
        .unwrap();
        let spans = InMemorySpanExporter::default();
        let tracer_provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        let metrics = InMemoryMetricExporter::default();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metrics.clone()).build())
            .build();
        Harness {
            mock,
            spans,
            metrics,
            tracer_provider,
            meter_provider,
        }
    }

    fn client(&self, key: &str, retries: u32) -> Client {
        Client::builder()
            .api_key(key)
            .base_url(self.mock.base_url())
            .max_retries(retries)
            .retry_backoff(Duration::from_millis(10), Duration::from_millis(20))
            .telemetry(OpenTelemetry::new(
                &self.tracer_provider,
                &self.meter_provider,
            ))
            .build()
            .unwrap()
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Json) -> Json {
        reqwest::Client::new()
            .request(method, format!("http://{}/_mock{path}", self.mock.api_addr))
            .header("x-api-key", KEY)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Json::Null)
    }

    async fn requests(&self, listener: &str) -> Vec<Json> {
        let path = format!("/requests?listener={listener}");
        let v = self.control(reqwest::Method::GET, &path, Json::Null).await;
        v.as_array().unwrap().clone()
    }

    fn finished(&self) -> Vec<SpanData> {
        self.spans.get_finished_spans().unwrap()
    }

    fn metrics(&self) -> ResourceMetrics {
        self.meter_provider.force_flush().unwrap();
        self.metrics.get_finished_metrics().unwrap().pop().unwrap()
    }
}

fn attr<'a>(s: &'a SpanData, key: &str) -> Option<&'a Value> {
    s.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// `(value, attributes)` of every data point of a sum or gauge metric.
fn points(rm: &ResourceMetrics, name: &str) -> Vec<(f64, Vec<KeyValue>)> {
    let Some(m) = rm
        .scope_metrics()
        .flat_map(|sm| sm.metrics())
        .find(|m| m.name() == name)
    else {
        return Vec::new();
    };
    match m.data() {
        AggregatedMetrics::U64(MetricData::Sum(s)) => s
            .data_points()
            .map(|p| (p.value() as f64, p.attributes().cloned().collect()))
            .collect(),
        AggregatedMetrics::I64(MetricData::Gauge(g)) => g
            .data_points()
            .map(|p| (p.value() as f64, p.attributes().cloned().collect()))
            .collect(),
        AggregatedMetrics::F64(MetricData::Histogram(h)) => h
            .data_points()
            .map(|p| (p.count() as f64, p.attributes().cloned().collect()))
            .collect(),
        _ => panic!("{name}: unexpected data"),
    }
}

fn has(attrs: &[KeyValue], key: &str, value: impl Into<Value>) -> bool {
    let value = value.into();
    attrs
        .iter()
        .any(|kv| kv.key.as_str() == key && kv.value == value)
}

#[tokio::test]
async fn a_retried_call_is_two_attempt_spans_under_the_callers_span() {
    let h = Harness::new().await;
    let c = h.client(KEY, 2);
    h.control(
        reqwest::Method::POST,
        "/faults",
        json!({"method": "GET", "path_prefix": "/v1/exchanges", "status": 503, "times": 1}),
    )
    .await;
    let tracer = h.tracer_provider.tracer("app");
    let caller = tracer.start("caller");
    let cx = Context::current_with_span(caller);
    let caller_sc = cx.span().span_context().clone();
    c.exchanges()
        .list()
        .send()
        .with_context(cx.clone())
        .await
        .unwrap();
    cx.span().end();

    let spans = h.finished();
    let attempts: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == "GET /exchanges")
        .collect();
    assert_eq!(attempts.len(), 2, "{spans:#?}");
    for a in &attempts {
        assert_eq!(a.span_kind, SpanKind::Client);
        assert_eq!(a.parent_span_id, caller_sc.span_id());
        assert_eq!(a.span_context.trace_id(), caller_sc.trace_id());
        assert_eq!(attr(a, "http.request.method"), Some(&Value::from("GET")));
        assert_eq!(attr(a, "url.template"), Some(&Value::from("/exchanges")));
        assert_eq!(attr(a, "server.address"), Some(&Value::from("127.0.0.1")));
        assert_eq!(
            attr(a, "ticksupply.api_key.suffix"),
            Some(&Value::from("X7w6"))
        );
        let full = attr(a, "url.full").unwrap().as_str();
        assert!(full.ends_with("/v1/exchanges"), "{full}");
    }
    let (first, second) = (attempts[0], attempts[1]);
    assert_eq!(
        attr(first, "http.response.status_code"),
        Some(&Value::I64(503))
    );
    assert_eq!(attr(first, "error.type"), Some(&Value::from("503")));
    assert!(matches!(first.status, Status::Error { .. }));
    assert_eq!(attr(first, "http.request.resend_count"), None);
    assert_eq!(
        attr(second, "http.request.resend_count"),
        Some(&Value::I64(1))
    );
    assert_eq!(
        attr(second, "http.response.status_code"),
        Some(&Value::I64(200))
    );
    assert!(
        attr(second, "ticksupply.request_id")
            .unwrap()
            .as_str()
            .starts_with("req_")
    );
    assert_eq!(second.status, Status::Unset);

    // The mock received one traceparent per attempt, each naming the caller's trace and the
    // attempt's own span.
    let seen = h.requests("api").await;
    let sent: Vec<String> = seen
        .iter()
        .filter(|r| r["path"] == "/v1/exchanges")
        .map(|r| r["headers"]["traceparent"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = attempts
        .iter()
        .map(|a| {
            format!(
                "00-{}-{}-01",
                a.span_context.trace_id(),
                a.span_context.span_id()
            )
        })
        .collect();
    assert_eq!(sent, expected);

    // The duration histogram counted both attempts, without high-cardinality attributes.
    let rm = h.metrics();
    let durations = points(&rm, "http.client.request.duration");
    let total: f64 = durations.iter().map(|(n, _)| n).sum();
    assert_eq!(total, 2.0, "{durations:?}");
    for (_, attrs) in &durations {
        assert!(has(attrs, "url.template", "/exchanges"));
        assert!(
            !attrs
                .iter()
                .any(|kv| kv.key.as_str() == "url.full"
                    || kv.key.as_str() == "ticksupply.request_id")
        );
    }
    let remaining = points(&rm, "ticksupply.client.rate_limit.remaining");
    assert!(
        remaining
            .iter()
            .any(|(_, a)| has(a, "ticksupply.rate_limit.window", "minute")),
        "{remaining:?}"
    );
    assert_no_key(&h, &[KEY]);
}

#[tokio::test]
async fn a_download_is_one_internal_span_and_artifact_requests_carry_no_traceparent() {
    let h = Harness::new().await;
    let c = h.client(KEY, 2);
    c.subscriptions().create(1).send().await.unwrap();
    // 2024-03-01, one hour: inside the mock's collected range.
    let from = 1_709_251_200_000_000_000i64;
    let job = c
        .exports()
        .create(1, from, from + 3_600_000_000_000)
        .send()
        .await
        .unwrap();
    c.exports()
        .wait(&job.id)
        .poll_interval(Duration::from_millis(20))
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    c.exports()
        .download(&job.id, dir.path())
        .send()
        .await
        .unwrap();

    let spans = h.finished();
    let download = spans
        .iter()
        .find(|s| s.name == "ticksupply.exports.download")
        .expect("a download span");
    assert_eq!(download.span_kind, SpanKind::Internal);
    assert_eq!(
        attr(download, "ticksupply.export.id"),
        Some(&Value::from(job.id.clone()))
    );
    let wait = spans
        .iter()
        .find(|s| s.name == "ticksupply.exports.wait")
        .expect("a wait span");
    let polls = spans.iter().filter(|s| {
        s.name == "GET /exports/{id}" && s.parent_span_id == wait.span_context.span_id()
    });
    assert!(polls.count() >= 1);
    let inside: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.parent_span_id == download.span_context.span_id())
        .collect();
    let listing = inside
        .iter()
        .filter(|s| s.name == "GET /exports/{id}/download");
    assert_eq!(listing.count(), 1, "{inside:#?}");
    let artifacts: Vec<&&SpanData> = inside.iter().filter(|s| s.name == "GET").collect();
    assert!(!artifacts.is_empty(), "{inside:#?}");
    for a in &artifacts {
        let full = attr(a, "url.full").unwrap().as_str();
        assert!(!full.contains('?'), "presigned query in {full}");
        assert_eq!(attr(a, "ticksupply.api_key.suffix"), None);
        assert_eq!(attr(a, "http.response.status_code"), Some(&Value::I64(200)));
    }
    for r in h.requests("artifacts").await {
        assert!(r["headers"].get("traceparent").is_none(), "{r}");
    }
    assert_no_key(&h, &[KEY]);
}

#[tokio::test]
async fn a_401_counts_an_auth_failure_by_key_suffix_and_a_429_a_rate_limited() {
    let h = Harness::new().await;
    let bad = h.client(BAD, 0);
    assert!(bad.exchanges().list().send().await.is_err());
    let good = h.client(KEY, 0);
    h.control(
        reqwest::Method::POST,
        "/faults",
        json!({"method": "GET", "path_prefix": "/v1/billing", "status": 429, "times": 1}),
    )
    .await;
    assert!(good.billing().summary().send().await.is_err());

    let rm = h.metrics();
    let auth = points(&rm, "ticksupply.client.auth_failures");
    assert_eq!(auth.len(), 1, "{auth:?}");
    assert_eq!(auth[0].0, 1.0);
    assert!(has(&auth[0].1, "ticksupply.api_key.suffix", "E3r4"));
    let limited = points(&rm, "ticksupply.client.rate_limited");
    assert_eq!(limited.len(), 1, "{limited:?}");
    assert_eq!(limited[0].0, 1.0);
    assert!(has(&limited[0].1, "url.template", "/billing/summary"));
    assert!(has(&limited[0].1, "ticksupply.api_key.suffix", "X7w6"));

    let spans = h.finished();
    let refused = spans.iter().find(|s| s.name == "GET /exchanges").unwrap();
    assert_eq!(attr(refused, "error.type"), Some(&Value::from("401")));
    match &refused.status {
        Status::Error { description } => {
            assert!(description.contains("****E3r4"), "{description}");
        }
        other => panic!("{other:?}"),
    }
    assert_no_key(&h, &[KEY, BAD]);
}

/// No key in any span's attributes or status, nor in any metric's attributes.
fn assert_no_key(h: &Harness, keys: &[&str]) {
    let spans = format!("{:?}", h.finished());
    let metrics = format!("{:?}", h.metrics());
    for k in keys {
        assert!(!spans.contains(k), "{k} in spans");
        assert!(!metrics.contains(k), "{k} in metrics");
    }
}

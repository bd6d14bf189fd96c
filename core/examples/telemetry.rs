//! OpenTelemetry: a CLIENT span per request, under your own span, carrying the request id and
//! the key's last four characters (the same in Python and JavaScript: examples/*/telemetry.*).
//!
//! Run against the local mock (a key long enough to show its suffix):
//! `TICKSUPPLY_API_KEY=ts_example_key_9f3a scripts/with-mock --key demo=ts_example_key_9f3a --
//! cargo run --example telemetry --features opentelemetry`

use opentelemetry::trace::{FutureExt, SpanKind, TraceContextExt, Tracer};
use opentelemetry::{Context, global};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use ticksupply::Client;
use ticksupply::telemetry::OpenTelemetry;

#[tokio::main]
async fn main() -> ticksupply::Result<()> {
    // In production: an OTLP exporter (opentelemetry-otlp).
    let spans = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(spans.clone())
        .build();
    global::set_tracer_provider(provider);

    let client = Client::builder()
        .telemetry(OpenTelemetry::global())
        .build()?;
    let cx = Context::current_with_span(global::tracer("app").start("list exchanges"));
    client
        .exchanges()
        .list()
        .send()
        .with_context(cx.clone())
        .await?;
    cx.span().end();

    let mine = cx.span().span_context().span_id();
    for span in spans.get_finished_spans().unwrap_or_default() {
        if span.span_kind == SpanKind::Client {
            let a = |k: &str| {
                span.attributes
                    .iter()
                    .find(|kv| kv.key.as_str() == k)
                    .map(|kv| kv.value.to_string())
                    .unwrap_or_default()
            };
            let under = if span.parent_span_id == mine {
                "list exchanges"
            } else {
                "?"
            };
            println!(
                "{}: client span under \"{under}\", status {}, key suffix {}, request_id {}",
                span.name,
                a("http.response.status_code"),
                a("ticksupply.api_key.suffix"),
                a("ticksupply.request_id")
            );
        }
    }
    Ok(())
}

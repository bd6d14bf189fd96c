"""OpenTelemetry: a CLIENT span per request, under your own span, carrying the request id and the
key's last four characters (the same in Rust and JavaScript: examples/*/telemetry.*).

Run against the local mock (a key long enough to show its suffix):
    TICKSUPPLY_API_KEY=ts_example_key_9f3a scripts/with-mock --key demo=ts_example_key_9f3a -- \\
      .venv/bin/python examples/python/telemetry.py
"""

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from ticksupply import Client
from ticksupply.otel import TicksupplyInstrumentor

# In production: an OTLP exporter (or no code at all: `opentelemetry-instrument python app.py`).
spans = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(provider)
TicksupplyInstrumentor().instrument()

client = Client()
with trace.get_tracer("app").start_as_current_span("list exchanges") as mine:
    client.exchanges.list()

for span in spans.get_finished_spans():
    if span.kind == trace.SpanKind.CLIENT:
        a = span.attributes or {}
        under = "list exchanges" if span.parent and span.parent.span_id == mine.get_span_context().span_id else "?"
        status, suffix, request_id = (
            str(a[k]) for k in ("http.response.status_code", "ticksupply.api_key.suffix", "ticksupply.request_id")
        )
        print(
            f'{span.name}: client span under "{under}", status {status}, key suffix {suffix}, request_id {request_id}'
        )

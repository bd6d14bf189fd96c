"""OpenTelemetry from Python, with the SDK's in-memory exporter and reader, against the mock:
attempt spans under the caller's span (a retry has ``http.request.resend_count`` 1), the
``traceparent`` the mock received carries the caller's trace, artifact requests carry none,
export helpers are INTERNAL spans, 401s and 429s are counted by key suffix, no key is in any
attribute, and ``opentelemetry-instrument`` picks the instrumentor up with no code change."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402
from ticksupply import AsyncClient, AuthenticationError, Client, RateLimitError  # noqa: E402
from ticksupply.otel import TicksupplyInstrumentor  # noqa: E402

HOUR_NS = 3_600 * 10**9
MARCH_2024 = 1_709_251_200 * 10**9  # inside the mock's collected range


class Telemetry:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.tracer = self.tracer_provider.get_tracer("app")

    def finished(self, name: str | None = None) -> list[ReadableSpan]:
        return [s for s in self.spans.get_finished_spans() if name is None or s.name == name]

    def points(self, name: str) -> list[tuple[dict, float]]:
        data = self.reader.get_metrics_data()
        out = []
        for rm in data.resource_metrics if data else []:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name == name:
                        for p in m.data.data_points:
                            out.append((dict(p.attributes), getattr(p, "value", getattr(p, "count", None))))
        return out


@pytest.fixture
def otel():
    t = Telemetry()
    TicksupplyInstrumentor().instrument(tracer_provider=t.tracer_provider, meter_provider=t.meter_provider)
    yield t
    TicksupplyInstrumentor().uninstrument()


def no_key_in(t: Telemetry, *keys: str) -> None:
    text = repr([(s.name, dict(s.attributes or {}), s.status.description) for s in t.finished()])
    text += repr(t.reader.get_metrics_data())
    for k in keys:
        assert k not in text


def test_a_retried_call_is_two_attempt_spans_under_the_callers_span(mock, key, otel):
    mock.fault(key, method="GET", path_prefix="/v1/exchanges", status=503, times=1)
    client = Client(api_key=key, base_url=mock.base_url)
    with otel.tracer.start_as_current_span("caller") as caller:
        client.exchanges.list()
    cs = caller.get_span_context()
    attempts = otel.finished("GET /exchanges")
    assert len(attempts) == 2
    for a in attempts:
        assert a.kind == SpanKind.CLIENT
        assert a.parent is not None and a.parent.span_id == cs.span_id
        assert a.context.trace_id == cs.trace_id
        attrs = a.attributes or {}
        assert attrs["url.template"] == "/exchanges"
        assert attrs["http.request.method"] == "GET"
        assert attrs["ticksupply.api_key.suffix"] == key[-4:]
    first, second = attempts
    assert first.attributes["http.response.status_code"] == 503
    assert first.attributes["error.type"] == "503"
    assert first.status.status_code == StatusCode.ERROR
    assert "http.request.resend_count" not in first.attributes
    assert second.attributes["http.request.resend_count"] == 1
    assert second.attributes["ticksupply.request_id"].startswith("req_")

    sent = [r["headers"]["traceparent"] for r in mock.requests(key) if r["path"] == "/v1/exchanges"]
    assert [tp.split("-")[1] for tp in sent] == [f"{cs.trace_id:032x}"] * 2
    assert [tp.split("-")[2] for tp in sent] == [f"{a.context.span_id:016x}" for a in attempts]
    durations = otel.points("http.client.request.duration")
    assert sum(n for _, n in durations) == 2
    assert all("url.full" not in a and "ticksupply.request_id" not in a for a, _ in durations)
    no_key_in(otel, key)


def test_async_calls_join_the_callers_trace(mock, key, otel):
    async def main() -> int:
        client = AsyncClient(api_key=key, base_url=mock.base_url)
        with otel.tracer.start_as_current_span("async caller") as caller:
            await client.exchanges.list()
            pages = [i async for i in client.exchanges.list_all_instruments("binance")]
            assert pages
        return caller.get_span_context().span_id

    caller_id = asyncio.run(main())
    spans = otel.finished()
    calls = [s for s in spans if s.kind == SpanKind.CLIENT]
    assert {s.name for s in calls} == {"GET /exchanges", "GET /exchanges/{exchange}/instruments"}
    assert all(s.parent is not None and s.parent.span_id == caller_id for s in calls)


def test_export_helpers_are_internal_spans_and_artifacts_get_no_traceparent(mock, key, otel):
    client = Client(api_key=key, base_url=mock.base_url)
    client.subscriptions.create(1)
    job = client.exports.create(datastream_id=1, start_time=MARCH_2024, end_time=MARCH_2024 + HOUR_NS)
    client.exports.wait(job.id, poll_interval=0.05)
    client.exports.download(job.id, os.path.join(os.environ["TICKSUPPLY_CONFIG_DIR"], "dl"))
    table = client.exports.data(job.id).to_arrow()
    assert table.num_rows > 0

    spans = otel.finished()
    by_id = {s.context.span_id: s for s in spans}
    for helper in ("ticksupply.exports.wait", "ticksupply.exports.download", "ticksupply.exports.data"):
        (op,) = [s for s in spans if s.name == helper]
        assert op.kind == SpanKind.INTERNAL
        children = [s for s in spans if s.parent is not None and s.parent.span_id == op.context.span_id]
        assert children, helper
        if helper != "ticksupply.exports.wait":
            artifacts = [s for s in children if s.name == "GET"]
            assert artifacts, helper
            for a in artifacts:
                assert "?" not in a.attributes["url.full"]
                assert "ticksupply.api_key.suffix" not in a.attributes
    assert all(s.parent is None or s.parent.span_id in by_id for s in spans)
    for r in mock.requests(key, "artifacts"):
        assert "traceparent" not in r["headers"]
    no_key_in(otel, key)


def test_401_and_429_are_counted_by_key_suffix(mock, key, otel):
    with pytest.raises(AuthenticationError):
        Client(api_key="ts_nobody_key_Q1w2E3r4", base_url=mock.base_url, max_retries=0).exchanges.list()
    mock.fault(key, method="GET", path_prefix="/v1/billing", status=429, times=1)
    with pytest.raises(RateLimitError):
        Client(api_key=key, base_url=mock.base_url, max_retries=0).billing.get_summary()
    auth = otel.points("ticksupply.client.auth_failures")
    assert auth == [({"server.address": "127.0.0.1", "ticksupply.api_key.suffix": "E3r4"}, 1)]
    limited = otel.points("ticksupply.client.rate_limited")
    assert len(limited) == 1 and limited[0][1] == 1
    assert limited[0][0]["url.template"] == "/billing/summary"
    assert limited[0][0]["ticksupply.api_key.suffix"] == key[-4:]
    windows = {a["ticksupply.rate_limit.window"] for a, _ in otel.points("ticksupply.client.rate_limit.remaining")}
    assert windows == {"minute", "hour"}
    no_key_in(otel, key, "ts_nobody_key_Q1w2E3r4")


def test_uninstrument_turns_it_off(mock, key, otel):
    TicksupplyInstrumentor().uninstrument()
    Client(api_key=key, base_url=mock.base_url).exchanges.list()
    assert otel.finished() == []
    assert all("traceparent" not in r["headers"] for r in mock.requests(key))
    TicksupplyInstrumentor().instrument(tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider)


def test_opentelemetry_instrument_needs_no_code_change(mock, key):
    script = Path(sys.executable).with_name("opentelemetry-instrument")
    if not script.exists():
        pytest.skip("opentelemetry-instrument is not installed")
    env = {
        **os.environ,
        "TICKSUPPLY_API_KEY": key,
        "TICKSUPPLY_BASE_URL": mock.base_url,
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_SERVICE_NAME": "zero-code",
    }
    app = "import ticksupply; print(len(ticksupply.Client().exchanges.list()))"
    out = subprocess.run([str(script), sys.executable, "-c", app], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    spans = [json.loads(chunk) for chunk in _json_objects(out.stdout)]
    names = [s["name"] for s in spans]
    assert "GET /exchanges" in names, out.stdout
    span = spans[names.index("GET /exchanges")]
    assert span["attributes"]["ticksupply.api_key.suffix"] == key[-4:]
    assert key not in out.stdout + out.stderr


def _json_objects(text: str) -> list[str]:
    """The console exporter's pretty-printed JSON objects, one per span."""
    objects, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                objects.append(text[start : i + 1])
    return objects

"""OpenTelemetry for ticksupply: a CLIENT span per HTTP attempt and the key-usage metrics.

::

    from ticksupply.otel import TicksupplyInstrumentor
    TicksupplyInstrumentor().instrument()   # or: opentelemetry-instrument python app.py

The Rust core reports each attempt once — span name ``METHOD url.template``, the HTTP client
semantic conventions, ``ticksupply.request_id``, ``ticksupply.api_key.suffix``; the metrics
``http.client.request.duration``, ``ticksupply.client.auth_failures``,
``ticksupply.client.rate_limited`` and ``ticksupply.client.rate_limit.remaining`` — the same in
Rust, Python and Node. This module only hands those reports to the OpenTelemetry SDK: spans
start under the caller's current context (a ``traceparent`` goes to the API, never to artifact
hosts), every client of the process is covered, including clients made before ``instrument()``.
Off, nothing is captured and nothing is allocated. Needs ``pip install 'ticksupply[otel]'``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.trace import SpanKind, Status, StatusCode

from ticksupply import _native

__all__ = ["TicksupplyInstrumentor"]

_KINDS = {"client": SpanKind.CLIENT, "internal": SpanKind.INTERNAL}
Attributes = Mapping[str, "str | int"]


class _Observer:
    """What the core calls: capture the caller's context, start and end spans, record."""

    def __init__(self, tracer: trace.Tracer, meter: metrics.Meter) -> None:
        self._tracer = tracer
        self._meter = meter
        self._instruments: dict[str, Any] = {}

    def capture(self) -> otel_context.Context:
        return otel_context.get_current()

    def start(
        self, name: str, kind: str, start_ns: int, attributes: Attributes, parent: otel_context.Context | None
    ) -> tuple[trace.Span, str | None, otel_context.Context]:
        span = self._tracer.start_span(
            name, context=parent, kind=_KINDS[kind], attributes=dict(attributes), start_time=start_ns
        )
        sc = span.get_span_context()
        traceparent = f"00-{sc.trace_id:032x}-{sc.span_id:016x}-{sc.trace_flags:02x}" if sc.is_valid else None
        return span, traceparent, trace.set_span_in_context(span, parent)

    def end(self, span: trace.Span, attributes: Attributes, error: str | None, end_ns: int) -> None:
        span.set_attributes(dict(attributes))
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, error))
        span.end(end_time=end_ns)

    def record(self, measurements: Sequence[tuple[str, str, str, str, float, Attributes, list[float]]]) -> None:
        for kind, name, unit, description, value, attributes, boundaries in measurements:
            instrument = self._instruments.get(name)
            if instrument is None:
                instrument = self._instruments[name] = self._create(kind, name, unit, description, boundaries)
            if kind == "histogram":
                instrument.record(value, attributes)
            elif kind == "counter":
                instrument.add(int(value), attributes)
            else:
                instrument.set(int(value), attributes)

    def _create(self, kind: str, name: str, unit: str, description: str, boundaries: list[float]) -> Any:
        if kind == "histogram":
            return self._meter.create_histogram(
                name, unit=unit, description=description, explicit_bucket_boundaries_advisory=boundaries or None
            )
        if kind == "counter":
            return self._meter.create_counter(name, unit=unit, description=description)
        return self._meter.create_gauge(name, unit=unit, description=description)


class TicksupplyInstrumentor(BaseInstrumentor):
    """Spans and metrics of every ticksupply client, through OpenTelemetry.

    ``instrument(tracer_provider=None, meter_provider=None)``: the global providers unless
    given. Registered as the ``opentelemetry_instrumentor`` entry point ``ticksupply``, so
    ``opentelemetry-instrument`` turns it on with no code change.
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("ticksupply",)

    def _instrument(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer("ticksupply", _native.CORE_VERSION, kwargs.get("tracer_provider"))
        meter = metrics.get_meter("ticksupply", _native.CORE_VERSION, kwargs.get("meter_provider"))
        _native._set_observer(_Observer(tracer, meter))

    def _uninstrument(self, **kwargs: Any) -> None:
        _native._set_observer(None)

"""The same Python benchmark for our wheel and the official client (each in its own venv).

python bench.py BASE_URL WHAT SECONDS   ->  {"what": ..., "value": ...}
"""

import asyncio
import json
import sys
import time

KEY = "ts_bench_key_0001"


def sequential(base, window):
    from ticksupply import Client

    c = Client(api_key=KEY, base_url=base, max_retries=0)
    for _ in range(100):
        c.exchanges.list()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < window:
        c.exchanges.list()
        n += 1
    return n / (time.perf_counter() - start)


def sequential_otel(base, window):
    """`sequential` with telemetry on: the SDK's tracer and meter providers, spans to a batch
    processor whose exporter drops them (the export itself is not ours to time)."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
    from ticksupply.otel import TicksupplyInstrumentor

    class Drop(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(Drop()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    TicksupplyInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    return sequential(base, window)


def page(base, window):
    from ticksupply import Client

    c = Client(api_key=KEY, base_url=base, max_retries=0)
    for _ in range(5):
        c.exchanges.list_instruments("binance", limit=1000)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < window:
        p = c.exchanges.list_instruments("binance", limit=1000)
        assert len(p.items) == 1000 and p.items[-1].symbol
        n += 1
    return n / (time.perf_counter() - start)


def concurrent(base, window):
    from ticksupply import AsyncClient

    async def main():
        c = AsyncClient(api_key=KEY, base_url=base, max_retries=0)
        start = time.perf_counter()

        async def caller():
            k = 0
            while time.perf_counter() - start < window:
                await c.exchanges.list()
                k += 1
            return k

        counts = await asyncio.gather(*[caller() for _ in range(50)])
        return sum(counts) / (time.perf_counter() - start)

    return asyncio.run(main())


def import_ms(base, window):
    start = time.perf_counter()
    import ticksupply  # noqa: F401

    return (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    base, what, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    runs = {
        "sequential": sequential,
        "sequential-otel": sequential_otel,
        "page": page,
        "concurrent": concurrent,
        "import": import_ms,
    }
    value = runs[what](base, secs)
    print(json.dumps({"what": what, "value": value}))

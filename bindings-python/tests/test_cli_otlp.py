"""The command line's OTLP export, received by an OTLP/HTTP receiver written with the official
`opentelemetry-proto` definitions (no registry carries the Collector binary): one `sync` is one
trace — the command's span, a span per window, every request inside — and its metrics arrive;
without OTEL_EXPORTER_OTLP_ENDPOINT nothing is sent. With TICKSUPPLY_FIGURES_DIR set, what was
received is saved there for `make figures`."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.proto")

from conftest import cli, hourly_sync_args  # noqa: E402
from otlp_receiver import Receiver  # noqa: E402

INTERNAL, CLIENT = 1, 3  # the proto's SpanKind values


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def run(mock, key, args, env):
    full = {**os.environ, **env, "TICKSUPPLY_API_KEY": key, "TICKSUPPLY_BASE_URL": mock.base_url}
    return subprocess.run([cli(), *args], env=full, capture_output=True, text=True, timeout=180)


def test_a_sync_is_one_trace_with_its_windows_and_requests(mock, key, receiver, tmp_path):
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_METRIC_EXPORT_INTERVAL": "60000"}
    for spec in ("binance:BTCUSDT:trades", "binance:ETHUSDT:trades"):
        exchange, instrument, stream_type = spec.split(":")
        out = run(
            mock,
            key,
            [
                "datastreams",
                "list",
                "--exchange",
                exchange,
                "--instrument",
                instrument,
                "--stream-type",
                stream_type,
                "--json",
            ],
            {},
        )
        ds_id = json.loads(out.stdout)[0]["datastream_id"]
        assert run(mock, key, ["subscriptions", "create", str(ds_id)], {}).returncode == 0
    assert receiver.received.spans == [], "no endpoint, nothing sent"

    out = run(mock, key, hourly_sync_args(tmp_path / "lake"), env)
    assert out.returncode == 0, out.stderr
    spans = receiver.received.spans
    assert {p for p, _ in receiver.received.requests} == {"/v1/traces", "/v1/metrics"}
    assert all(ct == "application/x-protobuf" for _, ct in receiver.received.requests)

    roots = [s for s in spans if s.parent_span_id == ""]
    assert [r.name for r in roots] == ["ticksupply sync"]
    root = roots[0]
    assert root.kind == INTERNAL and root.service == "ticksupply-cli"
    assert {s.trace_id for s in spans} == {root.trace_id}, "one trace"
    windows = [s for s in spans if s.name == "ticksupply.sync.window"]
    assert len(windows) == 2, [w.attributes for w in windows]
    assert {w.parent_span_id for w in windows} == {root.span_id}
    assert {w.attributes["ticksupply.datastream"] for w in windows} == {
        "binance:BTCUSDT:trades",
        "binance:ETHUSDT:trades",
    }
    by_id = {s.span_id: s for s in spans}
    attempts = [s for s in spans if s.kind == CLIENT]
    assert {"POST /exports", "GET /availability"} <= {s.name for s in attempts}
    for a in attempts:
        assert a.parent_span_id in by_id, a.name
        assert key not in json.dumps(a.attributes)
    artifacts = [a for a in attempts if a.name == "GET"]
    assert artifacts and all("?" not in a.attributes["url.full"] for a in artifacts)
    # Each export's requests sit under the window that made it.
    for w in windows:
        inside = [s for s in attempts if s.parent_span_id == w.span_id]
        assert any(s.name == "POST /exports" for s in inside), w.attributes
    assert receiver.received.metrics["http.client.request.duration"]
    remaining = receiver.received.metrics["ticksupply.client.rate_limit.remaining"]
    assert {a["ticksupply.rate_limit.window"] for a, _ in remaining} == {"minute", "hour"}

    figures = os.environ.get("TICKSUPPLY_FIGURES_DIR")
    if figures:
        # A second application keeps using a key that was rotated away: the 401s a team would
        # see on its dashboard.
        import time

        rotated = mock.account()
        for i in range(16):
            if i == 8:
                mock.control("DELETE", f"/keys/{rotated}")
            run(mock, rotated, ["exchanges", "list"], env)
            run(mock, key, ["exchanges", "list"], env)
            time.sleep(0.2)
        Path(figures).mkdir(parents=True, exist_ok=True)
        Path(figures, "otlp.json").write_text(
            json.dumps({"spans": [asdict(s) for s in receiver.received.spans]}, indent=1)
        )

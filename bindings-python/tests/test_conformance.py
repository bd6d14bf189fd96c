"""tests/conformance/scenarios.json through the Python binding (the Rust and Node runners run
the same list)."""

from __future__ import annotations

import json
import logging
import time

import pytest
import ticksupply.exceptions as exc
from conftest import ROOT
from ticksupply import Client

SCENARIOS = json.loads((ROOT / "tests" / "conformance" / "scenarios.json").read_text())["scenarios"]


def run(client: Client, op: str, args: dict, items: list) -> object:
    """Calls `resource.method` with the scenario's arguments, in order, positionally."""
    resource, method = op.split(".")
    target = getattr(getattr(client, resource), method)
    if method.startswith("list_all"):
        for item in target(*args.values()):
            items.append(item)
        return items
    return target(*args.values())


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(mock, sc, caplog):
    caplog.set_level(logging.DEBUG, logger="ticksupply")
    key = mock.account()
    for fault in sc["faults"]:
        mock.fault(key, **fault)
    opts = sc.get("client", {})
    timeout = opts["timeout_ms"] / 1000 if "timeout_ms" in opts else None
    client = Client(api_key=key, base_url=mock.base_url, max_retries=opts.get("max_retries", 3), timeout=timeout)
    want = sc["expect"]
    items: list = []
    started = time.monotonic()
    try:
        result, error = run(client, sc["call"], sc.get("args", {}), items), None
    except exc.TicksupplyError as e:
        result, error = None, e
    elapsed_ms = (time.monotonic() - started) * 1000
    mock.control("DELETE", "/faults", key=key)
    api = [r for r in mock.requests(key) if r["path"].startswith("/v1/")]

    if want.get("ok"):
        assert error is None, f"expected success, got {error!r}"
    else:
        assert isinstance(error, getattr(exc, want["error"])), f"expected {want['error']}, got {error!r}"
        for field, attr in [("code", "code"), ("status", "http_status"), ("retry_after", "retry_after")]:
            if field in want:
                assert getattr(error, attr) == want[field], f"{field}: {getattr(error, attr)!r}"
        if "request_id" in want:
            assert (error.request_id is not None) == want["request_id"], error
        assert key[-8:] not in str(error), "the key leaked into the message"
    if "attempts" in want:
        assert len(api) == want["attempts"], [(r["method"], r["path"], r["status"]) for r in api]
    if want.get("same_idempotency_key"):
        keys = {r["headers"].get("idempotency-key") for r in api if r["method"] == "POST"}
        assert len(keys) == 1 and None not in keys, keys
    if "subscriptions_after" in want:
        assert client.subscriptions.list().total == want["subscriptions_after"]
    if "min_ms" in want:
        assert elapsed_ms >= want["min_ms"], elapsed_ms
    if "max_ms" in want:
        assert elapsed_ms <= want["max_ms"], elapsed_ms
    for name, value in want.get("field", {}).items():
        assert getattr(result, name) == value
    if "items" in want:
        assert len(result.items) == want["items"]
    if "items_before_error" in want:
        assert len(items) == want["items_before_error"]
    for path in want.get("paths", []):
        assert path in [r["path"] for r in api], [r["path"] for r in api]
    # Leak canary: the key (its secret part) appears in no log line, repr or message.
    secret = key[:-4]
    assert caplog.records or not api, "debug logging was on"
    for shown in [caplog.text, repr(client), str(client), repr(error), str(error), repr(result)]:
        assert secret not in shown

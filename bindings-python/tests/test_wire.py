"""Rules that need exact bytes or timing, through the Python binding: a raw TCP server sees
what goes on the wire; ticksupply-mock faults supply delays."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from conftest import http_response
from ticksupply import APIError, AsyncClient, Client, NotFoundError, RateLimitError
from ticksupply.exceptions import APITimeoutError, DecodeError, NetworkError

SUB = json.dumps({"id": "sub_1", "datastream_id": 7, "status": "active", "created_at": "2026-01-01T00:00:00Z"})


def test_header_bytes_on_the_wire(raw_server, monkeypatch):
    srv = raw_server(lambda n, head: http_response(201, SUB, X_Request_Id="req_raw"))
    monkeypatch.setenv("TICKSUPPLY_API_KEY", "  ts_live_wirecheck\n")
    sub = Client(base_url=srv.base_url).subscriptions.create(7)
    assert sub.request_id == "req_raw"
    head = srv.requests[0][1].decode("latin-1")
    assert head.startswith("POST /v1/subscriptions HTTP/1.1\r\n")
    assert "\r\nX-Api-Key: ts_live_wirecheck\r\n" in head, head
    uuid4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert re.search(rf"\r\nIdempotency-Key: {uuid4}\r\n", head), head
    assert re.search(r"\r\nUser-Agent: [^\r]*ticksupply-python/\d+\.\d+\.\d+", head), head


def test_retry_after_is_a_floor(raw_server):
    ok = json.dumps([{"code": "binance", "display_name": "Binance"}])
    limited = '{"error":{"code":"rate_limited","message":"slow down"}}'
    srv = raw_server(lambda n, head: http_response(429, limited, Retry_After="1") if n == 1 else http_response(200, ok))
    started = time.monotonic()
    ex = Client(api_key="k", base_url=srv.base_url).exchanges.list()
    assert ex[0].code == "binance"
    gap = srv.requests[1][0] - srv.requests[0][0]
    assert gap >= 0.95, f"retried after {gap:.3f}s, before the 1 s Retry-After"
    assert time.monotonic() - started < 5


def test_a_wait_over_60s_is_not_slept(raw_server):
    limited = '{"error":{"code":"rate_limited","message":"later"}}'
    srv = raw_server(lambda n, head: http_response(429, limited, Retry_After="3600"))
    started = time.monotonic()
    with pytest.raises(RateLimitError) as e:
        Client(api_key="k", base_url=srv.base_url).exchanges.list()
    assert e.value.retry_after == 3600 and len(srv.requests) == 1
    assert time.monotonic() - started < 2


def test_an_attempt_past_the_timeout_is_a_network_timeout(mock, key):
    mock.fault(key, method="GET", path_prefix="/v1/billing", delay_ms=3000)
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as e:
        Client(api_key=key, base_url=mock.base_url, timeout=0.2, max_retries=0).billing.get_summary()
    assert isinstance(e.value, NetworkError) and isinstance(e.value, TimeoutError)
    assert time.monotonic() - started < 2


def test_path_segments_are_percent_encoded(mock, key):
    c = Client(api_key=key, base_url=mock.base_url)
    page = c.exchanges.list_datastreams("kraken", "XBT/USD")
    assert page.items and page.items[0].instrument == "XBT/USD"
    with pytest.raises(NotFoundError):
        c.subscriptions.get("../exchanges")
    paths = [r["path"] for r in mock.requests(key)]
    assert "/v1/exchanges/kraken/instruments/XBT%2FUSD/datastreams" in paths, paths
    assert "/v1/subscriptions/..%2Fexchanges" in paths, paths


def test_unknown_enum_values_and_new_fields_are_kept(raw_server):
    body = json.dumps({"id": "sub_x", "status": "hibernating", "created_at": "2026-01-01T00:00:00Z", "shiny": 1})
    srv = raw_server(lambda n, head: http_response(200, body))
    sub = Client(api_key="k", base_url=srv.base_url).subscriptions.get("sub_x")
    assert sub.status == "hibernating" and sub.to_dict()["shiny"] == 1


def test_json_with_surrounding_whitespace_parses_exactly(raw_server):
    body = '\r\n\t [ {"code": "binance", "big": 12345678901234567890123, "x": 1.5e300} ]\n '
    srv = raw_server(lambda n, head: http_response(200, body, X_Request_Id="req_ws"))
    ex = Client(api_key="k", base_url=srv.base_url).exchanges.list()
    assert ex.request_id == "req_ws" and ex[0].code == "binance"
    assert ex[0].big == 12345678901234567890123 and ex[0].x == 1.5e300


def test_a_body_that_is_not_json_is_a_decode_error_with_the_request_id(raw_server):
    srv = raw_server(lambda n, head: http_response(200, "<html>hi</html>", X_Request_Id="req_html"))
    with pytest.raises(DecodeError) as e:
        Client(api_key="k", base_url=srv.base_url).billing.get_summary()
    assert e.value.request_id == "req_html"


def test_a_redirect_is_an_error_and_is_not_followed(raw_server):
    target = raw_server(lambda n, head: http_response(200, "[]"))
    srv = raw_server(lambda n, head: http_response(302, "", Location=target.base_url + "/exchanges"))
    with pytest.raises(APIError) as e:
        Client(api_key="k", base_url=srv.base_url).exchanges.list()
    assert e.value.http_status == 302 and not target.requests


def test_cancelling_an_async_call_stops_it_in_the_core(mock, key):
    mock.fault(key, method="GET", path_prefix="/v1/billing", status=503)

    async def main() -> None:
        async with AsyncClient(api_key=key, base_url=mock.base_url, max_retries=5) as c:
            task = asyncio.ensure_future(c.billing.get_summary())
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            seen = len(mock.requests(key))
            # Without cancellation in the core, retries 2 and 3 land within these 1.5 s.
            await asyncio.sleep(1.5)
            assert len(mock.requests(key)) == seen, "the core kept retrying after the task was cancelled"

    asyncio.run(main())

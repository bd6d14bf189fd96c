"""Contract rules through the Python binding, against ticksupply-mock."""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import ticksupply
from conftest import http_response
from ticksupply import (
    AsyncClient,
    AuthenticationError,
    Client,
    ConfigurationError,
    ExportFailedError,
    InvalidArgumentError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TicksupplyError,
)


def test_official_readme_flows_run_unchanged(mock):
    """The flows written for the official client pass with this package."""
    script = Path(__file__).resolve().parents[2] / "tests" / "official-clients" / "python_flows.py"
    env = {"TICKSUPPLY_BASE_URL": mock.base_url, "TICKSUPPLY_API_KEY": mock.account(), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all flows passed" in out.stdout


def test_key_sources_trimming_and_configuration_error(mock, monkeypatch):
    with pytest.raises(ConfigurationError) as e:
        Client(base_url=mock.base_url)
    assert isinstance(e.value, ValueError) and isinstance(e.value, TicksupplyError)
    assert "TICKSUPPLY_API_KEY" in str(e.value)
    key = mock.account()
    monkeypatch.setenv("TICKSUPPLY_API_KEY", f"  {key}\n")
    monkeypatch.setenv("TICKSUPPLY_BASE_URL", mock.base_url)
    assert Client().exchanges.list()[0].code == "binance"
    with pytest.raises(ConfigurationError):
        Client(api_key="")  # explicit empty is an error, not the env var
    with pytest.raises(ConfigurationError) as e:
        Client(api_key="key with space.SECRETVALUE")
    assert "SECRETVALUE" not in str(e.value)
    with pytest.raises(ConfigurationError):
        Client(api_key="k_12345678", base_url="http://api.example.com/v1")


def test_no_key_in_repr_str_or_errors(mock):
    secret = "key_repr.CANARY0123456789"
    c = Client(api_key=secret, base_url=mock.base_url, max_retries=0)
    assert "CANARY" not in repr(c) and "CANARY" not in repr(c._native)
    assert c.api_key == "****6789"
    with pytest.raises(AuthenticationError) as e:
        c.exchanges.list()
    text = str(e.value) + repr(e.value) + repr(pickle.dumps(e.value))
    assert "CANARY" not in text
    assert "****6789" in str(e.value) and e.value.request_id.startswith("req_")


def test_errors_map_and_print_and_pickle(client):
    with pytest.raises(NotFoundError) as e:
        client.subscriptions.get("sub_00000000000000000000000000000000")
    err = e.value
    assert (err.code, err.http_status) == ("not_found", 404)
    assert str(err) == f"[not_found] {err.message} (request_id: {err.request_id})"
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is NotFoundError and back.request_id == err.request_id and str(back) == str(err)
    with pytest.raises(InvalidArgumentError):
        client.exchanges.list_instruments("binance", limit=5000)


def test_results_survive_pickle_with_their_request_id_and_rate_limit(client):
    sub = client.subscriptions.create(datastream_id=5)
    for result in [sub, client.exchanges.list(), client.subscriptions.list(limit=1)]:
        back = pickle.loads(pickle.dumps(result))
        assert back == result and type(back) is type(result)
        assert back.request_id == result.request_id and back.request_id.startswith("req_")
        assert repr(back.rate_limit) == repr(result.rate_limit)
        assert back.rate_limit.limit_minute is not None
    assert pickle.loads(pickle.dumps(client.subscriptions.list(limit=1))).items[0].id == sub.id


def test_502_html_429_and_retries_with_one_idempotency_key(mock, key):
    c = Client(api_key=key, base_url=mock.base_url, max_retries=2)
    mock.fault(key, path_prefix="/v1/exchanges", status=502, body="<html>bad gateway</html>")
    t = time.monotonic()
    with pytest.raises(ServerError) as e:
        c.exchanges.list()
    assert e.value.code == "unknown" and "bad gateway" in e.value.message and e.value.http_status == 502
    assert sum(r["path"] == "/v1/exchanges" for r in mock.requests(key)) == 3
    mock.control("DELETE", "/faults", key=key)
    mock.fault(key, path_prefix="/v1/exchanges", status=429, headers={"Retry-After": "120"})
    t = time.monotonic()
    with pytest.raises(RateLimitError) as e:
        c.exchanges.list()
    assert time.monotonic() - t < 2 and e.value.retry_after == 120 and "(retry after 120s)" in str(e.value)
    mock.control("DELETE", "/faults", key=key)
    mock.fault(key, method="POST", path_prefix="/v1/subscriptions", status=503, after_commit=True, times=2)
    sub = c.subscriptions.create(datastream_id=5)
    posts = [r for r in mock.requests(key) if r["method"] == "POST"]
    assert len(posts) == 3 and len({p["headers"]["idempotency-key"] for p in posts}) == 1
    assert c.subscriptions.list().total == 1 and sub.id.startswith("sub_")


def test_request_id_and_rate_limit_on_models_pages_and_lists(client):
    ex = client.exchanges.list()
    assert isinstance(ex, list) and ex.request_id.startswith("req_")
    assert ex.rate_limit.limit_minute == 1_000_000 and ex.rate_limit.remaining_minute is not None
    page = client.exchanges.list_instruments("kraken", limit=2)
    assert page.request_id.startswith("req_") and page.has_next and len(page.items) == 2
    ds = client.exchanges.list_datastreams("kraken", "XBT/USD")  # one path segment
    assert ds.items[0].instrument == "XBT/USD"
    avail = client.availability.get(datastream_id=1)
    assert avail.request_id.startswith("req_") and avail.ranges[0].from_ns < avail.ranges[0].to_ns
    sub = client.subscriptions.create(datastream_id=1)
    got = client.subscriptions.get(sub.id)
    assert got.status == "active" and isinstance(got.created_at, datetime) and got.created_at.tzinfo
    assert got == client.subscriptions.get(sub.id) and got.to_dict()["id"] == sub.id
    assert "sub_" in repr(got)


def test_list_all_forms_keep_filters(client):
    items = list(client.exchanges.list_all_instruments("binance", search="BTC", limit=100))
    assert len(items) == client.exchanges.list_instruments("binance", search="BTC").total > 100
    assert all("BTC" in i.symbol for i in items)
    assert len(list(client.datastreams.list_all(exchange="kraken", limit=7))) == 240
    assert len(list(client.exchanges.list_all_datastreams("kraken", "XBT/USD"))) == 3


def test_rotation_and_with_options(mock):
    old = mock.account()
    new = f"key_new.{old[-12:]}"
    mock.control("POST", "/keys", {"account": old, "key": new})
    c = Client(api_key=old, base_url=mock.base_url)
    sub = c.subscriptions.create(datastream_id=3)
    c.api_key = new
    mock.control("DELETE", f"/keys/{old}")
    assert c.subscriptions.get(sub.id).id == sub.id
    d = c.with_options(max_retries=0, timeout=5)
    assert (d.max_retries, d.timeout, c.max_retries) == (0, 5.0, 3)
    with pytest.raises(AuthenticationError):
        c.with_options(api_key=old).exchanges.list()


def test_exact_datetimes_and_export_helpers(client, tmp_path):
    client.subscriptions.create(datastream_id=1)
    start = datetime(2024, 1, 1, 0, 0, 0, 123457, tzinfo=timezone.utc)
    job = client.exports.create(1, start, start + timedelta(hours=1))
    assert job.start_time == 1_704_067_200_123_457_000  # no float rounding
    done = client.exports.wait(job.id, timeout=10, poll_interval=0.05)
    assert done.status == "succeeded"
    paths = client.exports.download(job.id, tmp_path)
    listing = client.exports.get_download(job.id)
    assert [Path(p).stat().st_size for p in paths] == [a.bytes for a in listing.artifacts]
    failing = client.exports.create(1, 0, 10)
    client.exports.cancel(failing.id)
    with pytest.raises(ExportFailedError) as e:
        client.exports.wait(failing.id)
    assert e.value.status == "canceled"


def test_threads_share_one_client_and_release_the_gil(raw_server):
    # Every answer takes 50 ms: while 16 threads wait on one client, a ticker thread keeps
    # running only if the waits release the GIL.
    body = '[{"code": "binance", "display_name": "Binance"}]'

    def respond(n, head):
        time.sleep(0.05)
        return http_response(200, body, content_type="application/json", x_request_id=f"req_{n:016x}")

    client = ticksupply.Client(api_key="ts_test_key", base_url=raw_server(respond).base_url)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    results = []
    workers = [threading.Thread(target=lambda: results.append(len(client.exchanges.list()))) for _ in range(16)]
    started = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    stop.set()
    t.join()
    assert results == [1] * 16
    # A ticker starved by a held GIL would tick a few times at most in these 50+ ms.
    assert elapsed >= 0.05 and len(ticks) >= 10, (elapsed, len(ticks))


def test_async_gather_of_100_calls_and_async_iteration(mock, key):
    async def main():
        async with AsyncClient(api_key=key, base_url=mock.base_url) as c:
            pages = await asyncio.gather(*[c.exchanges.list_instruments("binance", limit=5) for _ in range(100)])
            assert all(len(p.items) == 5 and p.request_id for p in pages)
            assert len({p.request_id for p in pages}) == 100
            await c.subscriptions.create(datastream_id=2)
            subs = [s async for s in c.subscriptions.list_all(limit=1)]
            assert [s.datastream_id for s in subs] == [2]
            with pytest.raises(NotFoundError):
                await c.exports.get("exp_missing")

    asyncio.run(main())


def test_version_and_public_names():
    for name in ticksupply.__all__:
        assert hasattr(ticksupply, name), name
    assert ticksupply.__version__ == "0.3.0"


def test_process_exits_cleanly_after_async_calls(mock, key):
    """A worker settling a future while the interpreter shuts down used to abort the process."""
    code = (
        "import asyncio, sys\n"
        "from ticksupply import AsyncClient\n"
        "async def main():\n"
        f"    c = AsyncClient(api_key={key!r}, base_url={mock.base_url!r})\n"
        "    await asyncio.gather(*[c.exchanges.list() for _ in range(100)])\n"
        "asyncio.run(main())\n"
    )
    for _ in range(8):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_client_keeps_working_in_a_forked_child(client):
    import os

    assert client.exchanges.list()  # the parent has a runtime and pooled connections
    pid = os.fork()
    if pid == 0:  # child: any failure or hang shows as a non-zero exit
        import signal

        signal.alarm(20)
        try:
            ok = len(client.exchanges.list()) == 6 and len(list(client.subscriptions.list_all())) == 0
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert client.exchanges.list()  # and the parent still works


def test_ctrl_c_interrupts_a_slow_call_within_a_second(mock, key):
    import signal

    mock.fault(key, path_prefix="/v1/exchanges", delay_ms=20000)
    code = (
        "import signal, sys, time\n"
        # Python's own handler even when this test runs in the background (SIGINT inherited ignored).
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from ticksupply import Client\n"
        f"c = Client(api_key={key!r}, base_url={mock.base_url!r}, timeout=60)\n"
        "print('ready', flush=True)\n"
        "t = time.monotonic()\n"
        "try:\n"
        "    c.exchanges.list()\n"
        "except KeyboardInterrupt:\n"
        "    print(f'interrupted {time.monotonic() - t:.2f}', flush=True)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    out = p.stdout.readline().strip()
    p.wait(timeout=10)
    assert out.startswith("interrupted"), out
    assert time.monotonic() - sent < 1.0


def test_attempts_are_logged_to_the_ticksupply_logger_without_the_key(mock, key, caplog):
    import logging

    c = Client(api_key=key, base_url=mock.base_url, max_retries=1)
    mock.fault(key, path_prefix="/v1/billing", status=503, times=1)
    with caplog.at_level(logging.DEBUG, logger="ticksupply"):
        summary = c.billing.get_summary()
    lines = [r.getMessage() for r in caplog.records if r.name == "ticksupply"]
    attempts = [line for line in lines if line.startswith("ticksupply attempt")]
    assert len(attempts) == 2, lines
    assert "status=503" in attempts[0] and "attempt=1" in attempts[0]
    assert f"request_id={summary.request_id}" in attempts[1] and "attempt=2" in attempts[1]
    assert all("method=GET" in a and "path=/billing/summary" in a for a in attempts)
    assert not any(key in line or key[-20:] in line for line in lines)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ticksupply"):
        c.billing.get_summary()
    assert not [r for r in caplog.records if r.name == "ticksupply"]

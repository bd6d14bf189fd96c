"""Exports end to end through Python: wait, download (resume, refresh, progress, no key), rows."""

from __future__ import annotations

import asyncio
import csv
import gzip
import hashlib
import io
import urllib.request
from pathlib import Path

import pytest
from ticksupply import AsyncClient, Client, ExportFailedError
from ticksupply.exceptions import APITimeoutError, DownloadError

EXPIRED = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"


def finished_export(mock, key):
    c = Client(api_key=key, base_url=mock.base_url)
    c.subscriptions.create(1)
    job = c.exports.create(1, "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z")
    c.exports.wait(job.id, timeout=10, poll_interval=0.05)
    return c, job


def artifact_bytes(c, export_id) -> dict[str, bytes]:
    out = {}
    for a in c.exports.get_download(export_id).artifacts:
        with urllib.request.urlopen(a.url) as r:
            out[a.filename] = r.read()
        assert len(out[a.filename]) == a.bytes
    return out


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_download_is_byte_exact_with_progress_and_never_sends_the_key(mock, key, tmp_path):
    c, job = finished_export(mock, key)
    seen: list[tuple[int, int]] = []
    paths = c.exports.download(job.id, tmp_path, lambda done, total: seen.append((done, total)))
    want = artifact_bytes(c, job.id)
    assert sorted(p.name for p in paths) == sorted(want)
    for p in paths:
        assert isinstance(p, Path) and sha(p.read_bytes()) == sha(want[p.name])
    assert not list(tmp_path.glob("*.part"))
    total = sum(len(b) for b in want.values())
    assert seen and seen[-1] == (total, total) and all(t == total for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    arts = mock.requests(key, listener="artifacts")
    assert arts and all("x-api-key" not in r["headers"] for r in arts)
    with pytest.raises(DownloadError):
        c.exports.download(job.id, tmp_path)
    assert len(c.exports.download(job.id, tmp_path, overwrite=True)) == len(paths)


def test_a_dropped_connection_resumes_and_an_expired_url_is_refreshed(mock, key, tmp_path):
    c, job = finished_export(mock, key)
    mock.fault(key, path_prefix="/artifacts/", drop_after_bytes=100_000, times=1)
    mock.fault(key, path_prefix="/artifacts/", status=403, body=EXPIRED, content_type="application/xml", times=1)
    paths = c.exports.download(job.id, tmp_path)
    want = artifact_bytes(c, job.id)
    for p in paths:
        assert sha(p.read_bytes()) == sha(want[p.name])
    arts = mock.requests(key, listener="artifacts")
    assert any(r["status"] == 403 for r in arts)
    assert any(r["headers"].get("range", "").startswith("bytes=") for r in arts)
    listings = [r for r in mock.requests(key) if r["path"].endswith("/download")]
    assert len(listings) >= 3, "fresh URLs after the 403 (plus the check above)"


def test_progress_true_draws_a_tqdm_bar(mock, key, tmp_path, capsys):
    pytest.importorskip("tqdm")
    c, job = finished_export(mock, key)
    c.exports.download(job.id, tmp_path, progress=True)
    assert "download" in capsys.readouterr().err


def test_iter_rows_parses_every_artifact_in_the_core(mock, key):
    c, job = finished_export(mock, key)
    rows = list(c.exports.iter_rows(job.id))
    expected = []
    for body in artifact_bytes(c, job.id).values():
        expected += list(csv.DictReader(io.StringIO(gzip.decompress(body).decode())))
    assert len(rows) == len(expected) > 1000
    assert rows[0].keys() == expected[0].keys() and rows[0] == expected[0] and rows[-1] == expected[-1]


def test_async_download_rows_and_failures(mock, key, tmp_path):
    c, job = finished_export(mock, key)

    async def main() -> None:
        async with AsyncClient(api_key=key, base_url=mock.base_url) as ac:
            seen = []
            paths = await ac.exports.download(job.id, tmp_path, lambda d, t: seen.append(d))
            assert paths and seen
            n = 0
            async for row in ac.exports.iter_rows(job.id):
                assert "collection_timestamp_ns" in row
                n += 1
            assert n == len(list(c.exports.iter_rows(job.id)))
            slow = await ac.exports.create(1, 0, 10)
            with pytest.raises(APITimeoutError) as e:
                await ac.exports.wait(slow.id, timeout=0.02, poll_interval=0.01)
            assert e.value.job_id == slow.id
            failed = await ac.exports.create(1, 0, 10)
            mock.control("POST", f"/exports/{failed.id}/fail", {"reason": "disk on fire"}, key=key)
            with pytest.raises(ExportFailedError) as f:
                await ac.exports.wait(failed.id, timeout=10, poll_interval=0.05)
            assert f.value.status == "failed" and f.value.job["id"] == failed.id

    asyncio.run(main())


def test_300_concurrent_creates_with_20_percent_failing_after_commit_lose_and_duplicate_nothing(mock, key):
    Client(api_key=key, base_url=mock.base_url).subscriptions.create(1)
    mock.fault(key, method="POST", path_prefix="/v1/exports", status=503, after_commit=True, probability=0.2)

    async def main() -> list:
        # Eight retries: a create fails for good only if nine attempts in a row hit the 20%.
        async with AsyncClient(api_key=key, base_url=mock.base_url, max_retries=8) as ac:
            return await asyncio.gather(*[ac.exports.create(1, n, n + 1_000_000_000) for n in range(300)])

    jobs = asyncio.run(main())
    mock.control("DELETE", "/faults", key=key)
    posts = [r for r in mock.requests(key) if r["method"] == "POST" and r["path"] == "/v1/exports"]
    assert sum(r["status"] == 503 for r in posts) > 20, "the fault fired"
    assert len({j.id for j in jobs}) == 300
    stored = list(Client(api_key=key, base_url=mock.base_url).exports.list_all())
    assert len(stored) == 300 and {j.id for j in stored} == {j.id for j in jobs}


def test_a_durable_download_is_the_same_bytes(mock, key, tmp_path):
    c, job = finished_export(mock, key)
    expected = artifact_bytes(c, job.id)
    files = c.exports.download(job.id, tmp_path, durable=True)
    assert {f.name: sha(f.read_bytes()) for f in files} == {n: sha(b) for n, b in expected.items()}

"""`ticksupply sync` into an object store: the same sync into s3:// on a local S3-compatible
server (moto's server mode) and into a local folder gives the same dataset, read back with
pyarrow's own S3 filesystem, and a rerun against the bucket creates no export."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli() -> str:
    """The console script of the installed wheel, else the binary cargo built."""
    script = Path(sys.executable).with_name("ticksupply")
    if script.exists():
        return str(script)
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "ticksupply"
        if p.exists():
            return str(p)
    pytest.skip("no ticksupply command: build it (cargo build -p ticksupply-cli)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3():
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if server is None:
        pytest.skip("moto[server] is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(endpoint, timeout=0.2)
            break
        except OSError:
            time.sleep(0.1)
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }
    # The bucket, created with a plain PUT (S3's CreateBucket), as any S3 client would.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/lake", method="PUT")).read()
    yield endpoint, env
    proc.kill()
    proc.wait()


def sync(mock, key, dest, env=None):
    args = [
        cli(),
        "sync",
        "--datastream",
        "1",
        "--datastream",
        "binance:ETHUSDT:trades",
        "--from",
        "2024-01-01T00:00:00Z",
        "--to",
        "2024-01-01T03:00:00Z",
        "--partition",
        "hour",
        "--dest",
        str(dest),
    ]
    run_env = {**os.environ, **(env or {}), "TICKSUPPLY_API_KEY": key, "TICKSUPPLY_BASE_URL": mock.base_url}
    out = subprocess.run(args, env=run_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out


def read(source, filesystem=None):
    dataset = ds.dataset(source, format="parquet", partitioning="hive", filesystem=filesystem)
    table = dataset.to_table()
    return table.sort_by([("instrument", "ascending"), ("collection_timestamp_ns", "ascending")])


def test_sync_into_s3_equals_sync_into_a_folder(mock, key, s3, tmp_path):
    endpoint, env = s3
    c = __import__("ticksupply").Client(api_key=key, base_url=mock.base_url)
    for ds_id in (
        1,
        c.datastreams.list(exchange="binance", instrument="ETHUSDT", stream_type="trades").items[0].datastream_id,
    ):
        c.subscriptions.create(ds_id)
    sync(mock, key, tmp_path / "local")
    sync(mock, key, "s3://lake/ticks", env)
    fs = pafs.S3FileSystem(
        endpoint_override=endpoint, scheme="http", access_key="test", secret_key="test", region="us-east-1"
    )
    files = fs.get_file_info(pafs.FileSelector("lake/ticks", recursive=True))
    names = [f.path for f in files if f.type == pafs.FileType.File]
    assert any("exchange=binance/instrument=ETHUSDT/stream_type=trades/date=2024-01-01/" in n for n in names)
    assert not any(n.endswith(".part") for n in names)
    remote = read("lake/ticks", fs)
    local = read(str(tmp_path / "local"))
    assert remote.num_rows == local.num_rows > 0
    assert remote.equals(local)
    assert remote.schema.field("collection_timestamp_ns").type == pa.timestamp("ns", tz="UTC")

    mock.control("DELETE", "/requests", key=key)
    sync(mock, key, "s3://lake/ticks", env)
    posts = [r for r in mock.requests(key) if r["method"] == "POST" and r["path"] == "/v1/exports"]
    assert posts == []

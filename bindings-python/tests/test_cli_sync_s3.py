"""`ticksupply sync` into an object store: the same sync into s3:// on a local S3-compatible
server (moto's server mode) and into a local folder gives the same dataset, read back with
pyarrow's own S3 filesystem, and a rerun against the bucket creates no export."""

from __future__ import annotations

import os
import subprocess

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from conftest import cli, hourly_sync_args


def sync(mock, key, dest, env=None):
    args = [cli(), *hourly_sync_args(dest, first="1")]
    run_env = {**os.environ, **(env or {}), "TICKSUPPLY_API_KEY": key, "TICKSUPPLY_BASE_URL": mock.base_url}
    out = subprocess.run(args, env=run_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out


def read(source, filesystem=None):
    dataset = ds.dataset(source, format="parquet", partitioning="hive", filesystem=filesystem)
    table = dataset.to_table()
    return table.sort_by([("instrument", "ascending"), ("collection_timestamp_ns", "ascending")])


def test_sync_into_s3_equals_sync_into_a_folder(mock, key, s3, tmp_path):
    env = s3.env
    c = __import__("ticksupply").Client(api_key=key, base_url=mock.base_url)
    for ds_id in (
        1,
        c.datastreams.list(exchange="binance", instrument="ETHUSDT", stream_type="trades").items[0].datastream_id,
    ):
        c.subscriptions.create(ds_id)
    sync(mock, key, tmp_path / "local")
    sync(mock, key, "s3://lake/ticks", env)
    fs = s3.filesystem()
    files = fs.get_file_info(pafs.FileSelector("lake/ticks", recursive=True))
    names = [f.path for f in files if f.type == pafs.FileType.File]
    assert any("exchange=binance/instrument=ETHUSDT/stream_type=trades/date=2024-01-01/" in n for n in names)
    assert not any(n.endswith(".part") for n in names)
    assert all(n.endswith(".parquet") or "/.ticksupply-sync/" in n for n in names), names
    remote = read("lake/ticks", fs)
    local = read(str(tmp_path / "local"))
    assert remote.num_rows == local.num_rows > 0
    assert remote.equals(local)
    assert remote.schema.field("collection_timestamp_ns").type == pa.timestamp("ns", tz="UTC")

    mock.control("DELETE", "/requests", key=key)
    sync(mock, key, "s3://lake/ticks", env)
    posts = [r for r in mock.requests(key) if r["method"] == "POST" and r["path"] == "/v1/exports"]
    assert posts == []

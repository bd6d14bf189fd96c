"""Export data as Arrow from Python: every consumer (pyarrow, polars, pandas, DuckDB) reads
``ExportData``; values and types are checked against independent readers (``csv`` + ``gzip``
for CSV, pyarrow's own Parquet reader); bad input is a ``DataError`` naming the file."""

from __future__ import annotations

import asyncio
import csv
import decimal
import gzip
import io
import urllib.request

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ticksupply
from ticksupply import AsyncClient, Client, DataError, ExportData, NotFoundError, read_artifacts

HOURS_2 = ("2024-01-01T00:00:00Z", "2024-01-01T02:00:00Z")

EVERY_TYPE = {
    "columns": [
        {"output_column": "ts", "meta": {"value": "collection_timestamp_ns"}},
        {"output_column": "ms", "meta": {"value": "collection_timestamp_ns", "format": "ms"}},
        {"output_column": "iso", "meta": {"value": "collection_timestamp_ns", "format": "iso8601"}},
        {"output_column": "price", "data": {"binance": {"json": {"path": "p", "type": "decimal(2)"}}}},
        {"output_column": "qty", "data": {"binance": {"json": {"path": "q", "type": "f64"}}}},
        {"output_column": "trade", "data": {"binance": {"json": {"path": "t", "type": "i64"}}}},
        {"output_column": "maker", "data": {"binance": {"json": {"path": "m", "type": "bool"}}}},
        {"output_column": "missing", "data": {"binance": {"json": {"path": "nope", "type": "string"}}}},
    ]
}


def export(mock, key, **create) -> tuple[Client, str]:
    c = Client(api_key=key, base_url=mock.base_url)
    if not c.subscriptions.list().items:
        c.subscriptions.create(1)
    job = c.exports.create(1, *HOURS_2, **create)
    c.exports.wait(job.id, timeout=10, poll_interval=0.05)
    return c, job.id


def artifacts(c: Client, export_id: str) -> list[bytes]:
    out = []
    for a in c.exports.get_download(export_id).artifacts:
        with urllib.request.urlopen(a.url) as r:
            out.append(r.read())
    return out


def csv_rows(c: Client, export_id: str) -> tuple[list[str], list[list[str]]]:
    """Every row, read independently: plain HTTP, gzip and the csv module."""
    header: list[str] = []
    rows: list[list[str]] = []
    for blob in artifacts(c, export_id):
        r = csv.reader(io.StringIO(gzip.decompress(blob).decode()))
        header = next(r)
        rows.extend(r)
    return header, rows


def test_a_raw_export_is_exact_in_pyarrow_polars_pandas_and_duckdb(mock, key):
    c, eid = export(mock, key)
    header, rows = csv_rows(c, eid)
    assert header == ["collection_timestamp_ns", "data"] and len(rows) > 10
    d = c.exports.data(eid)
    assert isinstance(d, ExportData)
    assert d.column_names == header

    table = pa.table(d)  # the PyCapsule interface, no conversion method
    assert table.schema.field(0).type == pa.timestamp("ns", tz="UTC")
    assert table.schema.field(1).type == pa.string()
    assert table.column(0).cast(pa.int64()).to_pylist() == [int(r[0]) for r in rows]
    assert table.column(1).to_pylist() == [r[1] for r in rows]

    frame = pl.DataFrame(d)  # a second scan reads a fresh stream
    assert frame.schema["collection_timestamp_ns"] == pl.Datetime("ns", "UTC")
    assert frame["data"].to_list() == [r[1] for r in rows]
    assert frame["collection_timestamp_ns"].dt.epoch("ns").to_list() == [int(r[0]) for r in rows]

    df = d.to_pandas()
    assert str(df["collection_timestamp_ns"].dtype) == "datetime64[ns, UTC]"
    assert [t.value for t in df["collection_timestamp_ns"]] == [int(r[0]) for r in rows]

    got = duckdb.sql("select count(*), min(data), max(epoch_ns(collection_timestamp_ns)) from d").fetchall()[0]
    assert got == (len(rows), min(r[1] for r in rows), max(int(r[0]) for r in rows))
    again = duckdb.sql("select count(*) from d").fetchall()[0]
    assert again == (len(rows),)


def test_a_normalized_export_keeps_decimals_exact_everywhere(mock, key):
    c, eid = export(mock, key, schema="normalized")
    header, rows = csv_rows(c, eid)
    d = c.exports.data(eid, schema="normalized")
    t = d.to_arrow()
    assert t.column_names == header
    assert t.schema.field("price").type == pa.decimal128(38, 18)
    assert t.schema.field("side").type == pa.bool_()
    price = header.index("price")
    want = [decimal.Decimal(r[price]) for r in rows]
    assert t.column("price").to_pylist() == want
    assert pl.DataFrame(d)["price"].to_list() == want
    exact = d.to_pandas()
    assert isinstance(exact["price"].dtype, pd.ArrowDtype)
    assert list(exact["price"]) == want
    floats = d.to_pandas(decimals="float")
    assert floats["price"].dtype == "float64"
    assert list(floats["price"]) == [float(w) for w in want]


def test_inline_schema_csv_and_parquet_agree_with_pyarrows_own_reader(mock, key):
    c, csv_id = export(mock, key, schema=EVERY_TYPE)
    _, pq_id = export(mock, key, schema=EVERY_TYPE, format="parquet")
    from_csv = c.exports.data(csv_id, schema=EVERY_TYPE).to_arrow()
    from_pq = c.exports.data(pq_id).to_arrow()
    independent = pa.concat_tables([pq.read_table(pa.BufferReader(b)) for b in artifacts(c, pq_id)])
    assert from_pq.equals(independent)
    assert from_csv.equals(independent)
    assert from_csv.schema.field("ts").type == pa.timestamp("ns", tz="UTC")
    assert from_csv.schema.field("ms").type == pa.timestamp("ms", tz="UTC")
    assert from_csv.schema.field("iso").type == pa.timestamp("ns", tz="UTC")
    assert from_csv.schema.field("price").type == pa.decimal128(38, 2)
    assert from_csv.schema.field("qty").type == pa.float64()
    assert from_csv.schema.field("trade").type == pa.int64()
    assert from_csv.schema.field("maker").type == pa.bool_()
    assert from_csv.column("missing").null_count == from_csv.num_rows


def test_iter_batches_is_bounded_and_to_parquet_needs_no_pyarrow(mock, key, tmp_path):
    c, eid = export(mock, key)
    d = c.exports.data(eid)
    sizes = [b.num_rows for b in d.iter_batches(rows=100)]
    assert max(sizes) <= 100 and sum(sizes) == pa.table(d).num_rows
    out = tmp_path / "deep" / "x.parquet"
    rows = d.to_parquet(out)
    assert rows == sum(sizes)
    assert pq.read_table(out).equals(pa.table(d))
    assert not (tmp_path / "deep" / "x.parquet.part").exists()


def test_read_artifacts_on_disk_matches_the_export(mock, key, tmp_path):
    c, eid = export(mock, key, schema="normalized")
    files = c.exports.download(eid, tmp_path)
    local = read_artifacts(files, schema="normalized", client=c).to_arrow()
    assert local.equals(c.exports.data(eid, schema="normalized").to_arrow())
    assert ticksupply.read_artifacts([str(f) for f in files]).to_arrow().num_rows == local.num_rows


def test_bad_input_raises_dataerror_naming_the_file(tmp_path):
    good = gzip.compress(b"a,b\n1,2\n" * 1000)
    truncated = tmp_path / "truncated.csv.gz"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="truncated.csv.gz"):
        read_artifacts([truncated]).to_arrow()
    with pytest.raises(DataError, match="truncated.csv.gz"):
        pl.DataFrame(read_artifacts([truncated]))  # consumers see it too (their class)
    quoted = tmp_path / "q.csv.gz"
    quoted.write_bytes(gzip.compress(b'a,b\n"x,\n""y""",\\N\n,z\n'))
    assert read_artifacts([quoted]).to_arrow().to_pylist() == [{"a": 'x,\n"y"', "b": None}, {"a": None, "b": "z"}]
    wrong = tmp_path / "wrong.csv.gz"
    wrong.write_bytes(gzip.compress(b"x,y\n1,2\n"))
    with pytest.raises(DataError, match="wrong.csv.gz.*header"):
        read_artifacts([wrong], schema=EVERY_TYPE).to_arrow()
    with pytest.raises(DataError, match="nothere.csv.gz"):
        read_artifacts([tmp_path / "nothere.csv.gz"])


def test_unknown_exports_and_schemas_fail_at_once(mock, key):
    c, eid = export(mock, key)
    with pytest.raises(NotFoundError):
        c.exports.data("exp_does_not_exist")
    with pytest.raises(ticksupply.ConfigurationError, match="no_such_schema"):
        c.exports.data(eid, schema="no_such_schema")
    with pytest.raises(TypeError):
        c.exports.data(eid, schema=42)


def test_missing_optional_packages_name_the_extra(mock, key, monkeypatch):
    c, eid = export(mock, key)
    d = c.exports.data(eid)
    import builtins

    real_import = builtins.__import__

    def no_polars(name, *args, **kwargs):
        if name == "polars":
            raise ImportError("no polars here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_polars)
    monkeypatch.delitem(__import__("sys").modules, "polars")
    with pytest.raises(ImportError, match=r"ticksupply\[polars\]"):
        d.to_polars()


def test_async_client_opens_off_the_loop(mock, key):
    c, eid = export(mock, key)

    async def run():
        async with AsyncClient(api_key=key, base_url=mock.base_url) as ac:
            d = await ac.exports.data(eid)
            return pa.table(d).num_rows

    assert asyncio.run(run()) == pa.table(c.exports.data(eid)).num_rows


def test_read_artifacts_takes_schema_models_inside_a_dict(tmp_path):
    from ticksupply.models import CreateSchemaColumnRequest, JsonExtraction

    f = tmp_path / "a.csv.gz"
    f.write_bytes(gzip.compress(b"price\n1.25\n"))
    column = CreateSchemaColumnRequest(
        output_column="price", data={"binance": {"json": JsonExtraction(path="p", type="decimal(2)")}}
    )
    t = read_artifacts([f], schema={"columns": [column]}).to_arrow()
    assert t.schema.field("price").type == pa.decimal128(38, 2)
    assert t.column("price").to_pylist() == [decimal.Decimal("1.25")]


DEC2 = {"columns": [{"output_column": "p", "data": {"x": {"json": {"path": "p", "type": "decimal(2)"}}}}]}


def gz_file(tmp_path, name: str, text: bytes):
    f = tmp_path / name
    f.write_bytes(gzip.compress(text))
    return f


def test_values_are_exact_or_an_error_naming_file_row_and_column(tmp_path):
    ok = gz_file(tmp_path, "ok.csv.gz", b"p\n1.5\n40000.12\n1.230\n1.5e1\n")
    assert read_artifacts([ok], schema=DEC2).to_arrow().column("p").to_pylist() == [
        decimal.Decimal(x) for x in ("1.50", "40000.12", "1.23", "15.00")
    ]
    for bad, row in [(b"1.239", 2), (b"1e-9", 2)]:
        f = gz_file(tmp_path, "bad.csv.gz", b"p\n1.5\n" + bad + b"\n")
        with pytest.raises(DataError, match=rf'bad.csv.gz: data row {row}, column "p": .*decimal places'):
            read_artifacts([f], schema=DEC2).to_arrow()


def test_cr_lf_and_crlf_line_ends_and_one_rule_for_backslash_n(tmp_path):
    for eol in (b"\n", b"\r\n", b"\r"):
        f = gz_file(tmp_path, "e.csv.gz", eol.join([b"a,b", b'1,"\\N"', b"2,\\N", b'3,""', b"4,"]) + eol)
        got = read_artifacts([f]).to_arrow().to_pylist()
        # Quoted, the two characters; unquoted, null; an empty quoted field is empty text.
        assert got == [
            {"a": "1", "b": "\\N"},
            {"a": "2", "b": None},
            {"a": "3", "b": ""},
            {"a": "4", "b": None},
        ], eol


def test_an_error_mid_stream_reaches_iter_batches_as_dataerror(tmp_path):
    rows = b"".join(b"%d,x\n" % i for i in range(200_000))
    f = gz_file(tmp_path, "late.csv.gz", b"a,b\n" + rows + b'oops"here,y\n')
    seen = 0
    with pytest.raises(DataError, match=r"late.csv.gz: data row 200001.*quote"):
        for b in read_artifacts([f]).iter_batches():
            seen += b.num_rows
    assert seen < 200_000 + 1


def test_parquet_artifacts_are_checked_against_the_schema(mock, key, tmp_path):
    c, eid = export(mock, key, format="parquet")
    f = c.exports.download(eid, tmp_path)[0]
    mismatch = r"\.parquet: its columns \(collection_timestamp_ns .*\) are not those of the schema"
    with pytest.raises(DataError, match=mismatch):
        read_artifacts([f], schema=DEC2).to_arrow()
    assert read_artifacts([f], schema="raw").to_arrow().num_rows > 0
    # Rows (iter_rows) are CSV's: a Parquet export says what to use instead.
    with pytest.raises(ticksupply.TicksupplyError, match=r"exports.data"):
        next(iter(c.exports.iter_rows(eid)))


def test_making_exportdata_reads_nothing_and_each_consumer_reads_once(mock, key, tmp_path):
    c, eid = export(mock, key)
    mock.control("DELETE", "/requests")
    d = c.exports.data(eid)
    assert mock.requests(key, listener="artifacts") == []
    d.to_parquet(tmp_path / "a.parquet")
    first = len(mock.requests(key, listener="artifacts"))
    assert first == 2, "two hourly artifacts, each once"
    assert d.column_names == ["collection_timestamp_ns", "data"]
    d.to_parquet(tmp_path / "b.parquet")
    # The stream opened to learn the columns was stopped, not read alongside.
    assert len(mock.requests(key, listener="artifacts")) <= first * 3


def test_an_interrupted_to_parquet_leaves_no_file(mock, key, tmp_path):
    import os
    import signal
    import threading
    import time

    c, eid = export(mock, key)
    # Every artifact request waits, so that the interrupt lands mid-way.
    mock.fault(key, path_prefix="/artifacts/", delay_ms=3000)
    out = tmp_path / "out.parquet"
    # Python's own handler, as in a terminal or a notebook: a run started in the background
    # (`make test &`) inherits SIGINT ignored, and Python then installs none.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            c.exports.data(eid).to_parquet(out)
        assert time.monotonic() - started < 2.5
    finally:
        signal.signal(signal.SIGINT, previous)
    mock.control("DELETE", "/faults", key=key)
    time.sleep(4)  # past the delayed answers: nothing finishes the file later
    assert sorted(p.name for p in tmp_path.iterdir()) == []

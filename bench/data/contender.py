"""One data-path contender for `make bench`, in a fresh process so its peak RSS is its own.

    python contender.py NAME SOURCE [BASE KEY]

NAME is what reads SOURCE (a local .csv.gz or .parquet file, or an export id with BASE/KEY for
the `*-url` contenders). Prints {"seconds", "rows", "rss_kib", "table_bytes"}: the time to a
complete in-memory table (or, for `ours-iter`, through every batch), with the contender's
imports done before the clock starts. BENCH_SCHEMA (JSON) types our reader's columns (the
normalized schema's content); the other readers infer theirs.
"""

import json
import os
import resource
import sys
import time

# What each contender imports, done before timing.
IMPORTS = {
    "ours": ["pyarrow", "ticksupply"],
    "ours-url": ["pyarrow", "ticksupply"],
    "ours-polars": ["polars", "ticksupply"],
    "ours-iter": ["ticksupply"],
    "ours-url-iter": ["ticksupply"],
    "ours-download": ["ticksupply"],
    "pyarrow": ["pyarrow.csv"],
    "polars": ["polars"],
    "pandas-c": ["pandas"],
    "pandas-pyarrow": ["pandas", "pyarrow"],
    "duckdb": ["duckdb", "pyarrow"],
    "pyarrow-parquet": ["pyarrow.parquet"],
    "polars-parquet": ["polars"],
    "imports": ["pyarrow", "ticksupply"],
}
SCHEMA = json.loads(os.environ["BENCH_SCHEMA"]) if os.environ.get("BENCH_SCHEMA") else None


def table_of(name, source, base=None, key=None):
    if name == "imports":  # the process before reading: interpreter, pyarrow and ticksupply
        import pyarrow  # noqa: F401
        import ticksupply  # noqa: F401

        return 0
    if name == "ours":
        import ticksupply

        # (`pa.table(data)` gives the same table, but its first call imports pandas.)
        return ticksupply.read_artifacts([source], schema=SCHEMA).to_arrow()
    if name == "ours-url":
        from ticksupply import Client

        return Client(api_key=key, base_url=base).exports.data(source).to_arrow()
    if name == "ours-polars":
        import polars as pl
        import ticksupply

        return pl.DataFrame(ticksupply.read_artifacts([source], schema=SCHEMA))
    if name == "ours-iter":
        import ticksupply

        rows = 0
        for batch in ticksupply.read_artifacts([source]).iter_batches():
            rows += batch.num_rows
        return rows
    if name == "ours-url-iter":
        from ticksupply import Client

        rows = 0
        for batch in Client(api_key=key, base_url=base).exports.data(source).iter_batches():
            rows += batch.num_rows
        return rows
    if name == "ours-download":
        import tempfile

        from ticksupply import Client

        with tempfile.TemporaryDirectory() as d:
            files = Client(api_key=key, base_url=base).exports.download(source, d)
            return sum(f.stat().st_size for f in files)
    if name == "pyarrow":
        import pyarrow.csv as pc

        return pc.read_csv(source)
    if name == "polars":
        import polars as pl

        return pl.read_csv(source)
    if name == "pandas-c":
        import pandas as pd

        return pd.read_csv(source)
    if name == "pandas-pyarrow":
        import pandas as pd

        return pd.read_csv(source, engine="pyarrow")
    if name == "duckdb":
        import duckdb

        return duckdb.sql(f"select * from read_csv('{source}')").to_arrow_table()
    if name == "pyarrow-parquet":
        import pyarrow.parquet as pq

        return pq.read_table(source)
    if name == "polars-parquet":
        import polars as pl

        return pl.read_parquet(source)
    raise SystemExit(f"unknown contender {name}")


def size_of(t):
    if isinstance(t, int):
        return t, 0
    if hasattr(t, "nbytes") and hasattr(t, "num_rows"):  # pyarrow
        return t.num_rows, t.nbytes
    if hasattr(t, "estimated_size"):  # polars
        return t.height, t.estimated_size()
    return len(t), int(t.memory_usage(deep=True).sum())  # pandas


def main():
    name, source = sys.argv[1], sys.argv[2]
    base, key = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else (None, None)
    import importlib

    for module in IMPORTS.get(name, []):
        importlib.import_module(module)
    # numpy (imported by pyarrow and pandas) starts OpenBLAS threads that spin for a moment
    # after it loads; a program reads its data later than its imports, so let them settle.
    time.sleep(0.5)
    start = time.perf_counter()
    t = table_of(name, source, base, key)
    seconds = time.perf_counter() - start
    rows, nbytes = size_of(t)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": rows, "rss_kib": rss, "table_bytes": nbytes}))


if __name__ == "__main__":
    main()

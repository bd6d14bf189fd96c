"""One data-path contender for `make bench`, in a fresh process so its peak RSS is its own.

    python contender.py NAME SOURCE [BASE KEY]

NAME is what reads SOURCE (a local .csv.gz or .parquet file, or an export id with BASE/KEY for
the `*-url` contenders). Prints {"seconds", "rows", "rss_kib", "table_bytes"}: the time from
nothing to a complete in-memory table (or, for `ours-iter`, through every batch).
"""

import json
import resource
import sys
import time


def table_of(name, source, base=None, key=None):
    if name == "imports":  # the process before reading: interpreter, pyarrow and ticksupply
        import pyarrow  # noqa: F401
        import ticksupply  # noqa: F401

        return 0
    if name == "ours":
        import pyarrow as pa
        import ticksupply

        return pa.table(ticksupply.read_artifacts([source]))
    if name == "ours-url":
        import pyarrow as pa
        from ticksupply import Client

        return pa.table(Client(api_key=key, base_url=base).exports.data(source))
    if name == "ours-polars":
        import polars as pl
        import ticksupply

        return pl.DataFrame(ticksupply.read_artifacts([source]))
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
    start = time.perf_counter()
    t = table_of(name, source, base, key)
    seconds = time.perf_counter() - start
    rows, nbytes = size_of(t)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": rows, "rss_kib": rss, "table_bytes": nbytes}))


if __name__ == "__main__":
    main()

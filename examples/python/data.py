"""Export data: an export's rows as Arrow, typed from its schema — into DataFrames, in bounded
memory, as Parquet (the same lines in Rust and JavaScript: examples/*/data.*).

Run against the local mock: scripts/with-mock -- .venv/bin/python examples/python/data.py
"""

import os
import tempfile

import duckdb
import polars as pl
from ticksupply import Client, read_artifacts

client = Client()
client.subscriptions.create(1)
job = client.exports.create(1, "2024-03-01T00:00:00Z", "2024-03-01T02:00:00Z", schema="normalized")
client.exports.wait(job.id, poll_interval=0.1)

# --8<-- [start:dataframes]
data = client.exports.data(job.id)  # the schema resolved, the artifacts listed: nothing read yet
df = pl.DataFrame(data)  # or pa.table(data), data.to_pandas(): each reads as it downloads
in_duckdb = duckdb.execute("select count(*) from data").fetchall()[0][0]  # DuckDB scans it in place
assert df.height == in_duckdb
print(f"rows: {df.height}")
print(f"columns: {', '.join(df.columns)}")
# --8<-- [end:dataframes]

# --8<-- [start:batches]
rows = 0
for batch in data.iter_batches(rows=10_000):  # one record batch at a time: bounded memory
    rows += batch.num_rows
print(f"batches: {rows} rows")
# --8<-- [end:batches]

# --8<-- [start:parquet]
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "trades.parquet")
    data.to_parquet(path)  # written to trades.parquet.part, renamed when complete
    print(f"parquet: {read_artifacts([path]).to_arrow().num_rows} rows")
# --8<-- [end:parquet]

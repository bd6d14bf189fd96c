"""Quick start: the first calls a new user makes, each printing its request id.

Run against the local mock: scripts/with-mock -- .venv/bin/python examples/python/quickstart.py
"""

import os
import tempfile
from datetime import datetime, timedelta, timezone

import polars as pl
from ticksupply import Client, ConflictError, ExportFailedError, NotFoundError
from ticksupply.exceptions import APITimeoutError

# --8<-- [start:client]
client = Client()
# --8<-- [end:client]

# --8<-- [start:exchanges]
exchanges = client.exchanges.list()
print(f"exchanges: {len(exchanges)} (request_id: {exchanges.request_id})")
for ex in exchanges:
    print(f"  {ex.code:<15} {ex.display_name}")
# --8<-- [end:exchanges]

# --8<-- [start:instruments]
page = client.exchanges.list_instruments("binance", search="BTC", limit=10)
print(f"instruments matching BTC: {len(page.items)} of {page.total} (request_id: {page.request_id})")
# --8<-- [end:instruments]

# --8<-- [start:datastream]
ds = client.datastreams.list(exchange="binance", instrument="BTCUSDT", stream_type="trades")
stream = ds.items[0]
print(f"datastream {stream.datastream_id} (request_id: {ds.request_id})")
# --8<-- [end:datastream]

# --8<-- [start:subscribe]
try:
    sub = client.subscriptions.create(stream.datastream_id)
except ConflictError as e:
    raise SystemExit(f"already subscribed: {e}") from e
print(f"subscribed {sub.id} (request_id: {sub.request_id})")
# --8<-- [end:subscribe]

# --8<-- [start:export]
now = datetime.now(timezone.utc)
job = client.exports.create(stream.datastream_id, now - timedelta(hours=1), now)
print(f"export {job.id} {job.status} (request_id: {job.request_id})")
try:
    done = client.exports.wait(job.id, timeout=60)
    with tempfile.TemporaryDirectory() as tmp:
        files = client.exports.download(done.id, tmp)
        size = sum(os.path.getsize(f) for f in files)
        print(f"downloaded {len(files)} files ({size} bytes)")
    # Or straight into a DataFrame, typed from the export's schema, decoded while it downloads:
    df = pl.DataFrame(client.exports.data(done.id))
    print(f"data: {df.height} rows ({', '.join(df.columns)})")
except (ExportFailedError, APITimeoutError) as e:
    print(f"export did not finish: {e}")
# --8<-- [end:export]

# --8<-- [start:errors]
try:
    client.subscriptions.get("sub_does_not_exist")
except NotFoundError as e:
    print(f"not found, as expected: {e}")
# --8<-- [end:errors]
client.subscriptions.delete(sub.id)

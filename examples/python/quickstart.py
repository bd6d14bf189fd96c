"""Quick start: the first calls a new user makes, each printing its request id.

Run against the local mock: scripts/with-mock -- .venv/bin/python examples/python/quickstart.py
"""

import os
import tempfile
from datetime import datetime, timedelta, timezone

import polars as pl
from ticksupply import Client, ConflictError, ExportFailedError, NotFoundError
from ticksupply.exceptions import APITimeoutError

client = Client()

exchanges = client.exchanges.list()
print(f"exchanges: {len(exchanges)} (request_id: {exchanges.request_id})")
for ex in exchanges:
    print(f"  {ex.code:<15} {ex.display_name}")

page = client.exchanges.list_instruments("binance", search="BTC", limit=10)
print(f"instruments matching BTC: {len(page.items)} of {page.total} (request_id: {page.request_id})")

ds = client.datastreams.list(exchange="binance", instrument="BTCUSDT", stream_type="trades")
stream = ds.items[0]
print(f"datastream {stream.datastream_id} (request_id: {ds.request_id})")

try:
    sub = client.subscriptions.create(stream.datastream_id)
except ConflictError as e:
    raise SystemExit(f"already subscribed: {e}") from e
print(f"subscribed {sub.id} (request_id: {sub.request_id})")

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

try:
    client.subscriptions.get("sub_does_not_exist")
except NotFoundError as e:
    print(f"not found, as expected: {e}")
client.subscriptions.delete(sub.id)

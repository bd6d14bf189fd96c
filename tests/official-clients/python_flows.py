"""The official Python client (ticksupply 0.2.0 from PyPI) runs its README flows against the mock.

Run inside a venv holding only that client, with TICKSUPPLY_BASE_URL and TICKSUPPLY_API_KEY
pointing at ticksupply-mock (see `make official-python`). Exits non-zero on the first failure.
"""

import os
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

from ticksupply import Client
from ticksupply.exceptions import AuthenticationError, ConflictError, NotFoundError

BASE = os.environ["TICKSUPPLY_BASE_URL"]
client = Client(base_url=BASE)


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok   {what}")


# Catalog with pagination.
exchanges = client.exchanges.list()
check(any(e.code == "binance" for e in exchanges), "exchanges.list includes binance")
page = client.exchanges.list_instruments("binance", search="BTC", limit=10)
check(len(page.items) == 10 and page.has_next, "list_instruments search=BTC limit=10 has a next page")
seen, token = [], None
while True:
    p = client.exchanges.list_instruments("binance", limit=1000, page_token=token)
    seen += [i.symbol for i in p.items]
    token = p.next_page_token
    if not token:
        break
check(len(seen) == p.total == len(set(seen)), f"manual pagination walked all {len(seen)} instruments once")
ds = client.datastreams.list(exchange="binance", instrument="BTCUSDT", stream_type="trades", limit=5)
ds_id = ds.items[0].datastream_id
check(ds.items[0].stream_type == "trades", f"datastreams.list found datastream {ds_id}")
per = client.exchanges.list_datastreams("binance", "BTCUSDT", stream_type="trades")
check(per.items[0].datastream_id == ds_id, "list_datastreams agrees")

# Subscription lifecycle with spans; idempotent replay and conflict.
key = str(uuid.uuid4())
sub = client.subscriptions.create(datastream_id=ds_id, idempotency_key=key)
again = client.subscriptions.create(datastream_id=ds_id, idempotency_key=key)
check(again.id == sub.id and sub.status == "active", "idempotent replay returns the same subscription")
try:
    client.subscriptions.create(datastream_id=ds_id + 1, idempotency_key=key)
    check(False, "conflict expected")
except ConflictError as e:
    check(e.code == "already_exists" and e.request_id.startswith("req_"), "same key, other body -> ConflictError")
client.subscriptions.pause(sub.id)
check(client.subscriptions.get(sub.id).status == "paused", "pause")
client.subscriptions.resume(sub.id)
check(client.subscriptions.get(sub.id).status == "active", "resume")
spans = client.subscriptions.list_spans(sub.id)
check(len(spans) == 2 and spans[0].ended_at is not None and spans[1].ended_at is None, "two spans, last ongoing")
check(any(s.id == sub.id for s in client.subscriptions.list_all()), "list_all")

# Export create -> poll -> download; artifact bytes equal `bytes`.
now = datetime.now(timezone.utc)
job = client.exports.create(datastream_id=ds_id, start_time=now - timedelta(hours=1), end_time=now)
for _ in range(100):
    job = client.exports.get(job.id)
    if job.status in ("succeeded", "failed", "canceled"):
        break
    time.sleep(0.1)
check(job.status == "succeeded", f"export {job.id} succeeded")
download = client.exports.get_download(job.id)
check(download.count == len(download.artifacts) >= 1, f"{download.count} artifact(s), {download.total_bytes} bytes")
for a in download.artifacts:
    with urllib.request.urlopen(a.url) as r:
        body = r.read()
    check(len(body) == a.bytes and body[:2] == b"\x1f\x8b", f"{a.filename}: {len(body)} bytes of gzip")
check(any(j.id == job.id for j in client.exports.list_all()), "exports.list_all")
client.exports.delete(job.id)
check(client.exports.get(job.id).status == "deleted", "deleted export reads as deleted")

# Schema create -> draft -> publish -> delete.
cols = [
    {"output_column": "ts", "meta": {"value": "collection_timestamp_ns", "format": "iso8601"}},
    {"output_column": "price", "data": {"binance": {"json": {"path": "data.p", "type": "decimal(18)"}}}},
]
schema = client.export_schemas.create(f"flow-{uuid.uuid4().hex[:8]}", "trade", cols)
check(schema.version == 1 and not schema.has_draft, "schema created at v1")
client.export_schemas.create_draft(schema.id)
client.export_schemas.update_draft(
    schema.id,
    cols + [{"output_column": "qty", "data": {"binance": {"json": {"path": "data.q", "type": "decimal(18)"}}}}],
)
check(len(client.export_schemas.get_draft(schema.id).columns) == 3, "draft updated")
pub = client.export_schemas.publish_draft(schema.id)
check(pub.version == 2 and not pub.has_draft and len(pub.columns) == 3, "published v2")
check(any(s.is_built_in for s in client.export_schemas.list()), "built-ins listed")
client.export_schemas.delete(schema.id)

# Availability and billing.
avail = client.availability.get(datastream_id=ds_id)
check(avail.datastream.instrument == "BTCUSDT" and avail.ranges[0].from_ns < avail.ranges[0].to_ns, "availability")
summary = client.billing.get_summary()
check(summary.access_status == "ACTIVE" and summary.usage.export_gb_total, "billing summary")

# Typed errors with request ids.
try:
    client.subscriptions.get("invalid-uuid")
    check(False, "not found expected")
except NotFoundError as e:
    check(e.http_status == 404 and e.request_id.startswith("req_"), f"NotFoundError ({e.request_id})")
try:
    Client(api_key="key_wrong.secret", base_url=BASE, max_retries=0).exchanges.list()
    check(False, "auth error expected")
except AuthenticationError as e:
    check(e.http_status == 401 and e.request_id.startswith("req_"), f"AuthenticationError ({e.request_id})")
client.subscriptions.delete(sub.id)
print("official python client: all flows passed")

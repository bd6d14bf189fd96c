"""The docs' walkthroughs after the quick start, one section each. Every language's tour prints
the same lines (make test checks it).

Run against the local mock: scripts/with-mock --rate-limit-minute 60 -- .venv/bin/python examples/python/tour.py
"""

import os

from ticksupply import AuthenticationError, Client, NotFoundError, RateLimitError

client = Client()  # the key from TICKSUPPLY_API_KEY, the URL from TICKSUPPLY_BASE_URL

print("== pagination")
# --8<-- [start:pagination]
page = client.exchanges.list_instruments("binance", search="BTC", limit=500)
pages = 1
while page.next_page_token:
    page = client.exchanges.list_instruments("binance", search="BTC", limit=500, page_token=page.next_page_token)
    pages += 1
print(f"manual: {pages} pages, {page.total} instruments")
count = sum(1 for _ in client.exchanges.list_all_instruments("binance", search="BTC", limit=500))
print(f"auto: {count} instruments")
# --8<-- [end:pagination]

print("== datastreams")
# --8<-- [start:datastreams]
by_filter = client.datastreams.list(exchange="kraken", instrument="XBT/USD", stream_type="trades")
by_path = client.exchanges.list_datastreams("kraken", "XBT/USD", stream_type="trades")
print(f"kraken XBT/USD trades: {by_filter.items[0].datastream_id} = {by_path.items[0].datastream_id}")
# --8<-- [end:datastreams]

print("== subscriptions")
# --8<-- [start:subscriptions]
sub = client.subscriptions.create(by_filter.items[0].datastream_id)
client.subscriptions.pause(sub.id)
client.subscriptions.resume(sub.id)
spans = client.subscriptions.list_spans(sub.id)
open_spans = sum(1 for s in spans if s.ended_at is None)
print(f"{client.subscriptions.get(sub.id).status}, {len(spans)} spans, {open_spans} open")
print(f"subscriptions: {sum(1 for _ in client.subscriptions.list_all())}")
client.subscriptions.delete(sub.id)
print(f"after delete: {client.subscriptions.get(sub.id).status}")
# --8<-- [end:subscriptions]

print("== export schemas")
# --8<-- [start:export-schemas]
columns = [
    {"output_column": "ts", "meta": {"value": "collection_timestamp_ns", "format": "iso8601"}},
    {"output_column": "price", "data": {"binance": {"json": {"path": "data.p", "type": "decimal(18)"}}}},
]
schema = client.export_schemas.create("tour-trades", "trade", columns)
client.export_schemas.create_draft(schema.id)
qty = {"output_column": "qty", "data": {"binance": {"json": {"path": "data.q", "type": "decimal(18)"}}}}
client.export_schemas.update_draft(schema.id, columns + [qty])
published = client.export_schemas.publish_draft(schema.id)
print(f"{published.name}: version {schema.version} -> {published.version}, {len(published.columns)} columns")
client.export_schemas.delete(schema.id)
# --8<-- [end:export-schemas]

print("== availability")
# --8<-- [start:availability]
availability = client.availability.get(1)
print(f"datastream 1: {len(availability.ranges)} ranges, first from {availability.ranges[0].from_ns}")
# --8<-- [end:availability]

print("== billing")
# --8<-- [start:billing]
summary = client.billing.get_summary()
print(f"access: {summary.access_status}")
# --8<-- [end:billing]

print("== configuration")
# --8<-- [start:configuration]
quick = client.with_options(timeout=5, max_retries=1)
print(f"with_options: timeout {quick.timeout:g}s, {quick.max_retries} retries")
client.api_key = "ts_revoked_key"
try:
    client.billing.get_summary()
except AuthenticationError as e:
    print(f"rotated to a bad key: {e.code} {e.http_status}")
client.api_key = os.environ["TICKSUPPLY_API_KEY"]
print(f"rotated back: {client.billing.get_summary().access_status}")
# --8<-- [end:configuration]

print("== errors")
# --8<-- [start:errors]
try:
    client.subscriptions.get("sub_missing")
except NotFoundError as e:
    print(f"{type(e).__name__}: {e.code} {e.http_status} request id: {e.request_id is not None}")
strict = client.with_options(max_retries=0)
try:
    while True:
        strict.exchanges.list()
except RateLimitError as e:
    print(f"{type(e).__name__}: {e.code} {e.http_status} retry after: {e.retry_after is not None}")
# --8<-- [end:errors]

#!/usr/bin/env bash
# The docs' walkthroughs after the quick start, with curl: what each SDK call does on the wire.
# Prints the same lines as the SDK tours.
#
# Run against the local mock: scripts/with-mock --rate-limit-minute 60 -- bash examples/curl/tour.sh
set -euo pipefail
: "${TICKSUPPLY_API_KEY:?set TICKSUPPLY_API_KEY}"
BASE="${TICKSUPPLY_BASE_URL:-https://api.ticksupply.com/v1}"
KEY="$TICKSUPPLY_API_KEY"
HDRS="$(mktemp)"
trap 'rm -f "$HDRS"' EXIT

# call METHOD PATH [JSON]: the body on stdout; the response headers in $HDRS.
call() {
  local args=(-sS -X "$1" -H "X-Api-Key: $KEY" -D "$HDRS")
  if [[ "$1" == POST || "$1" == DELETE ]]; then
    args+=(-H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)")
  fi
  [[ $# -ge 3 ]] && args+=(-H "Content-Type: application/json" -d "$3")
  curl "${args[@]}" "$BASE$2"
}
status() { head -1 "$HDRS" | awk '{print $2}'; }
header() { tr -d '\r' <"$HDRS" | awk -F': ' -v h="$1" 'tolower($1) == h {print $2}'; }
json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
present() { if [[ -n "$1" ]]; then echo True; else echo False; fi; }

echo "== pagination"
# --8<-- [start:pagination]
query='search=BTC&limit=500'
page="$(call GET "/exchanges/binance/instruments?$query")"
pages=1
count="$(json 'len(d["items"])' <<<"$page")"
while token="$(json 'd.get("next_page_token") or ""' <<<"$page")"; [[ -n "$token" ]]; do
  # The token must travel with the same filters, URL-encoded.
  page="$(call GET "/exchanges/binance/instruments?$query&page_token=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$token")")"
  pages=$((pages + 1))
  count=$((count + $(json 'len(d["items"])' <<<"$page")))
done
echo "manual: $pages pages, $(json 'd["total"]' <<<"$page") instruments"
echo "auto: $count instruments"
# --8<-- [end:pagination]

echo "== datastreams"
# --8<-- [start:datastreams]
by_filter="$(call GET '/datastreams?exchange=kraken&instrument=XBT%2FUSD&stream_type=trades' | json 'd["items"][0]["datastream_id"]')"
# The instrument is a path segment here: its slash must be encoded.
by_path="$(call GET '/exchanges/kraken/instruments/XBT%2FUSD/datastreams?stream_type=trades' | json 'd["items"][0]["datastream_id"]')"
echo "kraken XBT/USD trades: $by_filter = $by_path"
# --8<-- [end:datastreams]

echo "== subscriptions"
# --8<-- [start:subscriptions]
sub_id="$(call POST /subscriptions "{\"datastream_id\": $by_filter}" | json 'd["id"]')"
call POST "/subscriptions/$sub_id/pause" >/dev/null
call POST "/subscriptions/$sub_id/resume" >/dev/null
spans="$(call GET "/subscriptions/$sub_id/spans")"
state="$(call GET "/subscriptions/$sub_id" | json 'd["status"]')"
echo "$state, $(json 'len(d)' <<<"$spans") spans, $(json 'sum(s["ended_at"] is None for s in d)' <<<"$spans") open"
echo "subscriptions: $(call GET /subscriptions | json 'len(d["items"])')"
call DELETE "/subscriptions/$sub_id" >/dev/null
echo "after delete: $(call GET "/subscriptions/$sub_id" | json 'd["status"]')"
# --8<-- [end:subscriptions]

echo "== export schemas"
# --8<-- [start:export-schemas]
ts='{"output_column": "ts", "meta": {"value": "collection_timestamp_ns", "format": "iso8601"}}'
price='{"output_column": "price", "data": {"binance": {"json": {"path": "data.p", "type": "decimal(18)"}}}}'
qty='{"output_column": "qty", "data": {"binance": {"json": {"path": "data.q", "type": "decimal(18)"}}}}'
schema="$(call POST /export-schemas "{\"name\": \"tour-trades\", \"stream_category\": \"trade\", \"columns\": [$ts, $price]}")"
schema_id="$(json 'd["id"]' <<<"$schema")"
call POST "/export-schemas/$schema_id/draft" >/dev/null
call PUT "/export-schemas/$schema_id/draft" "{\"columns\": [$ts, $price, $qty]}" >/dev/null
published="$(call POST "/export-schemas/$schema_id/publish")"
echo "$(json 'd["name"]' <<<"$published"): version $(json 'd["version"]' <<<"$schema") -> $(json 'd["version"]' <<<"$published"), $(json 'len(d["columns"])' <<<"$published") columns"
call DELETE "/export-schemas/$schema_id" >/dev/null
# --8<-- [end:export-schemas]

echo "== availability"
# --8<-- [start:availability]
availability="$(call GET "/availability?datastream_id=1")"
echo "datastream 1: $(json 'len(d["ranges"])' <<<"$availability") ranges, first from $(json 'd["ranges"][0]["from"]' <<<"$availability")"
# --8<-- [end:availability]

echo "== billing"
# --8<-- [start:billing]
echo "access: $(call GET /billing/summary | json 'd["access_status"]')"
# --8<-- [end:billing]

echo "== configuration"
# --8<-- [start:configuration]
echo "with_options: timeout 5s, 1 retries" # curl --max-time 5 --retry 1 (curl's retry ignores Retry-After floors and idempotency)
KEY=ts_revoked_key
err="$(call GET /billing/summary)"
echo "rotated to a bad key: $(json 'd["error"]["code"]' <<<"$err") $(status)"
KEY="$TICKSUPPLY_API_KEY"
echo "rotated back: $(call GET /billing/summary | json 'd["access_status"]')"
# --8<-- [end:configuration]

echo "== errors"
# --8<-- [start:errors]
err="$(call GET /subscriptions/sub_missing)"
echo "NotFoundError: $(json 'd["error"]["code"]' <<<"$err") $(status) request id: $(present "$(header x-request-id)")"
while body="$(call GET /exchanges)"; [[ "$(status)" != 429 ]]; do :; done
echo "RateLimitError: $(json 'd["error"]["code"]' <<<"$body") 429 retry after: $(present "$(header retry-after)")"
# --8<-- [end:errors]

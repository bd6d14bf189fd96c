#!/usr/bin/env bash
# Quick start with curl: the raw HTTP that the SDKs save you from (headers, pagination,
# polling, presigned downloads, error envelopes). Prints the same lines as the SDK quick starts.
#
# Run against the local mock: scripts/with-mock -- bash examples/curl/quickstart.sh
set -euo pipefail
: "${TICKSUPPLY_API_KEY:?set TICKSUPPLY_API_KEY}"
# --8<-- [start:client]
BASE="${TICKSUPPLY_BASE_URL:-https://api.ticksupply.com/v1}"
HDRS="$(mktemp)"
trap 'rm -f "$HDRS"' EXIT

# call METHOD PATH [JSON]: the body on stdout; the response headers in $HDRS.
call() {
  local args=(-sS -X "$1" -H "X-Api-Key: $TICKSUPPLY_API_KEY" -D "$HDRS")
  if [[ "$1" == POST || "$1" == DELETE ]]; then
    # Without this header a retried write may be applied twice.
    args+=(-H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)")
  fi
  [[ $# -ge 3 ]] && args+=(-H "Content-Type: application/json" -d "$3")
  curl "${args[@]}" "$BASE$2"
}
rid() { tr -d '\r' <"$HDRS" | awk -F': ' 'tolower($1) == "x-request-id" {print $2}'; }
status() { head -1 "$HDRS" | awk '{print $2}'; }
# json EXPR: evaluates a Python expression over the JSON document `d` read from stdin.
json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
# --8<-- [end:client]

# --8<-- [start:exchanges]
exchanges="$(call GET /exchanges)"
echo "exchanges: $(json 'len(d)' <<<"$exchanges") (request_id: $(rid))"
json "'\\n'.join(f'  {e[\"code\"]:<15} {e[\"display_name\"]}' for e in d)" <<<"$exchanges"
# --8<-- [end:exchanges]

# --8<-- [start:instruments]
page="$(call GET '/exchanges/binance/instruments?search=BTC&limit=10')"
echo "instruments matching BTC: $(json 'len(d["items"])' <<<"$page") of $(json 'd["total"]' <<<"$page") (request_id: $(rid))"
# --8<-- [end:instruments]

# --8<-- [start:datastream]
ds="$(call GET '/datastreams?exchange=binance&instrument=BTCUSDT&stream_type=trades')"
stream="$(json 'd["items"][0]["datastream_id"]' <<<"$ds")"
echo "datastream $stream (request_id: $(rid))"
# --8<-- [end:datastream]

# --8<-- [start:subscribe]
sub="$(call POST /subscriptions "{\"datastream_id\": $stream}")"
if [[ "$(status)" == 409 ]]; then echo "already subscribed" >&2; exit 1; fi
sub_id="$(json 'd["id"]' <<<"$sub")"
echo "subscribed $sub_id (request_id: $(rid))"
# --8<-- [end:subscribe]

# --8<-- [start:export]
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
hour_ago="$(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)"
job="$(call POST /exports "{\"datastream_id\": $stream, \"start_time\": \"$hour_ago\", \"end_time\": \"$now\"}")"
job_id="$(json 'd["id"]' <<<"$job")"
echo "export $job_id $(json 'd["status"]' <<<"$job") (request_id: $(rid))"
# Poll until it finishes (the SDKs' wait), then fetch each presigned URL without the key.
for _ in $(seq 600); do
  state="$(call GET "/exports/$job_id" | json 'd["status"]')"
  [[ "$state" == queued || "$state" == running ]] || break
  sleep 0.1
done
if [[ "$state" == succeeded ]]; then
  dir="$(mktemp -d)"
  listing="$(call GET "/exports/$job_id/download")"
  while IFS=$'\t' read -r url name; do
    curl -sS -o "$dir/$name" "$url"
  done < <(json '"\n".join(a["url"] + "\t" + a["filename"] for a in d["artifacts"])' <<<"$listing")
  echo "downloaded $(ls "$dir" | wc -l) files ($(cat "$dir"/* | wc -c) bytes)"
  # The rows themselves: a header line per artifact, then one line per row.
  first="$(ls "$dir"/* | head -n 1)"
  columns="$( (gzip -dc "$first" || true) | head -n 1 | sed 's/,/, /g')"  # head closes the pipe early
  rows=0
  for f in "$dir"/*; do rows=$((rows + $(gzip -dc "$f" | tail -n +2 | wc -l))); done
  echo "data: $rows rows ($columns)"
  rm -rf "$dir"
else
  echo "export did not finish: $state"
fi
# --8<-- [end:export]

# --8<-- [start:errors]
err="$(call GET /subscriptions/sub_does_not_exist)"
echo "not found, as expected: [$(json 'd["error"]["code"]' <<<"$err")] $(json 'd["error"]["message"]' <<<"$err") (request_id: $(rid))"
# --8<-- [end:errors]
call DELETE "/subscriptions/$sub_id" >/dev/null

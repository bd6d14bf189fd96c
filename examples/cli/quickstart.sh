#!/usr/bin/env bash
# Quick start with the command line: the same first calls as the SDK quick starts.
#   scripts/with-mock -- bash examples/cli/quickstart.sh   (TICKSUPPLY_BASE_URL/_API_KEY set by with-mock)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
ticksupply="${TICKSUPPLY_CLI:-$(command -v ticksupply || echo "$root/target/debug/ticksupply")}"
python="${PYTHON:-$root/.venv/bin/python}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
json() { "$python" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# --8<-- [start:exchanges]
"$ticksupply" exchanges list
# --8<-- [end:exchanges]

# --8<-- [start:instruments]
"$ticksupply" instruments list binance --search BTC | head -n 4
# --8<-- [end:instruments]

# --8<-- [start:datastream]
"$ticksupply" datastreams list --exchange binance --instrument BTCUSDT --stream-type trades
stream="$("$ticksupply" datastreams list --exchange binance --instrument BTCUSDT --stream-type trades --json \
  | json 'd[0]["datastream_id"]')"
# --8<-- [end:datastream]

# --8<-- [start:subscribe]
sub="$("$ticksupply" subscriptions create "$stream" --json | json 'd["id"]')"
# --8<-- [end:subscribe]

# --8<-- [start:export]
job="$("$ticksupply" exports create "$stream" --from "$(date -u -d '1 hour ago' +%FT%TZ)" --to "$(date -u +%FT%TZ)" --json \
  | json 'd["id"]')"
"$ticksupply" exports wait "$job" --timeout 60
"$ticksupply" exports download "$job" "$dir"
# --8<-- [end:export]

# --8<-- [start:errors]
if "$ticksupply" subscriptions get sub_does_not_exist; then exit 1; fi   # exit 1: [not_found] … (request_id: req_…)
# --8<-- [end:errors]
"$ticksupply" subscriptions delete "$sub" >/dev/null

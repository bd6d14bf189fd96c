#!/usr/bin/env bash
# The command line end to end: subscribe, sync three hours of two datastreams into a Parquet
# dataset, sync again (nothing to do), and query the dataset with DuckDB.
#   scripts/with-mock -- bash examples/cli/sync.sh   (TICKSUPPLY_BASE_URL/_API_KEY set by with-mock)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
ticksupply="${TICKSUPPLY_CLI:-$(command -v ticksupply || echo "$root/target/debug/ticksupply")}"
python="${PYTHON:-$root/.venv/bin/python}"
dest="$(mktemp -d)"
trap 'rm -rf "$dest"' EXIT

"$ticksupply" subscriptions create 1 >/dev/null
"$ticksupply" subscriptions create "$("$ticksupply" datastreams list --exchange binance --instrument ETHUSDT --stream-type trades --json \
  | "$python" -c 'import json, sys; print(json.load(sys.stdin)[0]["datastream_id"])')" >/dev/null

# --8<-- [start:sync]
ticksupply_sync() {
  "$ticksupply" sync --datastream binance:BTCUSDT:trades --datastream binance:ETHUSDT:trades \
    --from 2024-01-01T00:00:00Z --to 2024-01-01T03:00:00Z --partition hour --dest "$dest"
}
ticksupply_sync | tail -n 1
ticksupply_sync | tail -n 1   # again: every window is already there
# --8<-- [end:sync]

# --8<-- [start:query]
"$python" - "$dest" <<'PY'
import sys

import duckdb

dataset = f"{sys.argv[1]}/**/*.parquet"
print(duckdb.sql(f"""
    select instrument, count(*) as trades,
           min(collection_timestamp_ns) as first, max(collection_timestamp_ns) as last
    from read_parquet('{dataset}', hive_partitioning = true)
    group by instrument order by instrument
"""))
PY
# --8<-- [end:query]

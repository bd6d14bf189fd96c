#!/usr/bin/env bash
# The official `ticksupply` 0.2.1 crate's five examples, fetched from the registry and compiled
# against this repository's crate with only the dependency line changed; `smoke_test`,
# `list_exchanges`, `paginate_subscriptions`, `streaming_subscriptions` and `create_export` then
# run against ticksupply-mock.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Fetch the official crate's source (registry download, nothing committed).
mkdir -p "$work/fetch/src"
echo 'fn main() {}' >"$work/fetch/src/main.rs"
cat >"$work/fetch/Cargo.toml" <<'TOML'
[package]
name = "fetch-official"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
ticksupply = "=0.2.1"
[workspace]
TOML
official=$(cargo metadata --quiet --format-version 1 --manifest-path "$work/fetch/Cargo.toml" |
  python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="ticksupply"))')

# 2. The same examples, with our crate on the dependency line.
mkdir -p "$work/compat/src" "$work/compat/examples"
cp "$official"/examples/*.rs "$work/compat/examples/"
echo 'fn main() {}' >"$work/compat/src/main.rs"
cat >"$work/compat/Cargo.toml" <<TOML
[package]
name = "official-examples-on-ours"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
ticksupply = { path = "$repo/core" }
tokio = { version = "1", features = ["macros", "rt-multi-thread", "time"] }
futures = "0.3"
chrono = "0.4"
uuid = { version = "1", features = ["v4"] }
[workspace]
TOML
export CARGO_TARGET_DIR="$repo/target/official-examples"
cargo build --quiet --examples --manifest-path "$work/compat/Cargo.toml"
ls "$work/compat/examples" | sed 's/^/compiled unchanged: /'

# 3. Run them against the mock.
bin="$CARGO_TARGET_DIR/debug/examples"
run() { echo "== $*"; "$@"; }
"$repo/scripts/with-mock" --export-delay-ms 300 -- bash -euo pipefail -c "
  $(declare -f run)
  run '$bin/smoke_test' | tail -n 3
  run '$bin/list_exchanges'
  python3 - <<'PY'
import json, os, urllib.request
req = urllib.request.Request(os.environ['TICKSUPPLY_BASE_URL'] + '/subscriptions', method='POST',
    data=json.dumps({'datastream_id': 2}).encode(), headers={'X-Api-Key': os.environ['TICKSUPPLY_API_KEY']})
urllib.request.urlopen(req).read()
PY
  run '$bin/paginate_subscriptions'
  run '$bin/streaming_subscriptions'
  run timeout 60 '$bin/create_export' 2
"
echo "official rust examples: all passed"

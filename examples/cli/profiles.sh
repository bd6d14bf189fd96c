#!/usr/bin/env bash
# The authentication guide's practices with profiles: one key per environment, kept out of code
# and shell history (in the OS keyring, or a 0600 file where there is none), verified, rotated.
#   scripts/with-mock -- bash examples/cli/profiles.sh   (TICKSUPPLY_BASE_URL set by with-mock)
# The mock's control API stands in for the dashboard where keys are created and deleted.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
ticksupply="${TICKSUPPLY_CLI:-$(command -v ticksupply || echo "$root/target/debug/ticksupply")}"
python="${PYTHON:-$root/.venv/bin/python}"
rust_example="${RUST_PROFILES_EXAMPLE:-$root/target/debug/examples/profiles}"
export TICKSUPPLY_CONFIG_DIR="$(mktemp -d)"   # a config of the demo's own, not yours
trap 'for p in dev staging; do "$ticksupply" auth logout --profile $p >/dev/null 2>&1 || true; done; rm -rf "$TICKSUPPLY_CONFIG_DIR"' EXIT
api="$TICKSUPPLY_BASE_URL"
dashboard="${api%/v1}/_mock/keys"
unset TICKSUPPLY_API_KEY TICKSUPPLY_BASE_URL    # from here on, every key comes from a profile
new_key() { curl -fsS -X POST "$dashboard" -H 'content-type: application/json' -d "{\"account\": \"$1\", \"key\": \"$2\"}" >/dev/null; }
delete_key() { curl -fsS -X DELETE "$dashboard/$1" >/dev/null; }
new_key dev ts_demo_dev_key_1111
new_key staging ts_demo_staging_key_2222

echo "== one key per environment"
# --8<-- [start:login]
echo ts_demo_dev_key_1111 | "$ticksupply" auth login --profile dev --base-url "$api"
echo ts_demo_staging_key_2222 | "$ticksupply" auth login --profile staging --base-url "$api"
"$ticksupply" auth status
"$ticksupply" auth check --profile staging
# --8<-- [end:login]

echo "== the same profile from Python, JavaScript and Rust"
"$python" "$root/examples/python/profiles.py"
node "$root/examples/javascript/profiles.mjs"
"$rust_example"

echo "== rotate staging: new key, update, verify, delete the old one, verify again"
# --8<-- [start:rotate]
new_key staging ts_demo_staging_key_3333
echo ts_demo_staging_key_3333 | "$ticksupply" auth login --profile staging
"$ticksupply" auth check --profile staging
delete_key ts_demo_staging_key_2222
"$ticksupply" auth check --profile staging
# --8<-- [end:rotate]

echo "== a key deleted while a profile still holds it"
# --8<-- [start:deleted]
delete_key ts_demo_dev_key_1111
if "$ticksupply" auth check; then
  echo "profiles.sh: the deleted key was accepted" >&2
  exit 1
else
  echo "auth check exited $? for the default profile (dev)"
fi
# --8<-- [end:deleted]

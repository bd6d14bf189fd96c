#!/usr/bin/env bash
# tests/official-clients/rust-compat/main.rs is written against the official `ticksupply` 0.2.1
# crate's public API as its README, docs, examples and tests use it: every `Error` variant
# matched with all its fields and with `..`, every request builder, every model field. This
# compiles it against this repository's crate, unchanged (only its dependency line names our
# crate; feature `ours` takes `reqwest` from `ticksupply::reqwest`), and runs it against
# ticksupply-mock: real 400/401/402/403/404/409/429/5xx responses, an HTML 502, an undecodable
# 200, a refused connection and a bad key must come out as the official variants.
#
# RUST_COMPAT_OFFICIAL=1 also builds the same file against the official crate from the registry
# and runs it against a fresh mock: both runs must pass and print the same lines, which shows
# that the program's expectations are the official crate's behaviour.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Shared with rust-examples.sh (same dependency lines), so our crate is compiled once for both.
export CARGO_TARGET_DIR="$repo/target/official-examples"

deps='tokio = { version = "1", features = ["macros", "rt-multi-thread", "time"] }
futures = "0.3"
chrono = "0.4"
uuid = { version = "1", features = ["v4"] }
serde_json = "1"'

# $1 package name, $2 the ticksupply dependency line, $3 extra dependency lines, $4 default features.
package() {
  mkdir -p "$work/$1/src"
  cp "$repo/tests/official-clients/rust-compat/main.rs" "$work/$1/src/main.rs"
  cat >"$work/$1/Cargo.toml" <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2021"
publish = false
[features]
default = [$4]
ours = []
[dependencies]
$2
$3
$deps
[workspace]
TOML
}

run() {
  local name=$1
  cargo build --quiet --manifest-path "$work/$name/Cargo.toml"
  echo "compiled unchanged: rust-compat/main.rs ($name)"
  "$repo/scripts/with-mock" --export-delay-ms 300 -- "$CARGO_TARGET_DIR/debug/$name" | tee "$work/$name.out"
}

package official-api-on-ours "ticksupply = { path = \"$repo/core\" }" "" '"ours"'
run official-api-on-ours

if [ "${RUST_COMPAT_OFFICIAL:-0}" = 1 ]; then
  package official-api-on-official 'ticksupply = "=0.2.1"' \
    'reqwest = { version = "0.12", default-features = false }' ''
  run official-api-on-official
  diff -u "$work/official-api-on-official.out" "$work/official-api-on-ours.out"
  echo "the official crate passes the same checks and prints the same lines"
fi
echo "official rust API on this crate: all passed"

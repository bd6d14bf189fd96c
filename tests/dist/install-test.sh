#!/usr/bin/env bash
# Installs what `make dist` built the way users meet it, outside the repository, and runs it
# against the mock:
#
#   wheel   auditwheel says manylinux_2_17 and no symbol needs a glibc newer than 2.17; then, with
#           no cargo or rustc on PATH, one fresh venv per CPython >= 3.10 found on this machine:
#           the wheel with [polars], the Python quick start, `ticksupply --help` and
#           `ticksupply exchanges list --json`
#   npm     the root tarball holds no .node; with no cargo or rustc on PATH, the root and the
#           linux-x64-gnu tarballs in an empty project: the JavaScript quick start (ESM), a
#           CommonJS require, `npx ticksupply --help` and `npx ticksupply exchanges list --json`;
#           the addon's glibc floor is 2.28 or older
#   source  (cargo on PATH) the sdist from its tarball alone, pip install ./bindings-python,
#           npm install ./bindings-node, and cargo install --path cli
#
# then prints what a release note needs: the wheel's tags, glibc floors, the Pythons tested and
# each artifact's files and size. Works on a release build too: make dist && tests/dist/install-test.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-python3}"
venv_bin="${VENV:-$root/.venv}/bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
say() { echo "install-test: $*"; }
fail() { echo "install-test: FAILED: $*" >&2; exit 1; }
# Runs a command in a folder against a fresh mock, its output kept only on failure.
run() {
  local dir=$1 log
  shift
  log="$work/run.log"
  (cd "$dir" && "$root/scripts/with-mock" --export-delay-ms 200 -- "$@" >"$log" 2>&1) || { cat "$log" >&2; fail "$*"; }
}
# Runs a command against a fresh mock and prints its stdout.
capture() { "$root/scripts/with-mock" -- "$@"; }

version="$("$root/scripts/check-versions")"
wheels=("$root"/dist/ticksupply-"$version"-*.whl)
if [ ${#wheels[@]} -ne 1 ] || [ ! -f "${wheels[0]}" ]; then fail "expected one wheel of $version in dist/, found: ${wheels[*]}"; fi
wheel="${wheels[0]}"
sdist="$root/dist/ticksupply-$version.tar.gz"
npm_root="$root/dist/ticksupply-$version.tgz"
npm_linux="$root/dist/ticksupply-linux-x64-gnu-$version.tgz"
for f in "$sdist" "$npm_root" "$npm_linux"; do [ -f "$f" ] || fail "missing ${f#"$root"/}"; done

# PATH without any folder that holds cargo or rustc: the binary artifacts must install and run
# without a Rust toolchain.
nocargo_path=""
IFS=: read -ra path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  [ -n "$d" ] && [ ! -e "$d/cargo" ] && [ ! -e "$d/rustc" ] && nocargo_path+="${nocargo_path:+:}$d"
done
# A command prefix (not a function: with-mock runs it in another process).
nocargo=(env "PATH=$nocargo_path")
if "${nocargo[@]}" bash -c 'command -v cargo || command -v rustc' >/dev/null; then fail "cargo is still on the PATH without it"; fi

# ---------------------------------------------------------------------------------------------
say "wheel: manylinux and glibc floor"
wheel_tags="$("$venv_bin/python" -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
wheel = next(n for n in z.namelist() if n.endswith(".dist-info/WHEEL"))
print(" ".join(l.split(":", 1)[1].strip() for l in z.read(wheel).decode().splitlines() if l.startswith("Tag:")))
' "$wheel")"
case " $wheel_tags " in *" cp310-abi3-manylinux_2_17_x86_64 "*) ;; *) fail "wheel tags: $wheel_tags" ;; esac
"$venv_bin/auditwheel" show --json "$wheel" >"$work/auditwheel.json" || { cat "$work/auditwheel.json" >&2; fail "auditwheel show"; }
audit_tag="$("$venv_bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["overall_tag"])' "$work/auditwheel.json")"
case "$audit_tag" in
  manylinux_2_5_x86_64 | manylinux_2_12_x86_64 | manylinux_2_17_x86_64) ;;
  *) "$venv_bin/auditwheel" show "$wheel" >&2 || true; fail "auditwheel: the wheel is $audit_tag, not manylinux_2_17" ;;
esac
mkdir "$work/wheel"
"$venv_bin/python" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$wheel" "$work/wheel"
so="$(find "$work/wheel" -name '_native*.so' | head -n 1)"
[ -n "$so" ] || fail "no extension module in the wheel"
wheel_floor="$("$root/scripts/glibc-floor" "$so")"
[ "$(printf '%s\n' "$wheel_floor" 2.17 | sort -V | tail -n 1)" = 2.17 ] || fail "the extension needs glibc $wheel_floor (> 2.17)"

# Every CPython >= 3.10 of this machine: python3.N on PATH, and pyenv's versions; one per real
# executable.
candidates=()
for d in "${path_dirs[@]}"; do
  for f in "$d"/python3.*; do
    [[ -x $f && ${f##*/} =~ ^python3\.[0-9]+$ ]] && candidates+=("$f")
  done
done
pyenv_root="${PYENV_ROOT:-$(command -v pyenv >/dev/null && pyenv root || echo "$HOME/.pyenv")}"
for f in "$pyenv_root"/versions/*/bin/python3; do [ -x "$f" ] && candidates+=("$f"); done
declare -A seen=()
pythons=()
for f in "${candidates[@]}"; do
  info="$("$f" -c 'import os, platform, sys
if platform.python_implementation() == "CPython" and sys.version_info >= (3, 10):
    print(os.path.realpath(sys.executable), platform.python_version())' 2>/dev/null)" || continue
  [ -n "$info" ] || continue
  real="${info% *}"
  [ -z "${seen[$real]:-}" ] || continue
  seen[$real]=1
  pythons+=("$real ${info##* }")
done
[ ${#pythons[@]} -gt 0 ] || fail "no CPython >= 3.10 found"

cp "$root/examples/python/quickstart.py" "$work/"
tested=()
n=0
for entry in "${pythons[@]}"; do
  py="${entry% *}" pyver="${entry##* }"
  n=$((n + 1))
  venv="$work/venv-$n"
  if ! "$py" -m venv "$venv" 2>"$work/venv.log"; then
    say "skipped Python $pyver ($py): no venv module ($(tail -n 1 "$work/venv.log"))"
    continue
  fi
  say "wheel into a fresh venv of Python $pyver ($py), no cargo on PATH"
  # The quick start reads its export into polars: the wheel with the [polars] extra.
  "${nocargo[@]}" "$venv/bin/pip" install --quiet --disable-pip-version-check "ticksupply[polars] @ file://$wheel"
  got="$("${nocargo[@]}" "$venv/bin/python" -c 'import ticksupply; print(ticksupply.__version__)')"
  [ "$got" = "$version" ] || fail "Python $pyver: ticksupply.__version__ is $got"
  run "$work" "${nocargo[@]}" "$venv/bin/python" quickstart.py
  "${nocargo[@]}" "$venv/bin/ticksupply" --help >"$work/help.txt" || fail "Python $pyver: ticksupply --help"
  grep -q '^Usage: ticksupply' "$work/help.txt" || fail "Python $pyver: ticksupply --help printed no usage"
  capture "${nocargo[@]}" "$venv/bin/ticksupply" exchanges list --json >"$work/exchanges.json" || fail "Python $pyver: ticksupply exchanges list --json"
  "${nocargo[@]}" "$venv/bin/python" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert isinstance(d, list) and d, d' "$work/exchanges.json" ||
    fail "Python $pyver: ticksupply exchanges list --json printed no exchanges"
  tested+=("$pyver")
done
[ ${#tested[@]} -gt 0 ] || fail "no Python could take the wheel"

# ---------------------------------------------------------------------------------------------
say "npm: the root and linux-x64-gnu tarballs in an empty project, no cargo on PATH"
tar tzf "$npm_root" >"$work/npm-root.txt"
tar tzf "$npm_linux" >"$work/npm-linux.txt"
if grep -q '\.node$' "$work/npm-root.txt"; then fail "the root npm tarball holds a .node file"; fi
for f in package/cli.js package/native.js package/index.js package/index.mjs package/index.d.ts; do
  grep -qx "$f" "$work/npm-root.txt" || fail "the root npm tarball lacks $f"
done
grep -qx package/ticksupply.linux-x64-gnu.node "$work/npm-linux.txt" || fail "the linux-x64-gnu tarball lacks its addon"
mkdir "$work/app"
# apache-arrow: the optional peer the quick start's toArrow() uses.
(cd "$work/app" && "${nocargo[@]}" npm init -y >/dev/null &&
  "${nocargo[@]}" npm install --no-audit --no-fund --loglevel=error "$npm_root" "$npm_linux" apache-arrow@21)
addon="$work/app/node_modules/ticksupply-linux-x64-gnu/ticksupply.linux-x64-gnu.node"
[ -f "$addon" ] || fail "npm did not install the platform package"
[ ! -e "$work/app/node_modules/ticksupply/ticksupply.linux-x64-gnu.node" ] || fail "the root package carries the addon"
node_floor="$("$root/scripts/glibc-floor" "$addon")"
[ "$(printf '%s\n' "$node_floor" 2.28 | sort -V | tail -n 1)" = 2.28 ] || fail "the addon needs glibc $node_floor (> 2.28)"
cp "$root/examples/javascript/quickstart.mjs" "$work/app/"
run "$work/app" "${nocargo[@]}" node quickstart.mjs
(cd "$work/app" && "${nocargo[@]}" node -e "
const ts = require('ticksupply')
if (typeof ts.Client !== 'function' || ts.VERSION !== '$version') process.exit(1)
require.resolve('ticksupply-linux-x64-gnu')
") || fail "require('ticksupply') (CommonJS)"
(cd "$work/app" && "${nocargo[@]}" npx --no -- ticksupply --help >"$work/help.txt") || fail "npx ticksupply --help"
grep -q '^Usage: ticksupply' "$work/help.txt" || fail "npx ticksupply --help printed no usage"
(cd "$work/app" && capture "${nocargo[@]}" npx --no -- ticksupply exchanges list --json >"$work/exchanges.json") ||
  fail "npx ticksupply exchanges list --json"
"${nocargo[@]}" node -e "const d = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')); if (!Array.isArray(d) || !d.length) process.exit(1)" \
  "$work/exchanges.json" || fail "npx ticksupply exchanges list --json printed no exchanges"

# ---------------------------------------------------------------------------------------------
say "sdist: from its tarball alone (a source build: cargo on PATH, debug profile)"
tar tzf "$sdist" >"$work/sdist.txt"
for f in pyproject.toml Cargo.toml Cargo.lock core/Cargo.toml cli/Cargo.toml bindings-python/Cargo.toml; do
  grep -qx "ticksupply-$version/$f" "$work/sdist.txt" || fail "the sdist lacks $f"
done
"$python" -m venv "$work/venv-sdist"
# A debug build is enough to prove the source install works, and much faster; the shared target
# directory reuses the dependencies the dev builds compiled.
(cd "$work" && CARGO_TARGET_DIR="$root/target" MATURIN_PEP517_ARGS="--profile dev" \
  "$work/venv-sdist/bin/pip" install --quiet --disable-pip-version-check "$sdist")
got="$("$work/venv-sdist/bin/python" -c 'import ticksupply; print(ticksupply.__version__)')"
[ "$got" = "$version" ] || fail "sdist: ticksupply.__version__ is $got"
[ "$("$work/venv-sdist/bin/ticksupply" --version)" = "ticksupply $version" ] || fail "sdist: ticksupply --version"

say "pip install ./bindings-python (from source)"
"$python" -m venv "$work/venv-src"
(cd "$root" && MATURIN_PEP517_ARGS="--profile dev" "$work/venv-src/bin/pip" install --quiet --disable-pip-version-check ./bindings-python polars)
run "$work" "$work/venv-src/bin/python" quickstart.py

say "npm install ./bindings-node (from source, with the addon built here)"
mkdir "$work/app-src"
(cd "$work/app-src" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error apache-arrow@21)
(cd "$root" && npm install --no-audit --no-fund --loglevel=error --prefix "$work/app-src" ./bindings-node)
cp "$root/examples/javascript/quickstart.mjs" "$work/app-src/"
run "$work/app-src" node quickstart.mjs

say "cargo install --path cli (debug)"
(cd "$root" && CARGO_TARGET_DIR="$root/target" cargo install --quiet --locked --debug --path cli --root "$work/cargo-root")
[ "$("$work/cargo-root/bin/ticksupply" --version)" = "ticksupply $version" ] || fail "cargo install: ticksupply --version"
capture "$work/cargo-root/bin/ticksupply" exchanges list --json >"$work/exchanges.json" || fail "cargo install: ticksupply exchanges list --json"
"$venv_bin/python" -c 'import json, sys; assert json.load(open(sys.argv[1]))' "$work/exchanges.json" ||
  fail "cargo install: ticksupply exchanges list --json printed no exchanges"

# ---------------------------------------------------------------------------------------------
size() { du -h "$1" | cut -f1; }
echo
echo "== ticksupply $version: what was installed and tested"
echo "wheel    ${wheel##*/} ($(size "$wheel"))"
echo "         tags: $wheel_tags; auditwheel: $audit_tag; glibc floor of the extension: $wheel_floor"
echo "         tested on CPython ${tested[*]}, without cargo"
echo "sdist    ${sdist##*/} ($(size "$sdist"), $(wc -l <"$work/sdist.txt") entries), built and imported"
echo "npm      ${npm_root##*/} ($(size "$npm_root")):"
tar tvzf "$npm_root" | awk '{printf "           %10s  %s\n", $3, $6}'
echo "npm      ${npm_linux##*/} ($(size "$npm_linux")), glibc floor of the addon: $node_floor:"
tar tvzf "$npm_linux" | awk '{printf "           %10s  %s\n", $3, $6}'
for crate in "$root"/dist/*.crate; do echo "crate    ${crate##*/} ($(size "$crate"))"; done
echo "install-test: every artifact installed and ran"

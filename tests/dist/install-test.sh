#!/usr/bin/env bash
# Installs what `make dist` built the way users will meet it — the wheel into a fresh venv, the
# npm tarball into a fresh Node project, both outside the repository — and runs the quick starts
# against the mock. Then installs from source: pip install ./bindings-python and
# npm install ./bindings-node.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run() { (cd "$1" && shift && "$root/scripts/with-mock" --export-delay-ms 200 -- "$@" >/dev/null); }

wheel="$(ls "$root"/dist/ticksupply-*.whl)"
tarball="$(ls "$root"/dist/ticksupply-*.tgz)"

echo "install-test: wheel into a fresh venv"
"$python" -m venv "$work/venv"
# The quick start reads its export into polars: the wheel with the [polars] extra.
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "ticksupply[polars] @ file://$wheel"
cp "$root/examples/python/quickstart.py" "$work/"
run "$work" "$work/venv/bin/python" quickstart.py

echo "install-test: npm tarball into a fresh Node project"
mkdir "$work/app"
# apache-arrow: the optional peer the quick start's toArrow() uses.
(cd "$work/app" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "$tarball" apache-arrow@21)
cp "$root/examples/javascript/quickstart.mjs" "$work/app/"
run "$work/app" node quickstart.mjs
(cd "$work/app" && node -e "const { Client } = require('ticksupply'); if (typeof Client !== 'function') process.exit(1)")

echo "install-test: pip install ./bindings-python (from source)"
"$python" -m venv "$work/venv-src"
# A debug build is enough to prove the source install works, and much faster.
(cd "$root" && MATURIN_PEP517_ARGS="--profile dev" "$work/venv-src/bin/pip" install --quiet --disable-pip-version-check ./bindings-python polars)
run "$work" "$work/venv-src/bin/python" quickstart.py

echo "install-test: npm install ./bindings-node (from source, with the addon built here)"
mkdir "$work/app-src"
(cd "$work/app-src" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error apache-arrow@21)
(cd "$root" && npm install --no-audit --no-fund --loglevel=error --prefix "$work/app-src" ./bindings-node)
cp "$root/examples/javascript/quickstart.mjs" "$work/app-src/"
run "$work/app-src" node quickstart.mjs
echo "install-test: all four installs ran the quick start"
